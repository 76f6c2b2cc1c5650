/*
 * workload.c - a process tree for the live tests: threads and child
 * processes that exist before numalens attaches, and more created after.
 *
 * USAGE: nl_live_workload ROSTER SECONDS [--wait] [--exit N] [--hold]
 *
 * Before "go": the main process with 2 threads, and 2 child processes with
 * 1 thread each.  Main prints "ready" on stdout once all of them run.
 * go: at once, or with --wait on SIGUSR1 (sent after attaching).
 * After go: main creates 2 more threads and 1 more child (with a thread),
 * and each earlier child forks a grandchild.  Every task appends
 * "pre|post PID TID" to ROSTER when it starts, then touches fresh pages and
 * spins for SECONDS, then ends; main waits for all and exits with N
 * (default 0).  --hold: the tasks keep working until SIGTERM, or until the
 * parent (the test) dies: a test killed by its timeout must not leave a
 * spinning tree behind.  The tree is its own process group, so a test can
 * always end all of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	volatile int go;
	volatile int started;
	volatile int stop;
};

static struct shared *sh;
static int roster_fd;
static double seconds;
static int hold;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void enroll(const char *when)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %d %ld\n", when, getpid(),
			 (long)syscall(SYS_gettid));

	if (write(roster_fd, line, (size_t)n) != n)
		_exit(99);
	__atomic_add_fetch(&sh->started, 1, __ATOMIC_SEQ_CST);
}

static void wait_go(void)
{
	while (!sh->go)
		usleep(1000);
}

/* Fresh pages (page faults) and some arithmetic, until the deadline. */
static void work(void)
{
	double end = now() + seconds;
	volatile unsigned long x = 1;

	while ((hold && !sh->stop) || (!hold && now() < end)) {
		size_t len = 256 * 1024;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(98);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = (char)i;
		for (int i = 0; i < 200000; i++)
			x = x * 6364136223846793005ul + 1;
		munmap(p, len);
	}
}

static void *thread_main(void *arg)
{
	enroll(arg);
	wait_go();
	work();
	return NULL;
}

static void start_thread(pthread_t *t, const char *when)
{
	if (pthread_create(t, NULL, thread_main, (void *)when))
		_exit(97);
}

/* A child process: itself and one thread; fork_after: a grandchild at go. */
static pid_t start_child(const char *when, int fork_after)
{
	pid_t pid = fork();
	pthread_t t;
	pid_t grand = 0;

	if (pid)
		return pid;
	enroll(when);
	start_thread(&t, when);
	wait_go();
	if (fork_after)
		grand = start_child("post", 0);
	work();
	pthread_join(t, NULL);
	if (grand > 0)
		waitpid(grand, NULL, 0);
	_exit(0);
}

static void on_term(int sig)
{
	(void)sig;
	sh->stop = 1;
	if (!hold)
		_exit(143);
}

static int wait_usr1(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	return sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	pthread_t pre[2], post[2];
	pid_t kids[3];
	int wait = 0, code = 0;
	sigset_t set;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ROSTER SECONDS [--wait] [--exit N] [--hold]\n", argv[0]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			code = atoi(argv[++i]);
	}
	seconds = atof(argv[2]);
	setpgid(0, 0);
	roster_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (roster_fd < 0 || sh == MAP_FAILED)
		return 2;
	signal(SIGTERM, on_term);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() == 1)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	enroll("pre");
	start_thread(&pre[0], "pre");
	start_thread(&pre[1], "pre");
	kids[0] = start_child("pre", 1);
	kids[1] = start_child("pre", 1);
	while (sh->started < 7)
		usleep(1000);
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (wait && wait_usr1())
		return 2;
	sh->go = 1;
	start_thread(&post[0], "post");
	start_thread(&post[1], "post");
	kids[2] = start_child("post", 0);
	work();
	for (int i = 0; i < 2; i++) {
		pthread_join(pre[i], NULL);
		pthread_join(post[i], NULL);
	}
	for (int i = 0; i < 3; i++)
		waitpid(kids[i], NULL, 0);
	return code;
}
