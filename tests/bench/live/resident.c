/* resident: many processes with many resident mappings, for the access
 * signal benchmark (tests/bench/live/access).
 *
 * The parent maps MAPS separate anonymous mappings of KIB KiB each (a
 * guard page between them, so the kernel cannot merge them) and touches
 * every page, then forks PROCS-1 children, like DataLoader workers that
 * inherit a dataset: the pages are shared copy-on-write (one copy in
 * memory), each child has its own page table over all of them.  Each child
 * reads one mapping in four, one byte per 4 KiB page, every 100 ms: lightly
 * busy, a large page table to walk.  When all are up the parent writes its PID to READY_FILE (via a
 * rename); SIGTERM or SIGINT ends the tree (PR_SET_PDEATHSIG).
 *
 * usage: resident PROCS MAPS KIB READY_FILE
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static char *setup(int maps, size_t bytes)
{
	size_t stride = bytes + 4096;
	char *base = mmap(NULL, stride * (size_t)maps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	madvise(base, stride * (size_t)maps, MADV_NOHUGEPAGE);
	for (int m = 0; m < maps; m++) {
		munmap(base + m * stride + bytes, 4096);
		memset(base + m * stride, 1, bytes);
	}
	return base;
}

static void run(const char *base, int maps, size_t bytes, int ready_fd)
{
	size_t stride = bytes + 4096;
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	volatile char sink = 0;

	if (write(ready_fd, "x", 1) != 1)
		_exit(1);
	while (!stop) {
		for (int m = 0; m < maps; m += 4)
			for (size_t off = 0; off < bytes; off += 4096)
				sink += base[m * stride + off];
		nanosleep(&tick, NULL);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int procs, maps, fd[2];
	size_t bytes;
	char tmp[4096], c, *base;
	FILE *f;

	if (argc != 5 || (procs = atoi(argv[1])) < 1 || (maps = atoi(argv[2])) < 1 ||
	    !(bytes = (size_t)atol(argv[3]) * 1024)) {
		fprintf(stderr, "usage: resident PROCS MAPS KIB READY_FILE\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (pipe(fd) || !(base = setup(maps, bytes)))
		return 1;
	for (int i = 1; i < procs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(fd[0]);
			run(base, maps, bytes, fd[1]);
		}
	}
	close(fd[1]);
	for (int i = 1; i < procs; i++)
		if (read(fd[0], &c, 1) != 1)
			return 1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[4]);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) ||
	    rename(tmp, argv[4]))
		return 1;
	while (!stop)
		pause();
	kill(0, SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
