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
/* Raises the reader's priority when allowed (after the command was forked). */
void live_run__boost_reader(struct live *lv);

#endif
