/*
 * live_run.h - the state machine behind the live source's next().
 *
 * Owns: the states SYNTH -> RUN -> DRAIN -> FINAL -> RUNTIME -> DONE
 * (invariant 2 of live_internal.h), maintenance between queue batches
 * (snapshots, reaping, the launched child), the stop conditions, draining,
 * and the counters published into the source stats.
 */
#ifndef NUMALENS_LIVE_RUN_H
#define NUMALENS_LIVE_RUN_H

#include "samplers/sample.h"

struct live;
struct nl_source;

/* The source's next(): 1 (out filled) or 0 (the profile ended). */
int live_run__next(struct nl_source *src, struct nl_record *out);
/* Reaps the launched command (waitpid options), keeping its status. */
void live_run__reap_child(struct live *lv, int options);
/* Starts pid's access signal (clear_refs); notes the first refusal, once. */
void live_run__access_begin(struct live *lv, int pid);
/*
 * Schedules the next access interval: SNAPSHOT_MIN_NS and SNAPSHOT_BUDGET
 * times what the access signal cost since ns_before (its stats clock).
 */
void live_run__access_budget(struct live *lv, uint64_t now, uint64_t ns_before);
/* Raises the reader's priority when allowed (after the command was forked). */
void live_run__boost_reader(struct live *lv);
/* The least time between two refreshes of every snapshot: opt.refresh
   when set and shorter than SNAPSHOT_MIN_NS, else SNAPSHOT_MIN_NS. */
uint64_t live_run__refresh_ns(const struct live *lv);

#endif
