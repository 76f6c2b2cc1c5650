/*
 * events_arm.c - Arm event table: the Statistical Profiling Extension.
 *
 * SPE (PMU arm_spe_0) samples loads and stores with data address, latency
 * and a data source, but delivers them as packets in the AUX area, which
 * the live sampler does not decode: when SPE exists the plan says so and
 * suggests recording with perf mem, synthesizing samples from the AUX data
 * with perf inject --itrace, and reading that file with numalens report.
 */
#include "samplers/events.h"

static const struct nl_event_row arm_rows[NL_EV_HW_COUNT] = {
	[NL_EV_MEMOPS] = {
		.name = "arm_spe", .what = "Arm SPE",
		.pmu = "arm_spe_0",
		.terms = "ts_enable=1,pa_enable=1,load_filter=1,store_filter=1",
		.flags = NL_EVROW_AUX,
	},
};

const struct nl_event_vendor events_arm = { .name = "arm", .rows = arm_rows };
