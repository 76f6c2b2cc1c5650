/* tree: process tree workload for tests/bench/live/run (attach time).
 *
 * The parent forks PROCS-1 children; every process (the parent too) then
 * has THREADS threads in all: the main thread and THREADS-1 more.  All of
 * them are lightly busy: they sleep 500 ms at a time.  When the whole tree
 * is up the parent writes its PID to READY_FILE (via a rename, so the file
 * appears complete) and waits; SIGTERM or SIGINT to the parent ends the
 * tree (the children die with it: PR_SET_PDEATHSIG).
 *
 * usage: tree PROCS THREADS READY_FILE
 */
#define _GNU_SOURCE
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, 500 * 1000 * 1000 };

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

/* Starts threads-1 sleepers in this process.  0 or -1. */
static int start_threads(int threads)
{
	pthread_attr_t at;
	pthread_t t;

	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	for (int i = 1; i < threads; i++)
		if (pthread_create(&t, &at, sleeper, NULL))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int procs, threads, fds[2];
	char tmp[4096], c;
	FILE *f;

	if (argc != 4 || (procs = atoi(argv[1])) < 1 || (threads = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: tree PROCS THREADS READY_FILE\n");
		return 2;
	}
	if (pipe(fds))
		return 1;
	for (int i = 1; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("tree: fork");
			return 1;
		}
		if (pid == 0) {
			struct timespec ts = { 0, 500 * 1000 * 1000 };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			close(fds[0]);
			if (start_threads(threads))
				_exit(1);
			c = 1;
			if (write(fds[1], &c, 1) != 1)
				_exit(1);
			close(fds[1]);
			for (;;)
				nanosleep(&ts, NULL);
		}
	}
	close(fds[1]);
	for (int i = 1; i < procs; i++)
		if (read(fds[0], &c, 1) != 1) {
			fprintf(stderr, "tree: a child failed to start\n");
			return 1;
		}
	if (start_threads(threads))
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[3]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) || rename(tmp, argv[3])) {
		perror("tree: ready file");
		return 1;
	}
	while (!stop)
		pause();
	return 0;       /* the children get SIGKILL from PR_SET_PDEATHSIG */
}
