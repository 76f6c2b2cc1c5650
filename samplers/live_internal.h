/*
 * live_internal.h - the state of the live source, shared by its modules.
 * Not for use outside samplers/live*.c.
 *
 * The live source is four modules around one struct live:
 *   live.c          open and close: setup, the source info, --record, and
 *                   the public live__* calls (live.h)
 *   live_attach.c   events and descriptors; attaching to the tree
 *                   (live_attach.h)
 *   live_records.c  the rings -> decoded, de-duplicated records in the
 *                   queue (live_records.h)
 *   live_run.c      the state machine behind next(): maintenance, stop,
 *                   drain, final records (live_run.h)
 *
 * Lifecycle of struct live (invariants):
 *   1. After live__open every event fd is open, redirected to its CPU's
 *      ring (SET_OUTPUT) and enabled, or armed with enable_on_exec in
 *      launch mode; its id is known to the decoder (set), to the writer
 *      (ev[].ids) and to the tree (the tid it was opened on).
 *   2. state only moves forward:
 *        SYNTH   synthetic FORK/COMM/MMAP of the tasks found at attach
 *        RUN     queue served, refilled from the rings (refill) until a
 *                stop condition (should_stop) holds
 *        DRAIN   events disabled and final snapshots taken (begin_drain);
 *                rings read until empty
 *        FINAL   final placement records, then RUNTIME records
 *        DONE    next() returns 0 for ever
 *   3. q[q_head, q_len) are records not handed out yet; their strings and
 *      their samples' callchains, user regs and stacks live in arena (the
 *      ring slots are released before the records are handed out); the queue is refilled only when empty, so a record's
 *      pointers stay valid until the next call of next().
 *   4. Start placement records are handed out only between two queue
 *      batches, and snapshots are only taken then (maintenance).
 */
#ifndef NUMALENS_LIVE_INTERNAL_H
#define NUMALENS_LIVE_INTERNAL_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>

#include "samplers/allocprobe.h"
#include "samplers/events.h"
#include "samplers/faultnode.h"
#include "samplers/live.h"
#include "samplers/perf_record.h"
#include "samplers/proctree.h"
#include "samplers/ring.h"

#define QCAP 1024
#define ARENA_SIZE (4 * 1024 * 1024)
#define ARENA_RESERVE (66 * 1024) /* what one record can put in the arena: a
				     string, or a sample's callchain, user
				     regs and stack (records are <= 64 KiB) */
#define POLL_MS 100
#define PY_POLL_MS 10           /* with CPython targets (pyframes.h) */
#define LOOK_NS 10000000ull     /* no refill for this long: look ahead (pyframes) */
#define TICK_NS 250000000ull
/*
 * numa_maps makes the kernel walk a process's page tables: its cost grows
 * with resident memory.  New processes get their first
 * snapshot at once; refreshing all of them (for those that may exit before
 * the final snapshot) waits at least SNAPSHOT_MIN_NS and SNAPSHOT_BUDGET
 * times what the last refresh cost, so snapshots stay under 2% of a CPU.
 */
#define SNAPSHOT_MIN_NS 5000000000ull
#define SNAPSHOT_BUDGET 50
/* A process' first access interval ends after this, whatever the budget:
   a worker that exits before the next round (or before a slow drain
   reaches it) still has one reading - a second, so a worker living
   a few seconds has it even when the tree saw its fork late.  One smaps
   read per process. */
#define ACCESS_FIRST_NS 1000000000ull
#define REAP_NS 1000000000ull           /* look for exited processes */
#define TRIM_NS 10000000000ull          /* hand freed heap back to the kernel */
/* The reader must keep up with rings filled by many busy tasks: it asks
   for this nice value when allowed (root or CAP_SYS_NICE). */
#define READER_NICE (-10)
#define RESCANS 5

enum state { ST_SYNTH, ST_RUN, ST_DRAIN, ST_FINAL, ST_RUNTIME, ST_DONE };

