/*
 * objects.h - which data: every sampled data address mapped to the object
 * that holds it, with who allocated it, who touched each of its pages
 * first, and who reads it from which node.
 *
 * Owns the data objects.  An object is a tracked allocation when the
 * source saw it made (NL_REC_ALLOC: the allocation probes, allocprobe.h),
 * else the mapping that holds the address (file, memfd, shm, [heap],
 * [stack:TID], anonymous range), as the address spaces know it
 * (addrspace.h).  Fed from the drain loop after the code profile, whose
 * address spaces and symbols it borrows:
 *   1. objects__add() keeps, per (process, 4 KiB page) sampled (the page
 *      table of first touches, objects_touch.h), its first
 *      page-fault sample (thread, CPU, time, call stack: the first touch
 *      of that process) and its samples by node of the reading CPU.  No
 *      object lookup and no symbol lookup per sample: records are not in
 *      time order across CPUs, so objects are assigned at finish.  Memory
 *      grows with distinct pages, stacks and allocations, not samples.
 *   2. objects__finish() assigns each (process, page) to the innermost
 *      allocation of the process or an ancestor that covered the page when
 *      it was first sampled (an allocation freed later keeps its samples),
 *      else to its mapping.  A page is counted once per object whatever
 *      number of processes map it (copy-on-write after fork, a shared
 *      memfd): its first touch is its earliest page fault in any of them,
 *      so copy-on-write faults, NUMA hinting faults and faults of other
 *      processes on a page already placed are not first touches.
 *      Sites are the first call-stack frame outside the C library, with
 *      the innermost Python frame of the thread when one was read.
 *   3. NL_REC_RETIRE (an ended process whose records were all sent) does
 *      step 2 for that process at once and drops its page entries; its
 *      call stacks are resolved then, and one whose site reads as another
 *      ended process's (function, file, line, DSO, callers' text, Python
 *      frame; a frame outside every mapping reads [unknown] when the
 *      process has no JIT map, and JIT maps, one per process, count as one
 *      DSO) is shared, so forked workers keep one stack, not one each.  When no process of
 *      the profile was forked from it, the objects it owns (its
 *      allocations, the mappings of its line) are closed too: their pages
 *      tallied, its allocations dropped.  So memory grows with live
 *      processes' pages and distinct objects, not with ended processes'
 *      pages, and every figure is the same with or without retirement
 *      (tests/objects/test_objretire.c): ties are broken by content (pid,
 *      tid, CPU, site), never by arrival order.
 * Does not: see allocations made before the probes were attached (the
 * object is then the mapping, and before_attach says so), or tell a 2 MiB
 * THP fault from a 4 KiB one (each fault counts the 4 KiB page it hit:
 * objects_touch.h).
 */
#ifndef NUMALENS_OBJECTS_H
#define NUMALENS_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/datasrc.h"
#include "samplers/sample.h"

struct nl_codeprofile;
struct nl_topology;
struct nl_profile;

/* Where in the code: the first frame outside the C library. */
struct nl_object_site {
	const char *function;   /* NULL: no call stack */
	const char *file;       /* NULL without line information */
	int line;
	const char *dso;
	char stack[400];        /* "make_malloc (a.c:44) < main (a.c:80)", outer
				   frames after the site, at most 4; the
				   Python frame below in place of the first
				   _PyEval_EvalFrameDefault (else last) */
	struct {                /* the innermost Python frame of the thread
				   then (samplers/pyframes.h), function NULL
				   none: "build_dataset", "train.py", 57 */
		const char *function, *file;
		int line;
	} python;
};

/*
 * Readers an object keeps by process: an ended process that reads it once
 * it has this many is summed into one reader of pid -1 (processes: how
 * many), so an object every worker of a long run reads (its parent's
 * dataset, libc's data) grows by none per worker.  Live ones always count.
 */
#define NL_OBJECT_READERS_KEEP 32

/* A process reading the object (pid -1: ended processes summed). */
struct nl_object_reader {
	int32_t pid;
	int32_t processes;      /* 1, or those summed into pid -1 */
	uint64_t samples;
	uint64_t local, remote; /* samples whose data node is known */
	uint64_t *by_node;      /* samples by node index of the reading CPU,
				   nr_nodes + 1 entries (last: CPU unknown) */
};

struct nl_data_object {
	char key[320];          /* stable across runs: mapping name + "|" + site
				   ("[anon]|make_malloc (a.c:44)"), for diff */
	char name[240];         /* what the report calls it */
	bool allocation;        /* a tracked allocation, else a mapping */
	const char *op;         /* "mmap", "mremap", "brk", "malloc", "realloc"; NULL */
	bool before_attach;     /* a mapping while allocations were tracked:
				   made before numalens attached */
	int32_t pid, tid;       /* the allocating task (mappings: the process
				   first seen with it, tid -1) */
	uint64_t start, size;   /* bytes */
	uint64_t time;          /* of the allocation, 0 for mappings */
	char mapping[160];      /* the mapping it lies in ("[anon]" anonymous) */
	struct nl_object_site site; /* allocation site (function NULL: mapping) */
	uint64_t samples;       /* samples with an address in it */
	uint64_t local, remote; /* of those, with a known data node */
	double remote_share;    /* remote / (local + remote), -1 unknown */
	uint64_t pages;         /* distinct 4 KiB pages sampled, each once */
	uint64_t *pages_by_node;/* of those, by node index of the page
				   (nr_nodes + 1 entries, last: unknown) */
	int nr_readers;         /* reader rows, most samples first */
	int reader_processes;   /* processes with samples in it (a row of
				   pid -1 sums several) */
	struct nl_object_reader *readers;
	/* first touch: pages whose first sample in any process was a fault */
	uint64_t first_touched;
	int32_t touch_pid, touch_tid, touch_cpu, touch_node; /* the top toucher
				   (pid, tid, CPU and its node id, same site) */
	uint64_t touch_pages;   /* pages it touched first */
	double touch_share;     /* touch_pages / first_touched, 0 when none */
	struct nl_object_site touch_site;
	double *touch_by_node;  /* share of first_touched by node index of the
				   touching CPU (nr_nodes + 1 entries) */
	int nr_touchers;        /* distinct (thread, CPU node, site) */
};

