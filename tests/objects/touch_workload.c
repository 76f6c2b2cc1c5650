/*
 * touch_workload.c - one buffer first touched by one pinned thread and read
 * by other processes, for the first-touch test (tests/objects/).  The
 * lines the test looks for are marked "SITE: <name>".
 *
 * Usage: touch_workload READY_FILE GO_FILE CPU [thp]
 * Maps a 32 MiB MAP_SHARED anonymous buffer after GO_FILE exists (numalens
 * attached), starts a thread pinned to CPU that writes one byte per page
 * (the first touch of every page), then forks two readers that read every
 * page (their page faults are not first touches: the pages exist) and
 * writes "toucher TID CPU" and "buffer ADDR LEN" to stdout.
 * thp: the buffer is private, 2 MiB aligned and madvised MADV_HUGEPAGE, so
 * each first touch of 2 MiB is one THP fault; stdout gets "thp_kb N", the
 * buffer's AnonHugePages from /proc/self/smaps after the touch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (32ul << 20)

static char *buf;
static int cpu;
static volatile unsigned long sink;

__attribute__((noinline)) static void place(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1; /* SITE: place */
}

static void *toucher(void *arg)
{
	cpu_set_t set;

	(void)arg;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		exit(3);
	printf("toucher %ld %d\n", (long)syscall(SYS_gettid), sched_getcpu());
	fflush(stdout);
	place(buf, LEN);
	return NULL;
}

__attribute__((noinline)) static void reader(void)
{
	for (int r = 0; r < 2; r++)
		for (size_t i = 0; i < LEN; i += 4096)
			sink += (unsigned char)buf[i];
}

/* AnonHugePages (kB) of the mapping that starts at p, -1 not found. */
static long thp_kb(const char *p)
{
	char line[256];
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0;
	long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = lo <= (uintptr_t)p && (uintptr_t)p < hi;
		else if (in && !strncmp(line, "AnonHugePages:", 14))
			kb = atol(line + 14);
	}
	if (f)
		fclose(f);
	return kb;
}

/* LEN bytes at a 2 MiB boundary of a private mapping, madvised huge. */
static char *map_huge(void)
{
	size_t huge = 2ul << 20;
	char *p = mmap(NULL, LEN + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* SITE: thp_buffer */

	if (p == MAP_FAILED)
		return p;
	p = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(p, LEN, MADV_HUGEPAGE);
	return p;
}

int main(int argc, char **argv)
{
	int thp = argc > 4 && !strcmp(argv[4], "thp");
	pthread_t t;
	FILE *f;

	if (argc < 4)
		return 2;
	cpu = atoi(argv[3]);
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fclose(f);
	for (int i = 0; i < 3000 && access(argv[2], F_OK); i++)
		usleep(10000);
	usleep(100000);
	if (thp)
		buf = map_huge();
	else
		buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0); /* SITE: buffer */
	if (buf == MAP_FAILED)
		return 1;
	printf("buffer %p %lu\n", (void *)buf, LEN);
	if (pthread_create(&t, NULL, toucher, NULL) || pthread_join(t, NULL))
		return 1;
	if (thp) {
		printf("thp_kb %ld\n", thp_kb(buf));
		fflush(stdout);
	}
	for (int k = 0; k < 2; k++) {
		if (fork() == 0) {
			reader();
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	usleep(200000);
	return 0;
}
