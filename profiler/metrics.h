/*
 * metrics.h - the metrics model: what one interval (or a whole profile)
 * says as a handful of numbers, for the time-series renderers (the
 * interval line, numalens.interval/1 JSON lines, the Prometheus
 * exposition: report/interval_render.h, report/openmetrics.h).
 *
 * Owns the reduction of a finished profile to a bounded set of series:
 * the locality counts, the remote ratio, the HT co-run share, resident
 * pages per node, and per process remote exposure for the top N processes
 * by memory samples plus one "other" bucket per role (main, worker,
 * other), so 90 short-lived workers never become 90 series.  Roles are the
 * ones `numalens diff` matches by (profiler/compare.h): main is the root of
 * the profiled tree, workers its children, other the rest.
 *
 * Promises: metrics__from_profile() reads only the profile; the model owns
 * its arrays (metrics__free) and points at nothing else.  Values a profile
 * cannot give are -1 (ratios) or has_pages = false, never 0.
 */
#ifndef NUMALENS_METRICS_H
#define NUMALENS_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/aggregate.h"

enum nl_role { NL_ROLE_MAIN = 0, NL_ROLE_WORKER, NL_ROLE_OTHER, NL_ROLE_COUNT };

struct nl_metrics_proc {
	int32_t pid;            /* -1: the bucket of the role's other processes */
	int32_t ppid;           /* -1 unknown (and for buckets) */
	char comm[32];          /* "other" for buckets */
	enum nl_role role;
	int nr_merged;          /* processes in this row (1, or a bucket's count) */
	struct nl_counts counts;
	double remote_exposure; /* 0..1; buckets: memory-sample weighted mean;
				   -1 unknown */
};

struct nl_metrics {
	int index;              /* interval number from 1; 0: the whole profile */
	double start, end;      /* seconds since the profile began */
	struct nl_counts counts;/* in this interval (deltas) */
	uint64_t lost, throttles;
	struct nl_counts total; /* since the profile began: the counters */
	uint64_t total_lost;
	double remote_ratio;    /* remote / (local + remote) in the interval, -1 none */
	double smt_corun;       /* busy tasks sharing a core >= 50 % of their run
				   time over busy tasks, -1 unknown */
	int nr_processes;       /* processes with samples in the interval */
	int nr_nodes;
	int *node_ids;          /* nr_nodes ids; pages_by_node has one more: a
				   node the topology lacks (id -1) */
	uint64_t *pages_by_node;/* resident pages of the target, latest known */
	bool has_pages;
	int nr_procs;           /* top processes first (most memory samples), then
				   the buckets that hold something */
	struct nl_metrics_proc *procs;
	int worst;              /* index in procs of the highest known exposure
				   among real processes, -1 none */
};

/* Role names: "main", "worker", "other". */
const char *metrics__role_name(enum nl_role role);

/*
 * Fills *out (OUT) from p keeping top processes (>= 1) as rows of their own.
 * Counters and totals are p's; index 0, times from p's timeline.  Returns 0
 * or -ENOMEM (*out then zeroed).
 */
int metrics__from_profile(const struct nl_profile *p, int top, struct nl_metrics *out);

/*
 * metrics__from_profile() where a process's exposure may come from
 * elsewhere: exposure_of(ctx, t) returns the exposure to use for t (its
 * own, or the latest known: interval.h), -1 unknown, below -1 to leave t
 * out (a process exited long ago).  exposure_of NULL: t's own.
 */
int metrics__build(const struct nl_profile *p, int top,
		   double (*exposure_of)(void *ctx, const struct nl_task_stats *t), void *ctx,
		   struct nl_metrics *out);

/* Frees what *m owns; a zeroed *m is fine.  Leaves *m zeroed. */
void metrics__free(struct nl_metrics *m);

#endif
