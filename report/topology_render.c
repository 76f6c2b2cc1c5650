/*
 * topology_render.c - text and JSON forms of a finished topology.
 * See topology_render.h for the contract and the JSON shape.
 *
 * Both forms walk the same views: packages (present CPUs grouped by
 * physical package id) and SMT groups (a CPU's siblings within a set; the
 * lowest member leads the group).  Nothing here changes the topology.
 */
#include "report/topology_render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/topology.h"
#include "samplers/machine_cost.h"

/* --- shared views -------------------------------------------------------- */

struct pkg_view {
	int id;                 /* physical package id */
	struct nl_cpuset cpus;  /* its present CPUs */
};

static void free_views(struct pkg_view *views, int n)
{
	for (int i = 0; i < n; i++)
		cpuset__free(&views[i].cpus);
	free(views);
}

static int view_cmp(const void *a, const void *b)
{
	const struct pkg_view *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Index of package pkg in views[0..n), appending it when new; -1 on ENOMEM. */
static int view_slot(struct pkg_view **views, int *n, int *cap, int pkg)
{
	struct pkg_view *v;
	int k = 0;

	while (k < *n && (*views)[k].id != pkg)
		k++;
	if (k < *n)
		return k;
	if (*n == *cap) {
		v = realloc(*views, (size_t)(*cap ? *cap * 2 : 8) * sizeof(*v));
		if (!v)
			return -1;
		*views = v;
		*cap = *cap ? *cap * 2 : 8;
	}
	(*views)[k] = (struct pkg_view){ .id = pkg };
	(*n)++;
	return k;
}

/* Packages of present CPUs sorted by id (OUT: *views).  Count or -ENOMEM. */
static int collect_packages(const struct nl_topology *topo, struct pkg_view **views)
{
	int n = 0, cap = 0;

	*views = NULL;
	for (int c = 0; c < topo->nr_cpus; c++) {
		const struct nl_topology_cpu *cpu = &topo->cpus[c];
		int k;

		if (!cpu->present || cpu->package < 0)
			continue;
		k = view_slot(views, &n, &cap, cpu->package);
		if (k < 0 || cpuset__add(&(*views)[k].cpus, c)) {
			free_views(*views, n);
			*views = NULL;
			return -ENOMEM;
		}
	}
	if (n)
		qsort(*views, (size_t)n, sizeof(**views), view_cmp);
	return n;
}

enum cpu_filter { F_PRESENT, F_ONLINE, F_OFFLINE, F_NO_PACKAGE };

/* CPUs of cpus[] passing filter (OUT: *set, freed by the caller).  0 or -ENOMEM. */
static int cpus_where(const struct nl_topology *topo, enum cpu_filter f,
		      struct nl_cpuset *set)
{
	*set = (struct nl_cpuset){ 0 };
	for (int c = 0; c < topo->nr_cpus; c++) {
		const struct nl_topology_cpu *cpu = &topo->cpus[c];
		bool in = f == F_PRESENT ? cpu->present
			: f == F_ONLINE ? cpu->present && cpu->online
			: f == F_OFFLINE ? !(cpu->present && cpu->online)
			: cpu->present && cpu->online && cpu->package < 0;

		if (in && cpuset__add(set, c))
			return -ENOMEM;
	}
	return 0;
}

/* True when no SMT sibling of cpu below it lies in within. */
static bool leads(const struct nl_topology *topo, int cpu,
		  const struct nl_cpuset *within)
{
	const struct nl_cpuset *sib = &topo->cpus[cpu].siblings;

	for (int d = cpuset__next(sib, 0); d >= 0 && d < cpu;
	     d = cpuset__next(sib, d + 1))
		if (cpuset__has(within, d))
			return false;
	return true;
}

/* SMT group of cpu within a set ({cpu} when its siblings are unknown). */
static int group_of(const struct nl_topology *topo, int cpu,
		    const struct nl_cpuset *within, struct nl_cpuset *out)
{
	const struct nl_cpuset *sib = &topo->cpus[cpu].siblings;

	*out = (struct nl_cpuset){ 0 };
	if (cpuset__add(out, cpu))
		return -ENOMEM;
	for (int d = cpuset__next(sib, 0); d >= 0; d = cpuset__next(sib, d + 1))
		if (cpuset__has(within, d) && cpuset__add(out, d))
			return -ENOMEM;
	return 0;
}

/* Node ids of the CPUs in set (OUT: *nodes).  0 or -ENOMEM. */
static int nodes_of(const struct nl_topology *topo, const struct nl_cpuset *set,
		    struct nl_cpuset *nodes)
{
	*nodes = (struct nl_cpuset){ 0 };
	for (int c = cpuset__next(set, 0); c >= 0; c = cpuset__next(set, c + 1)) {
		int node = topology__node_of_cpu(topo, c);

		if (node >= 0 && cpuset__add(nodes, node))
			return -ENOMEM;
	}
	return 0;
}

/* Distinct die ids of the CPUs in set. */
static int dies_of(const struct nl_topology *topo, const struct nl_cpuset *set,
		   struct nl_cpuset *dies)
{
	*dies = (struct nl_cpuset){ 0 };
	for (int c = cpuset__next(set, 0); c >= 0; c = cpuset__next(set, c + 1))
		if (topo->cpus[c].die >= 0 && cpuset__add(dies, topo->cpus[c].die))
			return -ENOMEM;
	return 0;
}

/* The cpulist text of set, malloc'd ("" when empty), or NULL on ENOMEM. */
static char *list_str(const struct nl_cpuset *set)
{
	size_t size = (size_t)cpuset__count(set) * 8 + 16;
	char *buf = malloc(size);

	return buf ? cpuset__format(set, buf, size) : NULL;
}

/* --- text ---------------------------------------------------------------- */

static void print_list(FILE *out, const char *fmt, const struct nl_cpuset *set)
{
	char *s = list_str(set);

	fprintf(out, fmt, s && *s ? s : "none");
	free(s);
}

static void print_ids(FILE *out, const struct nl_cpuset *set)
{
	for (int c = cpuset__next(set, 0); c >= 0; c = cpuset__next(set, c + 1))
		fprintf(out, " %d", c);
}

/* numactl's "node distances:" table over the online nodes. */
static void text_distances(FILE *out, const struct nl_topology *topo)
{
	const struct nl_topology_node *nodes = topo->nodes;

	if (!topo->distance)
		return;
	fprintf(out, "node distances:\nnode ");
	for (int j = 0; j < topo->nr_nodes; j++)
		if (nodes[j].online)
			fprintf(out, "%3d ", nodes[j].id);
	for (int i = 0; i < topo->nr_nodes; i++) {
		if (!nodes[i].online)
			continue;
		fprintf(out, "\n%3d: ", nodes[i].id);
		for (int j = 0; j < topo->nr_nodes; j++) {
			int d = topo->distance[i * topo->nr_nodes + j];

			if (!nodes[j].online)
				continue;
			if (d)
				fprintf(out, "%3d ", d);
			else
				fprintf(out, "  - ");
		}
	}
	fprintf(out, "\n");
}

/* The `numactl -H` vocabulary: available, node N cpus/size/free, distances. */
static void text_numactl(FILE *out, const struct nl_topology *topo)
{
	struct nl_cpuset online = { 0 }, offline = { 0 };

	for (int i = 0; i < topo->nr_nodes; i++)
		cpuset__add(topo->nodes[i].online ? &online : &offline,
			    topo->nodes[i].id);
	fprintf(out, "available: %d nodes ", cpuset__count(&online));
	print_list(out, "(%s)\n", &online);
	for (int i = 0; i < topo->nr_nodes; i++) {
		const struct nl_topology_node *n = &topo->nodes[i];

		if (!n->online)
			continue;
		fprintf(out, "node %d cpus:", n->id);
		for (int c = cpuset__next(&n->cpus, 0); c >= 0;
		     c = cpuset__next(&n->cpus, c + 1))
			if (c < topo->nr_cpus && topo->cpus[c].online)
				fprintf(out, " %d", c);
		fprintf(out, "\nnode %d size: %" PRIu64 " MB\n", n->id,
			n->mem_total_kb / 1024);
		fprintf(out, "node %d free: %" PRIu64 " MB\n", n->id,
			n->mem_free_kb / 1024);
	}
	text_distances(out, topo);
	if (cpuset__count(&offline))
		print_list(out, "offline nodes: %s\n", &offline);
	cpuset__free(&online);
	cpuset__free(&offline);
}

/* "Core C: PU a b" lines of one package. */
static void text_cores(FILE *out, const struct nl_topology *topo,
		       const struct pkg_view *v)
{
	for (int c = cpuset__next(&v->cpus, 0); c >= 0;
	     c = cpuset__next(&v->cpus, c + 1)) {
		struct nl_cpuset group;

		if (!leads(topo, c, &v->cpus))
			continue;
		if (topo->cpus[c].core >= 0)
			fprintf(out, "  Core %d:", topo->cpus[c].core);
		else
			fprintf(out, "  Core ?:");
		if (!group_of(topo, c, &v->cpus, &group)) {
			fprintf(out, " PU");
			print_ids(out, &group);
		}
		fprintf(out, "\n");
		cpuset__free(&group);
	}
}

/* lstopo-like: Package P (cpus, nodes, dies) then its cores. */
static void text_packages(FILE *out, const struct nl_topology *topo)
{
	struct pkg_view *views;
	struct nl_cpuset loose;
	int n = collect_packages(topo, &views);

	for (int i = 0; i < n; i++) {
		struct nl_cpuset nodes, dies;

		fprintf(out, "Package %d:", views[i].id);
		print_list(out, " cpus %s", &views[i].cpus);
		if (!nodes_of(topo, &views[i].cpus, &nodes) && cpuset__count(&nodes))
			print_list(out, ", nodes %s", &nodes);
		else
			fprintf(out, ", no node");
		if (!dies_of(topo, &views[i].cpus, &dies) && cpuset__count(&dies))
			print_list(out, ", dies %s", &dies);
		fprintf(out, "\n");
		cpuset__free(&nodes);
		cpuset__free(&dies);
		text_cores(out, topo, &views[i]);
	}
	free_views(views, n > 0 ? n : 0);
	if (!cpus_where(topo, F_NO_PACKAGE, &loose) && cpuset__count(&loose))
		print_list(out, "CPUs without package: %s\n", &loose);
	cpuset__free(&loose);
}

/* Size of the largest SMT group and the number of groups among set. */
static void smt_shape(const struct nl_topology *topo, const struct nl_cpuset *set,
		      int *threads, int *groups)
{
	*threads = 0;
	*groups = 0;
	for (int c = cpuset__next(set, 0); c >= 0; c = cpuset__next(set, c + 1)) {
		struct nl_cpuset g;

		if (!cpuset__count(&topo->cpus[c].siblings) || !leads(topo, c, set))
			continue;
		if (!group_of(topo, c, set, &g)) {
			if (cpuset__count(&g) > *threads)
				*threads = cpuset__count(&g);
			(*groups)++;
		}
		cpuset__free(&g);
	}
}

/* SMT, present/online/offline CPUs, memory block map. */
static void text_extras(FILE *out, const struct nl_topology *topo)
{
	struct nl_cpuset set;
	int threads, groups;

	if (!cpus_where(topo, F_PRESENT, &set)) {
		smt_shape(topo, &set, &threads, &groups);
		if (threads)
			fprintf(out, "SMT siblings: %d thread%s per core, %d groups\n",
				threads, threads == 1 ? "" : "s", groups);
		else
			fprintf(out, "SMT siblings: unknown\n");
		print_list(out, "CPUs present: %s\n", &set);
	}
	cpuset__free(&set);
	if (!cpus_where(topo, F_ONLINE, &set))
		print_list(out, "CPUs online: %s\n", &set);
	cpuset__free(&set);
	if (!cpus_where(topo, F_OFFLINE, &set))
		print_list(out, "CPUs offline: %s\n", &set);
	cpuset__free(&set);
	if (!topo->memory_block_size) {
		fprintf(out, "memory blocks: unknown\n");
		return;
	}
	fprintf(out, "memory block size: %" PRIu64 " MiB\n",
		topo->memory_block_size >> 20);
	for (int i = 0; i < topo->nr_ranges; i++)
		fprintf(out, "memory [0x%" PRIx64 ", 0x%" PRIx64 "): node %d\n",
			topo->ranges[i].start, topo->ranges[i].end,
			topo->ranges[i].node);
}

void topology_render__text(FILE *out, const struct nl_topology *topo)
{
	if (!topo) {
		fprintf(out, "topology: unknown\n");
		return;
	}
	text_numactl(out, topo);
	fprintf(out, "\n");
	text_packages(out, topo);
	text_extras(out, topo);
}

/* --- JSON ---------------------------------------------------------------- */

/* obj[key] = cpulist string of set.  false on ENOMEM. */
static bool add_list(cJSON *obj, const char *key, const struct nl_cpuset *set)
{
	char *s = list_str(set);
	bool ok = s && cJSON_AddStringToObject(obj, key, s);

	free(s);
	return ok;
}

/* Appends item to arr (or deletes it).  false on ENOMEM. */
static bool append(cJSON *arr, cJSON *item)
{
	if (item && cJSON_AddItemToArray(arr, item))
		return true;
	cJSON_Delete(item);
	return false;
}

/* A JSON array of the ids in set, or NULL on ENOMEM. */
static cJSON *id_array(const struct nl_cpuset *set)
{
	cJSON *arr = cJSON_CreateArray();

	for (int c = cpuset__next(set, 0); arr && c >= 0; c = cpuset__next(set, c + 1))
		if (!append(arr, cJSON_CreateNumber(c))) {
			cJSON_Delete(arr);
			arr = NULL;
		}
	return arr;
}

/* obj[key] = array of the ids in set.  false on ENOMEM. */
static bool add_ids(cJSON *obj, const char *key, const struct nl_cpuset *set)
{
	cJSON *arr = id_array(set);

	if (arr && cJSON_AddItemToObject(obj, key, arr))
		return true;
	cJSON_Delete(arr);
	return false;
}

/* A new object appended to arr, or NULL on ENOMEM. */
static cJSON *new_obj_in(cJSON *arr)
{
	cJSON *o = cJSON_CreateObject();

	return append(arr, o) ? o : NULL;
}

/* obj[key] = n, or null when n < 0. */
static bool add_int_or_null(cJSON *obj, const char *key, int64_t n)
{
	return n >= 0 ? cJSON_AddNumberToObject(obj, key, (double)n) != NULL
		      : cJSON_AddNullToObject(obj, key) != NULL;
}

static bool json_node(cJSON *arr, const struct nl_topology *topo,
		      const struct nl_topology_node *n)
{
	cJSON *o = new_obj_in(arr);
	struct nl_cpuset on = { 0 };
	bool ok = o != NULL;

	for (int c = cpuset__next(&n->cpus, 0); ok && c >= 0 && c < topo->nr_cpus;
	     c = cpuset__next(&n->cpus, c + 1))
		if (topo->cpus[c].present && topo->cpus[c].online)
			ok = !cpuset__add(&on, c);
	ok = ok && cJSON_AddNumberToObject(o, "id", n->id) &&
	     cJSON_AddBoolToObject(o, "online", n->online) &&
	     add_list(o, "cpus", &n->cpus) &&
	     cJSON_AddNumberToObject(o, "nr_cpus", cpuset__count(&n->cpus)) &&
	     add_list(o, "cpus_online", &on) &&
	     cJSON_AddNumberToObject(o, "mem_total_kb", (double)n->mem_total_kb) &&
	     cJSON_AddNumberToObject(o, "mem_free_kb", (double)n->mem_free_kb);
	cpuset__free(&on);
	return ok;
}

static bool json_distances(cJSON *root, const struct nl_topology *topo)
{
	int n = topo->nr_nodes;
	cJSON *rows;
	bool ok;

	if (!topo->distance)
		return cJSON_AddNullToObject(root, "distances") != NULL;
	rows = cJSON_AddArrayToObject(root, "distances");
	ok = rows != NULL;
	for (int i = 0; ok && i < n; i++) {
		cJSON *row = cJSON_CreateArray();

		ok = append(rows, row);
		for (int j = 0; ok && j < n; j++) {
			int d = topo->distance[i * n + j];

			ok = append(row, d ? cJSON_CreateNumber(d) : cJSON_CreateNull());
		}
	}
	return ok;
}

static bool json_cores(cJSON *pkg, const struct nl_topology *topo,
		       const struct pkg_view *v)
{
	cJSON *cores = cJSON_AddArrayToObject(pkg, "cores");
	bool ok = cores != NULL;

	for (int c = cpuset__next(&v->cpus, 0); ok && c >= 0;
	     c = cpuset__next(&v->cpus, c + 1)) {
		struct nl_cpuset group = { 0 };
		cJSON *o;

		if (!leads(topo, c, &v->cpus))
			continue;
		o = new_obj_in(cores);
		ok = o && add_int_or_null(o, "id", topo->cpus[c].core) &&
		     add_int_or_null(o, "die", topo->cpus[c].die) &&
		     !group_of(topo, c, &v->cpus, &group) &&
		     add_ids(o, "cpus", &group);
		cpuset__free(&group);
	}
	return ok;
}

static bool json_packages(cJSON *root, const struct nl_topology *topo)
{
	cJSON *arr = cJSON_AddArrayToObject(root, "packages");
	struct pkg_view *views;
	int n = collect_packages(topo, &views);
	bool ok = arr && n >= 0;

	for (int i = 0; ok && i < n; i++) {
		cJSON *o = new_obj_in(arr);
		struct nl_cpuset dies = { 0 };

		ok = o && cJSON_AddNumberToObject(o, "id", views[i].id) &&
		     add_list(o, "cpus", &views[i].cpus) &&
		     !dies_of(topo, &views[i].cpus, &dies) &&
		     add_ids(o, "dies", &dies) && json_cores(o, topo, &views[i]);
		cpuset__free(&dies);
	}
	free_views(views, n > 0 ? n : 0);
	return ok;
}

static bool json_smt(cJSON *root, const struct nl_topology *topo)
{
	cJSON *smt = cJSON_AddObjectToObject(root, "smt");
	cJSON *groups = NULL;
	struct nl_cpuset present = { 0 };
	int threads, nr;
	bool ok = smt && !cpus_where(topo, F_PRESENT, &present);

	if (ok) {
		smt_shape(topo, &present, &threads, &nr);
		ok = add_int_or_null(smt, "threads_per_core", threads ? threads : -1) &&
		     (groups = cJSON_AddArrayToObject(smt, "sibling_groups"));
	}
	for (int c = cpuset__next(&present, 0); ok && c >= 0;
	     c = cpuset__next(&present, c + 1)) {
		struct nl_cpuset g = { 0 };

		if (!cpuset__count(&topo->cpus[c].siblings) || !leads(topo, c, &present))
			continue;
		ok = !group_of(topo, c, &present, &g) && append(groups, id_array(&g));
		cpuset__free(&g);
	}
	cpuset__free(&present);
	return ok;
}

static bool json_cpus(cJSON *root, const struct nl_topology *topo)
{
	static const struct { const char *key; enum cpu_filter f; } lists[] = {
		{ "cpus_present", F_PRESENT },
		{ "cpus_online", F_ONLINE },
		{ "cpus_offline", F_OFFLINE },
	};
	bool ok = true;

	for (size_t i = 0; ok && i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct nl_cpuset set = { 0 };

		ok = !cpus_where(topo, lists[i].f, &set) &&
		     add_list(root, lists[i].key, &set);
		cpuset__free(&set);
	}
	return ok;
}

static bool json_memory(cJSON *root, const struct nl_topology *topo)
{
	cJSON *arr = NULL;
	bool ok = cJSON_AddNumberToObject(root, "memory_block_size",
					  (double)topo->memory_block_size) &&
		  (arr = cJSON_AddArrayToObject(root, "memory_ranges"));

	for (int i = 0; ok && i < topo->nr_ranges; i++) {
		const struct nl_memory_range *r = &topo->ranges[i];
		cJSON *o = new_obj_in(arr);

		ok = o && cJSON_AddNumberToObject(o, "start", (double)r->start) &&
		     cJSON_AddNumberToObject(o, "end", (double)r->end) &&
		     cJSON_AddNumberToObject(o, "node", r->node);
	}
	return ok;
}

cJSON *topology_render__json(const struct nl_topology *topo)
{
	cJSON *root, *nodes = NULL;
	bool ok;

	if (!topo)
		return cJSON_CreateNull();
	root = cJSON_CreateObject();
	ok = root && cJSON_AddStringToObject(root, "origin", topo->origin) &&
		  (nodes = cJSON_AddArrayToObject(root, "nodes"));

	for (int i = 0; ok && i < topo->nr_nodes; i++)
		ok = json_node(nodes, topo, &topo->nodes[i]);
	ok = ok && json_distances(root, topo) && json_packages(root, topo) &&
	     json_smt(root, topo) && json_cpus(root, topo) &&
	     json_memory(root, topo);
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* --- measured costs ------------------------------------------------------- */

/* One matrix: rows CPU nodes, columns memory nodes, value picked by field. */
static void cost_matrix(FILE *out, const struct nl_machine_cost *c, const char *title,
			const char *fmt, int which)
{
	fprintf(out, "%s\n  cpu\\mem", title);
	for (int m = 0; m < c->nr_mem_nodes; m++)
		fprintf(out, " %9d", c->mem_nodes[m]);
	fprintf(out, "\n");
	for (int i = 0; i < c->nr_cpu_nodes; i++) {
		fprintf(out, "  %7d", c->cpu_nodes[i]);
		for (int m = 0; m < c->nr_mem_nodes; m++) {
			const struct nl_cost_cell *x = &c->cells[i * c->nr_mem_nodes + m];

			fprintf(out, " ");
			fprintf(out, fmt, which == 0 ? x->latency_ns : x->bandwidth_gbs);
		}
		fprintf(out, "\n");
	}
}

void topology_render__cost_text(FILE *out, const struct nl_topology *topo,
				const struct nl_machine_cost *c)
{
	fprintf(out, "\nmeasured (%u MiB per cell, %.1f s; pages bound with mbind, placement "
		"checked):\n", c->size_mib, c->seconds);
	cost_matrix(out, c, "idle load latency, ns (dependent loads, one CPU of the row node)",
		    "%9.1f", 0);
	cost_matrix(out, c, "read bandwidth, GB/s (every CPU of the row node)", "%9.2f", 1);
	for (int i = 0; i < c->nr_cpu_nodes * c->nr_mem_nodes; i++)
		if (c->cells[i].placed < 0.9)
			fprintf(out, "  note: cpu node %d x mem node %d: only %.0f%% of the checked "
				"pages were on node %d\n", c->cells[i].cpu_node, c->cells[i].mem_node,
				c->cells[i].placed * 100, c->cells[i].mem_node);
	if (c->latency_ratio > 0) {
		int d_local = topology__distance(topo, c->cpu_nodes[0], c->cpu_nodes[0]);
		int d_remote = 0;

		for (int m = 0; m < c->nr_mem_nodes && !d_remote; m++)
			if (c->mem_nodes[m] != c->cpu_nodes[0])
				d_remote = topology__distance(topo, c->cpu_nodes[0], c->mem_nodes[m]);
		fprintf(out, "remote costs %.1fx latency and %.2fx bandwidth here", c->latency_ratio,
			c->bandwidth_ratio);
		if (d_local && d_remote)
			fprintf(out, " (SLIT distance %d vs %d: %.1fx)", d_remote, d_local,
				(double)d_remote / d_local);
		fprintf(out, "\n");
	} else {
		fprintf(out, "no remote pair: one node with memory and CPUs, nothing to compare\n");
	}
}

cJSON *topology_render__cost_json(const struct nl_machine_cost *c)
{
	cJSON *o = cJSON_CreateObject(), *cells;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "size_mib", c->size_mib);
	cJSON_AddNumberToObject(o, "seconds", c->seconds);
	cells = cJSON_AddArrayToObject(o, "cells");
	for (int i = 0; cells && i < c->nr_cpu_nodes * c->nr_mem_nodes; i++) {
		const struct nl_cost_cell *x = &c->cells[i];
		cJSON *e = cJSON_CreateObject();

		if (!e)
			break;
		cJSON_AddNumberToObject(e, "cpu_node", x->cpu_node);
		cJSON_AddNumberToObject(e, "mem_node", x->mem_node);
		cJSON_AddNumberToObject(e, "latency_ns", x->latency_ns);
		cJSON_AddNumberToObject(e, "bandwidth_gbs", x->bandwidth_gbs);
		cJSON_AddNumberToObject(e, "threads", x->threads);
		cJSON_AddNumberToObject(e, "placed", x->placed);
		cJSON_AddItemToArray(cells, e);
	}
	if (c->latency_ratio > 0) {
		cJSON_AddNumberToObject(o, "remote_latency_ratio", c->latency_ratio);
		cJSON_AddNumberToObject(o, "remote_bandwidth_ratio", c->bandwidth_ratio);
	} else {
		cJSON_AddNullToObject(o, "remote_latency_ratio");
		cJSON_AddNullToObject(o, "remote_bandwidth_ratio");
	}
	return o;
}
