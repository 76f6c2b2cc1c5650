/*
 * events_intel.c - Intel event table: PEBS load latency and PEBS stores.
 *
 * Encoded with libpfm4 on the core PMU it identifies from CPUID (the
 * "cpu", "cpu_core" PMU of the kernel); whether the kernel really exposes
 * it is decided by opening the event (see events.h).
 *
 *   row        libpfm4 event                         since   gives
 *   mem-loads  MEM_TRANS_RETIRED:LOAD_LATENCY:ldlat  SNB     addr, latency,
 *                                                            data_src, phys
 *   mem-stores MEM_INST_RETIRED:ALL_STORES           SKL     addr, data_src
 *              (MEM_UOPS_RETIRED:ALL_STORES          SNB-BDW)
 * Loads use precise_ip 2 (the PEBS facility); ldlat is the latency
 * threshold in core cycles (--ldlat, default 30).
 *
 * Counting (samplers/counters.h): the kernel implements node-loads and
 * node-load-misses on Intel server parts (offcore response); where it does
 * not, the retired loads that missed L3, by source, are counted instead
 * (SDM: event 0xD3, MEM_LOAD_UOPS_L3_MISS_RETIRED on Haswell-EP/Broadwell-X):
 *
 *   row            unit mask               config SKX-SPR   config HSX/BDX
 *   local-dram     LOCAL_DRAM              0x1d3            0x1d3
 *   remote-dram    REMOTE_DRAM             0x2d3            0x4d3
 *   remote-hitm    REMOTE_HITM             0x4d3            0x10d3  (remote cache, modified)
 *   remote-fwd     REMOTE_FWD              0x8d3            0x20d3  (remote cache, forwarded)
 * The remote rows add up to the remote count (libpfm4 refuses them in one
 * event).  There is no store counterpart.
 */
#include <linux/perf_event.h>

#include "samplers/events.h"
#include "samplers/sample.h"

#define MEM_SAMPLE (PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC)

static const struct nl_event_row intel_rows[NL_EV_HW_COUNT] = {
	[NL_EV_LOADS] = {
		.name = "mem-loads", .what = "PEBS load latency",
		.pfm = "MEM_TRANS_RETIRED:LOAD_LATENCY:ldlat=%u",
		.sample_type = MEM_SAMPLE | PERF_SAMPLE_WEIGHT,
		.precise = 2, .flags = NL_EVROW_LDLAT | NL_EVROW_PHYS,
	},
	[NL_EV_STORES] = {
		.name = "mem-stores", .what = "PEBS stores",
		.pfm = "MEM_INST_RETIRED:ALL_STORES",
		.pfm_alt = "MEM_UOPS_RETIRED:ALL_STORES",
		.sample_type = MEM_SAMPLE,
		.precise = 2, .flags = NL_EVROW_PHYS,
	},
};

static const struct nl_counter_row intel_counters[] = {
	{ .name = "local-dram", .role = NL_CTR_LOCAL_LOADS, .pfm = {
		"MEM_LOAD_L3_MISS_RETIRED:LOCAL_DRAM", "MEM_LOAD_UOPS_L3_MISS_RETIRED:LOCAL_DRAM" } },
	{ .name = "remote-dram", .role = NL_CTR_NODE_LOAD_MISSES, .pfm = {
		"MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM", "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM" } },
	{ .name = "remote-hitm", .role = NL_CTR_NODE_LOAD_MISSES, .optional = true, .pfm = {
		"MEM_LOAD_L3_MISS_RETIRED:REMOTE_HITM", "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_HITM" } },
	{ .name = "remote-fwd", .role = NL_CTR_NODE_LOAD_MISSES, .optional = true, .pfm = {
		"MEM_LOAD_L3_MISS_RETIRED:REMOTE_FWD", "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_FWD" } },
};

const struct nl_event_vendor events_intel = {
	.name = "intel", .rows = intel_rows,
	.counters = intel_counters, .nr_counters = 4,
};
