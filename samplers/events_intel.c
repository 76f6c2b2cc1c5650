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
 */
#include <linux/perf_event.h>

#include "samplers/events.h"

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

const struct nl_event_vendor events_intel = { "intel", intel_rows };
