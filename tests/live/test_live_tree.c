/*
 * test_live_tree.c - the live source on a real process tree, drained
 * directly (no pipeline): threads and children that existed before attach
 * and those created after all show up with samples, FORK/COMM records with
 * their parents, placement and runtime records; then the same run with
 * --record read back by the perf.data source gives the same counts.
 *
 * USAGE: test_live_tree WORKLOAD   (tests/live/workload.c)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "samplers/live.h"
#include "samplers/perfdata.h"
#include "samplers/base/sys.h"

#define MAX_TASKS 64

struct task_count {
	int pid, tid, ppid;
	int forks, comms, exits;
	uint64_t samples, runtime_ns;
	char comm[16];
};

struct tally {
	struct task_count t[MAX_TASKS];
	int nr;
	uint64_t samples, placement_start, placement_final, runtime, lost;
};

static struct task_count *task(struct tally *y, int tid)
{
	for (int i = 0; i < y->nr; i++)
		if (y->t[i].tid == tid)
			return &y->t[i];
	if (y->nr == MAX_TASKS)
		return NULL;
	memset(&y->t[y->nr], 0, sizeof(y->t[0]));
	y->t[y->nr].tid = tid;
	y->t[y->nr].ppid = -2;
	return &y->t[y->nr++];
}

static void count_record(struct tally *y, const struct nl_record *r)
{
	struct task_count *t;

	switch (r->kind) {
	case NL_REC_SAMPLE:
		y->samples++;
		if ((t = task(y, r->sample.tid)))
			t->samples++;
		break;
	case NL_REC_FORK:
		if ((t = task(y, r->task.tid))) {
			t->forks++;
			t->pid = r->task.pid;
			t->ppid = r->task.ppid;
		}
		break;
	case NL_REC_COMM:
		if ((t = task(y, r->task.tid))) {
			t->comms++;
			snprintf(t->comm, sizeof(t->comm), "%s", r->task.comm);
		}
		break;
	case NL_REC_EXIT:
		if ((t = task(y, r->task.tid)))
			t->exits++;
		break;
	case NL_REC_PLACEMENT:
		if (r->placement.final)
			y->placement_final++;
		else
			y->placement_start++;
		break;
	case NL_REC_RUNTIME:
		y->runtime++;
		if ((t = task(y, r->runtime.tid)))
			t->runtime_ns += r->runtime.ns;
		break;
	case NL_REC_LOST:
		y->lost += r->loss.count;
		break;
	default:
		break;
	}
}

/* Starts the workload; returns its pid once it printed "ready". */
static int start_workload(const char *exe, const char *roster, const char *secs,
			  int wait_flag)
{
	int out[2];
	char line[64] = "";
	pid_t pid;
	FILE *f;

	if (pipe(out))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		execl(exe, exe, roster, secs, wait_flag ? "--wait" : "--exit", wait_flag ? NULL : "0",
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "ready", 5))
		return -1;
	fclose(f);
	return pid;
}

struct roster_line {
	char when[8];
	int pid, tid;
};

static int read_roster(const char *path, struct roster_line *r, int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && n < max && fscanf(f, "%7s %d %d", r[n].when, &r[n].pid, &r[n].tid) == 3)
		n++;
	if (f)
		fclose(f);
	return n;
}

static int drain(struct nl_source *src, struct tally *y)
{
	struct nl_record rec;
	int r;

	memset(y, 0, sizeof(*y));
	while ((r = nl_source__next(src, &rec)) > 0)
		count_record(y, &rec);
	return r;
}

/* Ends whatever is left of a workload tree (its own process group). */
static void end_tree(const char *roster)
{
	struct roster_line r[MAX_TASKS];
	int n = read_roster(roster, r, MAX_TASKS);

	for (int i = 0; i < n; i++)
		if (r[i].pid == r[i].tid)
			kill(-r[i].pid, SIGKILL);
}

static bool is_pid(const struct roster_line *r, int n, int pid)
{
	for (int i = 0; i < n; i++)
		if (r[i].pid == pid)
			return true;
	return false;
}

