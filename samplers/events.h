/*
 * events.h - which perf events the live profiler samples on this machine.
 *
 * Owns: the per-vendor event tables (data, in events_<vendor>.c), their
 * encoding (libpfm4 pfm_get_os_event_encoding for core PMU events, sysfs
 * format terms for named PMUs such as ibs_op), and the choice of the best
 * set this machine supports, with one note per path that cannot run.
 *
 * Availability is decided by the kernel only: each candidate is opened
 * once through the caller's probe (perf_event_open) and sysfs tells which
 * named PMUs and capabilities exist.  libpfm4's own pfm_pmu_info.is_present
 * is never consulted: it reports the CPU model's PMU as present inside VMs
 * that expose none.
 *
 * Does not: open the events on the target, or know perf_event_attr (live.c
 * turns a struct nl_ev_spec into an attr; this keeps libpfm4's copy of the
 * uapi header out of every other file).
 */
#ifndef NUMALENS_EVENTS_H
#define NUMALENS_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

struct nl_sys;

/* What an event is for.  The hardware kinds come first. */
enum nl_ev_kind {
	NL_EV_LOADS = 0,        /* load sampling with data address + latency */
	NL_EV_STORES,           /* store sampling with data address */
	NL_EV_MEMOPS,           /* loads and stores in one event (IBS op, SPE) */
	NL_EV_NODE_LOADS,       /* generic node-loads (no address) */
	NL_EV_NODE_MISSES,      /* generic node-load-misses (no address) */
	NL_EV_HW_COUNT,
	NL_EV_PAGE_FAULTS = NL_EV_HW_COUNT, /* software: first touches */
	NL_EV_CPU_CLOCK,        /* software: who ran where */
	NL_EV_ALLOC_PROBE,      /* uprobe on an allocator (allocprobe.h) */
	NL_EV_FAULT_TRACE,      /* page_fault_user / mm_page_alloc tracepoints:
				   the node of each new page (faultnode.h) */
	NL_EV_IPC_CYCLES,       /* the IPC group's leader: cycles, sampling, each
				   sample reading the group (PERF_SAMPLE_READ) */
	NL_EV_IPC_INSTRUCTIONS, /* its member: instructions, counting only */
	NL_EV_KIND_COUNT
};

/* Row flags. */
enum {
	NL_EVROW_LDLAT = 1u << 0,      /* pfm string takes the ldlat threshold */
	NL_EVROW_CPU_WIDE_OK = 1u << 1,/* may fall back to per-CPU + pid filter */
	NL_EVROW_AUX = 1u << 2,        /* delivers data in the AUX area */
	NL_EVROW_PHYS = 1u << 3,       /* ask for PHYS_ADDR when allowed */
	NL_EVROW_FIXED_PERIOD = 1u << 4,/* period from the row, not -F/-c */
	NL_EVROW_SIDEBAND = 1u << 5,   /* carries FORK/COMM/EXIT/MMAP/SWITCH */
};

/* One row of a vendor table: how to get one kind of event. */
struct nl_event_row {
	const char *name;       /* reported name: "mem-loads" */
	const char *what;       /* for notes: "PEBS load latency" */
	const char *pfm;        /* libpfm4 string ("%u" = ldlat), or NULL */
	const char *pfm_alt;    /* tried when pfm does not encode (older CPUs) */
	const char *pmu;        /* named PMU under event_source/devices, or NULL */
	const char *terms;      /* format terms for pmu: "cnt_ctl=1,?l3missonly=1"
				   ('?': only when the format file exists;
				   "=%u": the ldlat value) */
	uint32_t type;          /* generic rows: attr.type and config */
	uint64_t config;
	uint64_t sample_type;   /* PERF_SAMPLE_* beyond the common set */
	uint64_t period;        /* default period (0: use -F frequency) */
	uint8_t precise;        /* precise_ip */
	uint16_t flags;         /* NL_EVROW_* */
};

/*
 * One counting event of a vendor table (samplers/counters.h): what it
 * measures (enum nl_counter_role, sample.h) and how to encode it.  Several
 * rows may share a role: their counts are added (Intel's remote DRAM,
 * remote HITM and remote forward loads are one "remote" count).
 */
