/*
 * aggregate_internal.h - the aggregator's state, shared by its two files
 * and by nothing else: aggregate.c (records -> counts, finish) and
 * aggregate_fold.c (page faults attributed to mappings, quiet mappings
 * folded, ended processes retired and folded into role rows).
 */
#ifndef NUMALENS_AGGREGATE_INTERNAL_H
#define NUMALENS_AGGREGATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/aggregate.h"
#include "profiler/nodecount.h"
#include "profiler/smt.h"
#include "samplers/base/map.h"
#include "samplers/base/strtab.h"

struct task_entry {
	struct nl_task_stats pub;
	uint64_t *ran_ns;        /* by node index; [nr_nodes] = node unknown */
	uint64_t *ran_samples;
	double *ran_share;       /* nr_nodes + 1 entries */
	int mappings_cap;
	bool role;               /* a role row (NL_ENDED_KEEP): in entries[],
				    not in the index */
	struct task_entry *proc_of; /* a role's thread row: its process row */
};

/* Ended processes of one parent and comm, beyond NL_ENDED_KEEP. */
struct role {
	int32_t ppid;
	char comm[32];
	struct task_entry *proc, *thr;  /* owned by the tables' entries[] */
};

/* A pid or tid -> its entry (the one map); entries never move. */
struct task_table {
	struct task_entry **entries;    /* in insertion order */
	int nr;
	size_t cap;
	struct nl_map index;            /* (0, key) -> index in entries */
};

/* A CPU with its node index resolved once, not per sample. */
struct cpu_entry {
	struct nl_cpu_stats pub;
	int node_idx;            /* index in topology nodes[], -1 unknown */
};

struct nl_aggregate {
	const struct nl_topology *topo;
	int nr_nodes;
	struct task_table processes, threads;
	/* Consecutive samples mostly come from one task: skip the lookups. */
	struct task_entry *last_proc, *last_thr;
	struct cpu_entry *cpus;     /* indexed by cpu id */
	int cpus_cap;
	struct nl_profile profile;
	struct nl_smt *smt;         /* created by the first switch record */
	bool rounds;                /* the source orders records by rounds */
	bool timed;                 /* t0 holds the first timed sample's time */
	uint64_t t0;
	size_t cap_timeline;         /* entries allocated in profile.timeline */
	struct {                    /* the last sample's timeline entry: times
				       in [lo, hi) at step go to entry at (a
				       64-bit division a sample, skipped) */
		bool used;
		uint32_t step, at;
		uint64_t lo, hi;
	} tl_memo;
	struct {                    /* the last data_src decoded (most samples
				       repeat a few values) */
		bool used;
		uint64_t raw;
		struct nl_mem_access a;
	} dsrc_memo;
	uint64_t last_time;         /* newest sample or switch time: where HT
				       intervals still open at the end close */
	struct nl_nodecount *nodecount; /* counting events (profiler/nodecount.h) */
	/* page-fault samples by (pid, 4 KiB page number): attributed to the
	   mappings at finish, so the order of placement and samples in the
	   stream (live, or a recording) does not matter */
	struct nl_map fault_pages;
	/* ... and, as most faults come in address order (a buffer filled
	   front to back), runs of NL_FAULT_RUN_MIN or more consecutive pages
	   of one process with one fault each: (pid | pages << 32, first page)
	   -> times seen (a buffer filled again, the same run again).  The run
	   being extended is open, in no table yet.  A fault is in exactly one
	   of fault_pages, fault_runs or the open run. */
	struct nl_map fault_runs;
	struct { bool open; int32_t pid; uint64_t start, end; } fault_run;
	struct nl_strtab names;         /* mapping names, each kept once */
	uint64_t *retire_keys;          /* scratch: keys of one retired process' pages */
	size_t retire_cap;
	int ended_keep;                 /* aggregate__set_ended_keep */
	int nr_retired;                 /* ended processes retired so far */
	struct role *roles;
	size_t nr_roles, cap_roles;
	struct nl_ended_worker *ended;  /* the ones folded into roles */
	size_t nr_ended, cap_ended;
	uint64_t lost_ring, lost_counted; /* by nl_loss_source: one loss, two records */
	bool finished;
	enum nl_locality last_loc;  /* aggregate__last_sample */
	bool last_first_touch;
};
/* aggregate.c: the task tables (one map each; entries never move). */
struct task_entry *aggtab__find(const struct task_table *t, int32_t key);
struct task_entry *aggtab__entry_new(struct nl_aggregate *agg, int32_t pid, int32_t tid);
int aggtab__append(struct task_table *t, struct task_entry *e);
void aggtab__entry_free(struct task_entry *e);
void aggtab__remove(struct task_table *t, int i, bool by_tid);

/* aggregate_fold.c */
#define NL_FAULT_RUN_MIN 8
/* The open fault run into fault_pages or fault_runs.  0 or -ENOMEM. */
int aggfold__close_fault_run(struct nl_aggregate *agg);
/* The page-fault samples of fault_pages into the mappings that hold them. */
void aggfold__attribute_faults(struct nl_aggregate *agg);
/* proc's quiet mapping rows folded (profiler/mapfold.h); -ENOMEM. */
int aggfold__mappings(struct nl_aggregate *agg, struct task_entry *proc);
/* NL_REC_RETIRE of pid: its faults attributed and dropped, its rows folded,
   and beyond ended_keep the process summed into its role's row. */
int aggfold__retire_process(struct nl_aggregate *agg, int32_t pid);

#endif
