/*
 * placement.h - where the target's memory is and where its threads ran,
 * measured while the target lives.
 *
 * Owns four things the live source reports beside the samples:
 *   1. numa_maps snapshots: pages per node of every mapping of a process
 *      (/proc/PID/numa_maps, ranges and names from /proc/PID/maps), the
 *      first one of each process emitted as the start placement, the last
 *      one as the final placement (NL_REC_PLACEMENT).
 *   2. The node of each sampled data page: physical address when the
 *      sample has one (topology__node_of_phys), else move_pages(2) in query
 *      mode, batched per process, with a per-page cache; else the process'
 *      latest numa_maps snapshot when the mapping holds pages on one node
 *      only.  A negative move_pages status means "unknown" (counted by
 *      reason), never "unmapped".
 *   3. Node numastat counters (numa_hit, numa_miss, ...) at start and end.
 *   4. Runtime per thread and CPU from context-switch records
 *      (NL_REC_RUNTIME).
 *
 * Promises: placement__resolve() allocates nothing except when the page
 * cache grows with a new page (doubling); snapshots and runtime tables grow
 * only with processes, mappings and (tid, cpu) pairs.  Pages are counted in
 * base pages (a 2 MiB huge page counts 512).
 */
#ifndef NUMALENS_PLACEMENT_H
#define NUMALENS_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_sys;
struct nl_topology;

/* Why a data address got no node. */
enum nl_unresolved {
	NL_UNRES_NOT_PRESENT = 0, /* move_pages -ENOENT: page not resident */
	NL_UNRES_FAULT,           /* move_pages -EFAULT: the shared zero page (a
				     read first touch) or unmapped since */
	NL_UNRES_GONE,            /* the process had exited (-ESRCH) */
	NL_UNRES_DENIED,          /* move_pages -EPERM/-EACCES */
	NL_UNRES_NOT_USER,        /* not a user-space address */
	NL_UNRES_OTHER,           /* any other negative status */
	NL_UNRES_COUNT
};

struct nl_node_stats {
	uint64_t by_method[NL_NODE_METHOD_COUNT]; /* samples resolved per method */
	uint64_t unresolved[NL_UNRES_COUNT];      /* samples left unknown */
	uint64_t move_pages_calls, pages_queried;
	uint64_t cache_hits;
	uint64_t cache_flushes;  /* times the page cache hit its cap and was emptied */
	uint64_t pages_landed;   /* base pages cached by placement__page_landed */
};

/* One node's numastat delta over the profile. */
struct nl_numastat {
	int node;
	int64_t numa_hit, numa_miss, numa_foreign;
	int64_t interleave_hit, local_node, other_node;
};

struct nl_placement;

/* topo may be NULL (no phys lookup, node list from sysfs).  NULL on -ENOMEM. */
struct nl_placement *placement__new(const struct nl_sys *sys,
				    const struct nl_topology *topo);
/* Frees pl and everything it keeps; NULL is fine. */
void placement__free(struct nl_placement *pl);

/* --- numa_maps snapshots ------------------------------------------------ */

/*
 * Snapshots pid's numa_maps, replacing its previous snapshot (the first
 * one stays marked for start emission until placement__next_start()
 * consumed it).  Returns 0, -ESRCH when the process is gone (its last
 * snapshot is kept), -errno.
 */
int placement__snapshot(struct nl_placement *pl, int pid);
/*
 * Marks pid's current snapshot to be handed out again by
 * placement__next_start() (a refresh an interval consumer wants to see).
 * No-op when pid has none.
 */
void placement__reemit(struct nl_placement *pl, int pid);
/* True when pid has a snapshot. */
bool placement__has(const struct nl_placement *pl, int pid);
/*
 * Next start-placement record (a first snapshot not yet handed out):
 * fills out and returns 1, or 0 when none is pending.  out's pointers stay
 * valid until the next snapshot of that pid.
 */
int placement__next_start(struct nl_placement *pl, struct nl_record *out);
/*
 * Final-placement records: the latest snapshot of every process, each
 * mapping once, final = true.  1 and out filled, or 0 at the end.
 */
int placement__next_final(struct nl_placement *pl, struct nl_record *out);
/*
 * Retiring an ended process (after placement__process_exit's second of
 * grace): placement__retiring() names the next one (0: none); its final
 * records come from placement__next_final_of(), after any start records
 * still pending; placement__retired() then frees its snapshot and moves on.
 * Memory then follows the processes alive, not every one that ever lived.
 */
