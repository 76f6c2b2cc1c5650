/*
 * synthetic.h - what the analysis tests on synthetic record streams share:
 * a two-node machine (node 0: cpus 0-3, node 1: cpus 4-7) and adding a
 * record that must be taken.
 */
#ifndef NUMALENS_TESTS_SYNTHETIC_H
#define NUMALENS_TESTS_SYNTHETIC_H

#include "check.h"
#include "profiler/aggregate.h"
#include "samplers/base/topology.h"

static inline struct nl_topology *synthetic_two_nodes(void)
{
	struct nl_topology *t = topology__new("synthetic");

	CHECK(t != NULL);
	if (!t)
		return NULL;
	CHECK_EQ_U64(topology__add_node(t, 0, "0-3", 1 << 20, 1 << 20), 0);
	CHECK_EQ_U64(topology__add_node(t, 1, "4-7", 1 << 20, 1 << 20), 0);
	CHECK_EQ_U64(topology__finish(t), 0);
	return t;
}

static inline void synthetic_add(struct nl_aggregate *agg, const struct nl_record *r)
{
	CHECK_EQ_U64(aggregate__add(agg, r), 0);
}

#endif
