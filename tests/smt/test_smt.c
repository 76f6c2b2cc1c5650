/*
 * test_smt.c - the HT contention engine (profiler/smt.c) on synthetic
 * switch streams: sibling pairs, separate cores, idle gaps, migrations, a
 * missing switch-out at the end, a task running at attach, out-of-order
 * and late arrival, oversubscription, a machine without SMT, bad CPUs, the
 * rows of ended workers folded under churn, and short-lived commands
 * outside the target leaving the tables once idle.
 */
#include <math.h>

#include "check.h"
#include "guest_topology.h"

#include "profiler/smt.h"
#include "samplers/base/topology.h"

#define MS 1000000ull
#define S 1000000000ull

/* Two CPUs, no siblings (this machine). */
static struct nl_topology *flat_topology(void)
{
	struct nl_topology *t = topology__new("flat");

	topology__add_node(t, 0, "0-1", 0, 0);
	topology__set_cpu(t, 0, true, 0, 0, 0);
	topology__set_cpu(t, 1, true, 0, 0, 1);
	topology__finish(t);
	return t;
}

static const struct nl_smt_task *task(const struct nl_smt_result *r, int tid)
{
	for (int i = 0; i < r->nr_tasks; i++)
		if (r->tasks[i].tid == tid)
			return &r->tasks[i];
	return NULL;
}

static uint64_t corun(const struct nl_smt_result *r, int a, int b)
{
	for (int i = 0; i < r->nr_pairs; i++)
		if ((r->pairs[i].tid_a == a && r->pairs[i].tid_b == b) ||
		    (r->pairs[i].tid_a == b && r->pairs[i].tid_b == a))
			return r->pairs[i].corun_ns;
	return 0;
}

static void sw(struct nl_smt *s, int cpu, int tid, uint64_t t, bool out)
{
	CHECK(smt__switch(s, cpu, 100, tid, t, out) == 0);
}

static void test_siblings(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 1, 12, 0, false);
	sw(s, 0, 11, 1 * S, true);
	sw(s, 1, 12, 1 * S, true);
	r = smt__finish(s, 2 * S);
	CHECK(r && r->has_smt);
	CHECK_EQ_U64(corun(r, 11, 12), 1 * S);
	CHECK_EQ_U64(task(r, 11)->run_ns, 1 * S);
	CHECK_EQ_U64(task(r, 11)->shared_ns, 1 * S);
	CHECK_EQ_U64(task(r, 12)->shared_ns, 1 * S);
	CHECK_EQ_U64(r->double_busy_ns, 1 * S);
	/* core 1 of node 0 sat idle while core 0 ran both: misplaced. */
	CHECK_EQ_U64(r->misplaced_ns, 1 * S);
	CHECK_EQ_U64(r->span_ns, 2 * S);
	CHECK(r->nr_cores == 4 && r->cores[0].nr_threads == 2 && r->cores[0].first_cpu == 0);
	CHECK_EQ_U64(r->cores[0].double_busy_ns, 1 * S);
	CHECK_EQ_U64(r->cores[1].busy_ns, 0);
	smt__free(s);
}

static void test_separate_cores(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 2, 12, 0, false);
	r = smt__finish(s, 1 * S);
	CHECK_EQ_U64(task(r, 11)->run_ns, 1 * S);
	CHECK_EQ_U64(task(r, 11)->shared_ns, 0);
	CHECK_EQ_U64(r->nr_pairs, 0);
	CHECK_EQ_U64(r->misplaced_ns, 0);
	CHECK_EQ_U64(r->double_busy_ns, 0);
	smt__free(s);
}

/* A on cpu0 [0, 1 s], B on cpu1 [0.5 s, 1.5 s]: 0.5 s together. */
static void test_idle_gap(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 1, 12, 500 * MS, false);
	sw(s, 0, 11, 1 * S, true);
	sw(s, 1, 12, 1500 * MS, true);
	r = smt__finish(s, 2 * S);
	CHECK_EQ_U64(corun(r, 11, 12), 500 * MS);
	CHECK_EQ_U64(task(r, 12)->run_ns, 1 * S);
	CHECK_EQ_U64(task(r, 12)->shared_ns, 500 * MS);
	CHECK(task(r, 12)->shared_ratio > 0.49 && task(r, 12)->shared_ratio < 0.51);
	CHECK(r->nr_pairs == 1 && r->pairs[0].ratio > 0.49 && r->pairs[0].ratio < 0.51);
	smt__free(s);
}