int placement__retiring(const struct nl_placement *pl);
int placement__next_final_of(struct nl_placement *pl, int pid, struct nl_record *out);
void placement__retired(struct nl_placement *pl);

/* --- data page nodes ------------------------------------------------------- */

/*
 * Sets mem_node / NL_SAMPLE_MEM_NODE / mem_node_method on the n samples
 * that have a data address (and no node yet), querying move_pages for the
 * pages not in the cache, one call per process.  n <= 1024.
 */
void placement__resolve(struct nl_placement *pl, struct nl_sample **samples, int n);
/*
 * Bounds the page cache (a daemon's memory): at most max pages (0:
 * unbounded, the default); a new page past it empties the cache first, so
 * every page is asked again once (one move_pages per batch and process).
 * Memory then stays under about 50 bytes per page of max.  Not for
 * --record, whose file gets the cache at the end.
 */
void placement__limit_pages(struct nl_placement *pl, uint32_t max);

/*
 * The pages [addr, addr + len) of pid landed on node as they were faulted
 * in (samplers/faultnode.h): cached as NL_NODE_PAGE_ALLOC, so the samples
 * on them need no move_pages, even once pid has exited.  A later landing
 * of the same page (a new mapping there, a migration) replaces it.
 */
void placement__page_landed(struct nl_placement *pl, int pid, uint64_t addr, uint64_t len,
			    int node);

/* The counts so far; valid until placement__free. */
const struct nl_node_stats *placement__node_stats(const struct nl_placement *pl);
/*
 * Walks the page cache: fn(pid, page, node, method) for every page
 * resolved by move_pages or numa_maps (for NL_FEAT_PAGE_NODES); page is the
 * first address of a page of placement__page_size bytes.
 */
uint64_t placement__page_size(const struct nl_placement *pl);
void placement__each_page(const struct nl_placement *pl,
			  void (*fn)(int pid, uint64_t page, int node, int method,
				     void *ctx),
			  void *ctx);

/* --- numastat -------------------------------------------------------------- */

/* Reads every node's numastat: the first call is the start, later ones the end. */
int placement__numastat(struct nl_placement *pl);
/* OUT: the deltas, one per node (valid until free).  Returns the count. */
int placement__numastat_delta(const struct nl_placement *pl,
			      const struct nl_numastat **out);

/* --- runtime --------------------------------------------------------------- */

/* The clock value at attach: tasks running then count from here. */
void placement__runtime_start(struct nl_placement *pl, uint64_t time);
/* A context switch of tid on cpu at time (out: switched out).  0 or -ENOMEM. */
int placement__switch(struct nl_placement *pl, int pid, int tid, int cpu,
		      uint64_t time, bool out);
/*
 * Process pid ended.  Once it has been gone for a second (checked at each
 * later exit and by placement__retire_due), so that samples still in other
 * CPUs' rings find them, its cached page nodes are dropped and it is queued
 * for retiring (above); keep (may be NULL) sees each dropped page first
 * (the --record file keeps them).  Memory then follows the processes alive,
 * not every process that ever lived (a DataLoader's churn).
 */
void placement__process_exit(struct nl_placement *pl, int pid,
			     void (*keep)(int pid, uint64_t page, int node, int method,
					  void *ctx),
			     void *ctx);
/* Queues the processes whose second of grace has passed (a tick calls it). */
void placement__retire_due(struct nl_placement *pl,
			   void (*keep)(int pid, uint64_t page, int node, int method,
					void *ctx),
			   void *ctx);
/* tid exited at time: closes its running interval. */
void placement__task_exit(struct nl_placement *pl, int tid, uint64_t time);
/* Closes every running interval at time (end of profile). */
void placement__runtime_stop(struct nl_placement *pl, uint64_t time);
/* Next NL_REC_RUNTIME record: 1 and out filled, or 0 at the end. */
int placement__next_runtime(struct nl_placement *pl, struct nl_record *out);
/*
 * An ended process, retired early (its tasks have exited, so each interval
 * is closed): its NL_REC_RUNTIME records one by one (1, or 0 when done),
 * then placement__runtime_forget drops its tasks and cells.  Run-time state
 * then follows the processes alive, not every task that ever ran.
 */
int placement__next_runtime_of(struct nl_placement *pl, int pid, struct nl_record *out);
void placement__runtime_forget(struct nl_placement *pl, int pid);

#endif
