/*
 * interval.h - the profile cut into intervals while it runs (`profile
 * --interval SEC`, `serve`): a second aggregate per interval beside the
 * drain's own, finished at each boundary into a metrics model
 * (profiler/metrics.h) handed to the caller.
 *
 * Owns the interval aggregates, the wall clock that cuts them, what an
 * interval inherits from the ones before, and the totals since the start.
 * It is an observer of the drain (analysis.h: struct nl_analysis_tap); it
 * renders nothing.
 *
 * Invariants:
 *   1. Every record the drain sees goes into exactly one interval, so the
 *      counts of the intervals add up to the whole profile's (samples,
 *      memory samples by locality, lost).
 *   2. Interval ends lie on a fixed grid, origin + k * seconds on the
 *      monotonic clock (a live source asked for tick_grid ticks there, so
 *      an idle target is cut on time too): an interval ends at the first
 *      record (an NL_REC_TICK is one) at or after its grid point, and the
 *      next one ends at the next grid point after that; a cut late by more
 *      than an interval skips the points it missed, never shifts the grid.
 *      Start and end in the metrics are the real cuts (seconds since the
 *      origin); intervals__flush() ends the last one, however short.
 *   3. A new interval aggregate first gets a FORK and a COMM per process
 *      known so far, so names, parents and roles hold across intervals.
 *   4. Placement and exposure are gauges: a process with no placement in
 *      an interval (the live source refreshes numa_maps within its budget,
 *      not at every interval) keeps its latest known exposure and pages;
 *      a process that exited drops out of the pages.
 *   5. Memory grows with distinct processes and nodes, not with intervals.
 */
#ifndef NUMALENS_INTERVAL_H
#define NUMALENS_INTERVAL_H

#include <stddef.h>

#include "profiler/metrics.h"

struct nl_intervals;
struct nl_record;
struct nl_topology;

/* Called with each finished interval; m is valid during the call only. */
typedef void (*nl_interval_fn)(void *ctx, const struct nl_metrics *m);

/*
 * Intervals of seconds (> 0; >= 1e9: one interval, ended by flush) over
 * topo (borrowed; may be NULL), top
 * processes as rows of their own (metrics.h), each handed to emit(ctx, m).
 * The grid starts at origin_ns (CLOCK_MONOTONIC; 0 or later than now: now),
 * e.g. live__start_ns() of the source.  NULL on -ENOMEM.
 */
struct nl_intervals *intervals__new(const struct nl_topology *topo, double seconds, int top,
				    uint64_t origin_ns, nl_interval_fn emit, void *ctx);
void intervals__free(struct nl_intervals *iv);

/* Accounts rec (the tap of analysis.h; ctx is the struct nl_intervals).
   0 or -ENOMEM. */
int intervals__record(void *iv, const struct nl_record *rec, int locality);

/* Ends the current interval now (the drain ended).  0 or -ENOMEM. */
int intervals__flush(struct nl_intervals *iv);

/* Processes it keeps a state for (invariant 5: the live ones and the
   recently gone). */
size_t intervals__nr_tracked(const struct nl_intervals *iv);

/*
 * Seeds the totals (serve: a restarted target keeps its counters growing)
 * and the next interval number.  Call before the first record.
 */
void intervals__continue_from(struct nl_intervals *iv, const struct nl_metrics *last);

#endif
