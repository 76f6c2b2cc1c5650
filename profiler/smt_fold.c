/*
 * smt_fold.c - rows of ended processes leaving the HT tables (smt.h,
 * invariants 4 and 5): a profile whose workers come and go keeps what the
 * live ones need, and the sums of the rest.
 */
#include "profiler/smt_internal.h"

#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"

/* Swap-removes task row i; the moved row keeps its map entry and CPUs. */
static void task_remove(struct nl_smt *smt, int i)
{
	int last = --smt->nr_tasks, nn = smt->nr_nodes;

	map__del(&smt->task_ix, (uint32_t)smt->tasks[i].tid, 0);
	if (i == last)
		return;
	smt->tasks[i] = smt->tasks[last];
	smt->marks[i] = smt->marks[last];
	memcpy(&smt->task_node_ns[(size_t)i * nn], &smt->task_node_ns[(size_t)last * nn],
	       nn * sizeof(uint64_t));
	*map__find(&smt->task_ix, (uint32_t)smt->tasks[i].tid, 0) = (uint64_t)i;
	for (int cpu = 0; cpu < smt->nr_cpus; cpu++)
		if (smt->threads[cpu].task == last)
			smt->threads[cpu].task = i;
}

/* Swap-removes pair p; the cores' cached pair indexes are dropped. */
static void pair_remove(struct nl_smt *smt, int p)
{
	int last = --smt->nr_pairs;

	map__del(&smt->pair_ix, (uint32_t)smt->pairs[p].tid_a, (uint32_t)smt->pairs[p].tid_b);
	if (p != last) {
		smt->pairs[p] = smt->pairs[last];
		smt->pair_sides[p] = smt->pair_sides[last];
		*map__find(&smt->pair_ix, (uint32_t)smt->pairs[p].tid_a,
			   (uint32_t)smt->pairs[p].tid_b) = (uint64_t)p;
	}
	for (int c = 0; c < smt->nr_cores; c++)
		smt->cores[c].pair = -1;
}

/* A pair both of whose tasks folded: kept among the longest co-runs, or summed. */
static void pair_done(struct nl_smt *smt, int p)
{
	struct nl_smt_pair q = smt->pairs[p];
	const struct pair_side *s = &smt->pair_sides[p];
	uint64_t shorter = s->run_a < s->run_b ? s->run_a : s->run_b;
	int min = 0;

	q.ratio = shorter ? (double)q.corun_ns / (double)shorter : 0;
	q.outside = s->outside_a || s->outside_b;
	pair_remove(smt, p);
	if (!smt->done && !(smt->done = malloc(NL_SMT_KEEP_DONE * sizeof(*smt->done)))) {
		smt->res.folded_pairs++;
		smt->res.folded_corun_ns += q.corun_ns;
		return;
	}
	if (smt->nr_done < NL_SMT_KEEP_DONE) {
		smt->done[smt->nr_done++] = q;
		return;
	}
	for (int i = 1; i < smt->nr_done; i++)
		if (smt->done[i].corun_ns < smt->done[min].corun_ns)
			min = i;
	if (q.corun_ns > smt->done[min].corun_ns) {
		struct nl_smt_pair out = smt->done[min];

		smt->done[min] = q;
		q = out;
	}
	smt->res.folded_pairs++;
	smt->res.folded_corun_ns += q.corun_ns;
}

/* Folds task row i: its figures into the sums (a target task's) or the
   outside counts, its pairs' side made final. */
static void fold_task(struct nl_smt *smt, int i)
{
	struct nl_smt_task *t = &smt->tasks[i];
	uint64_t run = t->run_ns ? t->run_ns : 1;       /* 0 marks a live side */

	if (t->outside) {
		smt->res.folded_outside++;
		smt->res.outside_tasks += t->run_ns > 0;
	} else {
		smt->res.folded_tasks++;
		smt->res.folded_run_ns += t->run_ns;
		smt->res.folded_shared_ns += t->shared_ns;
		smt_internal__ipc_add(smt, t);
	}
	/* backwards: a swap-removed pair is replaced by one already visited */
	for (int p = smt->nr_pairs - 1; p >= 0; p--) {
		struct pair_side *s = &smt->pair_sides[p];

		if (smt->pairs[p].tid_a == t->tid) {
			s->run_a = run;
			s->outside_a = t->outside;
		} else if (smt->pairs[p].tid_b == t->tid) {
			s->run_b = run;
			s->outside_b = t->outside;
		} else {
			continue;
		}
		if (s->run_a && s->run_b)
			pair_done(smt, p);
	}
	task_remove(smt, i);
}

static bool on_cpu(const struct nl_smt *smt, int task)
{
	for (int cpu = 0; cpu < smt->nr_cpus; cpu++)
		if (smt->threads[cpu].task == task)
			return true;
	return false;
}

/*
 * Whether task row i cannot be busy any more: off every CPU, and run for
 * less than half the time observed so far (the span at finish is no
 * shorter).  The one condition of both folds below (invariants 5 and 6).
 */
static bool cannot_be_busy(const struct nl_smt *smt, int i)
{
	return smt->tasks[i].run_ns * 2 < smt->edge - smt->start && !on_cpu(smt, i);
}

/* pid's tasks that cannot be busy any more. */
static void fold_now(struct nl_smt *smt, int pid)
{
	for (int i = smt->nr_tasks - 1; i >= 0; i--)
		if (smt->tasks[i].pid == pid && !smt->tasks[i].outside && cannot_be_busy(smt, i))
			fold_task(smt, i);
}

/*
 * Outside tasks come and go unseen (no exit reaches a CPU-wide view: a
 * shell loop's commands, cron, kworkers), so they fold when idle: no
 * switch for NL_SMT_OUTSIDE_IDLE_NS, and not busy.  A tid that runs again
 * gets a new row.
 */
void smt_fold__idle_outside(struct nl_smt *smt, uint64_t now)
{
	smt->next_sweep = now + 1000000000ull;
	for (int i = smt->nr_tasks - 1; i >= 0; i--)
		if (smt->tasks[i].outside &&
		    now - smt->marks[i].last_switch >= NL_SMT_OUTSIDE_IDLE_NS && cannot_be_busy(smt, i))
			fold_task(smt, i);
}

/* The requests whose switches have all been applied. */
void smt_fold__due(struct nl_smt *smt)
{
	while (smt->fold_head < smt->nr_folds) {
		const struct fold_request *f = &smt->folds[smt->fold_head];

		if (smt->nr_heap && smt->edge < f->after)
			break;
		fold_now(smt, f->pid);
		smt->fold_head++;
	}
	if (smt->fold_head == smt->nr_folds) {
		smt->fold_head = smt->nr_folds = 0;
	} else if (smt->fold_head * 2 >= smt->nr_folds) {
		/* requests keep coming while some wait: the done half goes, so
		   the FIFO holds the waiting ones, not every process that ended */
		smt->nr_folds -= smt->fold_head;
		memmove(smt->folds, smt->folds + smt->fold_head, smt->nr_folds * sizeof(*smt->folds));
		smt->fold_head = 0;
	}
}

void smt__fold_process(struct nl_smt *smt, int pid)
{
	if (smt->finished)
		return;
	/* -ENOMEM: its tasks keep their rows, nothing is lost */
	if (array__reserve((void **)&smt->folds, &smt->cap_folds, smt->nr_folds + 1,
			   sizeof(*smt->folds)))
		return;
	smt->folds[smt->nr_folds++] = (struct fold_request){ pid, smt->newest };
	smt_fold__due(smt);
}

