/*
 * test_metrics.c - the metrics model on synthetic profiles
 * (profiler/metrics.h): roles as diff matches them, top N rows plus one
 * bucket per role whose counts keep every sample, the bucket's weighted
 * exposure, the worst process, unknown gauges left unknown, and a profile
 * of 20,000 processes (a whole machine: `serve --all`; the search for the
 * root was quadratic once and stalled serve).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "profiler/metrics.h"

static struct nl_task_stats proc(int pid, int ppid, const char *comm, uint64_t mem, double ex)
{
	struct nl_task_stats t;

	memset(&t, 0, sizeof(t));
	t.pid = t.tid = pid;
	t.ppid = ppid;
	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	t.counts.samples = mem + 1;
	t.counts.memory = mem;
	t.counts.local = mem / 2;
	t.counts.remote = mem - mem / 2;
	t.remote_exposure = ex;
	return t;
}

static void test_roles_and_buckets(void)
{
	/* sorted by memory samples, as aggregate__finish leaves them */
	struct nl_task_stats ps[] = {
		proc(101, 100, "python3", 900, 0.10),   /* worker */
		proc(100, 1, "python3", 800, 0.05),     /* main: parent not in the profile */
		proc(102, 100, "python3", 700, 0.70),   /* worker, the worst */
		proc(103, 100, "python3", 300, 0.40),   /* bucketed worker */
		proc(104, 100, "python3", 100, 0.20),   /* bucketed worker */
		proc(105, 100, "python3", 50, -1),      /* bucketed worker, exposure unknown */
		proc(200, 103, "sh", 10, -1),           /* other (a grandchild) */
	};
	struct nl_profile p;
	struct nl_metrics m;
	uint64_t samples = 0, mem = 0;

	memset(&p, 0, sizeof(p));
	p.processes = ps;
	p.nr_processes = 7;
	for (int i = 0; i < 7; i++) {
		p.total.samples += ps[i].counts.samples;
		p.total.memory += ps[i].counts.memory;
		p.total.local += ps[i].counts.local;
		p.total.remote += ps[i].counts.remote;
	}
	p.lost = 7;
	CHECK(!metrics__from_profile(&p, 3, &m));
	CHECK(m.nr_procs == 5);         /* 3 rows + worker bucket + other bucket */
	CHECK(m.procs[0].pid == 101 && m.procs[0].role == NL_ROLE_WORKER);
	CHECK(m.procs[1].pid == 100 && m.procs[1].role == NL_ROLE_MAIN);
	CHECK(m.procs[2].pid == 102 && m.procs[2].role == NL_ROLE_WORKER);
	CHECK(m.worst == 2);
	CHECK(m.procs[3].pid == -1 && m.procs[3].role == NL_ROLE_WORKER && m.procs[3].nr_merged == 3);
	CHECK(m.procs[4].pid == -1 && m.procs[4].role == NL_ROLE_OTHER && m.procs[4].nr_merged == 1);
	/* (300 x 0.40 + 100 x 0.20) / 400: the unknown one does not count */
	CHECK(m.procs[3].remote_exposure > 0.349 && m.procs[3].remote_exposure < 0.351);
	CHECK(m.procs[4].remote_exposure == -1);
	for (int i = 0; i < m.nr_procs; i++) {
		samples += m.procs[i].counts.samples;
		mem += m.procs[i].counts.memory;
	}
	CHECK(samples == p.total.samples && mem == p.total.memory);
	CHECK(m.total_lost == 7 && m.nr_processes == 7);
	CHECK(m.smt_corun == -1 && !m.has_pages);
	CHECK(!strcmp(metrics__role_name(m.procs[1].role), "main"));
	metrics__free(&m);
}

static void test_whole_machine(void)
{
	int n = 20000;
	struct nl_task_stats *ps = calloc((size_t)n, sizeof(*ps));
	struct nl_profile p;
	struct nl_metrics m;

	CHECK(ps != NULL);
	if (!ps)
		return;
	/* init's tree: everyone's parent is 1, which is in the profile */
	ps[0] = proc(1, 0, "init", (uint64_t)n, 0);
	for (int i = 1; i < n; i++)
		ps[i] = proc(i + 1, 1, "cc1", (uint64_t)(n - i), 0.5);
	memset(&p, 0, sizeof(p));
	p.processes = ps;
	p.nr_processes = n;
	CHECK(!metrics__from_profile(&p, 10, &m));
	CHECK(m.nr_procs == 11 && m.procs[0].pid == 1 && m.procs[0].role == NL_ROLE_MAIN);
	CHECK(m.procs[10].role == NL_ROLE_WORKER && m.procs[10].nr_merged == n - 10);
	metrics__free(&m);
	free(ps);
}

int main(void)
{
	test_roles_and_buckets();
	test_whole_machine();
	return check_done();
}
