/*
 * aggregate.h - the aggregator: normalized records in, a finished profile out.
 *
 * Owns every count numalens reports: samples per locality class, the
 * CPU-node x memory-node matrix, per process, per thread and per sampling
 * CPU, latency (weight) statistics, losses, and placement (pages per node of
 * each mapping), the access signal per mapping, and the exposure derived
 * from both (profiler/exposure.c), then the findings (profiler/findings.c).
 *
 * Promises:
 *   1. aggregate__add() allocates nothing per sample: memory grows only with
 *      distinct keys (pids, tids, CPUs, mappings).  Tables are open
 *      addressing, grown by doubling.
 *   2. The result (struct nl_profile) is plain data that renderers read and
 *      never change; it stays valid until aggregate__free().
 *   3. Where a memory sample's node comes from is explicit: phys_addr with a
 *      memory-block map, a node the source resolved (move_pages ...), or
 *      data_src alone (local DRAM => the CPU's node; remote => "remote, node
 *      unknown").
 */
#ifndef NUMALENS_AGGREGATE_H
#define NUMALENS_AGGREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/datasrc.h"
#include "samplers/sample.h"

struct nl_topology;
struct nl_smt_result;
struct nl_node_counts;
struct nl_finding;

/* Latency statistics; hist[i] counts weights in [2^i, 2^(i+1)), hist[0] also 0. */
struct nl_weight_stats {
	uint64_t count, sum, min, max;
	double mean;            /* sum / count, 0 when count is 0 (at finish) */
	uint64_t hist[40];
};

/* The locality split every row of the report carries. */
struct nl_counts {
	uint64_t samples;       /* every sample */
	uint64_t memory;        /* samples that are memory accesses */
	uint64_t local, remote, unresolved; /* local + remote + unresolved = memory */
};

/* What a mapping holds, for weighing exposure: code does not dilute data. */
enum nl_mapping_kind {
	NL_MAP_DATA = 0,        /* anon, heap, stack, memfd, shm, writable file */
	NL_MAP_CODE,            /* executable or read-only file mappings */
};

/* Which signal weighed a process's remote_exposure, most trusted first. */
enum nl_exposure_basis {
	NL_BASIS_NONE = 0,      /* no placement either: exposure unknown */
	NL_BASIS_PMU,           /* PMU memory samples (data_src): sampled accesses */
	NL_BASIS_REFERENCED,    /* referenced bits per mapping (clear_refs + smaps) */
	NL_BASIS_HINT_FAULTS,   /* page faults on pages the process already had
				   (NUMA hinting faults when balancing is on) */
	NL_BASIS_PLACEMENT,     /* resident pages of data mappings, all alike */
	NL_BASIS_COUNT
};

struct nl_mapping_stats {
	uint64_t start, end;
	const char *name;          /* interned by the aggregator, never NULL */
	enum nl_mapping_kind kind;
	uint32_t access_flags;     /* NL_ACCESS_* permissions, 0 unknown */
	bool has_access;           /* an access record measured it */
	uint64_t accessed_bytes;   /* referenced bytes summed over intervals */
	uint32_t access_intervals;
	uint64_t faults;           /* page-fault samples in the range */
	uint64_t access_faults;    /* of those, on pages the process already had
				      (faults less the pages it gained) */
	uint64_t start_pages;      /* resident pages at the first snapshot */
	bool placed;               /* a placement record described it */
	uint64_t pages_total;
	uint64_t *pages_by_node;   /* by node index, nr_nodes + 1 entries (the
				      last: a node the topology lacks) */
	uint32_t folded;           /* rows summed into this one (profiler/mapfold.h),
				      0: one real mapping */
	double remote_pages;       /* pages away from where the process ran:
				      sum over nodes n of ran share(n) x pages
				      not on n; -1 when it never ran */
};

struct nl_task_stats {
	int32_t pid, tid, ppid;    /* tid == pid for processes; ppid -1 unknown */
	char comm[32];
	struct nl_counts counts;
	struct nl_weight_stats weight;
	uint64_t *ran_by_node;     /* by node index: ns (or samples) on that node */
	bool ran_in_ns;            /* ran_by_node holds ns (sched) not samples */
	double *ran_share;         /* by node index: share of ran_by_node over the
				      known nodes, all 0 when it never ran */
	uint64_t address_only;     /* memory samples with a data address but no
				      cache level (page faults: first touches) */
	double remote_exposure;    /* 0..1 weighted by exposure_basis over data
				      mappings, or -1 when unknown */
	double remote_exposure_by_placement; /* every resident page alike, -1 unknown */
	double remote_exposure_code; /* code mappings, same basis; -1 unknown */
	enum nl_exposure_basis exposure_basis;
	bool numa_balancing;       /* the access source saw balancing on */
	int32_t access_error;      /* -errno: the process refused the access signal */
	uint64_t pmu_local, pmu_remote; /* memory samples with a cache level */
	uint64_t accessed_bytes;   /* data mappings, referenced bytes */
	uint64_t access_faults;    /* sum over mappings */
	int nr_mappings;           /* processes only: final placement snapshot */
	struct nl_mapping_stats *mappings;
	int nr_threads;            /* processes only */
	uint32_t folded_processes; /* a role row: ended processes of one parent and
				      comm summed into it (aggregate__set_ended_keep),
				      pid = the first of them; 0: one process */
};