/* A migrates from cpu0 to cpu2 at 0.5 s; B stays on cpu1 (A's old sibling). */
static void test_migration(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 1, 12, 0, false);
	sw(s, 0, 11, 500 * MS, true);
	sw(s, 2, 11, 500 * MS, false);
	r = smt__finish(s, 1 * S);
	CHECK_EQ_U64(corun(r, 11, 12), 500 * MS);
	CHECK_EQ_U64(task(r, 11)->run_ns, 1 * S);
	CHECK_EQ_U64(task(r, 11)->shared_ns, 500 * MS);
	smt__free(s);
}

/* No switch-out before the end: intervals close at finish. */
static void test_missing_out(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 4, 21, 0, false);
	sw(s, 5, 22, 0, false);
	r = smt__finish(s, 2 * S);
	CHECK_EQ_U64(corun(r, 21, 22), 2 * S);
	CHECK_EQ_U64(task(r, 22)->run_ns, 2 * S);
	smt__free(s);
}

/* A task running at attach shows up first as a switch-out. */
static void test_running_at_attach(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 1, 12, 0, false);
	sw(s, 0, 11, 1 * S, true);
	r = smt__finish(s, 1 * S);
	CHECK_EQ_U64(task(r, 11)->run_ns, 1 * S);
	CHECK_EQ_U64(corun(r, 11, 12), 1 * S);
	smt__free(s);
}

/* Per-CPU rings deliver out of order: the window sorts; beyond it is late. */
static void test_out_of_order(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	/* cpu1's whole interval arrives before cpu0's. */
	sw(s, 1, 12, 10 * MS, false);
	sw(s, 1, 12, 60 * MS, true);
	sw(s, 0, 11, 0, false);
	sw(s, 0, 11, 50 * MS, true);
	r = smt__finish(s, 100 * MS);
	CHECK_EQ_U64(corun(r, 11, 12), 40 * MS);
	CHECK_EQ_U64(r->late_switches, 0);
	smt__free(s);

	s = smt__new(topo, false);
	smt__start(s, 0);
	sw(s, 2, 13, 0, false);
	sw(s, 2, 13, 1 * S, true);
	sw(s, 2, 13, 2 * S, false);      /* applies the two before: edge at 1 s */
	sw(s, 3, 14, 10 * MS, false);    /* far too old: applied at the edge */
	r = smt__finish(s, 3 * S);
	CHECK_EQ_U64(r->late_switches, 1);
	CHECK_EQ_U64(r->switches, 4);
	CHECK_EQ_U64(task(r, 13)->run_ns, 2 * S);
	CHECK_EQ_U64(corun(r, 13, 14), 1 * S); /* 2 s .. 3 s on siblings 2, 3 */
	smt__free(s);
}

/* A busy tree inside one window: held switches stay capped, none lost. */
static void test_window_capped(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;
	uint64_t i, n = 4 * (uint64_t)NL_SMT_MAX_HELD;

	smt__start(s, 0);
	/* all within the first 100 ms window: only the count cap applies */
	for (i = 0; i < n; i++)
		sw(s, (int)(i % 4), 11 + (int)(i % 4), i * 100, i % 8 >= 4);
	CHECK(smt__held(s) <= NL_SMT_MAX_HELD + 1);
	r = smt__finish(s, 1 * S);
	CHECK_EQ_U64(r->switches, n);
	CHECK_EQ_U64(r->late_switches, 0);
	smt__free(s);
}

/* perf.data rounds: lags far beyond the window still sort exactly. */
static void test_rounds(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	smt__round(s);
	/* round 1: cpu0's buffer, 0 .. 5 s */
	sw(s, 0, 11, 0, false);
	sw(s, 0, 11, 5 * S, true);
	smt__round(s);
	/* round 2: cpu1's buffer of the same 5 s, then later records */
	sw(s, 1, 12, 1 * S, false);
	sw(s, 1, 12, 4 * S, true);
	sw(s, 0, 11, 6 * S, false);
	smt__round(s);
	r = smt__finish(s, 7 * S);
	CHECK_EQ_U64(r->late_switches, 0);
	CHECK_EQ_U64(corun(r, 11, 12), 3 * S);
	CHECK_EQ_U64(task(r, 11)->run_ns, 6 * S);
	smt__free(s);
}

