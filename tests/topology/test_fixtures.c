/*
 * test_fixtures.c - numalens' topology of every real-machine sysfs tree in
 * shared/fixtures/sysfs against hwloc's lstopo output for the same tree
 * (hwloc-expected.console, the oracle).
 *
 * The oracle is parsed here, not copied: the lstopo tree gives each PU's OS
 * index (P#), its Package P#, Core P# and NUMANode P# (the memory child of
 * the nearest ancestor that has one); the "Relative latency matrix" block
 * gives distances by logical node index; "N processors not represented"
 * gives the present-but-offline CPUs.  Compared: node ids, CPUs per node
 * (C API, JSON and numactl-style text), packages, cores and SMT groups
 * (C API and JSON), distances, node memory in lstopo's rounding, offline
 * CPUs.  Where hwloc is documented to differ (CPU-less GPU nodes that
 * nvidiagpunumanodes' hwloc-expected.test says hwloc ignores) the extra
 * facts come from that fixture's SOURCE.md, in known_extras[] below.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/topology.h"
#include "report/topology_render.h"

#define MAX_PU 4096
#define MAX_NODE 256
#define MAX_DEPTH 32

struct oracle_pu {
	int os;                 /* PU P# = Linux CPU id */
	int package;            /* Package P# (-1 none) */
	int core;               /* Core P# (-1 none) */
	int core_line;          /* line of its Core: identifies the core */
	int node;               /* NUMANode P# (-1 none) */
};

struct oracle {
	int nr_pus;
	struct oracle_pu pus[MAX_PU];
	int nr_nodes;                   /* NUMANode lines, by L# */
	int node_os[MAX_NODE];          /* L# -> P# */
	char node_local[MAX_NODE][32];  /* "local=46GiB" value */
	int dist_n;
	int dist[MAX_NODE][MAX_NODE];   /* by logical index */
	struct nl_cpuset offline;       /* "processors not represented" */
};

/* Facts hwloc leaves out of its console, from the fixture's SOURCE.md. */
static const struct {
	const char *fixture;
	const char *cpuless_nodes;      /* nodes hwloc ignores (no CPUs) */
	int from, to, distance;         /* one distance to such a node */
} known_extras[] = {
	{ "nvidiagpunumanodes", "250-255", 0, 250, 80 },
};

struct frame {
	int indent, pnum, numa, line;
	char type[32];
};

/* P# of "(P#n" in line, or -1. */
static int pnum_of(const char *line)
{
	const char *p = strstr(line, "(P#");

	return p ? atoi(p + 3) : -1;
}

/* Nearest frame of type (from the top of the stack); NULL when none. */
static const struct frame *nearest(const struct frame *st, int depth,
				   const char *type)
{
	for (int i = depth - 1; i >= 0; i--)
		if (!type ? st[i].numa >= 0 : !strcmp(st[i].type, type))
			return &st[i];
	return NULL;
}

static void oracle_pu(struct oracle *o, const struct frame *st, int depth, int os)
{
	const struct frame *pkg = nearest(st, depth, "Package");
	const struct frame *core = nearest(st, depth, "Core");
	const struct frame *mem = nearest(st, depth, NULL);

	if (o->nr_pus >= MAX_PU)
		return;
	o->pus[o->nr_pus++] = (struct oracle_pu){
		.os = os, .package = pkg ? pkg->pnum : -1,
		.core = core ? core->pnum : -1, .core_line = core ? core->line : -1,
		.node = mem ? mem->numa : -1 };
}

static void oracle_node(struct oracle *o, struct frame *parent, const char *line)
{
	const char *local = strstr(line, "local=");
	int l = atoi(strstr(line, "L#") + 2);

	if (l < 0 || l >= MAX_NODE)
		return;
	o->node_os[l] = pnum_of(line);
	if (local)
		sscanf(local + 6, "%31[^ )]", o->node_local[l]);
	if (l >= o->nr_nodes)
		o->nr_nodes = l + 1;
	if (parent && parent->numa < 0)
		parent->numa = o->node_os[l];
}

/* One line of the lstopo tree: keeps the ancestor stack in st. */
static void oracle_tree_line(struct oracle *o, struct frame *st, int *depth,
			     const char *line, int lineno)
{
	int indent = (int)strspn(line, " ");
	struct frame f = { .indent = indent, .pnum = pnum_of(line), .numa = -1,
			   .line = lineno };

	sscanf(line + indent, "%31s", f.type);
	while (*depth > 0 && st[*depth - 1].indent >= indent)
		(*depth)--;
	if (!strcmp(f.type, "NUMANode")) {
		oracle_node(o, *depth ? &st[*depth - 1] : NULL, line);
		return;
	}
	if (!strcmp(f.type, "PU"))
		oracle_pu(o, st, *depth, f.pnum);
	if (*depth < MAX_DEPTH)
		st[(*depth)++] = f;
}

