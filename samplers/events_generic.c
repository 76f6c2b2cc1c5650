/*
 * events_generic.c - the generic hardware cache events every vendor's
 * kernel driver may map: node-loads and node-load-misses
 * (PERF_TYPE_HW_CACHE, cache NODE, op READ).  They give the thread and
 * instruction of loads served by the local or a remote node, but no data
 * address; numalens samples them only when no address-sampling event
 * exists, and counts them (samplers/counters.h) on every machine whose
 * kernel implements them, with node-stores and node-store-misses:
 *
 *   name               config = NODE | op << 8 | result << 16 (perf_event_open(2))
 *   node-loads         0x00006   (op READ 0,  result ACCESS 0)
 *   node-load-misses   0x10006   (op READ 0,  result MISS 1)
 *   node-stores        0x00106   (op WRITE 1, result ACCESS 0)
 *   node-store-misses  0x10106   (op WRITE 1, result MISS 1)
 */
#include <linux/perf_event.h>

#include "samplers/events.h"
#include "samplers/sample.h"

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

#define NODE(op, result) \
	(PERF_COUNT_HW_CACHE_NODE | (uint64_t)(op) << 8 | (uint64_t)(result) << 16)

static const struct nl_counter_row generic_counters[] = {
	{ .name = "node-loads", .role = NL_CTR_NODE_LOADS, .type = PERF_TYPE_HW_CACHE,
	  .config = NODE(PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_ACCESS) },
	{ .name = "node-load-misses", .role = NL_CTR_NODE_LOAD_MISSES, .type = PERF_TYPE_HW_CACHE,
	  .config = NODE(PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS) },
	{ .name = "node-stores", .role = NL_CTR_NODE_STORES, .optional = true,
	  .type = PERF_TYPE_HW_CACHE,
	  .config = NODE(PERF_COUNT_HW_CACHE_OP_WRITE, PERF_COUNT_HW_CACHE_RESULT_ACCESS) },
	{ .name = "node-store-misses", .role = NL_CTR_NODE_STORE_MISSES, .optional = true,
	  .type = PERF_TYPE_HW_CACHE,
	  .config = NODE(PERF_COUNT_HW_CACHE_OP_WRITE, PERF_COUNT_HW_CACHE_RESULT_MISS) },
};

const struct nl_event_vendor events_generic = {
	.name = "generic", .rows = generic_rows,
	.counters = generic_counters, .nr_counters = 4,
};