/* Three busy tasks on the two cores of node 0: oversubscribed. */
static void test_oversubscription(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 1, 12, 0, false);
	sw(s, 2, 13, 0, false);
	sw(s, 4, 31, 0, false);          /* 100 ms only: not busy */
	sw(s, 4, 31, 100 * MS, true);
	r = smt__finish(s, 1 * S);
	CHECK_EQ_U64(r->busy_tasks, 3);
	CHECK_EQ_U64(r->busy_shared_half, 2);
	CHECK_EQ_U64(r->cores_of_nodes_ran, 2);
	CHECK_EQ_STR(r->one_per_core, "0,2");
	/* 11 and 12 share core 0 while core 1 has 13 on one thread: no whole
	 * core idle on node 0, so not misplaced. */
	CHECK_EQ_U64(r->misplaced_ns, 0);
	CHECK(r->nr_tasks == 4 && r->tasks[r->nr_tasks - 1].shared_ns == 0);
	smt__free(s);
}

static void test_no_smt(void)
{
	struct nl_topology *topo = flat_topology();
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 1, 12, 0, false);
	sw(s, 7, 13, 0, false);          /* no such CPU */
	r = smt__finish(s, 1 * S);
	CHECK(!r->has_smt);
	CHECK_EQ_U64(task(r, 11)->shared_ns, 0);
	CHECK_EQ_U64(r->nr_pairs, 0);
	CHECK_EQ_U64(r->bad_switches, 1);
	CHECK_EQ_U64(r->nr_cores, 2);
	smt__free(s);
	topology__free(topo);
}

/* Idle task 0 on a sibling is not busy. */
static void test_idle_task(const struct nl_topology *topo)
{
	struct nl_smt *s = smt__new(topo, true);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	sw(s, 0, 11, 0, false);
	sw(s, 1, 0, 0, false);
	r = smt__finish(s, 1 * S);
	CHECK(r->cpu_wide);
	CHECK_EQ_U64(task(r, 11)->shared_ns, 0);
	CHECK(task(r, 0) == NULL);
	smt__free(s);
}

/*
 * CPU-wide view: a task outside the target on the sibling makes the
 * target's task share its core; outsiders are not the result's tasks or
 * busy tasks, and a pair of two outsiders is left out.
 */
static void test_outside(const struct nl_topology *topo)
{
	struct nl_smt *smt = smt__new(topo, true);
	const struct nl_smt_result *r;
	const struct nl_smt_task *t;

	smt__start(smt, 0);
	smt__switch(smt, 0, 10, 10, 0, false);          /* the target, CPU 0 */
	smt__switch_outside(smt, 1, 99, 99, 0, false);  /* a compiler, its sibling */
	smt__switch_outside(smt, 2, 98, 98, 0, false);  /* two outsiders on core 1 */
	smt__switch_outside(smt, 3, 97, 97, 0, false);
	smt__switch_outside(smt, 1, 99, 99, 5 * S, true);
	r = smt__finish(smt, 10 * S);
	CHECK(r->cpu_wide);
	CHECK_EQ_U64(r->nr_tasks, 1);
	t = task(r, 10);
	CHECK(t && t->shared_ns == 5 * S && !t->outside);
	CHECK(task(r, 99) == NULL && task(r, 98) == NULL);
	CHECK_EQ_U64(corun(r, 10, 99), 5 * S);
	CHECK_EQ_U64(corun(r, 97, 98), 0);      /* not reported: neither is the target's */
	CHECK_EQ_U64(r->nr_pairs, 1);
	CHECK_EQ_U64(r->busy_tasks, 1);
	CHECK_EQ_U64(r->outside_tasks, 3);
	CHECK_EQ_U64(r->outside_busy, 3);
	/* the pair's ratio is over the shorter runner (the outsider, 5 s) */
	CHECK(r->nr_pairs && r->pairs[0].ratio > 0.99 && r->pairs[0].outside);
	smt__free(smt);


	/* a task first seen as outside (its FORK not read yet) is the target's after all */
	smt = smt__new(topo, true);
	smt__start(smt, 0);
	smt__switch_outside(smt, 0, 20, 21, 0, false);
	smt__switch(smt, 0, 20, 21, 2 * S, true);
	r = smt__finish(smt, 4 * S);
	CHECK_EQ_U64(r->nr_tasks, 1);
	CHECK_EQ_U64(r->outside_tasks, 0);
	smt__free(smt);
}

/* Feeds both engines alike; only `a` folds the ended workers. */
static void both_switch(struct nl_smt *a, struct nl_smt *b, int cpu, int pid, uint64_t t, bool out)
{
	CHECK(smt__switch(a, cpu, pid, pid, t, out) == 0);
	CHECK(smt__switch(b, cpu, pid, pid, t, out) == 0);
}