static void check_tree(const struct tally *y, const struct roster_line *r, int n, int root)
{
	int pre = 0, post = 0;

	for (int i = 0; i < n; i++) {
		const struct task_count *t = NULL;

		for (int k = 0; k < y->nr; k++)
			if (y->t[k].tid == r[i].tid)
				t = &y->t[k];
		pre += !strcmp(r[i].when, "pre");
		post += !strcmp(r[i].when, "post");
		CHECK(t != NULL);
		if (!t)
			continue;
		if (t->samples == 0 || t->forks != 1 || t->pid != r[i].pid)
			fprintf(stderr, "%s task %d/%d: samples %llu forks %d pid %d comms %d\n",
				r[i].when, r[i].pid, r[i].tid, (unsigned long long)t->samples,
				t->forks, t->pid, t->comms);
		CHECK(t->samples > 0);
		CHECK_EQ_U64(t->forks, 1);
		CHECK_EQ_U64(t->pid, r[i].pid);
		if (!strcmp(r[i].when, "pre"))
			CHECK(t->comms == 1 && !strcmp(t->comm, "nl_live_workloa"));
		if (r[i].pid == r[i].tid && r[i].pid != root)
			CHECK(is_pid(r, n, t->ppid));  /* a process of the tree */
		if (r[i].pid != r[i].tid)
			CHECK_EQ_U64(t->ppid, r[i].pid); /* a thread: its process */
		CHECK(t->runtime_ns > 0);
	}
	CHECK_EQ_U64(pre, 7);
	CHECK_EQ_U64(post, 8);
	CHECK(y->placement_start > 0);
	CHECK(y->placement_final > 0);
	CHECK(y->runtime > 0);
}

/* Attach to a tree, release its second half, drain until it exits. */
static void test_attach(const char *exe, const char *dir)
{
	struct nl_live_options o = { 0 };
	struct nl_error err;
	struct roster_line r[MAX_TASKS];
	struct nl_source *src;
	struct tally y;
	char roster[512];
	int pid, status = -1, n;

	snprintf(roster, sizeof(roster), "%s/roster", dir);
	pid = start_workload(exe, roster, "1.5", 1);
	CHECK(pid > 0);
	o.pid = pid;
	o.duration = 30;        /* a safety net: the tree ends after ~2 s */
	if (live__open(&o, &src, &err)) {
		fprintf(stderr, "live__open: %s: %s - %s\n", err.object, err.cause, err.fix);
		CHECK(!"live__open");
		kill(pid, SIGKILL);
		return;
	}
	kill(pid, SIGUSR1);
	CHECK_EQ_U64(drain(src, &y), 0);
	nl_source__close(src);
	end_tree(roster);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = read_roster(roster, r, MAX_TASKS);
	CHECK_EQ_U64(n, 15);
	check_tree(&y, r, n, pid);
	/* the root's FORK names its real parent: this test */
	for (int i = 0; i < y.nr; i++)
		if (y.t[i].tid == pid)
			CHECK_EQ_U64(y.t[i].ppid, getpid());
}

/* Launch mode with --record: the file reads back to the same counts. */
static void test_record(const char *exe, const char *dir)
{
	char roster[512], data[512];
	char *argv[] = { (char *)exe, roster, "0.8", "--exit", "5", NULL };
	struct nl_live_options o = { 0 };
	struct nl_error err;
	struct nl_error rerr;
	struct nl_source *src;
	struct tally live, file;

	snprintf(roster, sizeof(roster), "%s/roster2", dir);
	snprintf(data, sizeof(data), "%s/live.perf.data", dir);
	o.argv = argv;
	o.record_path = data;
	o.duration = 30;
	if (live__open(&o, &src, &err)) {
		fprintf(stderr, "live__open: %s: %s - %s\n", err.object, err.cause, err.fix);
		CHECK(!"live__open launch");
		return;
	}
	CHECK_EQ_U64(drain(src, &live), 0);
	CHECK_EQ_U64(live__exit_status(src), 5);
	CHECK_EQ_U64(live__end_record(src), 0);
	nl_source__close(src);
	end_tree(roster);
	src = perfdata__open(data, &rerr);
	CHECK(src != NULL);
	if (!src)
		return;
	CHECK_EQ_U64(drain(src, &file), 0);
	CHECK_EQ_U64(file.samples, live.samples);
	CHECK_EQ_U64(file.runtime, live.runtime);
	CHECK_EQ_U64(file.placement_start + file.placement_final,
		     live.placement_start + live.placement_final);
	CHECK_EQ_U64(src->stats.bad_records, 0);
	for (int i = 0; i < live.nr; i++) {
		const struct task_count *a = &live.t[i];

		for (int k = 0; k < file.nr; k++)
			if (file.t[k].tid == a->tid) {
				CHECK_EQ_U64(file.t[k].samples, a->samples);
				CHECK_EQ_U64(file.t[k].ppid, a->ppid);
			}
	}
	CHECK(live.samples > 0);
	nl_source__close(src);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/nl-live-XXXXXX";
	long long paranoid = 0;

	if (argc < 2)
		check_skip("usage: test_live_tree WORKLOAD");
	sys__read_int(sys__default(), "/proc/sys/kernel/perf_event_paranoid", &paranoid);
	if (geteuid() != 0 && paranoid > 2)
		check_skip("perf_event_paranoid > 2 and not root");
	if (!mkdtemp(dir))
		check_skip("no temporary directory");
	test_attach(argv[1], dir);
	test_record(argv[1], dir);
	return check_done();
}
