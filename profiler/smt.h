/*
 * smt.h - HT (SMT) contention: which tasks shared a physical core, for how
 * long, and whether the scheduler left whole cores idle meanwhile.
 *
 * Owns the run state of every hardware thread, built from a stream of
 * context switches (a task switched in or out on a CPU at a time), the
 * topology's SMT sibling sets, and the totals below.  It does not read
 * records itself: a source (live switch records, perf.data --switch-events)
 * or the aggregator feeds it through smt__switch().
 *
 * Model.  A hardware thread is busy while a task other than the idle task
 * (tid 0) runs on it.  Between two consecutive switches on one node the
 * state of that node is constant, so every figure is a sum of such spans:
 *   - core double-busy: every thread of the core ran a busy task;
 *   - task run / shared: a task ran / ran while a sibling thread was busy;
 *   - pair co-run: task A on one thread while task B ran on a sibling;
 *   - misplaced: some core of the node ran two busy tasks on its siblings
 *     while another core of the same node had all its threads idle (the
 *     scheduler's own misplacement: spreading would have removed sharing).
 *
 * Invariants:
 *   1. Switches may come out of time order across CPUs (per-CPU rings,
 *      perf.data rounds): a reorder window, NL_SMT_REORDER_NS at first,
 *      sorts them; a switch older than what was already applied is applied
 *      at the applied edge, counted in late_switches (never dropped, never
 *      moving time backwards), and widens the window to twice its lag (at
 *      most NL_SMT_MAX_REORDER_NS).  Recordings that mark rounds
 *      (smt__round) are sorted by round instead, exactly; a round longer
 *      than NL_SMT_MAX_PENDING switches applies its oldest early, and so
 *      does a window holding more than NL_SMT_MAX_HELD (memory bounded
 *      independent of load; a switch that then arrives late is counted).
 *   2. A task whose first switch on a CPU is a switch-out ran there since
 *      smt__start (it was running at attach).
 *   3. smt__finish closes every running interval at its end time.
 *   4. Memory grows with CPUs, distinct tasks and distinct co-running pairs,
 *      and with the switches held (at most NL_SMT_MAX_HELD live,
 *      NL_SMT_MAX_PENDING in rounds); never with time or load.  Tasks of a
 *      process folded by smt__fold_process (an ended worker beyond the
 *      aggregator's kept rows) leave the tables: a profile whose workers
 *      come and go keeps the rows of the live ones, not of every one.
 *   5. A folded task cannot have been busy (it ran less than half the time
 *      observed when it folded, so less than half the span): the busy
 *      counts, the IPC cost and the sums below are those without folding;
 *      only its own row is gone, summed in folded_*.  Its pairs stay until
 *      the other task folds too; then the NL_SMT_KEEP_DONE longest co-runs
 *      of such pairs stay in the result's pairs and the rest are summed.
 *   6. CPU-wide, a task outside the target idle for NL_SMT_OUTSIDE_IDLE_NS
 *      (off every CPU, no switch) that ran under half the time so far
 *      folds the same way, counted in outside_tasks and folded_outside; a
 *      pair of two outside tasks is never made.  Short-lived commands
 *      around the target (a shell loop's) keep no rows.
 * Per-task switch records show only the target's own tasks: busy tasks
 * outside the target then count as idle (the summary's `cpu_wide` says
 * which view was fed).
 *
 * IPC cost of sharing (smt__counts).  With a PMU, a sampling group per task
 * (leader cycles, member instructions, PERF_SAMPLE_READ) gives at each
 * sample the task's cumulative cycles and instructions.  The counts go
 * through the same reorder window as the switches, so when one is applied
 * the engine's state is at its time: the window since the task's previous
 * sample has the task's run time and the part of it with a busy sibling
 * (its run_ns and shared_ns moved meanwhile).  A window that ran with a
 * busy sibling for >= NL_SMT_IPC_CORUN of its run time is "co-run", one
 * for <= NL_SMT_IPC_ALONE is "alone"; the rest are "mixed" and a window in
 * which the engine saw the task not run (no switch record put it on a CPU)
 * is "unplaced": both counted, neither used.  The cost compares each task
 * with itself: ipc_alone is the task's alone IPC weighted by its co-run
 * cycles, so a co-run mix of slow tasks is not taken for a cost.
 */
