/*
 * interval.c - one aggregate per interval, cut by the wall clock.  See
 * interval.h for the invariants.
 */
#include "profiler/interval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profiler/aggregate.h"
#include "samplers/base/array.h"
#include "samplers/base/map.h"
#include "samplers/base/topology.h"
#include "samplers/sample.h"

/* What an interval inherits about one process (invariants 3 and 4). */
struct proc_state {
	int32_t pid, ppid;
	char comm[32];
	bool alive;             /* no EXIT of it seen */
	bool retired;           /* the source sent its NL_REC_RETIRE: no more records */
	int exited_in;          /* the interval its EXIT came in */
	double exposure;        /* latest known, -1 none */
	bool has_pages;
	int placed_in;          /* the interval that last placed it */
	uint64_t *pages;        /* latest known, nr_nodes + 1 (by node index) */
};

struct nl_intervals {
	const struct nl_topology *topo;
	uint64_t len_ns;
	int top;
	nl_interval_fn emit;
	void *ctx;
	struct nl_aggregate *agg;       /* the current interval's */
	uint64_t t0, t_start, t_end;    /* monotonic ns: profile, interval start, end */
	uint32_t since_clock;           /* records since the clock was read */
	int index;                      /* of the last interval emitted */
	struct nl_counts total;
	uint64_t total_lost;
	int nr_nodes;
	struct proc_state *procs;
	size_t nr_procs, cap_procs;
	struct nl_map by_pid;           /* pid -> index in procs */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct proc_state *state_find(const struct nl_intervals *iv, int32_t pid)
{
	uint64_t i;

	return map__get(&iv->by_pid, (uint64_t)(uint32_t)pid, 0, &i) ? &iv->procs[i] : NULL;
}

static struct proc_state *state_get(struct nl_intervals *iv, int32_t pid)
{
	struct proc_state *s = state_find(iv, pid);

	if (s)
		return s;
	if (array__reserve((void **)&iv->procs, &iv->cap_procs, iv->nr_procs + 1,
			   sizeof(*iv->procs)) ||
	    map__put(&iv->by_pid, (uint64_t)(uint32_t)pid, 0, iv->nr_procs))
		return NULL;
	s = &iv->procs[iv->nr_procs];
	memset(s, 0, sizeof(*s));
	s->pages = calloc((size_t)iv->nr_nodes + 1, sizeof(uint64_t));
	if (!s->pages) {
		map__del(&iv->by_pid, (uint64_t)(uint32_t)pid, 0);
		return NULL;
	}
	iv->nr_procs++;
	s->pid = pid;
	s->ppid = -1;
	s->alive = true;
	s->exposure = -1;
	return s;
}

/* Exited more than FORGET_AFTER intervals ago: no longer replayed nor shown. */
#define FORGET_AFTER 2
/* ... and dropped from the table once retired, or this many intervals on
   (a source that never retires): memory follows the live processes. */
#define DROP_AFTER 16

static bool forgotten(const struct nl_intervals *iv, const struct proc_state *s)
{
	return !s->alive && iv->index + 1 - s->exited_in > FORGET_AFTER;
}

static bool droppable(const struct nl_intervals *iv, const struct proc_state *s)
{
	return forgotten(iv, s) && (s->retired || iv->index + 1 - s->exited_in > DROP_AFTER);
}

/* Invariant 5: the states of processes long gone leave the table. */
static int drop_gone(struct nl_intervals *iv)
{
	size_t k = 0;

	for (size_t i = 0; i < iv->nr_procs; i++) {
		if (droppable(iv, &iv->procs[i])) {
			free(iv->procs[i].pages);
			continue;
		}
		iv->procs[k++] = iv->procs[i];
	}
	if (k == iv->nr_procs)
		return 0;
	iv->nr_procs = k;
	map__free(&iv->by_pid);
	for (size_t i = 0; i < k; i++)
		if (map__put(&iv->by_pid, (uint64_t)(uint32_t)iv->procs[i].pid, 0, i))
			return -ENOMEM;
	return 0;
}

/* A new interval aggregate that knows every live process (invariant 3). */
static int begin_interval(struct nl_intervals *iv, uint64_t now)
{
	struct nl_record r;

	iv->agg = aggregate__new(iv->topo);
	if (!iv->agg)
		return -ENOMEM;
	iv->t_start = now;
	/* invariant 2: the next grid point after now */
	iv->t_end = iv->t0 + ((now - iv->t0) / iv->len_ns + 1) * iv->len_ns;
	for (size_t i = 0; i < iv->nr_procs; i++) {
		const struct proc_state *s = &iv->procs[i];

		/* exited ones for a while: late samples still come */
		if (forgotten(iv, s))
			continue;
		memset(&r, 0, sizeof(r));
		r.kind = NL_REC_FORK;
		r.task.pid = r.task.tid = s->pid;
		r.task.ppid = r.task.ptid = s->ppid >= 0 ? s->ppid : s->pid;
		if (aggregate__add(iv->agg, &r))
			return -ENOMEM;
		if (!s->comm[0])
			continue;
		r.kind = NL_REC_COMM;
		r.task.comm = s->comm;
		if (aggregate__add(iv->agg, &r))
			return -ENOMEM;
	}
	return 0;
}

struct nl_intervals *intervals__new(const struct nl_topology *topo, double seconds, int top,
				    uint64_t origin_ns, nl_interval_fn emit, void *ctx)
{
	uint64_t now = now_ns();
	struct nl_intervals *iv = calloc(1, sizeof(*iv));

	if (!iv)
		return NULL;
	iv->topo = topo;
	/* a huge length (live_outputs: "the whole profile") must not overflow */
	iv->len_ns = seconds >= 1e9 ? UINT64_MAX / 4 : (uint64_t)(seconds * 1e9);
	if (!iv->len_ns)
		iv->len_ns = 1;
	iv->top = top;
	iv->emit = emit;
	iv->ctx = ctx;
	iv->nr_nodes = topo ? topo->nr_nodes : 0;
	iv->t0 = origin_ns && origin_ns <= now ? origin_ns : now;
	if (begin_interval(iv, iv->t0)) {
		intervals__free(iv);
		return NULL;
	}
	return iv;
}

void intervals__free(struct nl_intervals *iv)
{
	if (!iv)
		return;
	aggregate__free(iv->agg);
	for (size_t i = 0; i < iv->nr_procs; i++)
		free(iv->procs[i].pages);
	free(iv->procs);
	map__free(&iv->by_pid);
	free(iv);
}

size_t intervals__nr_tracked(const struct nl_intervals *iv)
{
	return iv->nr_procs;
}

void intervals__continue_from(struct nl_intervals *iv, const struct nl_metrics *last)
{
	iv->index = last->index;
	iv->total = last->total;
	iv->total_lost = last->total_lost;
}

/* What the finished interval says about its processes (invariant 4). */
static int remember(struct nl_intervals *iv, const struct nl_profile *p)
{
	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];
		struct proc_state *s = state_get(iv, t->pid);
		bool placed = false;