static void both_counts(struct nl_smt *a, struct nl_smt *b, int cpu, int pid, uint64_t t,
			uint64_t cycles, uint64_t instructions)
{
	CHECK(smt__counts(a, cpu, pid, pid, t, cycles, instructions) == 0);
	CHECK(smt__counts(b, cpu, pid, pid, t, cycles, instructions) == 0);
}

static uint64_t run_sum(const struct nl_smt_result *r, bool shared)
{
	uint64_t sum = 0;

	for (int i = 0; i < r->nr_tasks; i++)
		sum += shared ? r->tasks[i].shared_ns : r->tasks[i].run_ns;
	return sum;
}

static uint64_t corun_sum(const struct nl_smt_result *r)
{
	uint64_t sum = 0;

	for (int i = 0; i < r->nr_pairs; i++)
		sum += r->pairs[i].corun_ns;
	return sum;
}

/*
 * Churn: 200 workers come and go on core 0, each with a partner on its
 * sibling for the second part of its life, beside a task busy throughout
 * and a long worker that ends after running most of the time seen.  Folding
 * the ended ones must leave every figure but their own rows as without it.
 */
static void test_fold_churn(const struct nl_topology *topo)
{
	struct nl_smt *a = smt__new(topo, false), *b = smt__new(topo, false);
	const struct nl_smt_result *ra, *rb;
	enum { WORKERS = 200 };

	smt__start(a, 0);
	smt__start(b, 0);
	both_switch(a, b, 2, 1, 0, false);              /* busy throughout */
	both_switch(a, b, 4, 3000, 0, false);           /* long, ends at 10 s */
	for (int k = 0; k < WORKERS; k++) {
		uint64_t t = k * 500 * MS, d = 100 * MS + k * MS;
		int w = 1000 + k, p = 2000 + k;

		if (k == 21) {                          /* 10.5 s */
			both_switch(a, b, 4, 3000, 10 * S, true);
			smt__fold_process(a, 3000);
		}
		both_switch(a, b, 0, w, t, false);
		both_counts(a, b, 0, w, t, 0, 0);
		both_switch(a, b, 1, p, t + 200 * MS, false);
		both_counts(a, b, 0, w, t + 200 * MS, 200, 400);        /* alone: IPC 2 */
		both_counts(a, b, 0, w, t + 200 * MS + d, 400, 600);    /* co-run: IPC 1 */
		both_switch(a, b, 0, w, t + 200 * MS + d, true);
		both_switch(a, b, 1, p, t + 200 * MS + d, true);
		smt__fold_process(a, w);
		smt__fold_process(a, p);
	}
	ra = smt__finish(a, 101 * S);
	rb = smt__finish(b, 101 * S);
	CHECK(ra && rb);
	if (!ra || !rb)
		goto out;
	/* the rows: the busy task, the long worker and the first worker (it ran
	   all the time seen when it ended: it might have been busy) stay; its
	   partner and every later one are summed */
	CHECK_EQ_U64(rb->nr_tasks, 2 * WORKERS + 2);
	CHECK_EQ_U64(ra->nr_tasks, 3);
	CHECK(task(ra, 1) && task(ra, 3000) && task(ra, 1000) && !task(ra, 2000));
	CHECK_EQ_U64(ra->folded_tasks, 2 * WORKERS - 1);
	CHECK_EQ_U64(run_sum(ra, false) + ra->folded_run_ns, run_sum(rb, false));
	CHECK_EQ_U64(run_sum(ra, true) + ra->folded_shared_ns, run_sum(rb, true));
	CHECK_EQ_U64(ra->busy_tasks, rb->busy_tasks);
	CHECK_EQ_U64(ra->busy_shared_half, rb->busy_shared_half);
	CHECK_EQ_U64(ra->double_busy_ns, rb->double_busy_ns);
	CHECK_EQ_U64(ra->misplaced_ns, rb->misplaced_ns);
	/* pairs: the longest co-runs kept, exactly; the others summed */
	CHECK_EQ_U64(rb->nr_pairs, WORKERS);
	CHECK_EQ_U64(ra->nr_pairs, NL_SMT_KEEP_DONE + 1);  /* + the first one's, live */
	CHECK(corun(ra, 1000, 2000) == 100 * MS);
	CHECK(fabs(ra->pairs[ra->nr_pairs - 1].ratio - rb->pairs[rb->nr_pairs - 1].ratio) < 1e-12 &&
	      ra->pairs[ra->nr_pairs - 1].tid_a == 1000 && rb->pairs[rb->nr_pairs - 1].tid_a == 1000);
	CHECK_EQ_U64(ra->nr_pairs + ra->folded_pairs, rb->nr_pairs);
	CHECK_EQ_U64(corun_sum(ra) + ra->folded_corun_ns, corun_sum(rb));
	for (int i = 0; i < NL_SMT_KEEP_DONE; i++) {
		CHECK_EQ_U64(ra->pairs[i].tid_a, rb->pairs[i].tid_a);
		CHECK_EQ_U64(ra->pairs[i].corun_ns, rb->pairs[i].corun_ns);
		CHECK(fabs(ra->pairs[i].ratio - rb->pairs[i].ratio) < 1e-12);
	}
	CHECK_EQ_U64(ra->pairs[0].tid_a, 1000 + WORKERS - 1);
	/* the IPC cost counts the folded tasks' windows */
	CHECK_EQ_U64(ra->ipc.tasks_both, WORKERS);
	CHECK_EQ_U64(ra->ipc.tasks_both, rb->ipc.tasks_both);
	CHECK(ra->ipc.has_cost && rb->ipc.has_cost);
	CHECK(fabs(ra->ipc.cost - rb->ipc.cost) < 1e-12 && fabs(ra->ipc.cost - 0.5) < 1e-9);
out:
	smt__free(a);
	smt__free(b);
}

