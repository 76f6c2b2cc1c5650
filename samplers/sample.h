/*
 * sample.h - the one normalized record that every source produces.
 *
 * A *source* (a perf.data file, live perf_event rings) turns whatever it
 * reads into a stream of struct nl_record: samples plus the side-band that
 * gives them meaning (task names, forks, exits, mappings, losses).  Every
 * consumer after the source (profiler/, report/) sees only these types; no
 * consumer knows a file layout or includes linux/perf_event.h.
 *
 * Contract of a source (struct nl_source_ops, like sqlite3_io_methods):
 *   1. next() fills *out and returns 1, returns 0 at the end of the stream,
 *      or a negative errno when it cannot go on.  After 0 or an error,
 *      further calls keep returning the same value.
 *   2. Pointers inside a record (comm, filename) stay valid only until the
 *      next call to next(): copy what you keep.
 *   3. A record the source cannot parse is counted in stats.bad_records and
 *      skipped; it never ends the stream unless framing is lost, in which
 *      case stats.stopped_at says where and next() returns 0.
 *   4. next() allocates nothing per record.
 */
#ifndef NUMALENS_SAMPLE_H
#define NUMALENS_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_topology;

/* Which fields of a sample the source could fill. */
enum {
	NL_SAMPLE_IP = 1u << 0,
	NL_SAMPLE_TID = 1u << 1,        /* pid and tid */
	NL_SAMPLE_TIME = 1u << 2,
	NL_SAMPLE_ADDR = 1u << 3,       /* virtual data address */
	NL_SAMPLE_CPU = 1u << 4,
	NL_SAMPLE_PERIOD = 1u << 5,
	NL_SAMPLE_WEIGHT = 1u << 6,     /* access latency, cycles */
	NL_SAMPLE_DATA_SRC = 1u << 7,   /* raw perf_mem_data_src value */
	NL_SAMPLE_PHYS_ADDR = 1u << 8,
	NL_SAMPLE_MEM_NODE = 1u << 9,   /* the source resolved the data node */
	NL_SAMPLE_CALLCHAIN = 1u << 10,
	NL_SAMPLE_USER_STACK = 1u << 11, /* user regs and a copy of the user stack
					    (--call-graph dwarf): regs_user,
					    stack_user below */
	NL_SAMPLE_COUNTS = 1u << 12,    /* cycles and instructions below (a group
					   read, PERF_SAMPLE_READ) */
};

/* How a source learnt the memory node of a sample's data address. */
enum nl_node_method {
	NL_NODE_NONE = 0,
	NL_NODE_PHYS_ADDR,      /* physical address -> memory block -> node */
	NL_NODE_MOVE_PAGES,     /* move_pages(2) query while the target lived */
	NL_NODE_NUMA_MAPS,      /* /proc/PID/numa_maps range lookup */
	NL_NODE_PAGE_ALLOC,     /* pfn of the page allocated for a fault */
	NL_NODE_METHOD_COUNT
};

enum nl_cpumode { NL_CPUMODE_UNKNOWN = 0, NL_CPUMODE_KERNEL, NL_CPUMODE_USER,
		  NL_CPUMODE_GUEST };

/*
 * Python frames of a sample's thread (samplers/pyframes.h), read from the
 * interpreter's memory after the sample: leaf (innermost call) first.
 */
enum {
	NL_PYF_ENTRY = 1u << 0,         /* the outermost frame of one evaluator
					   activation (_PyEval_EvalFrameDefault) */
};
enum {
	NL_PYS_APPROXIMATE = 1u << 0,   /* read later than the reader's set delay
					   after the sample: may be a later stack */
	NL_PYS_TRUNCATED = 1u << 1,     /* the walk stopped early (depth, loop,
					   unreadable frame): outer frames missing */
};
struct nl_pyframe {
	uint32_t id;            /* same (function, file, line) = same id, per source */
	uint32_t flags;         /* NL_PYF_* */
	int32_t line;           /* 0: unknown */
	const char *function;   /* qualified name, never NULL */
	const char *file;       /* co_filename, never NULL */
};
struct nl_pystack {
	uint32_t nr;            /* frames */
	uint32_t flags;         /* NL_PYS_* */
	const struct nl_pyframe *frames; /* leaf first */
};

