/*
 * live_records.h - the live source's rings -> its queue of records.
 *
 * Owns: reading every ring round-robin into lv->q (invariant 3 of
 * live_internal.h: only when the queue is empty), decoding through the one
 * record parser (perf_record.h, trailers included), de-duplication by the
 * event family that delivered a record first (live.h promise 2), context
 * switches (to placement's runtime), the fault and page-allocation
 * tracepoint hits (consumed as they are read, never queued or recorded:
 * the pages they land go to placement's cache, faultnode.h, before the
 * batch is resolved), copying the records' strings into the
 * arena, resolving the batch's data page nodes (placement__resolve) and
 * Python frames (pyframes__resolve), then turning allocation probe hits
 * into NL_REC_ALLOC records (allocprobe.h): after the frames, so an
 * allocation carries its return hit's.  Allocates nothing per record.
 */
#ifndef NUMALENS_LIVE_RECORDS_H
#define NUMALENS_LIVE_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

struct live;
struct nl_task;

/* Waits up to timeout_ms for data, then refills the (empty) queue. */
void live_records__refill(struct live *lv, int timeout_ms);
/*
 * Python frames for samples still in the rings: when no refill ran for
 * LOOK_NS (the consumer or a snapshot holds the reader up), or `now`, reads the
 * frames of each Python thread with samples not yet looked at, now, for
 * when they are drained (pyframes__look).  Touches neither the queue nor
 * the rings' tails: callable between any two records, and between the
 * snapshots of attach, maintenance and stop.
 */
void live_records__look_ahead(struct live *lv, bool now);
/*
 * Hands one cached page node to the --record writer ctx (NL_FEAT_PAGE_NODES):
 * for each page at the end, and for a dead process' pages before placement
 * drops them (placement__process_exit), so the file keeps them all.
 */
/*
 * A task found gone whose EXIT record was lost (proctree__reap's gone): queues
 * a synthetic NL_REC_EXIT (time 0: unknown) through the same admission as a
 * real one, so placement, counters and the consumer retire the process.
 * With the queue full it does nothing: the next reap finds the task again.
 * Not written to --record (the file has only what the kernel handed over).
 */
void live_records__lost_exit(const struct nl_task *t, void *lv);
void live_records__page_to_writer(int pid, uint64_t page, int node, int method, void *ctx);

#endif
