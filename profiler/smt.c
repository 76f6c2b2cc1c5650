/*
 * smt.c - HT contention from context switches.  See smt.h for the model.
 *
 * Layout (smt_internal.h): hardware threads (one per CPU id) point at
 * their core; cores point at their node; each node keeps the time up to
 * which its figures are summed.  A switch first advances its node to the
 * switch's time (every core of the node adds the span with the state it
 * had), then changes one thread's task.  Switches wait in a min-heap until they are older than
 * the newest one by NL_SMT_REORDER_NS.  Cycles and instructions counts
 * wait in the same heap, so a count sees the run state at its own time.
 */
#include "profiler/smt.h"
#include "profiler/smt_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/map.h"
#include "samplers/base/topology.h"

/* --------------------------------------------------------------- building */

static int cmp_core(const void *a, const void *b)
{
	const struct nl_smt_core *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->package != y->package)
		return x->package < y->package ? -1 : 1;
	if (x->core != y->core)
		return x->core < y->core ? -1 : 1;
	return x->first_cpu < y->first_cpu ? -1 : x->first_cpu > y->first_cpu;
}

static bool usable(const struct nl_topology *topo, int cpu)
{
	return cpu >= 0 && cpu < topo->nr_cpus && topo->cpus[cpu].present &&
	       topo->cpus[cpu].online;
}

/* The lowest usable sibling of cpu (itself when siblings are unknown). */
static int core_leader(const struct nl_topology *topo, int cpu)
{
	const struct nl_cpuset *sib = &topo->cpus[cpu].siblings;
	int c;

	for (c = cpuset__next(sib, 0); c >= 0; c = cpuset__next(sib, c + 1))
		if (usable(topo, c))
			return c < cpu ? c : cpu;
	return cpu;
}

static int node_index_of(const struct nl_smt *smt, int cpu)
{
	int ix = topology__node_index(smt->topo, smt->topo->cpus[cpu].node);

	return ix < 0 ? smt->nr_nodes - 1 : ix;
}

/* Cores from the sibling sets, grouped per node. */
static int build(struct nl_smt *smt)
{
	const struct nl_topology *topo = smt->topo;
	int *leader_core, cpu, i, n, filled;

	smt->nr_cpus = topo->nr_cpus;
	smt->nr_nodes = topo->nr_nodes + 1;
	smt->threads = calloc(smt->nr_cpus ? smt->nr_cpus : 1, sizeof(*smt->threads));
	smt->cores = calloc(smt->nr_cpus ? smt->nr_cpus : 1, sizeof(*smt->cores));
	smt->core_cpus = calloc(smt->nr_cpus ? smt->nr_cpus : 1, sizeof(int));
	smt->node_cores = calloc(smt->nr_cpus ? smt->nr_cpus : 1, sizeof(int));
	smt->nodes = calloc(smt->nr_nodes, sizeof(*smt->nodes));
	leader_core = malloc((smt->nr_cpus ? smt->nr_cpus : 1) * sizeof(int));
	if (!smt->threads || !smt->cores || !smt->core_cpus || !smt->node_cores ||
	    !smt->nodes || !leader_core) {
		free(leader_core);
		return -ENOMEM;
	}
	/* One core per distinct leader, in CPU order, then sorted. */
	for (cpu = 0; cpu < smt->nr_cpus; cpu++) {
		leader_core[cpu] = -1;
		smt->threads[cpu].core = -1;
		smt->threads[cpu].task = -1;
		if (!usable(topo, cpu) || core_leader(topo, cpu) != cpu)
			continue;
		struct nl_smt_core *c = &smt->cores[smt->nr_cores++].pub;

		c->first_cpu = cpu;
		c->node = topo->cpus[cpu].node;
		c->package = topo->cpus[cpu].package;
		c->core = topo->cpus[cpu].core;
	}
	qsort(smt->cores, smt->nr_cores, sizeof(*smt->cores), cmp_core);
	for (i = 0; i < smt->nr_cores; i++)
		leader_core[smt->cores[i].pub.first_cpu] = i;
	for (cpu = 0; cpu < smt->nr_cpus; cpu++)
		if (usable(topo, cpu)) {
			int core = leader_core[core_leader(topo, cpu)];

			smt->threads[cpu].core = core;
			smt->cores[core].pub.nr_threads++;
		}
	free(leader_core);
	/* Thread lists per core and core lists per node (counting sorts). */
	for (i = 0, filled = 0; i < smt->nr_cores; i++) {
		smt->cores[i].first_thread = filled;
		filled += smt->cores[i].pub.nr_threads;
		smt->cores[i].pub.nr_threads = 0;
		smt->cores[i].pair = -1;
		smt->cores[i].node = node_index_of(smt, smt->cores[i].pub.first_cpu);
	}
	for (cpu = 0; cpu < smt->nr_cpus; cpu++) {
		struct core *c = smt->threads[cpu].core >= 0 ?
				 &smt->cores[smt->threads[cpu].core] : NULL;

		if (c)
			smt->core_cpus[c->first_thread + c->pub.nr_threads++] = cpu;
	}
	for (i = 0; i < smt->nr_cores; i++) {
		if (smt->cores[i].pub.nr_threads > 1)
			smt->res.has_smt = true;
		smt->nodes[smt->cores[i].node].nr_cores++;
	}
	for (n = 0, filled = 0; n < smt->nr_nodes; n++) {
		smt->nodes[n].first_core = filled;
		filled += smt->nodes[n].nr_cores;
		smt->nodes[n].nr_cores = 0;
	}
	for (i = 0; i < smt->nr_cores; i++) {
		struct node *nd = &smt->nodes[smt->cores[i].node];

		smt->node_cores[nd->first_core + nd->nr_cores++] = i;
	}
	return 0;
}

