/*
 * counters.h - counting events beside the samples: node-loads,
 * node-load-misses, node-stores, node-store-misses per task, as
 * `perf stat -e node-loads,... -p PID` counts them, or the vendor's local /
 * remote fill events where the kernel does not implement the generic ones
 * (AMD Zen).  The tables are data in samplers/events_*.c.
 *
 * Owns: choosing the counting group (generic first, then the vendor rows,
 * each opened once on numalens itself to see that the kernel takes it),
 * opening it on every task the live source attaches to, reading it, and
 * turning the values into NL_REC_COUNTS records (sample.h), one per thread.
 *
 * How the counts are taken (and why):
 *   - A task attached at the start (each thread of the tree, or the
 *     launched command) gets one group (pid = tid, cpu = -1, inherit = 1),
 *     read with PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING
 *     | ID: with inherit, whatever it creates is counted from its first
 *     instruction, so the sum over the attached tasks is the whole tree.
 *   - A task created later gets its own group (inherit = 0) as soon as the
 *     live source sees its FORK, read at every interval and once more at
 *     its EXIT (its count is final then); its values are taken off the
 *     attached task it descends from.  So every thread has its own row;
 *     what a new task counted between its fork and the open (up to one
 *     poll of the rings, ~100 ms) stays in the attached task's row, and
 *     the process and tree sums stay exact.
 *   - Why not inherit_stat and its PERF_RECORD_READ at exit: checked on
 *     Linux 6.18 with software events (tests/counters, mode "kernel"),
 *     per-CPU inherited groups with inherit_stat lost a child's counts
 *     from the tree total and returned values of one event in another's
 *     slot once the kernel swapped the contexts of parent and child
 *     (perf_event_sync_stat pairs events by list position); without
 *     inherit_stat the totals add up.
 *   - Values are taken from a read by id, not by position.
 *
 * Promises: never fatal.  When no counter can be opened here (no PMU,
 * perf_event_paranoid), counters__new returns NULL and one note saying
 * why; everything else goes on.  Memory and descriptors grow with the
 * tasks alive, not with reads.
 */
#ifndef NUMALENS_COUNTERS_H
#define NUMALENS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_sys;

#define NL_CTR_MAX 6            /* events in one counting group */

struct nl_counters_options {
	const struct nl_sys *sys;
	const char *sysfs;              /* "/sys" */
	const char *cpuinfo;            /* "/proc/cpuinfo" */
	bool exclude_kernel;            /* user-space only (paranoid 2) */
	bool enable_on_exec;            /* launch mode: start with the exec */
};

struct nl_counters_stats {
	uint64_t tasks;                 /* attached tasks the group was opened on */
	uint64_t new_tasks;             /* tasks created later, opened on their FORK */
	uint64_t reads;                 /* group reads */
	uint64_t open_errors;           /* tasks the group could not be opened on */
};

struct nl_counters;

/*
 * Chooses and probes the counting group.  OUT: *out, or NULL when no
 * counter runs here, with note (one line, "object: cause - fix") filled.
 * Returns 0 (also when *out is NULL) or -ENOMEM.
 */
int counters__new(const struct nl_counters_options *o, struct nl_counters **out,
		  char *note, size_t note_size);
void counters__free(struct nl_counters *c);

/* Writes the events' names and origin into info (counter_events, _origin). */
void counters__describe(const struct nl_counters *c, struct nl_source_info *info);

/* Descriptors one task costs, for the open-file budget. */
unsigned counters__fds_per_task(const struct nl_counters *c);

/*
 * Opens the inherited group on task tid of process pid, attached at the
 * start, and enables it (unless enable_on_exec).  Returns 0, -ESRCH (the
 * task is gone; nothing kept) or -errno (nothing kept; stats.open_errors).
 */
int counters__open_task(struct nl_counters *c, int pid, int tid);

/*
 * A task created during the profile (its FORK was seen): opens its own
 * group (not inherited) and takes its counts off owner_tid's row, the
 * attached task whose events delivered the FORK.  A tid already known is
 * ignored.  Returns 0 or -errno as counters__open_task.
 */
int counters__open_new(struct nl_counters *c, int pid, int tid, int owner_tid);

/* The task's EXIT was seen: reads it a last time and closes its group. */
void counters__task_exit(struct nl_counters *c, int tid);

/* Reads every group (interval reading); now: CLOCK_MONOTONIC ns. */
void counters__read(struct nl_counters *c, uint64_t now);

/* Disables every group and reads it a last time. */
void counters__stop(struct nl_counters *c, uint64_t now);

/*
 * The per-thread records, after stop: 1 with *out filled (NL_REC_COUNTS),
 * 0 when all were handed out.
 */
int counters__next(struct nl_counters *c, struct nl_record *out);

const struct nl_counters_stats *counters__stats(const struct nl_counters *c);

/* --- exposed for tests --------------------------------------------------- */

/* One group read, decoded. */
struct nl_group_read {
	uint64_t time_enabled, time_running;
	uint32_t nr;
	uint64_t value[NL_CTR_MAX], id[NL_CTR_MAX];
};

/*
 * Decodes a read() buffer of a group (read_format GROUP | TOTAL_TIME_ENABLED
 * | TOTAL_TIME_RUNNING | ID).  Returns 0 or -EINVAL (short, nr > NL_CTR_MAX).
 */
int counters__decode_group(const void *buf, size_t len, struct nl_group_read *out);
/*
 * value scaled for multiplexing: value * enabled / running (the estimate
 * perf stat prints); value itself when running == enabled; 0 when the
 * events never ran (running 0).
 */
uint64_t counters__scale(uint64_t value, uint64_t enabled, uint64_t running);

#endif