/* "7 processors not represented in topology: 0x00e0000f" */
static void oracle_offline(struct oracle *o, const char *line)
{
	const char *p = strstr(line, ": 0x");
	char mask[1024];
	size_t n = 0;

	for (p = p ? p + 2 : ""; *p && *p != '\n' && n + 1 < sizeof(mask); p++) {
		if (p[0] == '0' && p[1] == 'x')
			p++;
		else
			mask[n++] = *p;
	}
	mask[n] = '\0';
	CHECK(cpuset__parse_mask(&o->offline, mask) == 0);
}

/* Reads the matrix rows that follow "Relative latency matrix ... between N". */
static void oracle_matrix(struct oracle *o, FILE *f, const char *line)
{
	char buf[4096];
	int n = atoi(strstr(line, "between ") + 8);

	CHECK(strstr(line, "by logical indexes") != NULL);
	if (n <= 0 || n > MAX_NODE || !fgets(buf, sizeof(buf), f))
		return;
	o->dist_n = n;
	for (int i = 0; i < n && fgets(buf, sizeof(buf), f); i++) {
		char *p = buf, *end;

		strtol(p, &end, 10);    /* row index */
		for (int j = 0; j < n; j++, p = end)
			o->dist[i][j] = (int)strtol(p = end, &end, 10);
	}
}

static int oracle_load(struct oracle *o, const char *path)
{
	struct frame st[MAX_DEPTH];
	int depth = 0, lineno = 0;
	bool tree = true;
	char line[8192];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strncmp(line, "depth 0:", 8))
			tree = false;
		if (tree)
			oracle_tree_line(o, st, &depth, line, lineno);
		else if (strstr(line, "Relative latency matrix"))
			oracle_matrix(o, f, line);
		else if (strstr(line, "processors not represented"))
			oracle_offline(o, line);
	}
	fclose(f);
	return 0;
}

/* --- comparisons --------------------------------------------------------- */

/* PUs of the oracle with node (want_node) / package (!want_node) == id. */
static void oracle_pus_of(const struct oracle *o, bool want_node, int id,
			  struct nl_cpuset *out)
{
	for (int i = 0; i < o->nr_pus; i++)
		if ((want_node ? o->pus[i].node : o->pus[i].package) == id)
			cpuset__add(out, o->pus[i].os);
}

/* PUs sharing the core (by lstopo line) of PU index i. */
static void oracle_core_of(const struct oracle *o, int i, struct nl_cpuset *out)
{
	for (int k = 0; k < o->nr_pus; k++)
		if (o->pus[k].core_line == o->pus[i].core_line)
			cpuset__add(out, o->pus[k].os);
}

static void online_only(const struct nl_topology *topo, struct nl_cpuset *set)
{
	struct nl_cpuset out = { 0 };

	for (int c = cpuset__next(set, 0); c >= 0; c = cpuset__next(set, c + 1))
		if (c < topo->nr_cpus && topo->cpus[c].present && topo->cpus[c].online)
			cpuset__add(&out, c);
	cpuset__free(set);
	*set = out;
}

/* Each oracle PU: present, online, same node, package, core and SMT group. */
static void check_pus(const struct oracle *o, const struct nl_topology *topo)
{
	CHECK_EQ_U64(topology__nr_online_cpus(topo), o->nr_pus);
	for (int i = 0; i < o->nr_pus; i++) {
		const struct oracle_pu *pu = &o->pus[i];
		const struct nl_topology_cpu *cpu;
		struct nl_cpuset want = { 0 }, got = { 0 };

		if (pu->os >= topo->nr_cpus) {
			CHECK(pu->os < topo->nr_cpus);
			continue;
		}
		cpu = &topo->cpus[pu->os];
		CHECK(cpu->present && cpu->online);
		CHECK_EQ_U64(topology__node_of_cpu(topo, pu->os), pu->node);
		CHECK_EQ_U64(cpu->package, pu->package);
		CHECK_EQ_U64(cpu->core, pu->core);
		oracle_core_of(o, i, &want);
		cpuset__copy(&got, &cpu->siblings);
		online_only(topo, &got);
		CHECK(cpuset__equal(&got, &want));
		cpuset__free(&want);
		cpuset__free(&got);
	}
}

/* A hwloc size as lstopo prints it (hwloc_memory_size_printf_value). */
static void hwloc_size(uint64_t kb, char *buf, size_t size)
{
	uint64_t b = kb * 1024;

	if (b < (10ull << 20))
		snprintf(buf, size, "%" PRIu64 "KiB", ((b >> 9) + 1) >> 1);
	else if (b < (10ull << 30))
		snprintf(buf, size, "%" PRIu64 "MiB", ((b >> 19) + 1) >> 1);
	else if (b < (10ull << 40))
		snprintf(buf, size, "%" PRIu64 "GiB", ((b >> 29) + 1) >> 1);
	else
		snprintf(buf, size, "%" PRIu64 "TiB", ((b >> 39) + 1) >> 1);
}

