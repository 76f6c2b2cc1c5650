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
 *   - One group per task and CPU (pid = tid, cpu = c, inherit = 1,
 *     inherit_stat = 1), read with PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED |
 *     TOTAL_TIME_RUNNING | ID.  Per CPU because the kernel refuses to mmap
 *     an inherited cpu = -1 event, and a task's last values only reach user
 *     space as PERF_RECORD_READ in a ring: with inherit_stat the kernel
 *     writes one READ record per event when an inherited task exits, into
 *     the ring of the CPU the copy belongs to (the live source's rings, by
 *     PERF_EVENT_IOC_SET_OUTPUT on every member).  The first of a copy holds
 *     the whole group, later ones what is left of it once members detach
 *     (seen on 6.x): each value is taken once per copy.
 *   - Times: every CPU copy of a task's event has the task's whole
 *     time_enabled, and time_running only for that CPU, so a task's values
 *     are the sum over its copies, time_running the sum, time_enabled the
 *     largest (checked on this kernel with task-clock).
 *   - An attached task's group also holds what its inherited descendants
 *     counted (exited ones and, while they run, live ones).  The READ
 *     records of exited descendants are subtracted from it, so each thread
 *     row is its own; descendants still running at the end stay in the row
 *     of the attached task they came from (the process sums are exact).
 *   - Groups are read at every call of counters__read (the live source's
 *     maintenance tick) and once more after they are disabled at the end.
 *
 * Promises: never fatal.  When no counter can be opened here (no PMU,
 * perf_event_paranoid), counters__new returns NULL and one note saying
 * why; everything else goes on.  Nothing is allocated per READ record once
 * a task has been seen.
 */
#ifndef NUMALENS_COUNTERS_H
#define NUMALENS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_sys;
struct perf_event_header;
struct nl_ringset;

#define NL_CTR_MAX 6            /* events in one counting group */

struct nl_counters_options {
	const struct nl_sys *sys;
	const char *sysfs;              /* "/sys" */
	const char *cpuinfo;            /* "/proc/cpuinfo" */
	bool exclude_kernel;            /* user-space only (paranoid 2) */
	bool enable_on_exec;            /* launch mode: start with the exec */
	const struct nl_ringset *rings; /* one per CPU: SET_OUTPUT targets */
};

struct nl_counters_stats {
	uint64_t tasks;                 /* tasks the group was opened on */
	uint64_t reads;                 /* group reads */
	uint64_t exit_records;          /* READ records of exiting tasks */
	uint64_t unknown_records;       /* READ records of no group of ours */
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

/* Descriptors one task costs (events x CPUs), for the open-file budget. */
unsigned counters__fds_per_task(const struct nl_counters *c);

/*
 * Opens the group on every CPU for task tid of process pid and enables it
 * (unless enable_on_exec).  Returns 0, -ESRCH (the task is gone; nothing
 * kept) or -errno (nothing kept; counted in stats.open_errors).
 */
int counters__open_task(struct nl_counters *c, int pid, int tid);

/*
 * Takes one record from a ring.  Returns true when it was a READ record of
 * this module (then consumed), false for anything else.
 */
bool counters__on_record(struct nl_counters *c, const struct perf_event_header *h);

/* Reads every group (interval reading); now: CLOCK_MONOTONIC ns. */
void counters__read(struct nl_counters *c, uint64_t now);

/* Disables every group and reads it a last time; READ records may follow. */
void counters__stop(struct nl_counters *c, uint64_t now);

/*
 * The per-thread records, once the rings are drained after stop: 1 with
 * *out filled (NL_REC_COUNTS), 0 when all were handed out.
 */
int counters__next(struct nl_counters *c, struct nl_record *out);

const struct nl_counters_stats *counters__stats(const struct nl_counters *c);

/* --- exposed for tests --------------------------------------------------- */

/* One group read or READ record, decoded. */
struct nl_group_read {
	uint32_t pid, tid;              /* READ records only */
	uint64_t time_enabled, time_running;
	uint32_t nr;
	uint64_t value[NL_CTR_MAX], id[NL_CTR_MAX];
};

/*
 * Decodes a read() buffer of a group (read_format GROUP | TOTAL_TIME_ENABLED
 * | TOTAL_TIME_RUNNING | ID).  Returns 0 or -EINVAL (short, nr > NL_CTR_MAX).
 */
int counters__decode_group(const void *buf, size_t len, struct nl_group_read *out);
/* Decodes a PERF_RECORD_READ of that read_format.  0 or -EINVAL. */
int counters__decode_read_record(const struct perf_event_header *h, struct nl_group_read *out);

/*
 * value scaled for multiplexing: value * enabled / running (the estimate
 * perf stat prints); value itself when running == enabled; 0 when the
 * events never ran (running 0).
 */
uint64_t counters__scale(uint64_t value, uint64_t enabled, uint64_t running);

#endif