/* One sample.  Unknown integers are -1 (signed) or 0 with the valid bit clear. */
struct nl_sample {
	uint32_t valid;         /* NL_SAMPLE_* bits */
	uint32_t event;         /* index into nl_source_info.events */
	int32_t pid, tid;       /* -1: unknown */
	int32_t cpu;            /* -1: unknown */
	int32_t mem_node;       /* -1 unless NL_SAMPLE_MEM_NODE */
	uint8_t mem_node_method;/* enum nl_node_method */
	uint8_t cpumode;        /* enum nl_cpumode */
	uint64_t time;          /* ns, source clock */
	uint64_t ip;
	uint64_t addr;
	uint64_t phys_addr;
	uint64_t data_src;      /* union perf_mem_data_src bits, as recorded */
	uint64_t weight;        /* WEIGHT, or var1 of WEIGHT_STRUCT */
	uint32_t weight_var2;   /* var2 of WEIGHT_STRUCT (e.g. retire latency) */
	uint64_t period;
	uint32_t nr_callchain;  /* entries in callchain, 0 if none */
	const uint64_t *callchain; /* valid until the next record */
	/* NL_SAMPLE_USER_STACK: the user registers at the sample (perf's
	   PERF_SAMPLE_REGS_USER: one u64 per bit of regs_mask, lowest bit
	   first, in the arch's perf_regs numbering) and the bytes of the user
	   stack from the stack pointer up.  Raw memory of the target: for the
	   unwinder only (profiler/unwind.h), never stored or reported.  Both
	   pointers are valid until the next record and may be unaligned. */
	uint64_t regs_mask;
	uint32_t nr_regs_user;
	const void *regs_user;
	uint32_t stack_size;    /* bytes of stack_user that hold the stack */
	const void *stack_user;
	const struct nl_pystack *py; /* Python frames, NULL none; valid until
					the next record, strings until close */
	/* PERF_SAMPLE_RAW: a tracepoint's fields as the kernel wrote them
	   (samplers/faultnode.h parses them by their format file); NULL, 0
	   none.  Valid until the next record, may be unaligned. */
	const void *raw;
	uint32_t raw_size;
	/* NL_SAMPLE_COUNTS: the sampled task's own cumulative counts, read
	   with the sample from its group (a cycles and an instructions event,
	   perf's PERF_SAMPLE_READ with PERF_FORMAT_GROUP); the window between
	   two samples of one task is the difference (profiler/smt.h) */
	uint64_t cycles, instructions;
};

enum nl_record_kind {
	NL_REC_SAMPLE = 1,
	NL_REC_COMM,            /* a task got a name (fork copy or exec) */
	NL_REC_FORK,            /* a task was created */
	NL_REC_EXIT,            /* a task ended */
	NL_REC_MMAP,            /* a mapping appeared in a process */
	NL_REC_LOST,            /* the kernel dropped samples */
	NL_REC_THROTTLE,        /* sampling was throttled ... */
	NL_REC_UNTHROTTLE,      /* ... and resumed */
	NL_REC_PLACEMENT,       /* pages per node of one mapping (numa_maps) */
	NL_REC_RUNTIME,         /* time a task ran on a CPU (sched events) */
	NL_REC_SWITCH,          /* a task was switched in or out on a CPU */
	NL_REC_ROUND,           /* perf.data: one before the first record, then
				   one per FINISHED_ROUND: every record older
				   than the previous round's newest was read */
	NL_REC_COUNTS,          /* counting events of one task (samplers/counters.h) */
	NL_REC_ACCESS,          /* how much of one mapping a process accessed */
	NL_REC_RETIRE,          /* task.pid ended and its placement and access
				   records were all sent: what is kept of it
				   downstream may be made final (live only) */
	NL_REC_TICK,            /* live, when asked (nl_live_options.ticks): the
				   source polled its rings; carries nothing, so
				   an idle target still lets the consumer see the
				   clock (intervals, a status line); ignored by
				   counts */
	NL_REC_ALLOC,           /* an allocator call seen by a probe (allocprobe.h) */
};

struct nl_task_event {
	int32_t pid, tid;       /* the task */
	int32_t ppid, ptid;     /* its parent (FORK/EXIT only) */
	uint64_t time;          /* 0 when unknown */
	bool exec;              /* COMM caused by exec */
	const char *comm;       /* COMM only */
};

#define NL_BUILD_ID_MAX 20

struct nl_mmap_event {
	int32_t pid, tid;
	uint64_t start, len, pgoff;
	uint32_t prot, flags;   /* 0 when the source does not know */
	const char *filename;
	uint8_t build_id_size;  /* 0: the record carries no build-id */
	uint8_t build_id[NL_BUILD_ID_MAX]; /* MMAP2 with MISC_MMAP_BUILD_ID */
	bool kernel;            /* the kernel or a module (cpumode kernel);
				   false when the source does not know */
};