struct nl_counter_row {
	const char *name;       /* reported name: "node-loads", "remote-fills" */
	const char *pfm[4];     /* libpfm4 strings, tried in order (one per CPU
				   generation, NULL-terminated); none: type/config */
	uint32_t type;          /* generic rows: attr.type and config */
	uint64_t config;
	/* When no libpfm4 string encodes (a libpfm4 older than the CPU: Debian
	   12's 4.13 has no Zen 5 table), the vendor's own manual's encoding,
	   PERF_TYPE_RAW raw_config, on CPU families raw_family[0]..[1] only. */
	uint64_t raw_config;
	uint16_t raw_family[2];
	uint8_t role;           /* enum nl_counter_role */
	bool optional;          /* the group is useful without it */
};

/* A vendor's table: rows indexed by enum nl_ev_kind (hardware kinds). */
struct nl_event_vendor {
	const char *name;                        /* "intel" */
	const struct nl_event_row *rows;         /* NL_EV_HW_COUNT entries */
	const struct nl_counter_row *counters;   /* counting events, when the
						    generic node-* ones are not
						    implemented; may be NULL */
	int nr_counters;
};

extern const struct nl_event_vendor events_intel;
extern const struct nl_event_vendor events_amd;
extern const struct nl_event_vendor events_arm;
/* Rows every vendor shares: node-loads, node-load-misses (generic). */
extern const struct nl_event_vendor events_generic;

/* An event ready to be turned into a perf_event_attr. */
struct nl_ev_spec {
	char name[64];
	enum nl_ev_kind kind;
	uint32_t type;
	uint64_t config, config1, config2;
	uint64_t sample_type;   /* the full set, common bits included */
	uint64_t period;        /* period, or frequency when freq */
	bool freq;
	uint8_t precise;
	bool exclude_kernel;
	bool cpu_wide;          /* open pid=-1 per CPU and filter by pid */
	bool sideband;          /* carries FORK/COMM/EXIT/MMAP/SWITCH */
	bool cpu_switches;      /* per CPU, context switches only: SWITCH_CPU_WIDE
				   of every task, for the HT engine */
	uint64_t regs_user;     /* sample_regs_user (allocation probes), 0 none */
	uint32_t stack_user;    /* sample_stack_user bytes, 0 none */
	uint64_t read_format;   /* attr.read_format (PERF_FORMAT_* bits), 0 none */
	bool group_member;      /* opened in the group of the event planned just
				   before it (group_fd: that event on the same
				   task and CPU) */
	bool no_inherit;        /* the kernel refuses it inherited: opened on
				   every task instead, new ones at their FORK */
};

/* The IPC group's sampling period, in cycles: ~150 samples/s per busy thread at 3 GHz. */
#define NL_EV_IPC_PERIOD 20000000ull

struct nl_ev_options {
	const struct nl_sys *sys;
	const char *sysfs;      /* "/sys" (tests point elsewhere) */
	const char *cpuinfo;    /* "/proc/cpuinfo" */
	unsigned freq;          /* -F, Hz (0: default 1000) */
	uint64_t period;        /* -c, overrides freq when non-zero */
	unsigned ldlat;         /* load latency threshold, cycles (0: 30) */
	bool exclude_kernel;    /* unprivileged with perf_event_paranoid >= 2 */
};

#define NL_EV_MAX 16

struct nl_ev_plan {
	int nr;
	struct nl_ev_spec ev[NL_EV_MAX];
	bool hw_pmu;            /* a hardware sampling event was kept */
	char vendor[16];
	int nr_notes;           /* one line per path that cannot run here, */
	char notes[NL_EV_MAX][200]; /* for diag__note once attaching worked */
};

/*
 * Asks the kernel whether spec can be opened (0) or not (-errno).  May set
 * spec->cpu_wide before trying again; may clear bits of spec->sample_type
 * it cannot have (PHYS_ADDR when not allowed) and return 0.
 */
typedef int (*nl_ev_probe_fn)(struct nl_ev_spec *spec, void *ctx);

