/*
 * nodecount.c - counted node loads per thread and process, and their
 * agreement with the sampled remote share.  See nodecount.h.
 */
#include "profiler/nodecount.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/aggregate.h"

struct nl_nodecount {
	struct nl_node_count_row *threads;
	int nr, cap;
	uint64_t wall_ns;
	struct nl_node_counts out;
	bool finished;
};

struct nl_nodecount *nodecount__new(void)
{
	return calloc(1, sizeof(struct nl_nodecount));
}

void nodecount__free(struct nl_nodecount *nc)
{
	if (!nc)
		return;
	free(nc->threads);
	free(nc->out.processes);
	free(nc->out.threads);
	free(nc);
}

static struct nl_node_count_row *row_of(struct nl_nodecount *nc, int32_t pid, int32_t tid)
{
	struct nl_node_count_row *r;

	for (int i = nc->nr - 1; i >= 0; i--)
		if (nc->threads[i].tid == tid && nc->threads[i].pid == pid)
			return &nc->threads[i];
	if (nc->nr == nc->cap) {
		int cap = nc->cap ? nc->cap * 2 : 64;
		struct nl_node_count_row *q = realloc(nc->threads, (size_t)cap * sizeof(*q));

		if (!q)
			return NULL;
		nc->threads = q;
		nc->cap = cap;
	}
	r = &nc->threads[nc->nr++];
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->tid = tid;
	return r;
}

static uint64_t scaled(uint64_t v, const struct nl_counts_event *e)
{
	if (e->time_running == 0)
		return 0;
	if (e->time_running >= e->time_enabled)
		return v;
	return (uint64_t)((double)v * (double)e->time_enabled / (double)e->time_running + 0.5);
}

int nodecount__add(struct nl_nodecount *nc, const struct nl_counts_event *e)
{
	struct nl_node_count_row *r = row_of(nc, e->pid, e->tid);
	uint64_t loads, remote = e->value[NL_CTR_NODE_LOAD_MISSES];

	if (!r)
		return -ENOMEM;
	if (e->roles & (1u << NL_CTR_NODE_LOADS))
		loads = e->value[NL_CTR_NODE_LOADS];
	else
		loads = e->value[NL_CTR_LOCAL_LOADS] + remote;
	r->raw_loads += loads;
	r->raw_remote_loads += remote;
	r->loads += scaled(loads, e);
	r->remote_loads += scaled(remote, e);
	if (e->roles & (1u << NL_CTR_NODE_STORES)) {
		r->has_stores = true;
		r->raw_stores += e->value[NL_CTR_NODE_STORES];
		r->raw_remote_stores += e->value[NL_CTR_NODE_STORE_MISSES];
		r->stores += scaled(e->value[NL_CTR_NODE_STORES], e);
		r->remote_stores += scaled(e->value[NL_CTR_NODE_STORE_MISSES], e);
	}
	r->time_enabled += e->time_enabled;
	r->time_running += e->time_running;
	if (e->wall_ns > nc->wall_ns)
		nc->wall_ns = e->wall_ns;
	return 0;
}

enum nl_agreement nodecount__agree(uint64_t sampled_remote, uint64_t sampled_n,
				   double counted_ratio, uint64_t counted_loads,
				   double *error)
{
	const double z = 2, n = (double)sampled_n;
	double p, center, half, counted;

	*error = -1;
	if (!sampled_n || !counted_loads || counted_ratio < 0)
		return NL_AGREE_UNKNOWN;
	p = (double)sampled_remote / n;
	/* Wilson score interval of the sampled share */
	center = (p + z * z / (2 * n)) / (1 + z * z / n);
	half = z / (1 + z * z / n) * sqrt(p * (1 - p) / n + z * z / (4 * n * n));
	counted = z * sqrt(counted_ratio * (1 - counted_ratio) / (double)counted_loads);
	*error = sqrt(half * half + counted * counted);
	return fabs(center - counted_ratio) > *error ? NL_AGREE_NO : NL_AGREE_YES;
}