/*
 * Which record told of a loss.  perf record ends a recording with the
 * kernel's own count of each event's lost samples (PERF_FORMAT_LOST) in
 * LOST_SAMPLES records; that count includes the samples the LOST records
 * of the rings already told of, so the two are never added: perf report's
 * "Total Lost Samples" is the LOST_SAMPLES sum, and numalens reports the
 * larger of the two sums (the LOST sum when no end count was written).
 */
enum nl_loss_source {
	NL_LOSS_RING = 0,       /* PERF_RECORD_LOST: a ring was full */
	NL_LOSS_COUNTED,        /* PERF_RECORD_LOST_SAMPLES: an event's count */
	NL_LOSS_FILTERED,       /* LOST_SAMPLES with MISC_LOST_SAMPLES_BPF:
				   dropped by perf's BPF filter on purpose */
};

struct nl_loss_event {
	uint64_t count;         /* samples lost (LOST, LOST_SAMPLES) */
	uint64_t time;
	uint32_t event;         /* event index, or UINT32_MAX if unknown */
	enum nl_loss_source source;
};

/*
 * Where the resident pages of one mapping of a process sit, from a snapshot
 * of /proc/PID/numa_maps (or move_pages over the range).  Live sources emit
 * one per mapping at the start and at the end of a profile.
 */
struct nl_placement_event {
	int32_t pid;
	uint64_t start, end;        /* virtual range */
	const char *name;           /* file, "[heap]", "[anon]", ... */
	uint32_t nr_nodes;          /* entries in pages_by_node */
	const uint64_t *pages_by_node; /* indexed by node id */
	bool final;                 /* the end-of-profile snapshot */
};

/* How a source measured which mappings a process accessed (access.h). */
enum nl_access_method {
	NL_ACCESS_NONE = 0,     /* no access signal for this process */
	NL_ACCESS_REFERENCED,   /* clear_refs + smaps Referenced, per interval */
	NL_ACCESS_METHOD_COUNT
};

/* nl_access_event.flags */
enum {
	NL_ACCESS_READ = 1u << 0,       /* the mapping's permissions (smaps) */
	NL_ACCESS_WRITE = 1u << 1,
	NL_ACCESS_EXEC = 1u << 2,
	NL_ACCESS_SHARED = 1u << 3,     /* MAP_SHARED ("s" in the perms) */
	NL_ACCESS_FILE = 1u << 4,       /* backed by a file (inode != 0) */
	NL_ACCESS_BALANCING = 1u << 8,  /* kernel.numa_balancing was on */
	NL_ACCESS_DENIED = 1u << 9,     /* the process refused the signal:
					   a per-process record, start = end = 0 */
};

/*
 * The access signal of one mapping of a process over the profile (or, with
 * NL_ACCESS_DENIED, why a process has none: start = end = 0, error set).
 * accessed_bytes sums the bytes found referenced in each interval, so a
 * mapping read in every interval weighs more than one read once: footprint
 * per interval, not a count of accesses.
 */
struct nl_access_event {
	int32_t pid;
	uint64_t start, end;        /* virtual range */
	uint32_t flags;             /* NL_ACCESS_* */
	uint8_t method;             /* enum nl_access_method */
	int32_t error;              /* -errno with NL_ACCESS_DENIED, else 0 */
	uint32_t intervals;         /* intervals measured */
	uint64_t accessed_bytes;    /* sum over intervals of referenced bytes */
	uint64_t rss_bytes;         /* resident bytes at the last reading */
	const char *name;           /* as in /proc/PID/maps, "" anonymous */
};

/* A task ran on cpu for ns nanoseconds (from sched_switch accounting). */
struct nl_runtime_event {
	int32_t pid, tid;
	int32_t cpu;
	uint64_t ns;
};

/*
 * A context switch (PERF_RECORD_SWITCH, or SWITCH_CPU_WIDE, which also
 * names the other task).  pid/tid is the task switched in or out; tid 0 is
 * the idle task.
 */
struct nl_switch_event {
	int32_t pid, tid;
	int32_t cpu;            /* -1: unknown (no CPU in sample_id) */
	uint64_t time;
	bool out;               /* switched out (else in) */
	bool preempt;           /* out while still runnable */
	bool cpu_wide;          /* from a per-CPU event: every task of the CPU */
	bool outside;           /* CPU-wide: a task outside the profiled target */
	int32_t other_pid, other_tid; /* CPU-wide: the task switched to/from, else -1 */
};