/* Every oracle node exists with its CPUs and memory; extras are CPU-less. */
static void check_nodes(const struct oracle *o, const struct nl_topology *topo,
			const struct nl_cpuset *extras)
{
	int online_nodes = 0;

	for (int l = 0; l < o->nr_nodes; l++) {
		int idx = topology__node_index(topo, o->node_os[l]);
		struct nl_cpuset want = { 0 }, got = { 0 };
		char size[32];

		CHECK(idx >= 0);
		if (idx < 0)
			continue;
		CHECK(topo->nodes[idx].online);
		oracle_pus_of(o, true, o->node_os[l], &want);
		cpuset__copy(&got, &topo->nodes[idx].cpus);
		online_only(topo, &got);
		CHECK(cpuset__equal(&got, &want));
		hwloc_size(topo->nodes[idx].mem_total_kb, size, sizeof(size));
		CHECK_EQ_STR(size, o->node_local[l]);
		cpuset__free(&want);
		cpuset__free(&got);
	}
	for (int i = 0; i < topo->nr_nodes; i++) {
		online_nodes += topo->nodes[i].online;
		if (cpuset__has(extras, topo->nodes[i].id)) {
			struct nl_cpuset got = { 0 };

			cpuset__copy(&got, &topo->nodes[i].cpus);
			online_only(topo, &got);
			CHECK_EQ_U64(cpuset__count(&got), 0);
			cpuset__free(&got);
		}
	}
	CHECK_EQ_U64(online_nodes, o->nr_nodes + cpuset__count(extras));
}

static void check_distances(const struct oracle *o, const struct nl_topology *topo)
{
	CHECK(o->dist_n == 0 || o->dist_n == o->nr_nodes);
	for (int i = 0; i < o->dist_n; i++)
		for (int j = 0; j < o->dist_n; j++)
			CHECK_EQ_U64(topology__distance(topo, o->node_os[i], o->node_os[j]),
				     o->dist[i][j]);
}

/*
 * Present CPUs that are not online == hwloc's "not represented"; CPUs the
 * machine does not have belong to no node (topology.h invariant 3).
 */
static void check_offline(const struct oracle *o, const struct nl_topology *topo)
{
	struct nl_cpuset got = { 0 };

	for (int c = 0; c < topo->nr_cpus; c++) {
		if (topo->cpus[c].present && !topo->cpus[c].online)
			cpuset__add(&got, c);
		if (!topo->cpus[c].present)
			CHECK_EQ_U64(topology__node_of_cpu(topo, c), (uint64_t)-1);
	}
	CHECK(cpuset__equal(&got, &o->offline));
	cpuset__free(&got);
}

/* --- JSON and text ------------------------------------------------------- */

static void json_set(const cJSON *item, struct nl_cpuset *out)
{
	*out = (struct nl_cpuset){ 0 };
	if (cJSON_IsString(item))
		CHECK(cpuset__parse_list(out, item->valuestring) == 0);
	else if (cJSON_IsArray(item))
		for (const cJSON *e = item->child; e; e = e->next)
			cpuset__add(out, e->valueint);
	else
		CHECK(!"cpus is neither a cpulist string nor an array");
}

/* A JSON core's cpus equal the oracle core of its first PU. */
static void check_json_core(const struct oracle *o, const cJSON *core,
			    const struct nl_topology *topo)
{
	struct nl_cpuset got, want = { 0 };
	int first;

	json_set(cJSON_GetObjectItem(core, "cpus"), &got);
	online_only(topo, &got);
	first = cpuset__next(&got, 0);
	for (int i = 0; i < o->nr_pus; i++)
		if (o->pus[i].os == first)
			oracle_core_of(o, i, &want);
	CHECK(cpuset__equal(&got, &want));
	cpuset__free(&got);
	cpuset__free(&want);
}

/* Distinct cores of the oracle in package (any package when all). */
static int oracle_nr_cores(const struct oracle *o, bool all, int package)
{
	int n = 0;

	for (int i = 0; i < o->nr_pus; i++) {
		bool first = all || o->pus[i].package == package;

		for (int k = 0; first && k < i; k++)
			first = o->pus[k].core_line != o->pus[i].core_line;
		n += first;
	}
	return n;
}