#ifndef NUMALENS_SMT_H
#define NUMALENS_SMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_topology;

#define NL_SMT_REORDER_NS 100000000ull       /* 100 ms to start with */
#define NL_SMT_MAX_REORDER_NS 30000000000ull /* grown up to 30 s */
#define NL_SMT_MAX_PENDING (1u << 21)        /* round mode: switches held at most */
/* Window mode (live rings): switches held at most, whatever the window.  A
 * busy tree widens the window to seconds; without a count cap the heap grows
 * with load (6 MB in the churn soak).  32 Ki entries of 48 bytes: 1.5 MB. */
#define NL_SMT_MAX_HELD ((1u << 15) - 1)
/* Invariant 6: an outside task idle this long leaves the tables. */
#define NL_SMT_OUTSIDE_IDLE_NS 10000000000ull
/* Pairs of two folded tasks kept in the result (the longest co-runs). */
#define NL_SMT_KEEP_DONE 32
#define NL_SMT_IPC_CORUN 0.9    /* window co-run: sibling busy >= 90 % of its run */
#define NL_SMT_IPC_ALONE 0.1    /* window alone: sibling busy <= 10 % */

struct nl_smt_task {
	int32_t pid, tid;
	uint64_t run_ns;        /* time it ran on any CPU */
	uint64_t shared_ns;     /* ... while a sibling thread was busy */
	double shared_ratio;    /* shared_ns / run_ns, 0 when it did not run */
	bool outside;           /* not the target's: seen by CPU-wide switches only */
	/* IPC windows (smt__counts): summed cycles and instructions */
	uint64_t cycles_alone, instructions_alone;
	uint64_t cycles_corun, instructions_corun;
	double ipc_alone, ipc_corun; /* 0: no window of that kind */
};

/* The IPC cost of sharing a core, over the target's tasks. */
struct nl_smt_ipc {
	uint64_t samples;       /* counts fed (smt__counts) */
	uint64_t windows_alone, windows_corun;
	uint64_t windows_mixed;   /* between the two thresholds: not used */
	uint64_t windows_unplaced;/* the engine saw the task not run: not used */
	uint64_t windows_bad;     /* a count went backwards: re-based, not used */
	uint64_t cycles_mixed;    /* cycles of the mixed windows */
	uint64_t cycles_alone, instructions_alone; /* every task */
	uint64_t cycles_corun, instructions_corun;
	int tasks_both;         /* tasks with alone and co-run windows */
	bool has_cost;          /* tasks_both > 0: the three below are set */
	double ipc_corun;       /* instructions / cycles co-running, those tasks */
	double ipc_alone;       /* their alone IPC, weighted by co-run cycles */
	double cost;            /* 1 - ipc_corun / ipc_alone */
};

struct nl_smt_pair {
	int32_t pid_a, tid_a, pid_b, tid_b; /* tid_a < tid_b */
	int32_t cpu;            /* lowest CPU of the core they shared most lately */
	uint64_t corun_ns;
	double ratio;           /* corun_ns / run time of the shorter runner */
	bool outside;           /* one of the two is outside the target */
};

struct nl_smt_core {
	int32_t node, package, core;
	int32_t first_cpu;      /* lowest CPU id of the core */
	int32_t nr_threads;     /* online hardware threads */
	uint64_t busy_ns;       /* at least one thread busy */
	uint64_t double_busy_ns;/* every thread busy (>= 2 threads) */
};