		if (!s)
			return -ENOMEM;
		if (t->ppid >= 0 && t->ppid != t->pid)
			s->ppid = t->ppid;
		if (t->comm[0])
			snprintf(s->comm, sizeof(s->comm), "%s", t->comm);
		for (int m = 0; m < t->nr_mappings; m++)
			placed |= t->mappings[m].placed;
		if (!placed)
			continue;
		memset(s->pages, 0, ((size_t)iv->nr_nodes + 1) * sizeof(uint64_t));
		for (int m = 0; m < t->nr_mappings; m++)
			for (int k = 0; t->mappings[m].placed && k <= iv->nr_nodes; k++)
				s->pages[k] += t->mappings[m].pages_by_node[k];
		s->has_pages = true;
		s->placed_in = iv->index + 1;
		if (t->remote_exposure >= 0)
			s->exposure = t->remote_exposure;
	}
	return 0;
}

static double latest_exposure(void *ctx, const struct nl_task_stats *t)
{
	const struct proc_state *s = state_find(ctx, t->pid);

	if (s && forgotten(ctx, s) && !t->counts.samples)
		return -2;      /* only its final snapshot came: not a series any more */
	if (t->remote_exposure >= 0)
		return t->remote_exposure;
	return s ? s->exposure : -1;
}

/* Pages of the live processes, latest known (invariant 4). */
static void gauge_pages(const struct nl_intervals *iv, struct nl_metrics *m)
{
	memset(m->pages_by_node, 0, ((size_t)iv->nr_nodes + 1) * sizeof(uint64_t));
	m->has_pages = false;
	for (size_t i = 0; i < iv->nr_procs; i++) {
		const struct proc_state *s = &iv->procs[i];

		/* an exited process counts in the interval of its final snapshot */
		if (!s->has_pages || forgotten(iv, s) || (!s->alive && s->placed_in != iv->index + 1))
			continue;
		m->has_pages = true;
		for (int k = 0; k <= iv->nr_nodes && k <= m->nr_nodes; k++)
			m->pages_by_node[k] += s->pages[k];
	}
}

static int cut(struct nl_intervals *iv, uint64_t now)
{
	const struct nl_profile *p = aggregate__finish(iv->agg);
	struct nl_metrics m;

	if (!p || remember(iv, p) || metrics__build(p, iv->top, latest_exposure, iv, &m))
		return -ENOMEM;
	gauge_pages(iv, &m);
	m.index = ++iv->index;
	m.start = (double)(iv->t_start - iv->t0) / 1e9;
	m.end = (double)(now - iv->t0) / 1e9;
	iv->total.samples += m.counts.samples;
	iv->total.memory += m.counts.memory;
	iv->total.local += m.counts.local;
	iv->total.remote += m.counts.remote;
	iv->total.unresolved += m.counts.unresolved;
	iv->total_lost += m.lost;
	m.total = iv->total;
	m.total_lost = iv->total_lost;
	iv->emit(iv->ctx, &m);
	metrics__free(&m);
	aggregate__free(iv->agg);
	iv->agg = NULL;
	if (drop_gone(iv))
		return -ENOMEM;
	return begin_interval(iv, now);
}

int intervals__record(void *ctx, const struct nl_record *rec, int locality)
{
	struct nl_intervals *iv = ctx;
	uint64_t now;

	(void)locality;
	if (rec->kind != NL_REC_TICK && aggregate__add(iv->agg, rec))
		return -ENOMEM;
	if (rec->kind == NL_REC_EXIT && rec->task.pid == rec->task.tid) {
		/* born in this interval too: known now, or its state would stay alive */
		struct proc_state *s = state_get(iv, rec->task.pid);

		if (!s)
			return -ENOMEM;
		if (s->alive) {
			s->alive = false;
			s->exited_in = iv->index + 1;
		}
	} else if (rec->kind == NL_REC_RETIRE) {
		struct proc_state *s = state_find(iv, rec->task.pid);

		if (s && !s->alive)
			s->retired = true;
	}
	/* the clock at every tick, and every 256 records of a busy target */
	if (rec->kind != NL_REC_TICK && (++iv->since_clock & 255))
		return 0;
	now = now_ns();
	return now >= iv->t_end ? cut(iv, now) : 0;
}

int intervals__flush(struct nl_intervals *iv)
{
	return cut(iv, now_ns());
}
