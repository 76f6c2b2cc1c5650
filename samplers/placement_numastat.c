/*
 * placement_numastat.c - node numastat counters at start and end.
 * See placement.h for the contract, placement_internal.h for the state.
 */
#include "samplers/placement.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/sys.h"
#include "samplers/placement_internal.h"

/* --- numastat --------------------------------------------------------------------- */

static int read_numastat(const struct nl_placement *pl, int node, struct nl_numastat *st)
{
	char path[96], buf[1024];
	const struct { const char *name; int64_t *v; } f[] = {
		{ "numa_hit", &st->numa_hit }, { "numa_miss", &st->numa_miss },
		{ "numa_foreign", &st->numa_foreign },
		{ "interleave_hit", &st->interleave_hit },
		{ "local_node", &st->local_node }, { "other_node", &st->other_node },
	};
	int n;

	memset(st, 0, sizeof(*st));
	st->node = node;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/numastat", node);
	n = sys__read_small(pl->sys, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *p = strstr(buf, f[i].name);

		if (p)
			*f[i].v = strtoll(p + strlen(f[i].name), NULL, 10);
	}
	return 0;
}

int placement__numastat(struct nl_placement *pl)
{
	struct nl_numastat now;

	if (!pl->stat_start) {
		pl->stat_start = calloc(pl->nr_nodes, sizeof(*pl->stat_start));
		pl->stat_delta = calloc(pl->nr_nodes, sizeof(*pl->stat_delta));
		if (!pl->stat_start || !pl->stat_delta)
			return -ENOMEM;
	}
	pl->nr_stat = 0;
	for (uint32_t node = 0; node < pl->nr_nodes; node++) {
		struct nl_numastat *d = &pl->stat_delta[pl->nr_stat];
		struct nl_numastat *s0 = &pl->stat_start[pl->nr_stat];

		if (read_numastat(pl, (int)node, &now))
			continue;
		if (!pl->stat_started)
			*s0 = now;
		*d = now;
		d->numa_hit -= s0->numa_hit;
		d->numa_miss -= s0->numa_miss;
		d->numa_foreign -= s0->numa_foreign;
		d->interleave_hit -= s0->interleave_hit;
		d->local_node -= s0->local_node;
		d->other_node -= s0->other_node;
		pl->nr_stat++;
	}
	pl->stat_started = true;
	return 0;
}

int placement__numastat_delta(const struct nl_placement *pl,
			      const struct nl_numastat **out)
{
	*out = pl->stat_delta;
	return pl->nr_stat;
}
