/*
 * resctrl.c - RDT memory bandwidth monitoring.  See resctrl.h.
 */
#include "samplers/resctrl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/sys.h"
#include "samplers/base/topology.h"

struct domain_state {
	uint64_t total, local;          /* last values read */
	bool have_total, have_local;
	double sum_total, sum_local;    /* bytes since start */
};

struct nl_resctrl {
	const struct nl_sys *sys;
	char dir[512];                  /* RESCTRL/mon_data */
	uint64_t t0, last;
	struct nl_rdt_result res;
	struct domain_state st[NL_RDT_MAX_DOMAINS];
};

/* A counter file: its value, or false ("Unavailable", absent). */
static bool read_bytes(const struct nl_resctrl *r, int domain, const char *file, uint64_t *out)
{
	char path[640], buf[64], *end;
	unsigned long long v;

	snprintf(path, sizeof(path), "%s/mon_L3_%02d/%s", r->dir, domain, file);
	if (sys__read_small(r->sys, path, buf, sizeof(buf)) <= 0)
		return false;
	v = strtoull(buf, &end, 10);
	if (end == buf)
		return false;
	*out = v;
	return true;
}

/* The node of L3 domain d: CPUs whose index3 cache id is d, else package d's first node. */
static int node_of_domain(const struct nl_sys *sys, const char *sysfs_root,
			  const struct nl_topology *topo, int d)
{
	char path[512];
	long long id, level;

	if (!topo)
		return -1;
	for (int cpu = 0; cpu < topo->nr_cpus; cpu++) {
		if (!topo->cpus[cpu].online)
			continue;
		for (int idx = 0; idx < 8; idx++) {
			snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%d/cache/index%d/level",
				 sysfs_root, cpu, idx);
			if (sys__read_int(sys, path, &level) || level != 3)
				continue;
			snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%d/cache/index%d/id",
				 sysfs_root, cpu, idx);
			if (!sys__read_int(sys, path, &id) && id == d)
				return topo->cpus[cpu].node;
		}
	}
	for (int cpu = 0; cpu < topo->nr_cpus; cpu++)
		if (topo->cpus[cpu].online && topo->cpus[cpu].package == d)
			return topo->cpus[cpu].node;
	return -1;
}

int resctrl__start(const struct nl_sys *sys, const char *resctrl_root, const char *sysfs_root,
		   const struct nl_topology *topo, struct nl_resctrl **out,
		   struct nl_rdt_result *res)
{
	struct nl_resctrl *r;
	int *ids = NULL, n = 0, e;

	*out = NULL;
	memset(res, 0, sizeof(*res));
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	r->sys = sys;
	snprintf(r->dir, sizeof(r->dir), "%s/mon_data", resctrl_root);
	e = sys__list_ids(sys, r->dir, "mon_L3_", &ids, &n);
	if (e || !n) {
		snprintf(res->why, sizeof(res->why), "%.100s: %s - %s", r->dir,
			 e ? strerror(-e) : "no L3 monitoring domains",
			 "mount it (mount -t resctrl resctrl /sys/fs/resctrl) on a CPU with RDT "
			 "memory bandwidth monitoring (Intel MBM, AMD PQoS)");
		free(ids);
		free(r);
		return e ? e : -ENOENT;
	}
	for (int i = 0; i < n && r->res.nr_domains < NL_RDT_MAX_DOMAINS; i++) {
		int k = r->res.nr_domains;
		struct domain_state *st = &r->st[k];

		r->res.domains[k].domain = ids[i];
		st->have_total = read_bytes(r, ids[i], "mbm_total_bytes", &st->total);
		st->have_local = read_bytes(r, ids[i], "mbm_local_bytes", &st->local);
		if (!st->have_total && !st->have_local)
			continue;       /* a domain without MBM */
		r->res.domains[k].node = node_of_domain(sys, sysfs_root, topo, ids[i]);
		r->res.nr_domains++;
	}
	free(ids);
	if (!r->res.nr_domains) {
		snprintf(res->why, sizeof(res->why), "%.100s: no mbm_total_bytes or mbm_local_bytes - "
			 "this CPU or kernel has RDT without memory bandwidth monitoring", r->dir);
		free(r);
		return -ENOENT;
	}
	r->t0 = r->last = sys->now_ns();
	*out = r;
	return 0;
}

/* Adds what one counter grew by; a value that went backwards restarts it. */
static void grow(bool ok, uint64_t now, uint64_t *last, bool *have, double *sum)
{
	if (!ok)
		return;
	if (*have && now >= *last)
		*sum += (double)(now - *last);
	*last = now;
	*have = true;
}

void resctrl__tick(struct nl_resctrl *r)
{
	if (!r)
		return;
	for (int k = 0; k < r->res.nr_domains; k++) {
		struct domain_state *st = &r->st[k];
		int d = r->res.domains[k].domain;
		uint64_t total = 0, local = 0;
		bool ok_total = read_bytes(r, d, "mbm_total_bytes", &total);
		bool ok_local = read_bytes(r, d, "mbm_local_bytes", &local);

		grow(ok_total, total, &st->total, &st->have_total, &st->sum_total);
		grow(ok_local, local, &st->local, &st->have_local, &st->sum_local);
	}
	r->last = r->sys->now_ns();
}

void resctrl__stop(struct nl_resctrl *r, struct nl_rdt_result *res)
{
	if (!r)
		return;
	resctrl__tick(r);
	r->res.measured = true;
	r->res.seconds = (double)(r->last - r->t0) / 1e9;
	for (int k = 0; k < r->res.nr_domains && r->res.seconds > 0; k++) {
		r->res.domains[k].total_mean = r->st[k].sum_total / r->res.seconds;
		r->res.domains[k].local_mean = r->st[k].sum_local / r->res.seconds;
	}
	if (res)
		*res = r->res;
	free(r);
}