/* An ended process folded into a role row: what the report keeps of it. */
struct nl_ended_worker {
	int32_t pid, ppid;
	int32_t role_pid;          /* pid of the role row it was summed into */
	uint32_t threads;
	uint64_t samples, memory;
};

struct nl_cpu_stats {
	int cpu, node;
	struct nl_counts counts;
};

struct nl_profile {
	const struct nl_topology *topology;  /* not owned */
	struct nl_counts total;
	uint64_t levels[NL_MEM_CLASS_COUNT];
	struct nl_weight_stats level_weight[NL_MEM_CLASS_COUNT];
	uint64_t remote_hops[4];           /* remote samples by mem_hops */
	uint64_t node_method[NL_NODE_METHOD_COUNT]; /* how data nodes were found */
	uint64_t node_from_datasrc;        /* node inferred from data_src alone */
	uint64_t node_single;              /* one-node machine: node 0 by definition */
	uint64_t samples_with_addr, samples_with_phys, samples_with_data_src;
	uint64_t samples_with_level;       /* data_src that names a level */
	uint64_t address_only;             /* see nl_task_stats */
	/* node_matrix[cpu_node_index][mem_node_index]; column nr_nodes is
	   "remote, node unknown"; row nr_nodes is "CPU unknown". */
	int nr_nodes;
	uint64_t *node_matrix;             /* (nr_nodes+1) x (nr_nodes+1) */
	int nr_processes, nr_threads, nr_cpus;
	struct nl_task_stats *processes;   /* sorted: most memory samples first */
	struct nl_task_stats *threads;
	struct nl_cpu_stats *cpus;         /* sorted by cpu */
	uint64_t lost, throttles, unthrottles; /* lost: as perf report's "Total Lost
				      Samples" (enum nl_loss_source) */
	uint64_t lost_filtered;            /* dropped by a BPF filter on purpose */
	uint64_t placement_pages;          /* pages seen in placement snapshots */
	bool has_placement;
	/* HT contention from context switches (profiler/smt.h); NULL when the
	   input had no switch records or no topology. */
	const struct nl_smt_result *smt;
	uint64_t switches;                 /* switch records seen */
	/* From the first timed sample on, entry i counts the samples of
	   seconds [i * timeline_step, (i + 1) * timeline_step): one second an
	   entry until NL_TIMELINE_MAX entries, then each doubling of the
	   profile's length doubles the step (pairs merged), so memory and the
	   report stay bounded whatever the timestamps say. */
	int nr_timeline;
	uint32_t timeline_step;            /* seconds per entry, >= 1 */
	/* the earliest and latest timed sample (ns, the records' clock): the
	   window the samples cover, whatever -d or the recording said; set
	   when nr_timeline > 0 (a timed sample was counted) */
	uint64_t first_sample_ns, last_sample_ns;
	struct nl_counts *timeline;
	/* counting events per thread/process (profiler/nodecount.h), NULL none */
	const struct nl_node_counts *node_counts;
	bool has_access;                   /* access records arrived */
	/* Ended processes beyond the first NL_ENDED_KEEP retired ones, folded
	   into one process row per role (same ppid and comm): a compact line
	   each, in the order they ended. */
	int nr_ended_workers;
	struct nl_ended_worker *ended_workers;
	int nr_roles;                      /* role rows among processes */
	int nr_findings;                   /* profiler/findings.h, most important first */
	struct nl_finding *findings;
};

/*
 * Ended processes (NL_REC_RETIRE) that keep their own process, thread and
 * mapping rows; each later one is summed into its role's row (one per
 * parent and comm: a DataLoader's workers across epochs) and leaves a
 * compact struct nl_ended_worker.  What a long profile with churn keeps
 * then grows by ~32 bytes per ended worker and by distinct roles and
 * mapping names, not by ~4 kB of rows per worker.
 */
#define NL_ENDED_KEEP 256

/* Entries a timeline keeps at most (an hour at one second each). */
#define NL_TIMELINE_MAX 3600

struct nl_aggregate;

/* topo may be NULL (then no node matrix).  NULL on -ENOMEM. */
struct nl_aggregate *aggregate__new(const struct nl_topology *topo);
void aggregate__free(struct nl_aggregate *agg);
/* How many ended processes keep their own rows (default NL_ENDED_KEEP);
   set before the first record.  Tests set 0 to fold every ended one. */
void aggregate__set_ended_keep(struct nl_aggregate *agg, int keep);
/* Accounts one record.  0, or -ENOMEM (the record is not counted). */
int aggregate__add(struct nl_aggregate *agg, const struct nl_record *rec);
/*
 * Sorts and derives (ratios, exposure) and returns the finished profile,
 * owned by agg.  Call once, after the last add.  NULL on -ENOMEM.
 */
const struct nl_profile *aggregate__finish(struct nl_aggregate *agg);

/*
 * How the last sample given to aggregate__add() was classified, for the
 * consumers that count the same samples by another key (codeprofile.h):
 * its locality (NL_LOC_NONE: not a memory access) and, OUT, whether it had
 * a data address but no cache level (a page fault: a first touch).
 */
enum nl_locality aggregate__last_sample(const struct nl_aggregate *agg, bool *first_touch);

/* remote / (local + remote), or -1 when nothing was resolved. */
/* dst += src, field by field. */
void counts__add(struct nl_counts *dst, const struct nl_counts *src);
double counts__remote_ratio(const struct nl_counts *c);

#endif
