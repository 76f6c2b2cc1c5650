/*
 * pyframes.h - Python frames of the samples of CPython threads, read from
 * outside while the target runs (like py-spy, but joined with each sample).
 *
 * Owns, per profiled process: its interpreter (pyruntime.h, the layout
 * checked once per interpreter file against its DWARF when debug info is
 * installed), its thread states by native thread id, and a cache of its
 * code objects (names, file, decoded co_linetable: each decoded once);
 * interned strings and frame ids for the whole profile.
 *
 * Lifecycle (invariants):
 *   1. pyframes__resolve() is called with each batch of samples right
 *      after the source drained it (live_records.c, beside placement's
 *      page-node lookup), before the target may exit.  It reads the frame
 *      chain of each distinct (pid, tid) of the batch once, at that moment,
 *      and sets s->py of each sample of a Python thread; a thread without a
 *      PyThreadState (OpenMP, ATen, a non-Python process) keeps s->py NULL.
 *   2. The stacks handed out stay valid until the next resolve() call; the
 *      strings they point to until pyframes__free().
 *   3. A read is bounded: at most NL_PY_MAX_DEPTH frames, a frame seen twice
 *      (a loop) or an unreadable address ends the walk (counted, stack
 *      marked NL_PYS_TRUNCATED); a frame chain that changed while read is
 *      read again at most NL_PY_RETRIES times (counted), then kept as read.
 *   4. Only sys->read_memory (process_vm_readv) touches the target: it is
 *      never stopped.
 *   5. Memory grows with processes, threads, code objects and distinct
 *      frames and stacks, not with samples; the per-batch buffers with the
 *      largest batch; the looks with how far the drain is behind (pruned).
 *   6. A look (pyframes__look) is a read made before the sample is
 *      drained: the reader cannot drain while its consumer or a snapshot
 *      runs, but it can read frames between records; the stacks of looks
 *      are kept (interned) until pyframes__free().
 * Promises: what could not be read is counted in the stats and said once
 * per kind with diag__note (not CPython, no symbols, unknown version,
 * EPERM and its fix).
 */
#ifndef NUMALENS_PYFRAMES_H
#define NUMALENS_PYFRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

#define NL_PY_MAX_DEPTH 128
#define NL_PY_RETRIES 2
/* Frames read later than this after their sample are NL_PYS_APPROXIMATE. */
#define NL_PY_APPROX_NS 50000000ull
/* In a process exec'd under the profile, samples older than this before
   the first read that found any Python frame get none (pyframes__exec). */
#define NL_PY_START_NS 1000000ull

struct nl_sys;
struct nl_pyframes;

struct nl_pyframes_stats {
	/* processes */
	uint64_t processes;             /* looked at */
	uint64_t python;                /* CPython with a known layout */
	uint64_t not_python, other_python, no_symbols, unknown_version, denied, gone;
	uint64_t layout_dwarf_checked;  /* interpreter files checked against DWARF */
	uint64_t layout_dwarf_mismatch; /* ... whose DWARF differed (DWARF used) */
	/* reads */
	uint64_t reads;                 /* (tid, batch) frame-chain reads */
	uint64_t samples;               /* samples given Python frames */
	uint64_t samples_no_thread;     /* samples of a Python process' thread
					   without a PyThreadState */
	uint64_t approximate;           /* samples whose frames were read late */
	uint64_t start_up;              /* samples of an exec'd process' start-up,
					   given no frames (pyframes__exec) */
	uint64_t looks;                 /* look-ahead reads (pyframes__look) */
	uint64_t samples_looked_ahead;  /* samples given the frames of a look */
	uint64_t frames;                /* frames read */
	uint64_t codes;                 /* code objects decoded */
	uint64_t retries;               /* re-reads: the chain changed while read */
	uint64_t changed;               /* ... and still changed after the retries */
	uint64_t loops;                 /* walks that met a frame twice */
	uint64_t unreadable;            /* walks ended at an unreadable address */
	uint64_t too_deep;              /* walks cut at NL_PY_MAX_DEPTH */
	uint64_t ns;                    /* time spent, all of it ... */
	uint64_t find_ns;               /* ... of which finding interpreters and
					   checking their layout (DWARF), once each */
	/* delay between a sample and the read of its frames, over samples */
	uint64_t delay_p50_us, delay_p99_us, delay_max_us;
};

/* sys: the table reads go through (tests fake read_memory).  NULL on -ENOMEM. */
struct nl_pyframes *pyframes__new(const struct nl_sys *sys);
void pyframes__free(struct nl_pyframes *p);

/*
 * Reads the frames of the samples batch[0..n) at time now (the samples'
 * clock, CLOCK_MONOTONIC ns) and sets their ->py (invariant 1).  Never
 * fails: what cannot be read is counted.
 */
void pyframes__resolve(struct nl_pyframes *p, struct nl_sample *const *batch, int n,
		       uint64_t now);

/*
 * Finds pid's interpreter now (and checks its layout against DWARF, which
 * may take a few hundred ms once per interpreter file), so the first batch
 * is not delayed by it: for the root of an attached tree.
 */
void pyframes__attach(struct nl_pyframes *p, int pid);

/*
 * pid mapped path: a process found not to be CPython is looked at again
 * when it maps a python or libpython file (its first samples may come
 * while ld.so is still loading libpython).
 */
void pyframes__mapped(struct nl_pyframes *p, int pid, const char *path);

/*
 * Look-ahead (invariant 6): reads tid's frames now (once per look-ahead
 * pass, the pass begun at time now), for samples of it
 * still in the rings, behind a consumer or a snapshot that keeps them
 * from being drained.  A sample later resolved takes the first look at its
 * thread at or after its time, when there is one; else it is read then.
 */
void pyframes__look(struct nl_pyframes *p, int pid, int tid, uint64_t now);
/* Drops the looks before time `before`: no sample left to resolve is older. */
void pyframes__prune(struct nl_pyframes *p, uint64_t before);
/* Whether some process was found to be CPython (cheap; stats are not). */
bool pyframes__active(const struct nl_pyframes *p);

/*
 * Frames are read through a window of the target's memory around them (one
 * read for the frames that sit together), unless turned off here: tests
 * whose read_memory lies about single frame reads.
 */
void pyframes__frame_window(struct nl_pyframes *p, bool on);

/* Forgets pid (it exited). */
void pyframes__forget(struct nl_pyframes *p, int pid);

/*
 * pid exec'd a program during the profile: forgotten, and until a read
 * finds its first Python frames, its start-up runs faster than frames can
 * be trusted.  ld.so relocating libpython, 20 ms before the script's first
 * line, would get that line from the first read.  So the samples older
 * than NL_PY_START_NS before that first read get no frames (counted in
 * start_up), whatever their delay; later ones follow the usual bound.
 */
void pyframes__exec(struct nl_pyframes *p, int pid);

/* Counts so far (delay percentiles computed on call). */
const struct nl_pyframes_stats *pyframes__stats(struct nl_pyframes *p);

#endif
