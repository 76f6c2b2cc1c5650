/*
 * events_generic.c - the generic hardware cache events every vendor's
 * kernel driver may map: node-loads and node-load-misses
 * (PERF_TYPE_HW_CACHE, cache NODE, op READ).  They give the thread and
 * instruction of loads served by the local or a remote node, but no data
 * address; numalens uses them only when no address-sampling event exists.
 */
#include <linux/perf_event.h>

#include "samplers/events.h"

#define NODE_READ(result) \
	(PERF_COUNT_HW_CACHE_NODE | PERF_COUNT_HW_CACHE_OP_READ << 8 | \
	 (uint64_t)(result) << 16)

static const struct nl_event_row generic_rows[NL_EV_HW_COUNT] = {
	[NL_EV_NODE_LOADS] = {
		.name = "node-loads", .what = "node-loads",
		.type = PERF_TYPE_HW_CACHE,
		.config = NODE_READ(PERF_COUNT_HW_CACHE_RESULT_ACCESS),
		.period = 10007, .flags = NL_EVROW_FIXED_PERIOD,
	},
	[NL_EV_NODE_MISSES] = {
		.name = "node-load-misses", .what = "node-load-misses",
		.type = PERF_TYPE_HW_CACHE,
		.config = NODE_READ(PERF_COUNT_HW_CACHE_RESULT_MISS),
		.period = 1009, .flags = NL_EVROW_FIXED_PERIOD,
	},
};

const struct nl_event_vendor events_generic = { "generic", generic_rows };