struct nl_smt *smt__new(const struct nl_topology *topo, bool cpu_wide)
{
	struct nl_smt *smt = calloc(1, sizeof(*smt));

	if (!smt)
		return NULL;
	smt->topo = topo;
	smt->res.cpu_wide = cpu_wide;
	smt->window = NL_SMT_REORDER_NS;
	if (build(smt)) {
		smt__free(smt);
		return NULL;
	}
	return smt;
}

void smt__free(struct nl_smt *smt)
{
	if (!smt)
		return;
	free(smt->threads);
	free(smt->cores);
	free(smt->core_cpus);
	free(smt->nodes);
	free(smt->node_cores);
	map__free(&smt->task_ix);
	free(smt->tasks);
	free(smt->task_node_ns);
	free(smt->marks);
	map__free(&smt->pair_ix);
	free(smt->pairs);
	free(smt->pair_sides);
	free(smt->done);
	free(smt->folds);
	free(smt->heap);
	free(smt->res.tasks);
	free(smt->res.pairs);
	free(smt->res.cores);
	free(smt);
}

void smt__start(struct nl_smt *smt, uint64_t time)
{
	int n;

	smt->start = smt->edge = smt->newest = time;
	smt->started = true;
	for (n = 0; n < smt->nr_nodes; n++)
		smt->nodes[n].last = time;
}

/* ------------------------------------------------------- tasks and pairs */

