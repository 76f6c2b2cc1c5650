/*
 * topology.c - the NUMA and CPU topology: builder, finisher, lookups, and
 * the sysfs reader.  See topology.h for the contract.
 *
 * Divisions, in file order:
 *   1. building   topology__new, topology__add_* and topology__set_* keep
 *                 nodes[] sorted by id and the distance matrix laid out by
 *                 node index at every step.
 *   2. finishing  topology__finish derives what a source left out: present
 *                 CPUs, cpu->node, packages and cores from sibling lists;
 *                 merges memory ranges; keeps each CPU's siblings on its
 *                 own core.
 *   3. lookups    read-only, no allocation; valid after topology__finish.
 *   4. sysfs      topology__read_sysfs: every read goes through read_text()
 *                 (sys__read_file) and every listing through list_ids of
 *                 the nl_sys table, on a path under the given root, so
 *                 tests point it at copied trees and inject failures.  A missing or dangling file means "unknown", never
 *                 an error; only a root without sys/devices/system/cpu and
 *                 -ENOMEM fail.
 *
 * Builder-only state (capacities, package sibling sets) lives in struct
 * topo_impl around the public struct; lookups never touch it, so they also
 * work on a struct nl_topology filled by hand.
 */
#include "samplers/base/topology.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samplers/base/array.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"

#define MAX_CPU_ID (1 << 20)    /* same bound as cpuset.c */

struct topo_impl {
	struct nl_topology pub;         /* first: topology__new returns &pub */
	size_t nodes_cap, cpus_cap, ranges_cap;
	int nr_pkg_sets;
	size_t pkg_cap;
	struct nl_cpuset *pkg_sets;     /* add_package_siblings, deduplicated */
	bool package_given, core_given; /* some set_cpu call had the id */
};

static struct topo_impl *impl_of(struct nl_topology *topo)
{
	return (struct topo_impl *)topo;
}

/* --- 1. building --------------------------------------------------------- */

struct nl_topology *topology__new(const char *origin)
{
	struct topo_impl *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->pub.origin, sizeof(t->pub.origin), "%s", origin ? origin : "");
	return &t->pub;
}

void topology__free(struct nl_topology *topo)
{
	struct topo_impl *t;

	if (!topo)
		return;
	t = impl_of(topo);
	for (int i = 0; i < topo->nr_nodes; i++)
		cpuset__free(&topo->nodes[i].cpus);
	for (int i = 0; i < topo->nr_cpus; i++)
		cpuset__free(&topo->cpus[i].siblings);
	for (int i = 0; i < t->nr_pkg_sets; i++)
		cpuset__free(&t->pkg_sets[i]);
	free(t->pkg_sets);
	free(topo->nodes);
	free(topo->distance);
	free(topo->cpus);
	free(topo->ranges);
	free(t);
}

/* Grows cpus[] to n entries; new ones are absent with unknown placement. */
static int ensure_cpus(struct nl_topology *topo, int n)
{
	struct topo_impl *t = impl_of(topo);

	if (n > MAX_CPU_ID)
		return -EINVAL;
	if (array__reserve((void **)&topo->cpus, &t->cpus_cap, (size_t)n,
			   sizeof(*topo->cpus)))
		return -ENOMEM;
	for (int i = topo->nr_cpus; i < n; i++)
		topo->cpus[i] = (struct nl_topology_cpu){
			.node = -1, .package = -1, .die = -1, .core = -1 };
	if (n > topo->nr_cpus)
		topo->nr_cpus = n;
	return 0;
}

