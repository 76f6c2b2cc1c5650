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
 */
#include <linux/perf_event.h>

#include "samplers/events.h"

static const struct nl_event_row amd_rows[NL_EV_HW_COUNT] = {
	[NL_EV_MEMOPS] = {
		.name = "ibs_op", .what = "IBS op sampling",
		.pmu = "ibs_op", .terms = "cnt_ctl=1,?l3missonly=1",
		.sample_type = PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC |
			       PERF_SAMPLE_WEIGHT,
		.flags = NL_EVROW_CPU_WIDE_OK | NL_EVROW_PHYS | NL_EVROW_LDLAT,
	},
};

const struct nl_event_vendor events_amd = { "amd", amd_rows };
