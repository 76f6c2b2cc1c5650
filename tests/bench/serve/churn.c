/*
 * churn.c - a busy machine for tests/bench/serve/memory: a short-lived
 * process every PERIOD_MS that touches CHUNK_KIB of fresh memory and exits
 * (new pids, new pages), and one long-lived process that keeps mapping,
 * touching and unmapping fresh regions (ever new pages of one pid).
 * Usage: churn SECONDS [CHUNK_KIB [PERIOD_MS]]
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* At ever new addresses (a hint past the last): the pages are new keys. */
static void touch(size_t bytes)
{
	static uintptr_t next = 0x100000000000ull;
	char *p = mmap((void *)next, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	next = (uintptr_t)p + bytes + 4096;
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = (char)i;
	munmap(p, bytes);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 60, end = now() + secs;
	size_t chunk = (size_t)(argc > 2 ? atol(argv[2]) : 4096) * 1024;
	long period_ms = argc > 3 ? atol(argv[3]) : 20;
	struct timespec gap = { period_ms / 1000, (period_ms % 1000) * 1000000 };
	pid_t keeper = fork();

	if (keeper == 0) {              /* the long-lived one: ever new pages */
		struct timespec nap = { 0, 5 * 1000000 };

		while (now() < end) {
			touch(chunk);
			nanosleep(&nap, NULL);
		}
		_exit(0);
	}
	while (now() < end) {
		pid_t c = fork();

		if (c == 0) {
			touch(chunk);
			_exit(0);
		}
		nanosleep(&gap, NULL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	kill(keeper, SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
