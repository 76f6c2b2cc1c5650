/*
 * nodecount.h - the counted side of locality: node-loads / node-load-misses
 * (and the vendor fill events folded into them, samplers/counters.h) per
 * thread and per process, next to the sampled remote share.
 *
 * Owns: every number the report prints about counting events: scaled and
 * raw counts, the node-load miss ratio (remote loads / all node loads),
 * rates per second of the profile, the multiplex scaling factor, and the
 * verdict whether the counted ratio and the sampled remote share agree
 * within their error.
 *
 * Arithmetic (no interpolation hidden):
 *   - A record's values are scaled by its own time_enabled / time_running
 *     (perf stat's estimate) before they are added up; raw sums and the
 *     summed times are kept, so scaling = time_running / time_enabled.
 *   - loads = node-loads when counted, else local + remote fills.
 *   - Agreement: the sampled share of n resolved memory samples has a
 *     Wilson score interval (z = 2: center c, half-width h; a share of 0 or
 *     1 from few samples still has a width), the counted ratio r of N loads
 *     a binomial 2 sigma s = 2 sqrt(r(1-r)/N).  They disagree when
 *     |c - r| > sqrt(h^2 + s^2), the error reported.  Events of one
 *     group are co-scheduled: multiplexing scales loads and misses alike
 *     and leaves the ratio unbiased.
 *
 * Allocates per distinct thread, never per record.
 */
#ifndef NUMALENS_NODECOUNT_H
#define NUMALENS_NODECOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_profile;

enum nl_agreement {
	NL_AGREE_UNKNOWN = 0,   /* no sampled share or no counted loads */
	NL_AGREE_YES,           /* within the error */
	NL_AGREE_NO,            /* apart by more than the error */
};

struct nl_node_count_row {
	int32_t pid, tid;               /* tid == pid for processes and the total
					   row of one process; -1 for the total */
	char comm[32];
	bool has_stores;
	uint64_t loads, remote_loads;   /* scaled */
	uint64_t stores, remote_stores; /* scaled; 0 unless has_stores */
	uint64_t raw_loads, raw_remote_loads, raw_stores, raw_remote_stores;
	uint64_t time_enabled, time_running; /* ns, summed over threads */
	double miss_ratio;              /* remote_loads / loads, -1 unknown */
	double store_miss_ratio;        /* -1 unknown */
	double loads_per_s, remote_loads_per_s; /* per second of the profile */
	double scaling;                 /* time_running / time_enabled, -1 never ran */
	double sampled_remote;          /* sampled remote share, -1 none */
	uint64_t sampled_n;             /* resolved memory samples behind it */
	double error;                   /* the 2-sigma bound above, -1 unknown */
	enum nl_agreement agreement;
};

struct nl_node_counts {
	double wall_s;                  /* the profile's counting time */
	struct nl_node_count_row total;
	int nr_processes, nr_threads;
	struct nl_node_count_row *processes; /* most remote loads first */
	struct nl_node_count_row *threads;
};

struct nl_nodecount;

/* NULL on -ENOMEM. */
struct nl_nodecount *nodecount__new(void);
void nodecount__free(struct nl_nodecount *nc);
/* Accounts one NL_REC_COUNTS.  0 or -ENOMEM. */
int nodecount__add(struct nl_nodecount *nc, const struct nl_counts_event *e);
/*
 * Derives the rows (names, ratios, rates, agreement with the sampled shares
 * of p) and returns them, owned by nc; NULL when no counts were added or
 * on -ENOMEM.  Call once, after p is finished.
 */
const struct nl_node_counts *nodecount__finish(struct nl_nodecount *nc,
					       const struct nl_profile *p);

/* The agreement test alone (see the arithmetic above), for tests. */
enum nl_agreement nodecount__agree(uint64_t sampled_remote, uint64_t sampled_n,
				   double counted_ratio, uint64_t counted_loads,
				   double *error);

#endif