struct nl_smt_result {
	bool has_smt;           /* some core has more than one online thread */
	bool cpu_wide;          /* fed with every task of the CPUs, not only the target's */
	uint64_t span_ns;       /* smt__start .. smt__finish */
	uint64_t switches, late_switches, bad_switches;
	uint64_t reorder_window_ns; /* the window at the end (grown by late ones) */
	uint64_t misplaced_ns;  /* summed over nodes */
	uint64_t double_busy_ns;/* summed over cores */
	int nr_tasks;           /* the target's, sorted by shared_ns, descending */
	struct nl_smt_task *tasks;
	int outside_tasks;      /* tasks outside the target that ran (CPU-wide) */
	int outside_busy;       /* ... of them busy >= half the span */
	int nr_pairs;           /* the target's own pairs first, each part by
				   corun_ns, descending; a pair of two outside
				   tasks is left out, one with the target kept */
	struct nl_smt_pair *pairs;
	/* Rows folded (invariant 5): tasks and their time, pairs and theirs. */
	int folded_tasks, folded_pairs;
	int folded_outside;     /* outside tasks folded (invariant 6) */
	uint64_t folded_run_ns, folded_shared_ns, folded_corun_ns;
	int nr_cores;           /* sorted by node, package, core */
	struct nl_smt_core *cores;
	/* Oversubscription: tasks busy >= half the span vs physical cores of the
	 * nodes they ran on (most of their time). */
	int busy_tasks;
	int cores_of_nodes_ran;
	int busy_shared_half;   /* busy tasks with shared_ratio >= 0.5 */
	/* One hardware thread per physical core of those nodes (the lowest),
	 * as a cpulist ("0,2,4,6"): where busy workers run without sharing. */
	char one_per_core[512];
	struct nl_smt_ipc ipc;  /* samples == 0: no cycles/instructions fed */
};

struct nl_smt;

/*
 * An engine for topo (borrowed; must outlive it).  cpu_wide says whether
 * the caller will feed the switches of every task or only the target's.
 * NULL on -ENOMEM.
 */
struct nl_smt *smt__new(const struct nl_topology *topo, bool cpu_wide);
void smt__free(struct nl_smt *smt);
/* Switches and counts held for reordering now (bounded, invariant 4). */
size_t smt__held(const struct nl_smt *smt);

/* The clock value when observation began (attach, or the first record). */
void smt__start(struct nl_smt *smt, uint64_t time);

/*
 * Task (pid, tid) was switched in (out = false) or out (out = true) on cpu
 * at time.  tid 0 is the idle task.  A CPU outside the topology is counted
 * in bad_switches and ignored.  0 or -ENOMEM.
 */
int smt__switch(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time, bool out);

/*
 * The same for a task outside the target (CPU-wide switch records): it
 * makes its hardware thread busy for the target's tasks beside it, and
 * pairs with them, but is not one of the result's tasks, busy tasks or
 * outside-only pairs.  0 or -ENOMEM.
 */
int smt__switch_outside(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time,
			bool out);

/*
 * Task tid had counted cycles and instructions (cumulative, its own) when
 * it was sampled on cpu at time.  Ordered with the switches; the first
 * count of a task is its base.  Counts of a CPU outside the topology are
 * counted in bad_switches and ignored.  0 or -ENOMEM.
 */
int smt__counts(struct nl_smt *smt, int cpu, int pid, int tid, uint64_t time,
		uint64_t cycles, uint64_t instructions);

/*
 * A perf.data round ended (FINISHED_ROUND): every switch up to the newest
 * time of the previous round has been fed, as perf's ordered events assume.
 * From the first round on, rounds replace the reorder window.
 */
void smt__round(struct nl_smt *smt);

/*
 * pid ended and its rows leave the tables (invariant 4): once every switch
 * fed so far has been applied, each of its tasks that is off every CPU and
 * cannot have been busy is summed into folded_* and its row freed; a task
 * that might be busy keeps its row.  Without memory the rows stay.
 */
void smt__fold_process(struct nl_smt *smt, int pid);

/*
 * Applies every buffered switch, closes running intervals at end (0: the
 * newest switch's time) and
 * computes the result (owned by smt, valid until smt__free).  NULL on
 * -ENOMEM.  Further switches after finish are ignored.
 */
const struct nl_smt_result *smt__finish(struct nl_smt *smt, uint64_t end);

#endif