static void add_row(struct nl_node_count_row *sum, const struct nl_node_count_row *r)
{
	sum->has_stores |= r->has_stores;
	sum->loads += r->loads;
	sum->remote_loads += r->remote_loads;
	sum->stores += r->stores;
	sum->remote_stores += r->remote_stores;
	sum->raw_loads += r->raw_loads;
	sum->raw_remote_loads += r->raw_remote_loads;
	sum->raw_stores += r->raw_stores;
	sum->raw_remote_stores += r->raw_remote_stores;
	sum->time_enabled += r->time_enabled;
	sum->time_running += r->time_running;
}

static const struct nl_task_stats *task_of(const struct nl_task_stats *v, int nr, int32_t tid)
{
	for (int i = 0; i < nr; i++)
		if (v[i].tid == tid)
			return &v[i];
	return NULL;
}

/* Ratios, rates, scaling and the comparison with the sampled counts c. */
static void derive(struct nl_node_count_row *r, double wall_s, const struct nl_counts *c)
{
	r->miss_ratio = r->loads ? (double)r->remote_loads / (double)r->loads : -1;
	r->store_miss_ratio = r->has_stores && r->stores ?
			      (double)r->remote_stores / (double)r->stores : -1;
	r->loads_per_s = wall_s > 0 ? (double)r->loads / wall_s : 0;
	r->remote_loads_per_s = wall_s > 0 ? (double)r->remote_loads / wall_s : 0;
	r->scaling = r->time_enabled ? (double)r->time_running / (double)r->time_enabled : -1;
	r->sampled_remote = c ? counts__remote_ratio(c) : -1;
	r->sampled_n = c ? c->local + c->remote : 0;
	r->agreement = nodecount__agree(c ? c->remote : 0, r->sampled_n, r->miss_ratio,
					r->loads, &r->error);
}

static int by_remote(const void *a, const void *b)
{
	const struct nl_node_count_row *x = a, *y = b;

	if (x->remote_loads != y->remote_loads)
		return x->remote_loads < y->remote_loads ? 1 : -1;
	if (x->loads != y->loads)
		return x->loads < y->loads ? 1 : -1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void name_row(struct nl_node_count_row *r, const struct nl_task_stats *t)
{
	snprintf(r->comm, sizeof(r->comm), "%s", t && t->comm[0] ? t->comm : "?");
}

const struct nl_node_counts *nodecount__finish(struct nl_nodecount *nc,
					       const struct nl_profile *p)
{
	struct nl_node_counts *o = &nc->out;
	double wall = (double)nc->wall_ns / 1e9;

	if (nc->finished)
		return nc->nr ? o : NULL;
	nc->finished = true;
	if (!nc->nr)
		return NULL;
	o->wall_s = wall;
	o->threads = calloc((size_t)nc->nr, sizeof(*o->threads));
	o->processes = calloc((size_t)nc->nr, sizeof(*o->processes));
	if (!o->threads || !o->processes)
		return NULL;
	memset(&o->total, 0, sizeof(o->total));
	o->total.pid = o->total.tid = -1;
	snprintf(o->total.comm, sizeof(o->total.comm), "all");
	for (int i = 0; i < nc->nr; i++) {
		struct nl_node_count_row *t = &o->threads[o->nr_threads++];
		struct nl_node_count_row *proc = NULL;
		const struct nl_task_stats *ts = task_of(p->threads, p->nr_threads, nc->threads[i].tid);

		*t = nc->threads[i];
		name_row(t, ts);
		derive(t, wall, ts ? &ts->counts : NULL);
		for (int k = 0; k < o->nr_processes && !proc; k++)
			if (o->processes[k].pid == t->pid)
				proc = &o->processes[k];
		if (!proc) {
			proc = &o->processes[o->nr_processes++];
			proc->pid = proc->tid = t->pid;
		}
		add_row(proc, t);
		add_row(&o->total, t);
	}
	for (int k = 0; k < o->nr_processes; k++) {
		struct nl_node_count_row *r = &o->processes[k];
		const struct nl_task_stats *ps = task_of(p->processes, p->nr_processes, r->pid);

		name_row(r, ps);
		derive(r, wall, ps ? &ps->counts : NULL);
	}
	derive(&o->total, wall, &p->total);
	qsort(o->threads, (size_t)o->nr_threads, sizeof(*o->threads), by_remote);
	qsort(o->processes, (size_t)o->nr_processes, sizeof(*o->processes), by_remote);
	return o;
}
