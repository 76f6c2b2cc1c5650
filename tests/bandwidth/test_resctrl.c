/*
 * test_resctrl.c - local vs remote bandwidth from RDT monitoring
 * (samplers/resctrl.c) on a fake /sys/fs/resctrl and /sys cache tree, with
 * the clock from the syscall table: L3 domains mapped to nodes by cache id
 * (not by order), byte deltas per second, "Unavailable" and a counter that
 * went backwards add nothing, the reasons when nothing can be measured.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "smt/guest_topology.h"
#include "samplers/base/sys.h"
#include "samplers/resctrl.h"

static char root[256];
static uint64_t clock_ns;

static uint64_t fake_now(void)
{
	return clock_ns;
}

static void put(const char *text, const char *fmt, ...)
{
	char rel[512], path[1024], cmd[1200];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd))
		return;
	if ((f = fopen(path, "w"))) {
		fputs(text, f);
		fclose(f);
	}
}

static void counters(int domain, unsigned long long total, unsigned long long local)
{
	char t[32], l[32];

	snprintf(t, sizeof(t), "%llu\n", total);
	snprintf(l, sizeof(l), "%llu\n", local);
	put(t, "resctrl/mon_data/mon_L3_%02d/mbm_total_bytes", domain);
	put(l, "resctrl/mon_data/mon_L3_%02d/mbm_local_bytes", domain);
}

static const struct nl_rdt_domain *domain(const struct nl_rdt_result *r, int d)
{
	for (int i = 0; i < r->nr_domains; i++)
		if (r->domains[i].domain == d)
			return &r->domains[i];
	return NULL;
}

int main(void)
{
	struct nl_topology *topo = guest_topology();
	struct nl_sys sys = *sys__default();
	struct nl_resctrl *r;
	struct nl_rdt_result res;
	const struct nl_rdt_domain *d0, *d1;
	char rc[300], sysfs[300], cmd[300];

	sys.now_ns = fake_now;
	snprintf(root, sizeof(root), "/tmp/nl-resctrl.XXXXXX");
	if (!mkdtemp(root))
		check_skip("mkdtemp failed");
	snprintf(rc, sizeof(rc), "%s/resctrl", root);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);

	/* not mounted */
	CHECK_EQ_U64(resctrl__start(&sys, rc, sysfs, topo, &r, &res), (uint64_t)-ENOENT);
	CHECK(r == NULL && !res.measured && strstr(res.why, "mount -t resctrl"));
	/* mounted, domains without MBM (RDT allocation only) */
	put("", "resctrl/mon_data/mon_L3_00/llc_occupancy");
	CHECK_EQ_U64(resctrl__start(&sys, rc, sysfs, topo, &r, &res), (uint64_t)-ENOENT);
	CHECK(r == NULL && strstr(res.why, "no mbm_total_bytes"));

	/* cache ids: CPUs 0-3 (node 0) share L3 id 1, CPUs 4-7 (node 1) id 0 */
	for (int cpu = 0; cpu < 8; cpu++) {
		put("2\n", "sys/devices/system/cpu/cpu%d/cache/index2/level", cpu);
		put("3\n", "sys/devices/system/cpu/cpu%d/cache/index3/level", cpu);
		put(cpu < 4 ? "1\n" : "0\n", "sys/devices/system/cpu/cpu%d/cache/index3/id", cpu);
	}
	counters(0, 1000, 800);
	counters(1, 5000, 5000);
	CHECK_EQ_U64(resctrl__start(&sys, rc, sysfs, topo, &r, &res), 0);
	CHECK(r != NULL);
	/* second 1: domain 0 moves 2 GB, 1.5 GB of it local; domain 1 1 GB, all local */
	clock_ns += 1000000000ull;
	counters(0, 1000 + 2000000000ull, 800 + 1500000000ull);
	counters(1, 5000 + 1000000000ull, 5000 + 1000000000ull);
	resctrl__tick(r);
	/* second 2: domain 1 unavailable (adds nothing); domain 0 another 2 GB, all remote */
	clock_ns += 1000000000ull;
	counters(0, 1000 + 4000000000ull, 800 + 1500000000ull);
	put("Unavailable\n", "resctrl/mon_data/mon_L3_01/mbm_total_bytes");
	put("Unavailable\n", "resctrl/mon_data/mon_L3_01/mbm_local_bytes");
	resctrl__tick(r);
	/* second 3: domain 1 went backwards (reset): restarts, adds nothing */
	clock_ns += 1000000000ull;
	counters(1, 10, 10);
	resctrl__stop(r, &res);
	CHECK(res.measured);
	CHECK(res.seconds > 2.99 && res.seconds < 3.01);
	CHECK_EQ_U64(res.nr_domains, 2);
	d0 = domain(&res, 0);
	d1 = domain(&res, 1);
	CHECK(d0 && d1);
	if (d0 && d1) {
		printf("domain 0: node %d total %.0f local %.0f; domain 1: node %d total %.0f local %.0f\n",
		       d0->node, d0->total_mean, d0->local_mean, d1->node, d1->total_mean, d1->local_mean);
		CHECK_EQ_U64(d0->node, 1);      /* by cache id, not by order */
		CHECK_EQ_U64(d1->node, 0);
		CHECK(d0->total_mean > 1.333e9 && d0->total_mean < 1.334e9);   /* 4 GB / 3 s */
		CHECK(d0->local_mean > 0.4999e9 && d0->local_mean < 0.5001e9); /* 1.5 GB / 3 s */
		CHECK(d1->total_mean > 0.3333e9 && d1->total_mean < 0.3334e9); /* 1 GB / 3 s */
		CHECK(d1->local_mean == d1->total_mean);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	topology__free(topo);
	return check_done();
}