/* Index where node id is or would be inserted (binary search). */
static int node_slot(const struct nl_topology *topo, int id)
{
	int lo = 0, hi = topo->nr_nodes;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (topo->nodes[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Re-lays the distance matrix out after a node was inserted at pos. */
static int widen_distance(struct nl_topology *topo, int pos)
{
	int n = topo->nr_nodes;         /* already counts the new node */
	int *d;

	if (!topo->distance)
		return 0;
	d = calloc((size_t)n * n, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (int i = 0; i < n - 1; i++)
		for (int j = 0; j < n - 1; j++)
			d[(i + (i >= pos)) * n + j + (j >= pos)] =
				topo->distance[i * (n - 1) + j];
	free(topo->distance);
	topo->distance = d;
	return 0;
}

/* Returns the node with id, inserting an empty online one.  NULL on -ENOMEM. */
static struct nl_topology_node *get_node(struct nl_topology *topo, int id)
{
	struct topo_impl *t = impl_of(topo);
	int pos = node_slot(topo, id);
	struct nl_topology_node *nodes;

	if (pos < topo->nr_nodes && topo->nodes[pos].id == id)
		return &topo->nodes[pos];
	if (array__reserve((void **)&topo->nodes, &t->nodes_cap,
			   (size_t)topo->nr_nodes + 1, sizeof(*nodes)))
		return NULL;
	nodes = topo->nodes;
	memmove(nodes + pos + 1, nodes + pos,
		(size_t)(topo->nr_nodes - pos) * sizeof(*nodes));
	nodes[pos] = (struct nl_topology_node){ .id = id, .online = true };
	topo->nr_nodes++;
	if (widen_distance(topo, pos)) {
		memmove(nodes + pos, nodes + pos + 1,
			(size_t)(--topo->nr_nodes - pos) * sizeof(*nodes));
		return NULL;
	}
	return &nodes[pos];
}

/* Parses cpulist into a fresh set (*out); NULL text gives an empty set. */
static int parse_new(struct nl_cpuset *out, const char *cpulist)
{
	int err;

	*out = (struct nl_cpuset){ 0 };
	if (!cpulist)
		return 0;
	err = cpuset__parse_list(out, cpulist);
	if (err)
		cpuset__free(out);
	return err;
}

int topology__add_node(struct nl_topology *topo, int id, const char *cpulist,
		       uint64_t mem_total_kb, uint64_t mem_free_kb)
{
	struct nl_topology_node *node;
	struct nl_cpuset cpus;
	int err;

	if (id < 0)
		return -EINVAL;
	err = parse_new(&cpus, cpulist);
	if (err)
		return err;
	node = get_node(topo, id);
	if (!node) {
		cpuset__free(&cpus);
		return -ENOMEM;
	}
	if (cpulist) {
		cpuset__free(&node->cpus);
		node->cpus = cpus;
	}
	node->mem_total_kb = mem_total_kb;
	node->mem_free_kb = mem_free_kb;
	return 0;
}

int topology__set_distance(struct nl_topology *topo, int from, int to, int dist)
{
	int i = topology__node_index(topo, from);
	int j = topology__node_index(topo, to);
	int n = topo->nr_nodes;

	if (i < 0 || j < 0)
		return -ENOENT;
	if (!topo->distance) {
		topo->distance = calloc((size_t)n * n, sizeof(int));
		if (!topo->distance)
			return -ENOMEM;
	}
	topo->distance[i * n + j] = dist > 0 ? dist : 0;
	return 0;
}

int topology__set_cpu(struct nl_topology *topo, int cpu, bool online,
		      int package, int die, int core)
{
	struct nl_topology_cpu *c;
	int err;

	if (cpu < 0 || cpu >= MAX_CPU_ID)
		return -EINVAL;
	err = ensure_cpus(topo, cpu + 1);
	if (err)
		return err;
	impl_of(topo)->package_given |= package >= 0;
	impl_of(topo)->core_given |= core >= 0;
	c = &topo->cpus[cpu];
	c->present = true;
	c->online = online;
	c->package = package >= 0 ? package : -1;
	c->die = die >= 0 ? die : -1;
	c->core = core >= 0 ? core : -1;
	return 0;
}

/* OR src into dst.  0 or -ENOMEM. */
static int set_or(struct nl_cpuset *dst, const struct nl_cpuset *src)
{
	for (int c = cpuset__next(src, 0); c >= 0; c = cpuset__next(src, c + 1))
		if (cpuset__add(dst, c))
			return -ENOMEM;
	return 0;
}

int topology__add_siblings(struct nl_topology *topo, const char *cpulist)
{
	struct nl_cpuset set;
	int err = parse_new(&set, cpulist);

	if (!err)
		err = ensure_cpus(topo, cpuset__last(&set) + 1);
	for (int c = cpuset__next(&set, 0); !err && c >= 0;
	     c = cpuset__next(&set, c + 1))
		err = set_or(&topo->cpus[c].siblings, &set);
	cpuset__free(&set);
	return err;
}

int topology__add_package_siblings(struct nl_topology *topo, const char *cpulist)
{
	struct topo_impl *t = impl_of(topo);
	struct nl_cpuset set;
	int err = parse_new(&set, cpulist);

	if (err)
		return err;
	for (int i = 0; i < t->nr_pkg_sets; i++)
		if (cpuset__equal(&t->pkg_sets[i], &set))
			goto out;
	err = array__reserve((void **)&t->pkg_sets, &t->pkg_cap,
			     (size_t)t->nr_pkg_sets + 1, sizeof(set));
	if (err)
		goto out;
	t->pkg_sets[t->nr_pkg_sets++] = set;
	return 0;
out:
	cpuset__free(&set);
	return err;
}

int topology__add_memory_range(struct nl_topology *topo, uint64_t start,
			       uint64_t end, int node)
{
	struct topo_impl *t = impl_of(topo);

	if (start >= end)
		return -EINVAL;
	if (array__reserve((void **)&topo->ranges, &t->ranges_cap,
			   (size_t)topo->nr_ranges + 1, sizeof(*topo->ranges)))
		return -ENOMEM;
	topo->ranges[topo->nr_ranges++] =
		(struct nl_memory_range){ .start = start, .end = end, .node = node };
	return 0;
}

/* --- 2. finishing -------------------------------------------------------- */

/*
 * When no topology__set_cpu call named a CPU (a perf.data header with only
 * cpulists), every CPU named by a node, sibling or package list is taken as
 * present and online.
 */
static int derive_present(struct nl_topology *topo)
{
	struct topo_impl *t = impl_of(topo);
	struct nl_cpuset all = { 0 };
	int err = 0;

	for (int c = 0; c < topo->nr_cpus; c++)
		if (topo->cpus[c].present)
			return 0;
	for (int i = 0; !err && i < topo->nr_nodes; i++)
		err = set_or(&all, &topo->nodes[i].cpus);
	for (int c = 0; !err && c < topo->nr_cpus; c++)
		err = set_or(&all, &topo->cpus[c].siblings);
	for (int i = 0; !err && i < t->nr_pkg_sets; i++)
		err = set_or(&all, &t->pkg_sets[i]);
	if (!err)
		err = ensure_cpus(topo, cpuset__last(&all) + 1);
	for (int c = cpuset__next(&all, 0); !err && c >= 0;
	     c = cpuset__next(&all, c + 1))
		topo->cpus[c].present = topo->cpus[c].online = true;
	cpuset__free(&all);
	return err;
}

/* cpu->node from the nodes' cpu sets; a CPU listed twice keeps the lower id. */
static void assign_nodes(struct nl_topology *topo)
{
	for (int c = 0; c < topo->nr_cpus; c++)
		topo->cpus[c].node = -1;
	for (int i = 0; i < topo->nr_nodes; i++) {
		const struct nl_cpuset *set = &topo->nodes[i].cpus;

		for (int c = cpuset__next(set, 0); c >= 0 && c < topo->nr_cpus;
		     c = cpuset__next(set, c + 1))
			if (topo->cpus[c].present && topo->cpus[c].node < 0)
				topo->cpus[c].node = topo->nodes[i].id;
	}
}

/*
 * Package k = the k-th distinct package sibling list, when no set_cpu call
 * gave a package id.  Derived again on each finish (pipe-mode perf.data
 * headers arrive in pieces).
 */
static void derive_packages(struct nl_topology *topo)
{
	struct topo_impl *t = impl_of(topo);

	if (t->package_given || !t->nr_pkg_sets)
		return;
	for (int k = 0; k < t->nr_pkg_sets; k++) {
		const struct nl_cpuset *set = &t->pkg_sets[k];

		for (int c = cpuset__next(set, 0); c >= 0 && c < topo->nr_cpus;
		     c = cpuset__next(set, c + 1))
			if (topo->cpus[c].present)
				topo->cpus[c].package = k;
	}
}

/* Core ids numbered 0.. by SMT sibling group, when no set_cpu gave one. */
static void derive_cores(struct nl_topology *topo)
{
	int next = 0;

	if (impl_of(topo)->core_given)
		return;
	for (int c = 0; c < topo->nr_cpus; c++) {
		struct nl_topology_cpu *cpu = &topo->cpus[c];
		int first = cpuset__next(&cpu->siblings, 0);

		cpu->core = -1;
		if (!cpu->present || first < 0)
			continue;
		if (first < c && topo->cpus[first].core >= 0)
			cpu->core = topo->cpus[first].core;
		else
			cpu->core = next++;
	}
}

/* True when a and b are known to sit on different cores. */
static bool other_core(const struct nl_topology_cpu *a,
		       const struct nl_topology_cpu *b)
{
	return a->core >= 0 && b->present && b->core >= 0 &&
	       (a->core != b->core || a->package != b->package || a->die != b->die);
}

/*
 * Drops siblings known to be on another core: AMD family 15h kernels list a
 * whole compute unit (two cores with their own core_id) as thread siblings.
 */
static int refine_siblings(struct nl_topology *topo)
{
	for (int c = 0; c < topo->nr_cpus; c++) {
		struct nl_topology_cpu *cpu = &topo->cpus[c];
		struct nl_cpuset keep = { 0 };
		bool drop = false;

		for (int d = cpuset__next(&cpu->siblings, 0); d >= 0 && !drop;
		     d = cpuset__next(&cpu->siblings, d + 1))
			drop = d < topo->nr_cpus && other_core(cpu, &topo->cpus[d]);
		if (!drop)
			continue;
		for (int d = cpuset__next(&cpu->siblings, 0); d >= 0;
		     d = cpuset__next(&cpu->siblings, d + 1))
			if ((d >= topo->nr_cpus || !other_core(cpu, &topo->cpus[d])) &&
			    cpuset__add(&keep, d)) {
				cpuset__free(&keep);
				return -ENOMEM;
			}
		cpuset__free(&cpu->siblings);
		cpu->siblings = keep;
	}
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct nl_memory_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* Sorts ranges, trims overlaps (the earlier range wins), merges neighbours. */
static void merge_ranges(struct nl_topology *topo)
{
	int n = 0;

	if (topo->nr_ranges)
		qsort(topo->ranges, (size_t)topo->nr_ranges,
		      sizeof(*topo->ranges), range_cmp);
	for (int i = 0; i < topo->nr_ranges; i++) {
		struct nl_memory_range r = topo->ranges[i];
		struct nl_memory_range *last = n ? &topo->ranges[n - 1] : NULL;

		if (last && r.start < last->end)
			r.start = last->end;
		if (r.start >= r.end)
			continue;
		if (last && last->node == r.node && last->end == r.start)
			last->end = r.end;
		else
			topo->ranges[n++] = r;
	}
	topo->nr_ranges = n;
}

int topology__finish(struct nl_topology *topo)
{
	int err = derive_present(topo);

	if (err)
		return err;
	assign_nodes(topo);
	derive_packages(topo);
	derive_cores(topo);
	merge_ranges(topo);
	return refine_siblings(topo);
}

/* --- 3. lookups ---------------------------------------------------------- */

int topology__node_index(const struct nl_topology *topo, int node_id)
{
	int pos = node_slot(topo, node_id);

	return pos < topo->nr_nodes && topo->nodes[pos].id == node_id ? pos : -1;
}

int topology__node_of_cpu(const struct nl_topology *topo, int cpu)
{
	if (cpu < 0 || cpu >= topo->nr_cpus)
		return -1;
	return topo->cpus[cpu].node;
}

int topology__node_of_phys(const struct nl_topology *topo, uint64_t phys)
{
	int lo = 0, hi = topo->nr_ranges;

	/* First range whose end is above phys. */
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (topo->ranges[mid].end <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < topo->nr_ranges && topo->ranges[lo].start <= phys)
		return topo->ranges[lo].node;
	return -1;
}

int topology__distance(const struct nl_topology *topo, int from, int to)
{
	int i = topology__node_index(topo, from);
	int j = topology__node_index(topo, to);

	if (i < 0 || j < 0 || !topo->distance)
		return 0;
	return topo->distance[i * topo->nr_nodes + j];
}

/* True when a present CPU below cpu has package pkg. */
static bool package_seen_before(const struct nl_topology *topo, int cpu, int pkg)
{
	for (int c = 0; c < cpu; c++)
		if (topo->cpus[c].present && topo->cpus[c].package == pkg)
			return true;
	return false;
}

int topology__nr_packages(const struct nl_topology *topo)
{
	int seen[64], n = 0;

	for (int c = 0; c < topo->nr_cpus; c++) {
		int pkg = topo->cpus[c].package, k = 0;

		if (!topo->cpus[c].present || pkg < 0)
			continue;
		while (k < n && k < 64 && seen[k] != pkg)
			k++;
		if (k < n && k < 64)
			continue;
		if (n >= 64 && package_seen_before(topo, c, pkg))
			continue;
		if (n < 64)
			seen[n] = pkg;
		n++;
	}
	return n;
}

int topology__nr_online_cpus(const struct nl_topology *topo)
{
	int n = 0;

	for (int c = 0; c < topo->nr_cpus; c++)
		n += topo->cpus[c].present && topo->cpus[c].online;
	return n;
}

/* --- 4. sysfs ------------------------------------------------------------ */

#define SYS "sys/devices/system/"

struct sysfs_reader {
	const struct nl_sys *sys;       /* every open, read and listing */
	const char *root;               /* without trailing '/' ("" for "/") */
	char path[PATH_MAX];            /* last path built by at() */
	char *buf;                      /* last file read by read_text(), or NULL */
	struct nl_topology *topo;
	struct nl_cpuset online_cpus;
	struct nl_error *err;           /* the first failure, may be NULL */
};

/* Builds root/<fmt...> in rd->path and returns it. */
static const char *at(struct sysfs_reader *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *at(struct sysfs_reader *rd, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(rd->path, sizeof(rd->path), "%s/", rd->root);

	va_start(ap, fmt);
	vsnprintf(rd->path + n, sizeof(rd->path) - (size_t)n, fmt, ap);
	va_end(ap);
	return rd->path;
}

/* Records the first failure (path: strerror); returns err. */
static int fail(struct sysfs_reader *rd, const char *path, int err)
{
	if (rd->err && !rd->err->code) {
		diag__set(rd->err, err, NULL, "%s", strerror(-err));
		diag__set_object(rd->err, "%s", path);
	}
	return err;
}

/* Largest sysfs file read: a cpumap or distance list of a huge machine. */
#define SYSFS_FILE_MAX (1u << 22)

/*
 * Reads the whole file into rd->buf (NUL-terminated) through the sys table
 * (sys__read_file, the one slurp).  Length or -errno (rd->buf then "").
 */
static long read_text(struct sysfs_reader *rd, const char *path)
{
	size_t len;
	int err;

	free(rd->buf);
	err = sys__read_file(rd->sys, path, SYSFS_FILE_MAX, &rd->buf, &len);
	if (err) {
		rd->buf = strdup("");
		return rd->buf ? err : -ENOMEM;
	}
	return (long)len;
}

/* Reads one integer; *out keeps -1 when the file is missing or malformed. */
static void read_int(struct sysfs_reader *rd, const char *path, int *out)
{
	char *end;
	long v;

	*out = -1;
	if (read_text(rd, path) <= 0)
		return;
	errno = 0;
	v = strtol(rd->buf, &end, 10);
	if (!errno && end != rd->buf && v >= INT_MIN && v <= INT_MAX)
		*out = (int)v;
}

/*
 * Adds the CPUs of a cpulist file (mask: a hex cpumask file) to set.
 * 0, or -errno with set unchanged when the file is missing or malformed.
 */
static int read_set(struct sysfs_reader *rd, struct nl_cpuset *set,
		    const char *path, bool mask)
{
	struct nl_cpuset tmp = { 0 };
	long n = read_text(rd, path);
	int err;

	if (n < 0)
		return (int)n;
	err = mask ? cpuset__parse_mask(&tmp, rd->buf)
		   : cpuset__parse_list(&tmp, rd->buf);
	if (!err)
		err = set_or(set, &tmp);
	cpuset__free(&tmp);
	return err;
}

/* Adds N of every entry "<prefix>N" in directory path.  0 or -errno. */
static int scan_ids(struct sysfs_reader *rd, const char *path, const char *prefix,
		    struct nl_cpuset *set)
{
	int *ids, nr, err = sys__list_ids(rd->sys, path, prefix, &ids, &nr);

	for (int i = 0; !err && i < nr; i++)
		if (ids[i] < MAX_CPU_ID)
			err = cpuset__add(set, ids[i]) ? -ENOMEM : 0;
	free(ids);
	return err;
}

/* 0 when path is a directory, else -errno (-ENOTDIR for a file). */
static int is_dir(struct sysfs_reader *rd, const char *path)
{
	int fd = rd->sys->open(path, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return fd;
	rd->sys->close(fd);
	return 0;
}

/* Placement and SMT siblings of one present CPU. */
static int read_cpu(struct sysfs_reader *rd, int cpu)
{
	struct nl_cpuset *sib;
	int pkg, die, core, err;

	read_int(rd, at(rd, SYS "cpu/cpu%d/topology/physical_package_id", cpu), &pkg);
	read_int(rd, at(rd, SYS "cpu/cpu%d/topology/die_id", cpu), &die);
	read_int(rd, at(rd, SYS "cpu/cpu%d/topology/core_id", cpu), &core);
	err = topology__set_cpu(rd->topo, cpu, cpuset__has(&rd->online_cpus, cpu),
				pkg, die, core);
	if (err)
		return err;
	sib = &rd->topo->cpus[cpu].siblings;
	err = read_set(rd, sib, at(rd, SYS "cpu/cpu%d/topology/thread_siblings_list", cpu), false);
	if (err && err != -ENOMEM)
		err = read_set(rd, sib, at(rd, SYS "cpu/cpu%d/topology/thread_siblings", cpu), true);
	if (err && err != -ENOMEM)
		err = read_set(rd, sib, at(rd, SYS "cpu/cpu%d/topology/core_cpus_list", cpu), false);
	return err == -ENOMEM ? err : 0;
}

/* present (or the cpuN directories), possible and online CPUs. */
static int read_cpus(struct sysfs_reader *rd)
{
	struct nl_cpuset present = { 0 }, possible = { 0 };
	int err = 0;

	if (read_set(rd, &present, at(rd, SYS "cpu/present"), false) ||
	    cpuset__count(&present) == 0)
		err = scan_ids(rd, at(rd, SYS "cpu"), "cpu", &present);
	if (err) {
		err = fail(rd, rd->path, err);
		goto out;
	}
	if (read_set(rd, &possible, at(rd, SYS "cpu/possible"), false))
		err = cpuset__copy(&possible, &present);
	if (!err && read_set(rd, &rd->online_cpus, at(rd, SYS "cpu/online"), false))
		err = cpuset__copy(&rd->online_cpus, &present);
	if (!err)
		err = set_or(&possible, &present);
	if (!err)
		err = ensure_cpus(rd->topo, cpuset__last(&possible) + 1);
	for (int c = cpuset__next(&present, 0); !err && c >= 0;
	     c = cpuset__next(&present, c + 1))
		err = read_cpu(rd, c);
out:
	cpuset__free(&present);
	cpuset__free(&possible);
	return err;
}

/* kB after key ("MemTotal:") in a meminfo text, 0 when absent. */
static uint64_t meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* nodeN: memory, cpulist (or the cpumap of old kernels), online flag. */
static int read_node(struct sysfs_reader *rd, int id, bool online)
{
	uint64_t total = 0, free_kb = 0;
	struct nl_topology_node *node;
	int err;

	if (read_text(rd, at(rd, SYS "node/node%d/meminfo", id)) > 0) {
		total = meminfo_kb(rd->buf, "MemTotal:");
		free_kb = meminfo_kb(rd->buf, "MemFree:");
	}
	err = topology__add_node(rd->topo, id, NULL, total, free_kb);
	if (err)
		return err;
	node = &rd->topo->nodes[topology__node_index(rd->topo, id)];
	node->online = online;
	err = read_set(rd, &node->cpus, at(rd, SYS "node/node%d/cpulist", id), false);
	if (err && err != -ENOMEM)
		err = read_set(rd, &node->cpus, at(rd, SYS "node/node%d/cpumap", id), true);
	return err == -ENOMEM ? err : 0;
}

/*
 * nodeN/distance lists one value per online node (per possible node in some
 * trees), in id order: pick the list whose length matches.
 */
static int read_distance(struct sysfs_reader *rd, int id,
			 const struct nl_cpuset *online, const struct nl_cpuset *possible)
{
	const struct nl_cpuset *ids = NULL;
	int count = 0, to;
	char *p, *end;

	if (read_text(rd, at(rd, SYS "node/node%d/distance", id)) <= 0)
		return 0;
	for (p = rd->buf; strtol(p, &end, 10), end != p; p = end)
		count++;
	if (count == cpuset__count(online))
		ids = online;
	else if (count == cpuset__count(possible))
		ids = possible;
	else
		return 0;
	to = cpuset__next(ids, 0);
	for (p = rd->buf; to >= 0; p = end, to = cpuset__next(ids, to + 1)) {
		long d = strtol(p, &end, 10);

		if (topology__set_distance(rd->topo, id, to, (int)d) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

/* Without sys/devices/system/node: one node 0 holding every online CPU. */
static int read_flat(struct sysfs_reader *rd)
{
	uint64_t total = 0, free_kb = 0;
	int err;

	if (read_text(rd, at(rd, "proc/meminfo")) > 0) {
		total = meminfo_kb(rd->buf, "MemTotal:");
		free_kb = meminfo_kb(rd->buf, "MemFree:");
	}
	err = topology__add_node(rd->topo, 0, NULL, total, free_kb);
	if (!err)
		err = cpuset__copy(&rd->topo->nodes[0].cpus, &rd->online_cpus);
	return err;
}

/* Nodes named by node/possible, node/online or a nodeN directory. */
static int read_nodes(struct sysfs_reader *rd)
{
	struct nl_cpuset possible = { 0 }, online = { 0 }, dirs = { 0 };
	int err = 0;

	if (is_dir(rd, at(rd, SYS "node")))
		return read_flat(rd);
	scan_ids(rd, rd->path, "node", &dirs);
	if (read_set(rd, &online, at(rd, SYS "node/online"), false))
		err = cpuset__copy(&online, &dirs);
	if (!err && read_set(rd, &possible, at(rd, SYS "node/possible"), false))
		err = cpuset__copy(&possible, &online);
	if (!err)
		err = set_or(&possible, &online);
	if (!err)
		err = set_or(&possible, &dirs);
	for (int n = cpuset__next(&possible, 0); !err && n >= 0;
	     n = cpuset__next(&possible, n + 1))
		err = read_node(rd, n, cpuset__has(&online, n));
	for (int n = cpuset__next(&possible, 0); !err && n >= 0;
	     n = cpuset__next(&possible, n + 1))
		err = read_distance(rd, n, &online, &possible);
	if (!err && rd->topo->nr_nodes == 0)
		err = read_flat(rd);
	cpuset__free(&possible);
	cpuset__free(&online);
	cpuset__free(&dirs);
	return err;
}

/* Adds one range per memory block in blocks, on node. */
static int add_blocks(struct sysfs_reader *rd, const struct nl_cpuset *blocks,
		      int node)
{
	uint64_t bs = rd->topo->memory_block_size;
	int err = 0;

	for (int b = cpuset__next(blocks, 0); !err && b >= 0;
	     b = cpuset__next(blocks, b + 1))
		if ((uint64_t)b < UINT64_MAX / bs - 1)
			err = topology__add_memory_range(rd->topo, b * bs,
							 (b + 1) * bs, node);
	return err;
}

/* Memory block -> node map from nodeN/memoryM, else memory/memoryM/nodeN. */
static int read_memory(struct sysfs_reader *rd)
{
	struct nl_cpuset blocks = { 0 };
	int err = 0;

	if (read_text(rd, at(rd, SYS "memory/block_size_bytes")) <= 0)
		return 0;
	rd->topo->memory_block_size = strtoull(rd->buf, NULL, 16);
	if (!rd->topo->memory_block_size)
		return 0;
	for (int i = 0; !err && i < rd->topo->nr_nodes; i++) {
		int id = rd->topo->nodes[i].id;

		cpuset__free(&blocks);
		scan_ids(rd, at(rd, SYS "node/node%d", id), "memory", &blocks);
		err = add_blocks(rd, &blocks, id);
	}
	if (!err && rd->topo->nr_ranges == 0) {
		cpuset__free(&blocks);
		scan_ids(rd, at(rd, SYS "memory"), "memory", &blocks);
		for (int b = cpuset__next(&blocks, 0); !err && b >= 0;
		     b = cpuset__next(&blocks, b + 1)) {
			struct nl_cpuset node = { 0 }, one = { 0 };

			scan_ids(rd, at(rd, SYS "memory/memory%d", b), "node", &node);
			if (cpuset__count(&node) && !(err = cpuset__add(&one, b)))
				err = add_blocks(rd, &one, cpuset__next(&node, 0));
			cpuset__free(&node);
			cpuset__free(&one);
		}
	}
	cpuset__free(&blocks);
	return err;
}

/* Checks root and root/sys/devices/system/cpu, allocates the topology. */
static int reader_init(struct sysfs_reader *rd, const char *root)
{
	size_t len = strlen(root);
	int err;
	char origin[sizeof(rd->topo->origin)];

	while (len > 0 && root[len - 1] == '/')
		len--;
	if (len + 64 >= sizeof(rd->path))
		return fail(rd, root, -ENAMETOOLONG);
	rd->root = strndup(root, len);
	snprintf(origin, sizeof(origin), "sysfs:%s", len ? root : "/");
	rd->topo = topology__new(origin);
	if (!rd->root || !rd->topo)
		return -ENOMEM;
	err = is_dir(rd, root);
	if (err)
		return fail(rd, root, err);
	err = is_dir(rd, at(rd, SYS "cpu"));
	if (err)
		return fail(rd, rd->path, err);
	return 0;
}

struct nl_topology *topology__read_sysfs(const char *root, struct nl_error *err)
{
	return topology__read_sysfs_with(sys__default(), root, err);
}

struct nl_topology *topology__read_sysfs_with(const struct nl_sys *sys,
					      const char *root, struct nl_error *err)
{
	struct sysfs_reader rd = { .sys = sys, .err = err };
	int e;

	if (err)
		diag__set(err, 0, NULL, "%s", "");
	e = reader_init(&rd, root);
	if (!e)
		e = read_cpus(&rd);
	if (!e)
		e = read_nodes(&rd);
	if (!e)
		e = read_memory(&rd);
	if (!e)
		e = topology__finish(rd.topo);
	if (e) {
		fail(&rd, root, e);
		topology__free(rd.topo);
		rd.topo = NULL;
	}
	cpuset__free(&rd.online_cpus);
	free((char *)rd.root);
	free(rd.buf);
	return rd.topo;
}