/* packages[] ids, cpus and cores; smt groups; nodes[].cpus_online. */
static void check_json(const struct oracle *o, const struct nl_topology *topo)
{
	cJSON *root = topology_render__json(topo);
	const cJSON *pkg, *node;
	int nr_pkgs = 0, nr_groups = 0;

	CHECK(root != NULL);
	cJSON_ArrayForEach(pkg, cJSON_GetObjectItem(root, "packages")) {
		int id = cJSON_GetObjectItem(pkg, "id")->valueint;
		const cJSON *core, *cores = cJSON_GetObjectItem(pkg, "cores");
		struct nl_cpuset got, want = { 0 };

		json_set(cJSON_GetObjectItem(pkg, "cpus"), &got);
		online_only(topo, &got);
		oracle_pus_of(o, false, id, &want);
		CHECK(cpuset__equal(&got, &want));
		nr_pkgs += cpuset__count(&want) > 0;
		CHECK_EQ_U64(cJSON_GetArraySize(cores), oracle_nr_cores(o, false, id));
		cJSON_ArrayForEach(core, cores)
			check_json_core(o, core, topo);
		cpuset__free(&got);
		cpuset__free(&want);
	}
	CHECK_EQ_U64(nr_pkgs, topology__nr_packages(topo));
	cJSON_ArrayForEach(pkg, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "smt"),
						    "sibling_groups"))
		nr_groups++;
	CHECK_EQ_U64(nr_groups, oracle_nr_cores(o, true, 0));
	cJSON_ArrayForEach(node, cJSON_GetObjectItem(root, "nodes")) {
		struct nl_cpuset got, want = { 0 };

		json_set(cJSON_GetObjectItem(node, "cpus_online"), &got);
		oracle_pus_of(o, true, cJSON_GetObjectItem(node, "id")->valueint, &want);
		CHECK(cpuset__equal(&got, &want));
		cpuset__free(&got);
		cpuset__free(&want);
	}
	cJSON_Delete(root);
}

/* "node N cpus: a b c" lines of the numactl-style text == oracle PUs. */
static void check_text(const struct oracle *o, const struct nl_topology *topo)
{
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int lines = 0;

	topology_render__text(f, topo);
	fclose(f);
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		struct nl_cpuset got = { 0 }, want = { 0 };
		char *p;
		int node, off = -1;

		if (sscanf(line, "node %d cpus:%n", &node, &off) != 1 || off < 0)
			continue;
		for (p = line + off;;) {
			char *end;
			long cpu = strtol(p, &end, 10);

			if (end == p)
				break;
			cpuset__add(&got, (int)cpu);
			p = end;
		}
		oracle_pus_of(o, true, node, &want);
		CHECK(cpuset__equal(&got, &want));
		lines++;
		cpuset__free(&got);
		cpuset__free(&want);
	}
	CHECK(lines >= o->nr_nodes);
	free(text);
}

static void extras_of(const char *name, struct nl_cpuset *extras,
		      const struct nl_topology *topo)
{
	for (size_t i = 0; i < sizeof(known_extras) / sizeof(known_extras[0]); i++) {
		if (strcmp(name, known_extras[i].fixture))
			continue;
		CHECK(cpuset__parse_list(extras, known_extras[i].cpuless_nodes) == 0);
		CHECK_EQ_U64(topology__distance(topo, known_extras[i].from,
						known_extras[i].to),
			     known_extras[i].distance);
	}
}

static void check_fixture(const char *dir, const char *name)
{
	char path[8192];
	static struct oracle o;
	struct nl_topology *topo;
	struct nl_cpuset extras = { 0 };
	int before = check_failed;

	memset(&o, 0, sizeof(o));
	snprintf(path, sizeof(path), "%s/%s/hwloc-expected.console", dir, name);
	if (oracle_load(&o, path))
		return;
	CHECK(o.nr_pus > 0);
	snprintf(path, sizeof(path), "%s/%s/fsroot", dir, name);
	topo = topology__read_sysfs(path, NULL);
	CHECK(topo != NULL);
	if (!topo)
		return;
	extras_of(name, &extras, topo);
	check_pus(&o, topo);
	check_nodes(&o, topo, &extras);
	check_distances(&o, topo);
	check_offline(&o, topo);
	check_json(&o, topo);
	check_text(&o, topo);
	printf("%-28s %d PUs, %d nodes, %d packages: %s\n", name, o.nr_pus,
	       o.nr_nodes, topology__nr_packages(topo),
	       check_failed == before ? "ok" : "FAILED");
	cpuset__free(&extras);
	cpuset__free(&o.offline);
	topology__free(topo);
}

int main(void)
{
	char dir[4096];
	struct dirent *de;
	int fixtures = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/fixtures/sysfs", check_shared_dir());
	d = opendir(dir);
	if (!d)
		check_skip("shared/fixtures/sysfs is absent");
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		check_fixture(dir, de->d_name);
		fixtures++;
	}
	closedir(d);
	CHECK(fixtures >= 5);
	return check_done();
}
