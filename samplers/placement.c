/*
 * placement.c - the placement state: new and free.
 * See placement.h for the contract, placement_internal.h for the state.
 */
#include "samplers/placement.h"

#include <stdlib.h>
#include <unistd.h>

#include "samplers/base/cpuset.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"
#include "samplers/placement_internal.h"

/* --- state ------------------------------------------------------------------ */

static uint32_t node_id_count(const struct nl_sys *sys, const struct nl_topology *topo)
{
	struct nl_cpuset set = { 0 };
	char buf[256];
	int last = -1;

	if (sys__read_small(sys, "/sys/devices/system/node/possible", buf, sizeof(buf)) > 0 &&
	    !cpuset__parse_list(&set, buf))
		last = cpuset__last(&set);
	cpuset__free(&set);
	if (last < 0 && topo && topo->nr_nodes)
		last = topo->nodes[topo->nr_nodes - 1].id;
	if (last < 0)
		last = 0;
	return last + 1 > MAX_NODE_IDS ? MAX_NODE_IDS : (uint32_t)last + 1;
}

struct nl_placement *placement__new(const struct nl_sys *sys,
				    const struct nl_topology *topo)
{
	struct nl_placement *pl = calloc(1, sizeof(*pl));
	long psize = sysconf(_SC_PAGESIZE);

	if (!pl)
		return NULL;
	pl->sys = sys;
	pl->topo = topo;
	pl->nr_nodes = node_id_count(sys, topo);
	pl->page_shift = (unsigned)__builtin_ctzl(psize > 0 ? (unsigned long)psize : 4096ul);
	return pl;
}

void placement__free(struct nl_placement *pl)
{
	if (!pl)
		return;
	for (int i = 0; i < pl->nr_snaps; i++)
		placement_snapshots__clear(&pl->snaps[i]);
	free(pl->snaps);
	map__free(&pl->pages);
	free(pl->gone);
	free(pl->drop);
	free(pl->retire);
	free(pl->stat_start);
	free(pl->stat_delta);
	map__free(&pl->run_task_idx);
	map__free(&pl->run_cell_idx);
	free(pl->tasks);
	free(pl->cells);
	free(pl);
}
