/* churn: a DataLoader with persistent_workers=False, for tests/bench/soak.
 *
 * The parent keeps WORKERS worker processes alive; every second it ends
 * CHURN of them (SIGTERM, the oldest first) and forks replacements, as
 * workers are torn down and re-created across epochs.  Each worker loops:
 * map CHUNK_KIB KiB of fresh anonymous memory, touch every page, unmap it,
 * compute for SPIN_MS ms of its own CPU time.  The parent writes one line
 * per worker to LOG when it is reaped: "pid ppid start_ns end_ns" (CLOCK_
 * MONOTONIC), so the soak can check that every worker that lived >= 1 s
 * appears in the report.  It writes its PID to READY_FILE once the first
 * WORKERS run; SIGTERM/SIGINT ends it and all workers (logged too).
 *
 * usage: churn WORKERS CHURN CHUNK_KIB SPIN_MS READY_FILE LOG
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void work(size_t chunk, double spin_ms)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile double x = 1.0;

	signal(SIGTERM, SIG_DFL);
	for (;;) {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t until;

		if (p == MAP_FAILED)
			_exit(1);
		madvise(p, chunk, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < chunk; off += (size_t)psz)
			p[off] = (char)off;
		munmap(p, chunk);
		until = now_ns(CLOCK_THREAD_CPUTIME_ID) + (uint64_t)(spin_ms * 1e6);
		while (now_ns(CLOCK_THREAD_CPUTIME_ID) < until)
			for (int i = 0; i < 20000; i++)
				x = x * 1.0000001 + 1e-9;
	}
}

struct worker {
	pid_t pid;
	uint64_t start;
};

static struct worker w[MAX_WORKERS];

/*
 * SIGTERM is blocked across fork: a child that has not yet reset the
 * parent's handler would otherwise take a SIGTERM as "stop the parent's
 * loop" and run on (the soak then never ends).
 */
static pid_t spawn(size_t chunk, double spin_ms)
{
	sigset_t term, old;
	pid_t pid;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		work(chunk, spin_ms);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* Reaps every ended worker into the log; returns how many. */
static int reap(FILE *log, int nr, int block)
{
	int status, n = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
		for (int i = 0; i < nr; i++)
			if (w[i].pid == pid) {
				fprintf(log, "%d %d %llu %llu\n", (int)pid, (int)getpid(),
					(unsigned long long)w[i].start,
					(unsigned long long)now_ns(CLOCK_MONOTONIC));
				w[i].pid = 0;
			}
		n++;
	}
	fflush(log);
	return n;
}

int main(int argc, char **argv)
{
	int workers, churn, next = 0;
	double spin_ms;
	size_t chunk;
	char tmp[4096];
	FILE *f, *log;

	if (argc != 7 || (workers = atoi(argv[1])) < 1 || workers > MAX_WORKERS ||
	    (churn = atoi(argv[2])) < 0 || churn > workers || atol(argv[3]) < 4 ||
	    (spin_ms = atof(argv[4])) < 0) {
		fprintf(stderr, "usage: churn WORKERS CHURN CHUNK_KIB SPIN_MS READY_FILE LOG\n");
		return 2;
	}
	chunk = (size_t)atol(argv[3]) * 1024;
	log = fopen(argv[6], "w");
	if (!log) {
		perror("churn: log");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (int i = 0; i < workers; i++) {
		w[i].start = now_ns(CLOCK_MONOTONIC);
		if ((w[i].pid = spawn(chunk, spin_ms)) < 0) {
			perror("churn: fork");
			return 1;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[5]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) || rename(tmp, argv[5])) {
		perror("churn: ready file");
		return 1;
	}
	while (!stop) {
		sleep(1);
		if (stop)
			break;
		/* end the CHURN oldest (round robin over the slots), then refill */
		for (int k = 0; k < churn; k++, next = (next + 1) % workers)
			if (w[next].pid > 0)
				kill(w[next].pid, SIGTERM);
		reap(log, workers, 0);
		for (int i = 0; i < workers && !stop; i++)
			if (!w[i].pid) {
				w[i].start = now_ns(CLOCK_MONOTONIC);
				w[i].pid = spawn(chunk, spin_ms);
			}
	}
	for (int i = 0; i < workers; i++)
		if (w[i].pid > 0)
			kill(w[i].pid, SIGTERM);
	while (reap(log, workers, 1) > 0 || errno == EINTR)
		;
	fclose(log);
	return 0;
}
