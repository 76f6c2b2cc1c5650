/*
 * touch_workload.c - one buffer first touched by one pinned thread and read
 * by other processes, for the first-touch test (tests/objects/).  The
 * lines the test looks for are marked "SITE: <name>".
 *
 * Usage: touch_workload READY_FILE GO_FILE CPU
 * Maps a 32 MiB MAP_SHARED anonymous buffer after GO_FILE exists (numalens
 * attached), starts a thread pinned to CPU that writes one byte per page
 * (the first touch of every page), then forks two readers that read every
 * page (their page faults are not first touches: the pages exist) and
 * writes "toucher TID CPU" and "buffer ADDR LEN" to stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
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
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0); /* SITE: buffer */
	if (buf == MAP_FAILED)
		return 1;
	printf("buffer %p %lu\n", (void *)buf, LEN);
	if (pthread_create(&t, NULL, toucher, NULL) || pthread_join(t, NULL))
		return 1;
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