/* Index of tid's task (added on first sight), or -1 on -ENOMEM. */
static int task_of(struct nl_smt *smt, int pid, int tid, bool outside)
{
	uint64_t *ix;
	int added = map__add(&smt->task_ix, (uint32_t)tid, 0, &ix);

	if (added < 0)
		return -1;
	if (!added) {
		/* seen before its FORK arrived (another CPU's ring): the target's after all */
		if (!outside)
			smt->tasks[*ix].outside = false;
		return (int)*ix;
	}
	if (array__reserve((void **)&smt->tasks, &smt->cap_tasks, (size_t)smt->nr_tasks + 1,
			   sizeof(*smt->tasks)) ||
	    array__reserve((void **)&smt->task_node_ns, &smt->cap_node_ns,
			   ((size_t)smt->nr_tasks + 1) * smt->nr_nodes, sizeof(uint64_t)) ||
	    array__reserve((void **)&smt->marks, &smt->cap_marks, (size_t)smt->nr_tasks + 1,
			   sizeof(*smt->marks))) {
		map__del(&smt->task_ix, (uint32_t)tid, 0);
		return -1;
	}
	memset(&smt->tasks[smt->nr_tasks], 0, sizeof(smt->tasks[0]));
	memset(&smt->marks[smt->nr_tasks], 0, sizeof(smt->marks[0]));
	memset(&smt->task_node_ns[(size_t)smt->nr_tasks * smt->nr_nodes], 0,
	       smt->nr_nodes * sizeof(uint64_t));
	smt->tasks[smt->nr_tasks].pid = pid;
	smt->tasks[smt->nr_tasks].tid = tid;
	smt->tasks[smt->nr_tasks].outside = outside;
	*ix = smt->nr_tasks;
	return smt->nr_tasks++;
}

/* Index of the pair of task indexes a, b (added on first sight), or -1. */
static int pair_of(struct nl_smt *smt, int a, int b, int cpu)
{
	const struct nl_smt_task *ta = &smt->tasks[a], *tb = &smt->tasks[b];
	uint64_t *ix;
	int added;

	if (ta->tid > tb->tid) {
		const struct nl_smt_task *t = ta;

		ta = tb;
		tb = t;
	}
	added = map__add(&smt->pair_ix, (uint32_t)ta->tid, (uint32_t)tb->tid, &ix);
	if (added < 0)
		return -1;
	if (!added) {
		smt->pairs[*ix].cpu = cpu;
		return (int)*ix;
	}
	if (array__reserve((void **)&smt->pairs, &smt->cap_pairs, (size_t)smt->nr_pairs + 1,
			   sizeof(*smt->pairs)) ||
	    array__reserve((void **)&smt->pair_sides, &smt->cap_sides, (size_t)smt->nr_pairs + 1,
			   sizeof(*smt->pair_sides))) {
		map__del(&smt->pair_ix, (uint32_t)ta->tid, (uint32_t)tb->tid);
		return -1;
	}
	smt->pairs[smt->nr_pairs] = (struct nl_smt_pair){
		.pid_a = ta->pid, .tid_a = ta->tid, .pid_b = tb->pid, .tid_b = tb->tid,
		.cpu = cpu,
	};
	smt->pair_sides[smt->nr_pairs] = (struct pair_side){ 0 };
	*ix = smt->nr_pairs;
	return smt->nr_pairs++;
}

/* ---------------------------------------------------------- time keeping */

/* Adds dt of core c's current state.  Returns 1 when c had >= 2 busy threads. */
static int core_span(struct nl_smt *smt, struct core *c, uint64_t dt, int node,
		     int *idle)
{
	const int *cpus = &smt->core_cpus[c->first_thread];
	int busy[8], nr_busy = 0, i, j;

	for (i = 0; i < c->pub.nr_threads; i++) {
		int t = smt->threads[cpus[i]].task;

		if (t < 0)
			continue;
		smt->tasks[t].run_ns += dt;
		smt->task_node_ns[(size_t)t * smt->nr_nodes + node] += dt;
		if (nr_busy < (int)(sizeof(busy) / sizeof(busy[0])))
			busy[nr_busy++] = t;
	}
	if (!nr_busy) {
		(*idle)++;
		return 0;
	}
	c->pub.busy_ns += dt;
	if (nr_busy < 2)
		return 0;
	if (nr_busy == c->pub.nr_threads)
		c->pub.double_busy_ns += dt;
	for (i = 0; i < nr_busy; i++)
		smt->tasks[busy[i]].shared_ns += dt;
	if (nr_busy == 2 && c->pair >= 0) {
		smt->pairs[c->pair].corun_ns += dt;
		return 1;
	}
	for (i = 0; i < nr_busy; i++)
		for (j = i + 1; j < nr_busy; j++) {
			int p;

			/* two outside tasks: no pair of the target's (smt.h) */
			if (smt->tasks[busy[i]].outside && smt->tasks[busy[j]].outside)
				continue;
			p = pair_of(smt, busy[i], busy[j], c->pub.first_cpu);
			if (p < 0)
				continue;       /* -ENOMEM: the pair goes uncounted */
			smt->pairs[p].corun_ns += dt;
			if (nr_busy == 2)
				c->pair = p;
		}
	return 1;
}