/*
 * CPU-wide, 300 short commands outside the target (a shell loop's) run
 * 50 ms each on the target's sibling, one every 300 ms, each beside a
 * second outsider on the other core: those idle for 10 s fold (counted),
 * the target's pair with each stays (marked outside), two outsiders never
 * make a pair, and the target's own figures do not move.
 */
static void test_outside_churn(const struct nl_topology *topo)
{
	struct nl_smt *smt = smt__new(topo, true);
	const struct nl_smt_result *r;
	const struct nl_smt_task *t;
	enum { CMDS = 300 };
	uint64_t sum = 0, last = 0;
	bool all_outside = true;

	smt__start(smt, 0);
	smt__switch(smt, 0, 10, 10, 0, false);
	for (int k = 0; k < CMDS; k++) {
		last = k * 300 * MS;
		smt__switch_outside(smt, 1, 5000 + k, 5000 + k, last, false);
		smt__switch_outside(smt, 2, 9000 + k, 9000 + k, last, false);
		smt__switch_outside(smt, 3, 9500 + k, 9500 + k, last, false);
		smt__switch_outside(smt, 1, 5000 + k, 5000 + k, last + 50 * MS, true);
		smt__switch_outside(smt, 2, 9000 + k, 9000 + k, last + 50 * MS, true);
		smt__switch_outside(smt, 3, 9500 + k, 9500 + k, last + 50 * MS, true);
	}
	r = smt__finish(smt, last + S);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_U64(r->outside_tasks, 3 * CMDS);
	/* every command idle 10 s at the last sweep (within a second of the
	   last switch, so 10-11 s before it, ends rounded) folded; the last
	   9 s of them did not */
	CHECK(r->folded_outside >= 3 * (CMDS - 12 * 1000 / 300));
	CHECK(r->folded_outside <= 3 * (CMDS - 9 * 1000 / 300));
	CHECK_EQ_U64(r->outside_busy, 0);
	CHECK_EQ_U64(r->nr_tasks, 1);
	t = task(r, 10);
	CHECK(t && t->run_ns == last + S && t->shared_ns == CMDS * 50 * MS);
	CHECK_EQ_U64(r->nr_pairs, CMDS);        /* none of two outsiders */
	for (int i = 0; i < r->nr_pairs; i++) {
		sum += r->pairs[i].corun_ns;
		all_outside &= r->pairs[i].outside && r->pairs[i].tid_a == 10;
	}
	CHECK_EQ_U64(sum, CMDS * 50 * MS);
	CHECK(all_outside);
	CHECK_EQ_U64(corun(r, 10, 5000), 50 * MS);      /* folded early, kept */
	CHECK_EQ_U64(r->folded_tasks, 0);       /* the target's own: none */
out:
	smt__free(smt);
}

int main(void)
{
	struct nl_topology *topo = guest_topology();

	test_siblings(topo);
	test_separate_cores(topo);
	test_idle_gap(topo);
	test_migration(topo);
	test_missing_out(topo);
	test_running_at_attach(topo);
	test_out_of_order(topo);
	test_window_capped(topo);
	test_rounds(topo);
	test_oversubscription(topo);
	test_idle_task(topo);
	test_no_smt();
	test_outside(topo);
	test_fold_churn(topo);
	test_outside_churn(topo);
	topology__free(topo);
	return check_done();
}
