/*
 * guest_topology.h - test helper: the two-node test guest's shape built by
 * hand (2 packages x 2 cores x 2 threads, node = package, siblings (0,1)
 * (2,3) (4,5) (6,7)), for the HT tests that need SMT without the guest.
 */
#ifndef NUMALENS_TEST_GUEST_TOPOLOGY_H
#define NUMALENS_TEST_GUEST_TOPOLOGY_H

#include "samplers/base/topology.h"

static inline struct nl_topology *guest_topology(void)
{
	struct nl_topology *t = topology__new("test");

	topology__add_node(t, 0, "0-3", 0, 0);
	topology__add_node(t, 1, "4-7", 0, 0);
	for (int cpu = 0; cpu < 8; cpu++)
		topology__set_cpu(t, cpu, true, cpu / 4, 0, (cpu / 2) % 2);
	topology__add_siblings(t, "0-1");
	topology__add_siblings(t, "2-3");
	topology__add_siblings(t, "4-5");
	topology__add_siblings(t, "6-7");
	topology__finish(t);
	return t;
}

#endif
