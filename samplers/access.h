/*
 * access.h - which mappings each process of the target actually accesses,
 * measured while it lives, with or without a PMU.
 *
 * Owns the referenced-bits method (the working-set method, any kernel, root
 * or the target's owner): write "1" to /proc/PID/clear_refs, let an interval
 * pass, read `Referenced:` of every mapping from /proc/PID/smaps, add it to
 * that mapping's accessed bytes, clear again.  It also probes what the
 * kernel offers besides (kernel.numa_balancing, whose hinting faults the
 * page-fault samples carry; DAMON under /sys/kernel/mm/damon/admin) so the
 * report can say which signal it used.  Results go downstream as
 * NL_REC_ACCESS records (sample.h), one per mapping ever seen, and one
 * NL_ACCESS_DENIED record for a process that refused the signal.
 *
 * Promises:
 *   1. Every /proc access goes through the nl_sys table (failures can be
 *      injected).  A process that refuses (EACCES/EPERM) is marked once,
 *      never retried, and keeps only the placement figure downstream.
 *   2. Memory grows with processes and distinct mappings, not with
 *      intervals.  Mappings that disappear keep what they accumulated.
 *   3. Clearing the referenced bits perturbs the kernel's page aging a
 *      little (pages look idle to reclaim right after each clear); the live
 *      source lets the user turn the method off.
 * Does not: decide data vs code, or weigh exposure (profiler/ does).
 */
#ifndef NUMALENS_ACCESS_H
#define NUMALENS_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_sys;

struct nl_access_stats {
	uint64_t clears, readings;     /* clear_refs writes, smaps reads */
	uint64_t denied, gone;         /* processes refused / exited */
	uint64_t errors;               /* other failed clears or readings */
	int last_error;                /* -errno of the last of those */
	uint64_t ns;                   /* time spent in both, CLOCK_MONOTONIC */
	bool numa_balancing;           /* kernel.numa_balancing != 0 */
	bool damon;                    /* /sys/kernel/mm/damon/admin exists */
};

struct nl_access;

/* NULL on -ENOMEM.  Probes numa_balancing and DAMON through sys. */
struct nl_access *access__new(const struct nl_sys *sys);
/* Frees ac and everything it keeps; NULL is fine. */
void access__free(struct nl_access *ac);

/* True when pid was started (successfully or refused). */
bool access__has(const struct nl_access *ac, int pid);
/*
 * Starts pid's first interval (clear_refs).  Returns 0, -ESRCH when it is
 * gone, or the -errno of a refusal (then pid is marked denied and later
 * calls for it do nothing).
 */
int access__start(struct nl_access *ac, int pid);
/*
 * Ends pid's current interval: reads smaps, adds each mapping's referenced
 * bytes, and, when again, clears for the next interval.  0 or -errno
 * (-ESRCH: gone, its counts are kept).  No-op for denied or unknown pids.
 */
int access__sample(struct nl_access *ac, int pid, bool again);
/*
 * True when pid has been read never yet and its first interval began at
 * least after_ns before now: the caller ends it early, so that a process
 * that exits before the next round of all (or the end of the profile)
 * still has one reading.
 */
bool access__first_due(const struct nl_access *ac, int pid, uint64_t now, uint64_t after_ns);
/*
 * Next NL_REC_ACCESS record (every mapping of every process, then done):
 * fills out and returns 1, or 0 at the end.  out->access.name stays valid
 * until access__free.
 */
int access__next(struct nl_access *ac, struct nl_record *out);
/*
 * An ended process, retired early (the live source, after its second of
 * grace): its records one by one (1, or 0 when done), then access__forget
 * frees what was kept of it.  Memory then follows the processes alive.
 */
int access__next_of(struct nl_access *ac, int pid, struct nl_record *out);
void access__forget(struct nl_access *ac, int pid);
/* The counts so far; valid until access__free. */
const struct nl_access_stats *access__stats(const struct nl_access *ac);

#endif
