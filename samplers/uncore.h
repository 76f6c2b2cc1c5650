/*
 * uncore.h - memory bandwidth per node from the memory controllers' own
 * counters (uncore PMUs), counted system-wide while a profile runs.
 *
 * Owns the discovery of DRAM-traffic events in sysfs, as perf does it
 * (/sys/bus/event_source/devices/PMU/{type,cpumask,format/TERM,events/NAME,
 * events/NAME.scale,events/NAME.unit}), their encoding from the PMU's own
 * format files, one counting fd per (controller, event) on the CPU the PMU
 * names in cpumask, and the per-second series of bytes read and written per
 * node.
 *
 * Known controller families (data rows in uncore.c): Intel uncore_imc_N
 * (cas_count_read / cas_count_write, 64 B lines, scale in MiB) and Intel
 * uncore_imc_free_running_N (data_read / data_write), named in sysfs; AMD
 * amd_umc_N (Zen 4+, Linux 6.9+), which names no events in sysfs: perf's
 * umc_cas_cmd.rd / .wr (event 0x0a, rdwrmask 1 / 2) encoded with its
 * format/ files, 64 B per command (scale 1: the 64 B is the one scale); AMD
 * amd_df on Zen 1-3 (DF v1 formats), perf's dram_channel_data_controller_0..7
 * (event 0x07 + 0x40 x channel, umask 0x38, 64 B per count) on every DF
 * instance its cpumask names, each channel's reads and writes together
 * (directions_combined: the read figures hold both).  A UMC whose format
 * lacks rdwrmask, and a DF v2 (Zen 4+, where amd_umc counts), are reported
 * as present but not encoded.  A controller's node is the node of its
 * cpumask CPU: with SNC or NPS>1 one socket holds several nodes, and the
 * node named is that CPU's (the report says "per socket" then).
 *
 * Promises: each event's sysfs scale is applied exactly once, to the raw
 * count delta; counts are scaled by time_enabled/time_running when the
 * kernel multiplexed them, and `multiplexed` says so; nothing is allocated
 * per tick.  Everything goes through the nl_sys table (tests inject a fake
 * PMU and fake sysfs).
 */
#ifndef NUMALENS_UNCORE_H
#define NUMALENS_UNCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/resctrl.h"

struct nl_error;
struct nl_sys;
struct nl_topology;

#define NL_UNCORE_MAX_PMUS 64
#define NL_UNCORE_MAX_TICKS 3600        /* one hour of per-second points */

struct nl_uncore_event {
	char pmu[64];           /* "uncore_imc_0" */
	uint32_t type;          /* attr.type from PMU/type */
	uint64_t config;        /* encoded from events/NAME and format/ */
	double scale;           /* events/NAME.scale (1 when absent) */
	double unit_bytes;      /* bytes per scaled unit ("MiB" -> 1048576) */
	int cpu;                /* the CPU cpumask names */
	int node;               /* node id of that CPU, -1 unknown */
	bool write;             /* write traffic (else read) */
	bool both;              /* reads and writes in one count (AMD DF channels):
				   summed as read, directions_combined set */
};

struct nl_uncore_discovery {
	int nr_events;
	struct nl_uncore_event events[NL_UNCORE_MAX_PMUS * 2];
	int nr_unencoded;       /* controller PMUs found without named events (AMD) */
	char unencoded_example[64];
};

/* One node's traffic over the profile. */
struct nl_bandwidth_node {
	int node;
	double read_mean, write_mean;   /* bytes per second */
	double read_peak, write_peak;   /* highest one-tick rate */
};

struct nl_bandwidth {
	bool measured;
	bool estimate;          /* not counted by the controllers: estimated from
				   sampled DRAM accesses x period x 64 B
				   (profiler/bwestimate.h); no peaks, no series */
	uint64_t estimate_samples, estimate_unplaced; /* of an estimate: samples
				   used, remote ones of unknown node left out */
	char why[400];          /* when not measured: the cause and the fix */
	bool multiplexed;       /* some count was scaled by enabled/running */
	bool directions_combined; /* the counters do not split reads from writes
				   (AMD DF): read_* hold both, write_* are 0 */
	double seconds;
	int nr_nodes;
	struct nl_bandwidth_node nodes[NL_UNCORE_MAX_PMUS];
	int nr_ticks;           /* per-second series: bytes/s read+write per node */
	float (*series)[NL_UNCORE_MAX_PMUS]; /* nr_ticks rows, indexed like nodes[] */
	/* local vs remote from RDT monitoring (resctrl.h), filled apart from the
	   controllers' counters; rdt.why says why not when not measured */
	struct nl_rdt_result rdt;
};

struct nl_uncore;

/*
 * Finds DRAM-traffic events under sysfs_root ("/sys" normally).  Fills
 * *out (may hold 0 events).  0 or -errno of a read that should not fail.
 */
int uncore__discover(const struct nl_sys *sys, const char *sysfs_root,
		     const struct nl_topology *topo, struct nl_uncore_discovery *out);

/*
 * Opens every discovered event (system-wide on its CPU) and reads the
 * start values.  OUT: *out.  Returns 0, or -errno with err filled
 * (EACCES/EPERM: needs CAP_PERFMON or perf_event_paranoid <= 0).  With no
 * events, returns -ENODEV and err says why.
 */
int uncore__start(const struct nl_sys *sys, const struct nl_uncore_discovery *disc,
		  struct nl_uncore **out, struct nl_error *err);
/* Reads every counter and appends one point per node (call about once a second). */
void uncore__tick(struct nl_uncore *u);
/* Last tick, closes the fds, fills *bw (owned by the caller: uncore__result_free). */
int uncore__stop(struct nl_uncore *u, struct nl_bandwidth *bw);
void uncore__result_free(struct nl_bandwidth *bw);

#endif