/*
 * Fills plan with the best events this machine has: the vendor's hardware
 * rows that probe, then page-faults and cpu-clock (cpu-clock carries the
 * side-band records).  Leaves in plan->notes one line for each path that
 * cannot run ("no hardware PMU: load sampling unavailable; using page
 * faults and cpu-clock"); prints nothing.  Returns 0, or the probe's
 * -errno when even the software events cannot be opened (plan then empty).
 */
int events__plan(const struct nl_ev_options *o, nl_ev_probe_fn probe,
		 void *ctx, struct nl_ev_plan *plan);

/*
 * Encodes one row (libpfm4 string, or pmu + format terms read from sysfs,
 * or type/config) into spec.  Returns 0, -ENOENT when the PMU or the event
 * does not exist here, -EINVAL on a bad term.
 */
int events__encode(const struct nl_ev_options *o, const struct nl_event_row *row,
		   struct nl_ev_spec *spec);

/* The table of this machine's CPU vendor (from o->cpuinfo), or NULL. */
const struct nl_event_vendor *events__vendor(const struct nl_ev_options *o);

/*
 * Encodes one counting row: its first libpfm4 string that this CPU model
 * knows, or its type/config, or its raw_config when this CPU's family
 * (o->cpuinfo "cpu family") is in raw_family.  Fills spec's name, type and
 * config words only.  Returns 0 or -ENOENT (nothing encodes here).
 */
int events__encode_counter(const struct nl_ev_options *o, const struct nl_counter_row *row,
			   struct nl_ev_spec *spec);

/*
 * Fills plan with one side-band-only event (a software dummy: FORK, COMM,
 * EXIT, MMAP and context switches, never a sample), for --counters-only.
 * Returns 0 or the probe's -errno.
 */
/*
 * Appends the CPU-wide switch event (a dummy per CPU with context_switch,
 * so every task's switches arrive, not only the target's) when probe takes
 * it.  0, -ENOSPC (plan full) or the probe's -errno (EACCES/EPERM: needs
 * perf_event_paranoid <= 0 or CAP_PERFMON); plan unchanged on error.
 */
int events__add_cpu_switches(const struct nl_ev_options *o, nl_ev_probe_fn probe,
			     void *ctx, struct nl_ev_plan *plan);
int events__plan_sideband(const struct nl_ev_options *o, nl_ev_probe_fn probe,
			  void *ctx, struct nl_ev_plan *plan);

/*
 * Is there a core PMU?  A disabled cycles counter opened on the calling
 * process through sys (a refusal, EACCES/EPERM, still means there is one).
 */
bool events__core_pmu(const struct nl_sys *sys, bool exclude_kernel);

/*
 * True when the events must leave out the kernel: not root and
 * kernel.perf_event_paranoid >= 2 (user-space-only measurement).
 */
bool events__exclude_kernel(const struct nl_sys *sys);

/*
 * Appends the IPC group (HT contention's cost of sharing, profiler/smt.h):
 * cycles (libpfm4 perf::PERF_COUNT_HW_CPU_CYCLES) sampling every
 * NL_EV_IPC_PERIOD with PERF_SAMPLE_READ, read_format GROUP | ID, and
 * instructions as its member, as perf record -e '{cycles,instructions}:S'.
 * Inherited where the kernel takes PERF_SAMPLE_READ with inherit (Linux
 * 6.12+, with PERF_SAMPLE_TID: each sample reads the sampled thread's own
 * counts); where it answers EINVAL (older kernels) both are marked
 * no_inherit.  Returns 0, -ENOSPC (plan full) or the probe's -errno (no
 * PMU: -ENOENT); plan unchanged on error.
 */
int events__add_ipc_group(const struct nl_ev_options *o, nl_ev_probe_fn probe, void *ctx,
			  struct nl_ev_plan *plan);

struct nl_event_desc;
/* Fills the source's description of one event from its spec. */
void events__describe(const struct nl_ev_spec *spec, struct nl_event_desc *d);

/*
 * Sets the bits of value into *config words as a sysfs format file says
 * ("config:0-7,32-35", "config1:0-11", "config:19").  Returns 0 or -EINVAL.
 */
int events__apply_format(const char *format, uint64_t value, uint64_t config[3]);

#endif
