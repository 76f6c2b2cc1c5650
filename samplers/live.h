/*
 * live.h - the live source: samples of a running process tree, read from
 * perf_event rings while it runs (`numalens profile -p PID`,
 * `numalens profile -- CMD`).
 *
 * Owns: attaching to the whole target tree (every thread of the process,
 * every descendant process, and whatever they create later), the choice of
 * events (events.h), the per-CPU rings (ring.h), and what is measured
 * beside the samples (placement.h: data page nodes, numa_maps snapshots,
 * numastat, runtime) and the access signal (access.h).  Produces struct nl_record like every source
 * (sample.h); optionally writes them as a perf.data (perfdata_writer.h).
 *
 * Promises:
 *   1. Tasks that existed before attach get synthetic FORK (with ppid) and
 *      COMM records before any of their samples, parents first; tasks
 *      created later come with the kernel's FORK/COMM/EXIT.
 *   2. A task covered twice (created while its parent was being attached)
 *      is counted once: records are kept only from the first event family
 *      that delivered them (stats: live__stats()->duplicates).
 *   3. next() returns 0 once the profile ends: the stop flag, the duration,
 *      the whole tree exiting (attach) or the command exiting (launch).
 *      Before that it drains what the rings hold and hands out the final
 *      placement snapshot and the runtime records.  It waits at most
 *      ~100 ms for data, so the stop flag is seen promptly.
 *   4. Lost and throttled samples are records (NL_REC_LOST, THROTTLE) and
 *      counted in stats.
 *   5. Ring parsing allocates nothing per sample.
 */
#ifndef NUMALENS_LIVE_H
#define NUMALENS_LIVE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "samplers/base/diag.h"
#include "samplers/placement.h"
#include "samplers/sample.h"

struct nl_sys;

struct nl_live_options {
	int pid;                /* -p: root process of the tree, 0 none */
	int tid;                /* -t: one thread (and what it creates), 0 none */
	char *const *argv;      /* launch mode: the command, NULL none */
	double duration;        /* -d seconds from the end of attach and setup (the
				   run loop's start); 0: until the target ends */
	unsigned freq;          /* -F Hz for sampling events (0: 1000) */
	uint64_t period;        /* -c period, overrides freq */
	unsigned ldlat;         /* --ldlat cycles (0: 30 on Intel) */
	unsigned ring_pages;    /* data pages per CPU ring, a power of two
				   (0: 64 MiB over the CPUs, 512 KiB-8 MiB each) */
	volatile sig_atomic_t *stop; /* set asynchronously to end; may be NULL */
	const struct nl_sys *sys;    /* NULL: sys__default() */
	const char *record_path;     /* --record FILE, NULL none */
	const char *cmdline;         /* numalens' command line, for the info */
	bool counters_only;          /* count node-loads & co., sample nothing */
	bool verbose;
	bool callchain;              /* --call-graph fp: PERF_SAMPLE_CALLCHAIN on
					every event (user and kernel frames) */
	bool no_access;              /* --no-access: no referenced-bits signal */
	uint32_t stack_user;         /* --call-graph dwarf[,SIZE]: bytes of user
					stack copied with every sample (a
					multiple of 8), with the user regs and
					the kernel callchain; 0 none */
	bool ticks;                  /* hand out NL_REC_TICK after each poll */
	double tick_grid;            /* seconds, with ticks: also a tick at each
					start + k * tick_grid (live__start_ns),
					the poll waiting no longer than the next
					one, so a consumer cutting intervals on
					that grid cuts on time, idle or busy;
					0 none */
	double refresh;              /* seconds between placement refreshes (0:
					5 s); the budget (SNAPSHOT_BUDGET times
					their cost) still bounds it.  With it set,
					each refresh is also handed out as
					non-final NL_REC_PLACEMENT records */
	bool no_alloc_sites;         /* --alloc-sites=none: no allocator probes */
	bool alloc_malloc;           /* --alloc-sites=malloc: malloc & co. too */
	bool alloc_uprobes;          /* --alloc-sites=mmap-uprobes: the mmap family
					by libc uprobes, not syscall tracepoints */
	uint64_t alloc_min;          /* --alloc-min: smaller malloc calls dropped */
	bool no_python;              /* --no-python-frames: CPython frames not read */
	bool page_landing;           /* --page-landing: the default, except with
					stack_user (--call-graph dwarf), where only
					this turns it on */
	bool no_page_landing;        /* --no-page-landing: no nodes of new pages from tracefs */
	uint32_t max_cached_pages;   /* page -> node cache cap (placement__limit_pages),
					0 unbounded; ignored with record_path */
};

struct nl_live_stats {
	uint64_t tasks_opened;  /* tasks events were opened on directly */
	uint64_t fds;           /* event descriptors open */
	uint64_t duplicates;    /* records dropped: task followed twice */
	uint64_t foreign;       /* per-CPU event samples of other processes */
	uint64_t switches;      /* context-switch records accounted */
	uint64_t framing_errors;/* ring framing lost (records dropped) */
	const struct nl_node_stats *nodes; /* data page node resolution */
	const struct nl_numastat *numastat; /* per-node deltas over the profile */
	int nr_numastat;
	int nr_tasks;           /* tasks seen (attached or created later) */
	int nr_cpus;            /* rings */
};

/*
 * Attaches to the target (or starts the command with the events armed)
 * and returns the source.  OUT: *out.  Returns 0, or -errno with *err
 * filled (its object names what failed: "pid 42", "perf_event_open", "open
 * files") and *out NULL; in launch mode the command is not left running.
 * Notes about paths that cannot run here go to diag__note.
 */
int live__open(const struct nl_live_options *o, struct nl_source **out,
	       struct nl_error *err);

/* When the profile started (CLOCK_MONOTONIC ns): the origin of tick_grid. */
uint64_t live__start_ns(const struct nl_source *src);

/*
 * --record: writes the features and the header once next() has returned 0
 * (close does it too, silently).  Returns 0, or the first write -errno.
 */
int live__end_record(struct nl_source *src);

/*
 * Launch mode: the command's exit status as a shell reports it (0-255,
 * 128+N after signal N), once next() has returned 0; -1 otherwise.
 */
int live__exit_status(const struct nl_source *src);

/* What the live source did (attach, de-duplication, node resolution);
   valid until close, final once next() has returned 0. */
const struct nl_live_stats *live__stats(const struct nl_source *src);

#endif
