/*
 * metrics.c - a finished profile reduced to bounded series.  See metrics.h.
 */
#include "profiler/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/smt.h"
#include "samplers/base/map.h"
#include "samplers/base/topology.h"

const char *metrics__role_name(enum nl_role role)
{
	static const char *const names[NL_ROLE_COUNT] = { "main", "worker", "other" };

	return role < NL_ROLE_COUNT ? names[role] : "other";
}

/* The root of the tree, as compare.h defines it: parent not in the
   profile, most children, then most samples.  -1 when there is none.
   Linear: one map of the pids (a profile of a whole machine holds
   thousands of processes). */
static int32_t main_pid(const struct nl_profile *p)
{
	struct nl_map index = { 0 };
	uint64_t *children = calloc((size_t)p->nr_processes + 1, sizeof(*children));
	int best = -1;
	uint64_t at, best_children = 0;

	for (int i = 0; children && i < p->nr_processes; i++)
		if (map__put(&index, (uint64_t)(uint32_t)p->processes[i].pid, 0, (uint64_t)i))
			goto out;
	for (int i = 0; children && i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		if (t->ppid != t->pid && map__get(&index, (uint64_t)(uint32_t)t->ppid, 0, &at))
			children[at]++;
	}
	for (int i = 0; children && i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		if (t->ppid != t->pid && map__get(&index, (uint64_t)(uint32_t)t->ppid, 0, NULL))
			continue;
		if (best < 0 || children[i] > best_children ||
		    (children[i] == best_children &&
		     t->counts.samples > p->processes[best].counts.samples)) {
			best = i;
			best_children = children[i];
		}
	}
out:
	map__free(&index);
	free(children);
	return best < 0 ? -1 : p->processes[best].pid;
}

static void counts_sum(struct nl_counts *to, const struct nl_counts *c)
{
	to->samples += c->samples;
	to->memory += c->memory;
	to->local += c->local;
	to->remote += c->remote;
	to->unresolved += c->unresolved;
}

static double smt_corun(const struct nl_profile *p)
{
	const struct nl_smt_result *r = p->smt;

	if (!r || !r->has_smt || r->busy_tasks <= 0)
		return -1;
	return (double)r->busy_shared_half / r->busy_tasks;
}

/* Pages of every placed mapping of every process, by node index. */
static int fill_pages(const struct nl_profile *p, struct nl_metrics *out)
{
	int n = p->nr_nodes;

	out->nr_nodes = n;
	out->node_ids = calloc((size_t)n + 1, sizeof(int));
	out->pages_by_node = calloc((size_t)n + 1, sizeof(uint64_t));
	if (!out->node_ids || !out->pages_by_node)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		out->node_ids[i] = p->topology ? p->topology->nodes[i].id : i;
	out->node_ids[n] = -1;
	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		for (int m = 0; m < t->nr_mappings; m++) {
			const struct nl_mapping_stats *ms = &t->mappings[m];

			if (!ms->placed || !ms->pages_by_node)
				continue;
			out->has_pages = true;
			for (int k = 0; k <= n; k++)
				out->pages_by_node[k] += ms->pages_by_node[k];
		}
	}
	return 0;
}

static void fill_procs(const struct nl_profile *p, int top,
		       double (*exposure_of)(void *ctx, const struct nl_task_stats *t), void *ctx,
		       struct nl_metrics *out)
{
	int32_t root = main_pid(p);
	struct nl_metrics_proc bucket[NL_ROLE_COUNT];
	double weight[NL_ROLE_COUNT] = { 0 }, sum[NL_ROLE_COUNT] = { 0 };
	int rows = 0;

	memset(bucket, 0, sizeof(bucket));
	for (int r = 0; r < NL_ROLE_COUNT; r++) {
		bucket[r].pid = bucket[r].ppid = -1;
		bucket[r].role = (enum nl_role)r;
		bucket[r].remote_exposure = -1;
		snprintf(bucket[r].comm, sizeof(bucket[r].comm), "other");
	}
	out->worst = -1;
	/* processes come sorted by memory samples: the first top are rows */
	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];
		enum nl_role role = t->pid == root ? NL_ROLE_MAIN
				    : root >= 0 && t->ppid == root ? NL_ROLE_WORKER : NL_ROLE_OTHER;
		double exposure = exposure_of ? exposure_of(ctx, t) : t->remote_exposure;
		struct nl_metrics_proc *row;

		if (exposure < -1 || (!t->counts.samples && exposure < 0))
			continue;       /* forgotten, or nothing of it in this interval */
		out->nr_processes += t->counts.samples > 0;
		if (rows < top) {
			row = &out->procs[rows++];
			row->pid = t->pid;
			row->ppid = t->ppid;
			snprintf(row->comm, sizeof(row->comm), "%s", t->comm);
			row->role = role;
			row->nr_merged = 1;
			row->counts = t->counts;
			row->remote_exposure = exposure;
			if (exposure >= 0 &&
			    (out->worst < 0 || exposure > out->procs[out->worst].remote_exposure))
				out->worst = rows - 1;
			continue;
		}
		row = &bucket[role];
		row->nr_merged++;
		counts_sum(&row->counts, &t->counts);
		if (exposure >= 0) {
			double w = t->counts.memory ? (double)t->counts.memory : 1;

			weight[role] += w;
			sum[role] += w * exposure;
		}
	}
	for (int r = 0; r < NL_ROLE_COUNT; r++) {
		if (!bucket[r].nr_merged)
			continue;
		if (weight[r] > 0)
			bucket[r].remote_exposure = sum[r] / weight[r];
		out->procs[rows++] = bucket[r];
	}
	out->nr_procs = rows;
}

int metrics__from_profile(const struct nl_profile *p, int top, struct nl_metrics *out)
{
	return metrics__build(p, top, NULL, NULL, out);
}

int metrics__build(const struct nl_profile *p, int top,
		   double (*exposure_of)(void *ctx, const struct nl_task_stats *t), void *ctx,
		   struct nl_metrics *out)
{
	memset(out, 0, sizeof(*out));
	if (top < 1)
		top = 1;
	out->counts = p->total;
	out->total = p->total;
	out->lost = out->total_lost = p->lost;
	out->throttles = p->throttles;
	out->end = (double)p->nr_timeline * p->timeline_step;
	out->remote_ratio = counts__remote_ratio(&p->total);
	out->smt_corun = smt_corun(p);
	out->procs = calloc((size_t)(p->nr_processes < top ? p->nr_processes : top) + NL_ROLE_COUNT,
			    sizeof(*out->procs));
	if (!out->procs || fill_pages(p, out)) {
		metrics__free(out);
		return -ENOMEM;
	}
	fill_procs(p, top, exposure_of, ctx, out);
	return 0;
}

void metrics__free(struct nl_metrics *m)
{
	free(m->procs);
	free(m->node_ids);
	free(m->pages_by_node);
	memset(m, 0, sizeof(*m));
}