/* Closed objects of ended processes not listed (beyond the ended keep),
   summed by what they are: one row per key (mapping name and allocation
   site) and kind, so 900 workers' "malloc at S" are one row. */
struct nl_object_fold {
	char key[320];          /* as nl_data_object.key */
	char name[240];         /* the first one's name */
	bool allocation;
	int objects;            /* closed objects summed here */
	uint64_t samples, local, remote, pages, bytes;
};

struct nl_objects_result {
	int nr_nodes;                   /* as the topology (0: no topology) */
	int nr_objects;                 /* most samples first */
	struct nl_data_object *objects;
	bool tracking;                  /* allocation probes were on */
	uint64_t allocations;           /* NL_REC_ALLOC records (calls seen) */
	double alloc_cpu_s;             /* numalens' own CPU on them (their call
					   stacks' unwind and naming): the cost
					   of allocation tracking in the analysis */
	double alloc_load_cpu_s;        /* ... and apart, symbols' first loads of
					   DSOs while naming them: tables the
					   code profile loads for its own rows */
	uint64_t samples_with_addr;
	uint64_t unattributed;          /* samples in no known mapping */
	int ended_dropped;              /* closed objects of ended processes
					   beyond the NL_OBJECTS_ENDED_KEEP
					   most remote-read ones: not listed */
	uint64_t ended_dropped_samples; /* their samples */
	int nr_ended_folds;             /* those by key, most remote first; at
					   most NL_OBJECTS_FOLD_ROWS rows (the
					   objects of keys beyond: counted only) */
	struct nl_object_fold *ended_folds;
};

/*
 * Closed objects (point 3) are finished when they close and at most this
 * many of them are kept, the first in the report's order (most remote
 * samples): what a long profile with churn keeps then is bounded, not
 * ~2 kB of objects per ended worker.  The others are counted in
 * ended_dropped and summed by key in ended_folds (bounded by distinct
 * keys, not by ended workers).  256, as the process rows: at ~3 objects
 * per worker a churn of a few workers a second fills it in the first
 * minute, after which memory stays flat.
 */
#define NL_OBJECTS_ENDED_KEEP 256
#define NL_OBJECTS_FOLD_ROWS 256

struct nl_objects;

/* cp is borrowed: its address spaces, symbols and Python frame locations
   (codeprofile__python_loc); topo and info may be NULL.  NULL on -ENOMEM. */
struct nl_objects *objects__new(struct nl_codeprofile *cp, const struct nl_topology *topo,
				const struct nl_source_info *info);
void objects__free(struct nl_objects *o);

/* How many closed objects of ended processes are kept (default
   NL_OBJECTS_ENDED_KEEP); set before the first record.  Tests set less. */
void objects__set_ended_keep(struct nl_objects *o, int keep);

/*
 * Accounts one record: ALLOC, FORK, RETIRE, and samples with a data
 * address, with the aggregator's verdict on the sample (loc; first_touch:
 * a page fault).  Call after codeprofile__add() of the same record.  0 or
 * -ENOMEM.
 */
int objects__add(struct nl_objects *o, const struct nl_record *rec, enum nl_locality loc,
		 bool first_touch);

/* What o keeps now, by count: what its memory grows with (tests assert
   that ended processes leave none of it behind but closed objects). */
struct nl_objects_kept {
	size_t stacks;          /* interned call stacks */
	size_t open_objects;    /* objects of processes not closed */
	size_t readers;         /* their reader rows */
	size_t closed;          /* closed objects kept (<= the ended keep) */
	size_t pages;           /* page-table entries (unsettled processes) */
	size_t object_pages;    /* (object, page) rows of open objects */
	size_t allocs, frees;   /* allocation and release calls kept */
};
void objects__kept(const struct nl_objects *o, struct nl_objects_kept *k);

/* Assigns the pages not retired, resolves and sorts; owned by o.  Call
   once.  NULL on -ENOMEM. */
const struct nl_objects_result *objects__finish(struct nl_objects *o);

/*
 * The object a finding about [start, end) of a process names: the one
 * with most samples inside the range (NULL: none).  OUT: label, "the 64
 * MiB allocation (malloc) at fill (seed.c:88), first touched by pid 180 on
 * node 1 for 99 % of its pages".
 */
const struct nl_data_object *objects__for_range(const struct nl_objects_result *r,
						uint64_t start, uint64_t end,
						char *label, size_t size);

/* A site as the report names it: "make (a.c:4)", "c10::alloc_cpu
   (train.py:101 main)" with a Python frame; none: "an unknown site". */
void objects__site_text(char *buf, size_t size, const struct nl_object_site *s);

/* "64 MiB allocation (mmap) at make (a.c:4)" or the mapping's name. */
void objects__describe(const struct nl_data_object *ob, char *buf, size_t size);

#endif