/* Sums node n's state from its last time up to t. */
static void advance(struct nl_smt *smt, int n, uint64_t t)
{
	struct node *nd = &smt->nodes[n];
	uint64_t dt;
	int i, idle = 0, shared = 0;

	if (t <= nd->last)
		return;
	dt = t - nd->last;
	for (i = 0; i < nd->nr_cores; i++)
		shared += core_span(smt, &smt->cores[smt->node_cores[nd->first_core + i]], dt,
				    n, &idle);
	if (shared && idle)
		smt->res.misplaced_ns += dt;
	nd->last = t;
}

/*
 * One count of a task: the window since its previous count, classified by
 * the share of its run time with a busy sibling (smt.h).
 */
static void apply_counts(struct nl_smt *smt, const struct pending *p, uint64_t t)
{
	struct nl_smt_ipc *ipc = &smt->res.ipc;
	struct nl_smt_task *task;
	struct mark *m, was;
	uint64_t dc, di, drun, dshared;
	int ix = task_of(smt, p->pid, p->tid, false);

	if (ix < 0)
		return;         /* -ENOMEM: the count goes unused */
	advance(smt, smt->cores[smt->threads[p->cpu].core].node, t);
	task = &smt->tasks[ix];
	m = &smt->marks[ix];
	was = *m;
	*m = (struct mark){ task->run_ns, task->shared_ns, p->cycles, p->instructions, true,
			    was.last_switch };
	if (!was.based)
		return;
	if (p->cycles < was.cycles || p->instructions < was.instructions) {
		ipc->windows_bad++;
		return;
	}
	dc = p->cycles - was.cycles;
	di = p->instructions - was.instructions;
	drun = task->run_ns - was.run_ns;
	dshared = task->shared_ns - was.shared_ns;
	if (!dc)
		return;
	if (!drun) {
		ipc->windows_unplaced++;
		return;
	}
	if ((double)dshared >= NL_SMT_IPC_CORUN * (double)drun) {
		ipc->windows_corun++;
		task->cycles_corun += dc;
		task->instructions_corun += di;
	} else if ((double)dshared <= NL_SMT_IPC_ALONE * (double)drun) {
		ipc->windows_alone++;
		task->cycles_alone += dc;
		task->instructions_alone += di;
	} else {
		ipc->windows_mixed++;
		ipc->cycles_mixed += dc;
	}
}

static void apply(struct nl_smt *smt, const struct pending *p)
{
	struct hwthread *hw = &smt->threads[p->cpu];
	struct core *c = &smt->cores[hw->core];
	uint64_t t = p->time;
	int task = -1;

	if (t < smt->edge) {
		/* Rings (and perf.data rounds) can lag by more than the window:
		 * widen it so the next lag of this size sorts correctly. */
		uint64_t lag = smt->edge - t;

		smt->res.late_switches += !p->counts;
		if (lag * 2 > smt->window)
			smt->window = lag * 2 < NL_SMT_MAX_REORDER_NS ? lag * 2 : NL_SMT_MAX_REORDER_NS;
		t = smt->edge;
	}
	smt->edge = t;
	if (p->counts) {
		if (p->tid > 0)
			apply_counts(smt, p, t);
		return;
	}
	if (p->tid > 0 && (task = task_of(smt, p->pid, p->tid, p->outside)) < 0)
		return;         /* -ENOMEM: counted as idle */
	if (task >= 0)
		smt->marks[task].last_switch = t;
	/* Invariant 2: a first switch-out means it ran since the start. */
	if (p->out && !hw->seen && hw->task < 0)
		hw->task = task;
	advance(smt, c->node, t);
	hw->task = p->out ? -1 : task;
	hw->seen = true;
	c->pair = -1;
	if (smt->res.cpu_wide && t >= smt->next_sweep)
		smt_fold__idle_outside(smt, t);
}

