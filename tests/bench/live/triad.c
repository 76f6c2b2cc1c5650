/* triad: memory-bound workload for tests/bench/live/run (overhead).
 *
 * A STREAM-like triad a[i] = b[i] + s * c[i] over three arrays of MIB MiB
 * each, split between THREADS threads that meet at a barrier after every
 * pass (like the steps of a training loop).  All memory is allocated and
 * first touched once, up front, by the thread that later works on it; the
 * timed passes then fault nothing, so the steady state dominates.  The
 * arrays are plain anonymous mmaps without MADV_HUGEPAGE: with THP in
 * "madvise" mode (Debian's default) they are 4 KiB pages, one page fault
 * each during the set-up.
 *
 * Prints one line:
 *   triad: threads T mib M passes P init_s X loop_s Y total_s Z gbps B cpu_s C sum S
 * init_s is allocation + first touch, loop_s the passes, total_s both
 * (from main() to the end), gbps the loop's bandwidth (3 arrays per pass,
 * as STREAM counts: 2 reads + 1 write), cpu_s the process' own user+system
 * CPU time (getrusage), so that a profiler's CPU time can be told apart.
 *
 * usage: triad [PASSES [MIB [THREADS]]]   (default 300 96 2)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

static double *a, *b, *c;
static size_t n;
static int passes, nthreads;
static pthread_barrier_t bar;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	size_t lo = n * (size_t)id / (size_t)nthreads;
	size_t hi = n * (size_t)(id + 1) / (size_t)nthreads;
	const double s = 3.0;

	/* first touch: this thread's part of each array */
	for (size_t i = lo; i < hi; i++) {
		a[i] = 0.0;
		b[i] = 1.0 + (double)(i & 7);
		c[i] = 2.0;
	}
	pthread_barrier_wait(&bar);     /* set-up done */
	pthread_barrier_wait(&bar);     /* loop starts */
	for (int p = 0; p < passes; p++) {
		for (size_t i = lo; i < hi; i++)
			a[i] = b[i] + s * c[i];
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

static double *map_array(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("triad: mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	double t0 = now(), t1, t2;
	long mib;
	pthread_t *tid;
	double sum = 0.0;
	struct rusage ru;

	passes = argc > 1 ? atoi(argv[1]) : 300;
	mib = argc > 2 ? atol(argv[2]) : 96;
	nthreads = argc > 3 ? atoi(argv[3]) : 2;
	if (passes < 1 || mib < 1 || nthreads < 1 || nthreads > 256) {
		fprintf(stderr, "usage: triad [PASSES [MIB [THREADS]]]\n");
		return 2;
	}
	n = (size_t)mib * 1024 * 1024 / sizeof(double);
	a = map_array(n * sizeof(double));
	b = map_array(n * sizeof(double));
	c = map_array(n * sizeof(double));
	tid = calloc((size_t)nthreads, sizeof(*tid));
	if (!tid || pthread_barrier_init(&bar, NULL, (unsigned)nthreads + 1))
		return 1;
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, worker, (void *)i)) {
			perror("triad: pthread_create");
			return 1;
		}
	pthread_barrier_wait(&bar);
	t1 = now();
	pthread_barrier_wait(&bar);
	for (int p = 0; p < passes; p++)
		pthread_barrier_wait(&bar);
	t2 = now();
	for (long i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	for (size_t i = 0; i < n; i += 4096)
		sum += a[i];
	getrusage(RUSAGE_SELF, &ru);
	printf("triad: threads %d mib %ld passes %d init_s %.4f loop_s %.4f total_s %.4f "
	       "gbps %.2f cpu_s %.3f sum %.0f\n", nthreads, mib, passes, t1 - t0, t2 - t1,
	       now() - t0, 3.0 * (double)n * sizeof(double) * passes / (t2 - t1) / 1e9,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6, sum);
	return 0;
}