/*
 * What a counting event measures (node-loads & co., or a vendor's local /
 * remote fill events folded into the same meaning).  The loads served by
 * memory are NODE_LOADS when counted, else LOCAL_LOADS + NODE_LOAD_MISSES.
 */
enum nl_counter_role {
	NL_CTR_NODE_LOADS = 0,          /* loads served by some node's memory */
	NL_CTR_NODE_LOAD_MISSES,        /* ... by a remote node (memory or cache) */
	NL_CTR_NODE_STORES,
	NL_CTR_NODE_STORE_MISSES,
	NL_CTR_LOCAL_LOADS,             /* vendor events: by the local node's memory */
	NL_CTR_ROLE_COUNT
};

/*
 * The counts of one thread over the profile, raw as the kernel read them
 * (not scaled).  The events of one task form one group, so they share
 * time_enabled/time_running: scale a value by enabled/running.
 */
struct nl_counts_event {
	int32_t pid, tid;
	uint32_t roles;                 /* 1 << enum nl_counter_role: values present */
	uint64_t value[NL_CTR_ROLE_COUNT];
	uint64_t time_enabled, time_running; /* ns */
	uint64_t wall_ns;               /* wall time the counting ran (for rates) */
	bool late;                      /* created during the profile: counted from
					   when its FORK was seen, the moments
					   before are in the row it came from */
};

/* What an allocator call did (nl_alloc_event.op). */
enum nl_alloc_op {
	NL_ALLOC_MMAP = 1,      /* addr, len: the new range */
	NL_ALLOC_MUNMAP,        /* addr, len: the range released */
	NL_ALLOC_MREMAP,        /* old_addr, old_len -> addr, len */
	NL_ALLOC_MALLOC,        /* malloc, calloc, posix_memalign: addr, len */
	NL_ALLOC_REALLOC,       /* old_addr -> addr, len */
	NL_ALLOC_FREE,          /* addr (len 0: unknown) */
	NL_ALLOC_BRK,           /* addr, len: the heap grew by [addr, addr + len) */
	NL_ALLOC_OP_COUNT
};

/*
 * One allocator call of a task, made from a probe's entry (arguments) and
 * return (result, call stack) hits.  addr 0 with a mapping call: it failed
 * (not reported).  The call stack is the one at the return, leaf first.
 */
struct nl_alloc_event {
	int32_t pid, tid;
	int32_t cpu;            /* -1 unknown */
	uint8_t op;             /* enum nl_alloc_op */
	uint64_t time;          /* when the call began (entry hit; the return's
				   when the entry was not seen), ns, source clock */
	uint64_t addr, len;
	uint64_t old_addr, old_len;
	uint32_t nr_callchain;
	const uint64_t *callchain; /* valid until the next record */
	uint64_t sp;            /* user stack pointer at the return, 0 unknown */
	uint64_t stack_size;    /* bytes of user stack from sp, 0 none */
	const uint8_t *stack;   /* valid until the next record (callers whose
				   frames lack frame pointers are found there) */
	uint64_t regs_mask;     /* the user registers at the return (perf's
				   numbering, as nl_sample's), 0 none */
	const void *regs;       /* valid until the next record: with stack, a
				   DWARF unwind of the callers (unwind.h) */
	const struct nl_pystack *py; /* the return hit's Python frames (its
				   thread at the call), NULL none; as nl_sample's */
};

struct nl_record {
	enum nl_record_kind kind;
	union {
		struct nl_sample sample;
		struct nl_task_event task;
		struct nl_mmap_event mmap;
		struct nl_loss_event loss;
		struct nl_placement_event placement;
		struct nl_runtime_event runtime;
		struct nl_switch_event sw;
		struct nl_counts_event counts;
		struct nl_access_event access;
		struct nl_alloc_event alloc;
	};
};

/* One event the source samples. */
struct nl_event_desc {
	char name[128];
	uint32_t type;          /* perf_event_attr.type */
	uint64_t config;
	uint64_t sample_type;   /* perf_event_attr.sample_type bits */
	char sample_type_names[256]; /* "IP|TID|TIME|ADDR", as perf prints it */
	uint64_t period;        /* period, or frequency when freq */
	bool freq;
	uint32_t attr_size;
	uint64_t samples;       /* samples seen for this event */
};

