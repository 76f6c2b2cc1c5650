/*
 * smt_internal.h - the HT engine's state, shared by smt.c (switches, time,
 * result) and smt_fold.c (rows of ended processes leaving the tables).
 * Not for use outside profiler/smt*.c.
 */
#ifndef NUMALENS_SMT_INTERNAL_H
#define NUMALENS_SMT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/smt.h"
#include "samplers/base/map.h"

struct hwthread {
	int core;               /* index into cores, -1: not a usable CPU */
	int task;               /* index into tasks, -1: idle */
	bool seen;              /* a switch on this CPU was applied */
};

struct core {
	struct nl_smt_core pub;
	int node;               /* index into nodes */
	int first_thread;       /* into core_cpus */
	int pair;               /* cached pair index while exactly two threads
				   are busy, -1 when unknown */
};

struct node {
	uint64_t last;          /* figures summed up to here */
	int first_core, nr_cores; /* into node_cores */
};

struct pending {
	uint64_t time, seq;
	int32_t cpu, pid, tid;
	bool out;
	bool outside;           /* a task outside the target */
	bool counts;            /* not a switch: cycles/instructions of tid */
	uint64_t cycles, instructions;
};

/* The final run time of a pair's folded side (0 while that task has a
   row), and whether that side was outside the target. */
struct pair_side {
	uint64_t run_a, run_b;
	bool outside_a, outside_b;
};

/* A process whose tasks fold once every switch fed before the request has
   been applied (its exit is among them). */
struct fold_request {
	int32_t pid;
	uint64_t after;
};

/* A task's figures at its previous count (the start of its next window),
   and the time of its last switch (outside tasks fold when it is old). */
struct mark {
	uint64_t run_ns, shared_ns, cycles, instructions;
	bool based;             /* a count was seen */
	uint64_t last_switch;
};

struct nl_smt {
	const struct nl_topology *topo;
	struct nl_smt_result res;
	int nr_cpus;
	struct hwthread *threads;
	int nr_cores;
	struct core *cores;
	int *core_cpus;         /* cpus of core i: core_cpus[first_thread ..] */
	int nr_nodes;           /* topology nodes + 1 for "unknown node" */
	struct node *nodes;
	int *node_cores;

	struct nl_map task_ix;  /* tid -> index into tasks */
	int nr_tasks;
	size_t cap_tasks;
	struct nl_smt_task *tasks;
	uint64_t *task_node_ns; /* nr_tasks * nr_nodes: where each task ran */
	size_t cap_node_ns;
	struct mark *marks;     /* per task, like task_node_ns */
	size_t cap_marks;
	struct nl_map pair_ix;  /* (tid_a, tid_b) -> index into pairs */
	int nr_pairs;
	size_t cap_pairs;
	struct nl_smt_pair *pairs;
	struct pair_side *pair_sides;   /* per pair, like pairs */
	size_t cap_sides;
	struct nl_smt_pair *done;       /* pairs both of whose tasks folded: the
					   NL_SMT_KEEP_DONE longest co-runs */
	int nr_done;
	struct fold_request *folds;     /* FIFO: fold_head .. nr_folds */
	size_t nr_folds, fold_head, cap_folds;
	/* IPC of the tasks with alone and co-run windows, folded ones too */
	uint64_t both_cycles, both_instructions;
	double weighted_alone;

	struct pending *heap;
	size_t nr_heap, cap_heap;
	uint64_t seq, newest, edge, start;
	uint64_t next_sweep;    /* edge time of the next idle-outside sweep */
	uint64_t window;        /* reorder window, grown by late switches */
	bool rounds;            /* the input marks rounds: no window */
	uint64_t round_newest;  /* newest time when the last round ended */
	bool started, finished;
};

/* One task's IPC windows into the totals: at its fold, or at finish (smt.c). */
void smt_internal__ipc_add(struct nl_smt *smt, struct nl_smt_task *t);
/* Folding (smt_fold.c). */
/* Folds the requests whose switches have all been applied. */
void smt_fold__due(struct nl_smt *smt);
/* Folds the outside tasks idle for NL_SMT_OUTSIDE_IDLE_NS at edge time now
   (invariant 6); a sweep a second at most. */
void smt_fold__idle_outside(struct nl_smt *smt, uint64_t now);

#endif
