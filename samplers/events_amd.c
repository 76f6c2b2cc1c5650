/*
 * events_amd.c - AMD event table: IBS op sampling.
 *
 * IBS is its own PMU: its type comes from
 * /sys/bus/event_source/devices/ibs_op/type, its options from the format
 * files beside it.  One IBS op sample is a tagged micro-op, load or store,
 * with data address, latency and (kernel 6.1+) data_src.
 *
 *   term        format file          when
 *   cnt_ctl=1   format/cnt_ctl       always: count dispatched ops, not cycles
 *   l3missonly  format/l3missonly    Zen 4+ (caps/zen4_ibs_extensions): only
 *                                    ops that missed L3, i.e. went to memory
 *   ldlat=N     format/ldlat         Zen 5 kernels: load latency filter,
 *                                    used when --ldlat is given (>= 128)
 * Kernels before 6.2 refuse per-task IBS events: then IBS is opened per
 * CPU for the whole system (root or perf_event_paranoid <= 0) and the
 * samples of other processes are dropped.
 *
 * Counting (samplers/counters.h): the kernel maps node-loads and
 * node-load-misses to nothing on Zen (its family 17h+ cache-event table
 * has no NODE entries), so numalens counts Zen's demand data-cache fills
 * by source instead, PMCx043 on Zen 2, 3 and 4 under three libpfm4 names:
 *
 *   row          unit masks (PPR)                         Zen 2 name / Zen 3 / Zen 4
 *   local-fills  0x08 DRAM or I/O of the local node       LS_MABRESP_LCL_DRAM / MEM_IO_LCL / DRAM_IO_NEAR
 *   remote-fills 0x40 DRAM or I/O of another node         LS_MABRESP_RMT_DRAM / MEM_IO_RMT / DRAM_IO_FAR
 *                0x10 a cache of another node             LS_MABRESP_RMT_CACHE / EXT_CACHE_RMT / FAR_CACHE_NEAR_FAR
 * so config 0x0843 and 0x5043 on all three.  Zen 5 (family 1Ah) keeps
 * PMCx043 and these unit masks (LS_DMND_FILLS_FROM_SYS: DRAM_IO_NEAR 0x08,
 * FAR_CACHE 0x10, DRAM_IO_FAR 0x40), but libpfm4 4.13 has no Zen 5 table:
 * on families 17h-1Ah a libpfm4 that knows none of the names gets the
 * same raw configs (PERF_CTL layout: event 7:0, unit mask 15:8).  There is
 * no store counterpart: stores are not counted on AMD.
 */
#include <linux/perf_event.h>

#include "samplers/events.h"
#include "samplers/sample.h"

static const struct nl_event_row amd_rows[NL_EV_HW_COUNT] = {
	[NL_EV_MEMOPS] = {
		.name = "ibs_op", .what = "IBS op sampling",
		.pmu = "ibs_op", .terms = "cnt_ctl=1,?l3missonly=1",
		.sample_type = PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC |
			       PERF_SAMPLE_WEIGHT,
		.flags = NL_EVROW_CPU_WIDE_OK | NL_EVROW_PHYS | NL_EVROW_LDLAT,
	},
};

static const struct nl_counter_row amd_counters[] = {
	{ .name = "local-fills", .role = NL_CTR_LOCAL_LOADS, .pfm = {
		"DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_NEAR",        /* Zen 4 */
		"DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_LCL",          /* Zen 3 */
		"DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_LCL_DRAM" },    /* Zen 2 */
	  .raw_config = 0x0843, .raw_family = { 0x17, 0x1a } },
	{ .name = "remote-fills", .role = NL_CTR_NODE_LOAD_MISSES, .pfm = {
		"DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_FAR:FAR_CACHE_NEAR_FAR",
		"DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_RMT:EXT_CACHE_RMT",
		"DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_DRAM:LS_MABRESP_RMT_CACHE" },
	  .raw_config = 0x5043, .raw_family = { 0x17, 0x1a } },
};

const struct nl_event_vendor events_amd = {
	.name = "amd", .rows = amd_rows,
	.counters = amd_counters, .nr_counters = 2,
};