/* ------------------------------------------------------------ the heap */

static bool earlier(const struct pending *a, const struct pending *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void heap_pop(struct nl_smt *smt, struct pending *out)
{
	struct pending *h = smt->heap;
	size_t i = 0, n = --smt->nr_heap;

	*out = h[0];
	h[0] = h[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && earlier(&h[l], &h[m]))
			m = l;
		if (r < n && earlier(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		struct pending tmp = h[i];

		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static int heap_push(struct nl_smt *smt, const struct pending *p)
{
	size_t i;

	if (array__reserve((void **)&smt->heap, &smt->cap_heap, smt->nr_heap + 1, sizeof(*smt->heap)))
		return -ENOMEM;
	i = smt->nr_heap++;
	smt->heap[i] = *p;
	while (i && earlier(&smt->heap[i], &smt->heap[(i - 1) / 2])) {
		struct pending tmp = smt->heap[i];

		smt->heap[i] = smt->heap[(i - 1) / 2];
		smt->heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
	return 0;
}

static int push(struct nl_smt *smt, const struct pending *p0)
{
	struct pending p = *p0;
	uint64_t time = p.time;
	int cpu = p.cpu;

	if (smt->finished)
		return 0;
	if (cpu < 0 || cpu >= smt->nr_cpus || smt->threads[cpu].core < 0) {
		smt->res.bad_switches++;
		return 0;
	}
	if (!smt->started)
		smt__start(smt, time);
	if (p.counts)
		smt->res.ipc.samples++;
	else
		smt->res.switches++;
	p.seq = smt->seq++;
	if (heap_push(smt, &p))
		return -ENOMEM;
	if (time > smt->newest)
		smt->newest = time;
	while (smt->nr_heap && (smt->rounds ? smt->nr_heap > NL_SMT_MAX_PENDING :
				smt->nr_heap > NL_SMT_MAX_HELD ||
				smt->heap[0].time + smt->window < smt->newest)) {
		heap_pop(smt, &p);
		apply(smt, &p);
	}
	if (smt->fold_head < smt->nr_folds)
		smt_fold__due(smt);
	return 0;
}

size_t smt__held(const struct nl_smt *smt)
{
	return smt->cap_heap;
}

static int feed(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time, bool out,
		bool outside)
{
	struct pending p = { .time = time, .cpu = cpu, .pid = pid, .tid = tid, .out = out,
			     .outside = outside };

	return push(smt, &p);
}

int smt__switch(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time, bool out)
{
	return feed(smt, cpu, pid, tid, time, out, false);
}

int smt__counts(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time,
		uint64_t cycles, uint64_t instructions)
{
	struct pending p = { .time = time, .cpu = cpu, .pid = pid, .tid = tid, .counts = true,
			     .cycles = cycles, .instructions = instructions };

	return push(smt, &p);
}

int smt__switch_outside(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time,
			bool out)
{
	return feed(smt, cpu, pid, tid, time, out, true);
}

void smt__round(struct nl_smt *smt)
{
	struct pending p;
	uint64_t upto = smt->round_newest;

	if (smt->finished)
		return;
	/* The first round flushes nothing: only its end is known to be safe. */
	if (smt->rounds)
		while (smt->nr_heap && smt->heap[0].time <= upto) {
			heap_pop(smt, &p);
			apply(smt, &p);
		}
	smt->rounds = true;
	smt->round_newest = smt->newest;
}

/* -------------------------------------------------------------- result */

static int cmp_task(const void *a, const void *b)
{
	const struct nl_smt_task *x = a, *y = b;

	if (x->shared_ns != y->shared_ns)
		return x->shared_ns > y->shared_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct nl_smt_pair *x = a, *y = b;

	/* the target's own pairs first: a report's top rows are about them */
	if (x->outside != y->outside)
		return x->outside ? 1 : -1;
	if (x->corun_ns != y->corun_ns)
		return x->corun_ns > y->corun_ns ? -1 : 1;
	return x->tid_a < y->tid_a ? -1 : x->tid_a > y->tid_a;
}

/* Busy tasks (>= half the span) and the physical cores of their main nodes. */
static void oversubscription(struct nl_smt *smt)
{
	struct nl_smt_result *r = &smt->res;
	bool ran[smt->nr_nodes];
	int t, n, i;

	memset(ran, 0, sizeof(ran));
	for (t = 0; t < smt->nr_tasks; t++) {
		const uint64_t *ns = &smt->task_node_ns[(size_t)t * smt->nr_nodes];
		int best = 0;

		if (smt->tasks[t].outside) {
			r->outside_tasks += smt->tasks[t].run_ns > 0;
			r->outside_busy += r->span_ns && smt->tasks[t].run_ns * 2 >= r->span_ns;
			continue;
		}
		if (!r->span_ns || smt->tasks[t].run_ns * 2 < r->span_ns)
			continue;
		r->busy_tasks++;
		r->busy_shared_half += smt->tasks[t].shared_ns * 2 >= smt->tasks[t].run_ns;
		for (n = 1; n < smt->nr_nodes; n++)
			if (ns[n] > ns[best])
				best = n;
		ran[best] = true;
	}
	struct nl_cpuset spread = { 0 };

	for (n = 0; n < smt->nr_nodes; n++) {
		const struct node *nd = &smt->nodes[n];

		if (!ran[n])
			continue;
		r->cores_of_nodes_ran += nd->nr_cores;
		for (i = 0; i < nd->nr_cores; i++)
			cpuset__add(&spread, smt->cores[smt->node_cores[nd->first_core + i]].pub.first_cpu);
	}
	cpuset__format(&spread, r->one_per_core, sizeof(r->one_per_core));
	cpuset__free(&spread);
	for (i = 0; i < smt->nr_cores; i++)
		r->double_busy_ns += smt->cores[i].pub.double_busy_ns;
}

/*
 * One task's IPC windows into the totals: at its fold, or at finish for
 * the tasks that kept their rows (smt.h: each task against itself).
 */
void smt_internal__ipc_add(struct nl_smt *smt, struct nl_smt_task *t)
{
	struct nl_smt_ipc *ipc = &smt->res.ipc;

	if (t->outside)
		return;
	t->ipc_alone = t->cycles_alone ? (double)t->instructions_alone /
					 (double)t->cycles_alone : 0;
	t->ipc_corun = t->cycles_corun ? (double)t->instructions_corun /
					 (double)t->cycles_corun : 0;
	ipc->cycles_alone += t->cycles_alone;
	ipc->instructions_alone += t->instructions_alone;
	ipc->cycles_corun += t->cycles_corun;
	ipc->instructions_corun += t->instructions_corun;
	if (!t->cycles_alone || !t->cycles_corun || !t->instructions_alone)
		return;
	ipc->tasks_both++;
	smt->both_cycles += t->cycles_corun;
	smt->both_instructions += t->instructions_corun;
	smt->weighted_alone += (double)t->cycles_corun * t->ipc_alone;
}

/* Overall IPC alone vs co-run, from every task's windows (folded ones too). */
static void ipc_result(struct nl_smt *smt)
{
	struct nl_smt_ipc *ipc = &smt->res.ipc;

	for (int i = 0; i < smt->nr_tasks; i++)
		smt_internal__ipc_add(smt, &smt->tasks[i]);
	if (!ipc->tasks_both || !smt->both_cycles)
		return;
	ipc->has_cost = true;
	ipc->ipc_corun = (double)smt->both_instructions / (double)smt->both_cycles;
	ipc->ipc_alone = smt->weighted_alone / (double)smt->both_cycles;
	ipc->cost = 1 - ipc->ipc_corun / ipc->ipc_alone;
}

/* A pair side's run time: final when folded, else its row's (and whether
   that row is outside the target). */
static uint64_t side_run(const struct nl_smt *smt, int32_t tid, uint64_t folded,
			 bool folded_outside, bool *outside)
{
	const uint64_t *ix = folded ? NULL : map__find(&smt->task_ix, (uint32_t)tid, 0);

	*outside = folded ? folded_outside : ix && smt->tasks[*ix].outside;
	return folded ? folded : ix ? smt->tasks[*ix].run_ns : 0;
}

const struct nl_smt_result *smt__finish(struct nl_smt *smt, uint64_t end)
{
	struct nl_smt_result *r = &smt->res;
	struct pending p;
	int i, n;

	if (smt->finished)
		return r;
	if (!smt->started)
		smt__start(smt, end);
	while (smt->nr_heap) {
		heap_pop(smt, &p);
		apply(smt, &p);
	}
	if (!end)
		end = smt->newest;
	if (end < smt->edge)
		end = smt->edge;
	for (n = 0; n < smt->nr_nodes; n++)
		advance(smt, n, end);
	smt_fold__due(smt);         /* the heap is empty: every request is due */
	smt->finished = true;
	ipc_result(smt);
	r->span_ns = end - smt->start;
	r->reorder_window_ns = smt->window;
	r->tasks = malloc((smt->nr_tasks ? smt->nr_tasks : 1) * sizeof(*r->tasks));
	r->pairs = malloc((smt->nr_pairs + smt->nr_done + 1) * sizeof(*r->pairs));
	r->cores = malloc((smt->nr_cores ? smt->nr_cores : 1) * sizeof(*r->cores));
	if (!r->tasks || !r->pairs || !r->cores)
		return NULL;
	for (i = 0; i < smt->nr_tasks; i++)
		if (!smt->tasks[i].outside)
			r->tasks[r->nr_tasks++] = smt->tasks[i];
	for (i = 0; i < smt->nr_pairs; i++) {
		struct nl_smt_pair q = smt->pairs[i];
		bool out_a, out_b;
		const struct pair_side *s = &smt->pair_sides[i];
		uint64_t ra = side_run(smt, q.tid_a, s->run_a, s->outside_a, &out_a);
		uint64_t rb = side_run(smt, q.tid_b, s->run_b, s->outside_b, &out_b);
		uint64_t shorter = ra < rb ? ra : rb;

		if (out_a && out_b)
			continue;
		q.outside = out_a || out_b;
		q.ratio = shorter ? (double)q.corun_ns / (double)shorter : 0;
		r->pairs[r->nr_pairs++] = q;
	}
	for (i = 0; i < smt->nr_done; i++)
		r->pairs[r->nr_pairs++] = smt->done[i];
	for (i = 0; i < smt->nr_cores; i++)
		r->cores[i] = smt->cores[i].pub;
	for (i = 0; i < r->nr_tasks; i++) {
		struct nl_smt_task *t = &r->tasks[i];

		t->shared_ratio = t->run_ns ? (double)t->shared_ns / (double)t->run_ns : 0;
	}
	r->nr_cores = smt->nr_cores;
	qsort(r->tasks, r->nr_tasks, sizeof(*r->tasks), cmp_task);
	qsort(r->pairs, r->nr_pairs, sizeof(*r->pairs), cmp_pair);
	oversubscription(smt);
	return r;
}
