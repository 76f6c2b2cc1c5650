/* workers: busy worker processes for tests/bench/live/run (lost samples).
 *
 * The parent forks WORKERS worker processes, like a DataLoader's, and
 * waits.  Each worker loops: map CHUNK_KIB KiB of fresh anonymous memory
 * (MADV_NOHUGEPAGE: one page fault per 4 KiB page), touch every page,
 * unmap it, then compute for SPIN_MS ms of its own CPU time.  On a machine
 * with fewer CPUs than workers they timeshare.  When all workers run the
 * parent writes its PID to READY_FILE (via a rename); SIGTERM or SIGINT to
 * the parent ends them all (PR_SET_PDEATHSIG).
 *
 * usage: workers WORKERS CHUNK_KIB SPIN_MS READY_FILE
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void work(size_t chunk, double spin_ms)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile double x = 1.0;

	for (;;) {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		double until;

		if (p == MAP_FAILED)
			_exit(1);
		madvise(p, chunk, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < chunk; off += (size_t)psz)
			p[off] = (char)off;
		munmap(p, chunk);
		until = cpu_ms() + spin_ms;
		while (cpu_ms() < until)
			for (int i = 0; i < 20000; i++)
				x = x * 1.0000001 + 1e-9;
	}
}

int main(int argc, char **argv)
{
	int workers, fds[2];
	long chunk_kib;
	double spin_ms;
	char tmp[4096], c;
	FILE *f;

	if (argc != 5 || (workers = atoi(argv[1])) < 1 || (chunk_kib = atol(argv[2])) < 4 ||
	    (spin_ms = atof(argv[3])) < 0) {
		fprintf(stderr, "usage: workers WORKERS CHUNK_KIB SPIN_MS READY_FILE\n");
		return 2;
	}
	if (pipe(fds))
		return 1;
	for (int i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("workers: fork");
			return 1;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			close(fds[0]);
			c = 1;
			if (write(fds[1], &c, 1) != 1)
				_exit(1);
			close(fds[1]);
			work((size_t)chunk_kib * 1024, spin_ms);
		}
	}
	close(fds[1]);
	for (int i = 0; i < workers; i++)
		if (read(fds[0], &c, 1) != 1) {
			fprintf(stderr, "workers: a worker failed to start\n");
			return 1;
		}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[4]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) || rename(tmp, argv[4])) {
		perror("workers: ready file");
		return 1;
	}
	while (!stop)
		pause();
	return 0;
}
