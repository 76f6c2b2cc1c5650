/*
 * mallocs.c - a malloc-heavy workload for the allocation-probe benchmark:
 * CALLS malloc(SIZE)+free pairs, a few 8 MiB buffers in between (mmap'd by
 * glibc, first touched), and prints "ns_per_pair N": the process' CPU
 * time (user + system, where the probes' traps are counted; not wall
 * time, which the machine's load inflates) per malloc+free pair.  With
 * "mmap", CALLS mmap(SIZE)+munmap pairs instead (what the default probes
 * trap on).
 * Usage: mallocs CALLS SIZE [mmap]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 256;
	char *volatile keep;
	double t0, t1;

	if (argc > 3 && !strcmp(argv[3], "mmap")) {
		t0 = now();
		for (long i = 0; i < calls; i++) {
			char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				return 1;
			munmap(p, size);
		}
		t1 = now();
		printf("ns_per_pair %.1f\n", (t1 - t0) / (double)calls);
		return 0;
	}
	t0 = now();
	for (long i = 0; i < calls; i++) {
		char *p = malloc(size);

		p[0] = (char)i;
		keep = p;
		free(p);
		if (i % (calls / 8 + 1) == 0) {
			char *big = malloc(8u << 20);

			memset(big, 1, 8u << 20);
			free(big);
		}
	}
	t1 = now();
	(void)keep;
	printf("ns_per_pair %.1f\n", (t1 - t0) / (double)calls);
	return 0;
}