/* One entry of the recording's BUILD_ID feature (the DSOs perf saw hit). */
struct nl_build_id {
	int32_t pid;            /* -1 for the kernel and its modules */
	bool kernel;            /* cpumode of the entry was kernel */
	uint8_t size;           /* bytes used in id, 1..NL_BUILD_ID_MAX */
	uint8_t id[NL_BUILD_ID_MAX];
	char *filename;         /* owned by the source */
};

/* What the source knows about where the data came from. */
struct nl_source_info {
	char path[512];         /* file name, or "live" */
	char hostname[256];
	char os_release[128];
	char arch[32];
	char perf_version[64];
	char cpudesc[256];
	char cpuid[128];
	char cmdline[1024];
	/* the profiled command's argv as /proc/PID/cmdline gives it (NUL-separated,
	   target_cmdline_len bytes; 0 unknown): live sources only */
	char target_cmdline[1024];
	uint32_t target_cmdline_len;
	uint32_t nr_cpus_online, nr_cpus_avail; /* 0: unknown */
	uint64_t total_mem_kb;
	uint32_t nr_events;
	struct nl_event_desc *events;
	/* Counting events (NL_REC_COUNTS): "node-loads,node-load-misses,..."
	   and their origin ("generic", "amd", "intel"); "" when none, and
	   counters_note says why. */
	char counter_events[320];
	char counter_origin[16];
	char counters_note[200];
	/* A core PMU (cycles, instructions) here: live sources ask the kernel;
	   a recording does not say (NL_PMU_UNKNOWN). */
	enum { NL_PMU_UNKNOWN = 0, NL_PMU_ABSENT, NL_PMU_PRESENT } cpu_pmu;
	/* Topology of the recording machine, NULL when the source has none. */
	struct nl_topology *topology;
	/* BUILD_ID feature: owned by the source, valid until close. */
	uint32_t nr_build_ids;
	struct nl_build_id *build_ids;
};

/* A named number a source wants in the report ("node_unknown.process_gone"). */
struct nl_counter {
	char name[56];
	int64_t value;
};

/* the live source sets ~70 on a 2-node machine, 4 more per node (numastat) */
#define NL_MAX_COUNTERS 128

struct nl_source_stats {
	uint64_t records;               /* all records read */
	uint64_t samples;
	uint64_t lost_samples;          /* the larger of lost_ring and
					   lost_counted (nl_loss_source) */
	uint64_t lost_ring, lost_counted, lost_filtered; /* sums by source */
	uint64_t lost_records;          /* number of LOST records */
	uint64_t throttles, unthrottles;
	uint64_t bad_records;           /* malformed, counted and skipped */
	uint64_t unknown_records;       /* unknown type, skipped by size */
	uint64_t unsupported_records;   /* known but unhandled (AUX, compressed) */
	uint64_t stopped_at;            /* byte offset where parsing stopped
					   early, 0 when the stream was whole */
	char stop_reason[160];          /* why, when stopped_at != 0 */
	/* Source-specific counts, rendered under source.counters. */
	uint32_t nr_counters;
	struct nl_counter counters[NL_MAX_COUNTERS];
};

struct nl_source;

struct nl_source_ops {
	const char *name;
	int (*next)(struct nl_source *src, struct nl_record *out);
	void (*close)(struct nl_source *src);  /* frees src itself too */
};

/* Every source embeds this first; consumers use only these fields. */
struct nl_source {
	const struct nl_source_ops *ops;
	struct nl_source_info info;
	struct nl_source_stats stats;
};

static inline int nl_source__next(struct nl_source *src, struct nl_record *out)
{
	return src->ops->next(src, out);
}

static inline void nl_source__close(struct nl_source *src)
{
	if (src)
		src->ops->close(src);
}

/*
 * Counts rec into src->stats (samples, per-event samples, losses,
 * throttling): the bookkeeping every source does the same way.  Does not
 * count stats.records, whose meaning is the source's own.
 */
void nl_source__count(struct nl_source *src, const struct nl_record *rec);

/*
 * True when some event of the source records one of the NL_SAMPLE_* fields
 * (CPU, WEIGHT, DATA_SRC, PHYS_ADDR, ADDR): consumers ask this instead of
 * knowing perf's sample_type bits.
 */
bool nl_source_info__has(const struct nl_source_info *info, uint32_t fields);

/* Sets counter name (added if new; dropped past NL_MAX_COUNTERS). */
void nl_source__set_counter(struct nl_source_stats *st, const char *name, int64_t value);

#endif