struct live_event {
	struct nl_ev_spec spec;
	struct perf_event_attr attr;
	uint64_t *ids;
	uint32_t nr_ids;
	size_t cap_ids;
};

struct live {
	struct nl_source base;          /* first: the source contract */
	struct nl_live_options opt;
	const struct nl_sys *sys;
	enum state state;
	/* events and descriptors */
	int nr_events;
	struct live_event ev[NL_EV_MAX];
	struct nl_event_desc desc[NL_EV_MAX];
	struct perf_event_set set;
	int nr_notes;                   /* printed once attached */
	char notes[NL_EV_MAX][200];
	int skipped;                    /* tasks refused (EACCES) after the first */
	int *fds;
	uint32_t nr_fds;
	size_t cap_fds;
	struct nl_ringset rs;           /* one ring per online CPU */
	/* target */
	struct nl_proctree *tree;
	struct nl_placement *pl;
	struct nl_access *ac;           /* referenced bits; NULL when turned off */
	struct nl_topology *topo;
	struct nl_spawn child;          /* launch mode */
	int child_status;
	bool child_done;
	/* queue */
	struct nl_record q[QCAP];
	int q_head, q_len;
	char *arena;
	size_t arena_used;
	struct nl_sample *batch[QCAP];
	uint32_t synth_cursor;          /* next synthetic record (proctree) */
	/* time, CLOCK_MONOTONIC ns */
	uint64_t t0, t_stop, deadline, next_tick, next_snapshot, next_reap, next_trim;
	uint64_t next_grid;             /* the next tick_grid point, 0 none */
	uint64_t next_access;           /* the next access interval may end */
	int reader_nice;                /* nice value numalens got, 0 if none */
	struct perfdata_writer *writer;
	struct nl_counters *ctr;        /* counting group per task, NULL none */
	pid_t self_pid;                 /* numalens: left out of the CPU-wide view */
	bool cpu_switches;              /* a per-CPU switch event runs: its records
					   feed the HT engine, per-task ones do not */
	struct nl_pyframes *py;         /* Python frames (pyframes.h), NULL: off */
	/* where the reader's time goes, ns (source.counters live.time_us.*):
	   a sample waits in its ring for all of these but wait */
	struct {
		uint64_t setup;         /* attach work after the events were enabled */
		uint64_t wait, drain;   /* poll; ring records into the queue */
		uint64_t placement;     /* page nodes of a batch's samples */
		uint64_t maintenance;   /* snapshots, reaping */
		uint64_t stop;          /* begin_drain: final snapshots */
		uint64_t consumer;      /* between next()'s return and its next call */
		uint64_t returned;      /* when next() last returned, 0 none */
		uint64_t refills, full; /* batches; ... that stopped with records left */
		uint64_t refilled;      /* when the last refill ended */
		uint64_t next_look;     /* no look-ahead before */
		uint64_t look;          /* time in look-ahead */
	} tm;
	struct nl_live_stats stats;
	struct nl_allocprobe_set probes;/* allocation probes (config1 -> probes.path) */
	struct nl_allocdec adec;        /* their hits -> NL_REC_ALLOC */
	struct nl_faultnode fnode;      /* fault + page alloc tracepoints -> the
					   node of each new page (faultnode.h) */
	bool probes_per_task;           /* some probe is opened per task */
	uint64_t ipc_open_errors;       /* tasks the IPC group failed on (not fatal) */
	uint64_t probe_open_failed;     /* new tasks left without probes */
	uint32_t *probe_fds;            /* indexes in fds[] of the probes' fds */
	uint32_t nr_probe_fds;
	size_t cap_probe_fds;
};

/* Fills err (object printf-formatted, cause strerror(code)); returns code. */
int live__fail(struct nl_error *err, int code, const char *fix,
	       const char *object_fmt, ...) __attribute__((format(printf, 4, 5)));

static inline bool launch_mode(const struct live *lv)
{
	return lv->opt.argv != NULL;
}

#endif
