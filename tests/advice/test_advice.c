/*
 * test_advice.c - the advice engine (profiler/advice.c).
 *
 *   1. The per-node CPU plan on every real sysfs fixture (2 to 8 nodes,
 *      memory-only nodes, several nodes per package, offline CPUs): its
 *      one-thread-per-core list equals what the fixture's own files say,
 *      read here independently (nodeN/cpulist, cpu/online, each CPU's
 *      physical_package_id and core_id: the lowest online CPU of each
 *      (package, core) of the node).
 *   2. The HT advice on those fixtures, from the real HT engine fed with busy
 *      tasks on every hardware thread of one node: taskset with exactly that
 *      node's list, a worker count of its cores, the package's other nodes
 *      named (SNC/NPS); none on a fixture without SMT.
 *   3. The worker_init_fn snippet runs in python3 (sched_setaffinity
 *      replaced by a recorder): every worker gets one CPU of the list, no
 *      two workers the same core while workers <= cores.
 *   5. The HT section's IPC note: "IPC cost not measured (no PMU)" when the
 *      source found no core PMU, another cause when it has one.
 *   4. Binding and interleave from placement, with the target's command
 *      line; the command line from /proc-style argv and from perf.data
 *      CMDLINE texts.
 *   6. With a data object in the range (objects.h), the advice names the
 *      allocation, its site and its first toucher instead of the mapping,
 *      carries the object's key, and the JSON finding's advice is the
 *      engine's text (one source of advice text).
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "smt/guest_topology.h"
#include "report/report.h"

#include "profiler/advice.h"
#include "profiler/aggregate.h"
#include "profiler/findings.h"
#include "profiler/objects.h"
#include "profiler/report_model.h"
#include "profiler/smt.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/topology.h"

#define S 1000000000ull

/* --- the oracle: the fixture's files, read without numalens' topology ---- */

static bool read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

static int read_num(const char *root, int cpu, const char *file)
{
	char path[2048], buf[64];

	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%d/topology/%s", root, cpu, file);
	return read_text(path, buf, sizeof(buf)) ? atoi(buf) : -1;
}

/* The lowest online CPU of each (package, core) among node's CPUs, as a cpulist. */
static bool oracle_one_per_core(const char *root, int node, char *out, size_t size, int *cores)
{
	char path[2048], buf[4096];
	struct nl_cpuset cpus = { 0 }, online = { 0 }, pick = { 0 };
	int pkg[4096], core[4096];

	snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%d/cpulist", root, node);
	if (read_text(path, buf, sizeof(buf)) && cpuset__parse_list(&cpus, buf))
		return false;   /* absent: an offline node, no CPUs */
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/online", root);
	if (!read_text(path, buf, sizeof(buf)) || cpuset__parse_list(&online, buf))
		return false;
	*cores = 0;
	for (int c = cpuset__next(&cpus, 0); c >= 0 && c < 4096; c = cpuset__next(&cpus, c + 1)) {
		bool first = true;

		if (!cpuset__has(&online, c))
			continue;
		pkg[c] = read_num(root, c, "physical_package_id");
		core[c] = read_num(root, c, "core_id");
		for (int s = cpuset__next(&cpus, 0); s >= 0 && s < c; s = cpuset__next(&cpus, s + 1))
			if (cpuset__has(&online, s) && pkg[s] == pkg[c] && core[s] == core[c] &&
			    core[c] >= 0)
				first = false;
		if (first) {
			cpuset__add(&pick, c);
			(*cores)++;
		}
	}
	cpuset__format(&pick, out, size);
	cpuset__free(&cpus);
	cpuset__free(&online);
	cpuset__free(&pick);
	return true;
}

/* Packages (physical_package_id) with online CPUs on node. */
static int oracle_package(const char *root, int node)
{
	char path[2048], buf[4096];
	struct nl_cpuset cpus = { 0 }, online = { 0 };
	int p = -1;

	snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%d/cpulist", root, node);
	if (read_text(path, buf, sizeof(buf)) && !cpuset__parse_list(&cpus, buf)) {
		snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/online", root);
		if (read_text(path, buf, sizeof(buf)) && !cpuset__parse_list(&online, buf))
			for (int c = cpuset__next(&cpus, 0); c >= 0 && p < 0; c = cpuset__next(&cpus, c + 1))
				if (cpuset__has(&online, c))
					p = read_num(root, c, "physical_package_id");
	}
	cpuset__free(&cpus);
	cpuset__free(&online);
	return p;
}

/* --- a profile built by hand over a topology ------------------------------ */

struct fake {
	struct nl_profile p;
	struct nl_task_stats procs[16];
	uint64_t ran[16][64];
	struct nl_mapping_stats maps[16];
	uint64_t pages[16][65];
	struct nl_source_info info;
	struct nl_source_stats stats;
	struct nl_report_input in;
	struct nl_finding findings[NL_MAX_FINDINGS];
	uint64_t matrix[65 * 65];
};

static void fake_init(struct fake *f, const struct nl_topology *topo)
{
	memset(f, 0, sizeof(*f));
	f->p.topology = topo;
	f->p.nr_nodes = topo->nr_nodes;
	f->p.processes = f->procs;
	f->p.node_matrix = f->matrix;
	f->in.profile = &f->p;
	f->in.info = &f->info;
	f->in.stats = &f->stats;
	f->in.command = "report";
	f->in.source_kind = "perf.data";
}

/* A process running on node index ran_idx reading one 64 MiB mapping whose pages are on home_idx. */
static void fake_proc(struct fake *f, int pid, int ppid, const char *comm, int ran_idx,
		      int home_idx, double exposure)
{
	int i = f->p.nr_processes++;
	struct nl_task_stats *t = &f->procs[i];
	struct nl_mapping_stats *m = &f->maps[i];

	t->pid = t->tid = pid;
	t->ppid = ppid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->ran_by_node = f->ran[i];
	t->ran_by_node[ran_idx] = 10 * S;
	t->ran_in_ns = true;
	t->remote_exposure = exposure;
	t->exposure_basis = NL_BASIS_REFERENCED;
	t->nr_mappings = home_idx >= 0;
	t->mappings = m;
	m->start = 0x10000000;
	m->end = m->start + (64ull << 20);
	m->name = "/memfd:dataset (deleted)";
	m->kind = NL_MAP_DATA;
	m->accessed_bytes = 64ull << 20;
	m->pages_total = 16384;
	m->pages_by_node = f->pages[i];
	if (home_idx >= 0)
		m->pages_by_node[home_idx] = 16384;
}

static const struct nl_advice *find_advice(const struct nl_advice *a, int n,
					   enum nl_advice_kind kind)
{
	for (int i = 0; i < n; i++)
		if (a[i].kind == kind)
			return &a[i];
	return NULL;
}

/* The engine as the report model runs it: with the input's own command line. */
static int compute(const struct nl_report_input *in, struct nl_advice *out)
{
	char cmd[900];
	bool known = advice__target_command(in->info->target_cmdline, in->info->target_cmdline_len,
					    in->info->cmdline, cmd, sizeof(cmd));

	return advice__compute(in, cmd, known, out);
}

/* --- 3. the snippet in python3 ------------------------------------------- */

/*
 * Runs the worker_init_fn snippet for workers 0..n-1 with sched_setaffinity
 * recorded; the CPU each got, comma-separated, into out.  False when
 * python3 is missing or the snippet fails.
 */
static bool run_snippet(const char *snippet, int n, char *out, size_t size)
{
	char path[] = "/tmp/nl-advice-XXXXXX", cmd[256];
	int fd = mkstemp(path);
	FILE *f, *p;
	size_t got;

	if (fd < 0 || !(f = fdopen(fd, "w")))
		return false;
	fprintf(f, "import os\n_got = []\nos.sched_setaffinity = lambda pid, cpus: _got.append(sorted(cpus))\n"
		   "%s\nfor w in range(%d):\n    worker_init_fn(w)\n"
		   "print(\",\".join(str(c[0]) if len(c) == 1 else \"X\" for c in _got))\n", snippet, n);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s 2>&1", path);
	p = popen(cmd, "r");
	got = p ? fread(out, 1, size - 1, p) : 0;
	out[got] = '\0';
	while (got && out[got - 1] == '\n')
		out[--got] = '\0';
	unlink(path);
	return p && pclose(p) == 0;
}

/* --- the tests ------------------------------------------------------------ */

static void test_command_lines(void)
{
	static const char argv[] = "python3\0train.py\0--name\0it's a run\0--lr=0.1";
	char buf[512];

	CHECK(advice__target_command(argv, sizeof(argv) - 1, "ignored", buf, sizeof(buf)));
	CHECK_EQ_STR(buf, "python3 train.py --name 'it'\\''s a run' --lr=0.1");
	CHECK(advice__target_command(NULL, 0, "perf record -e cycles -o x.data -g ./app a b",
				     buf, sizeof(buf)));
	CHECK_EQ_STR(buf, "./app a b");
	CHECK(advice__target_command(NULL, 0, "perf mem record -a -- sleep 10", buf, sizeof(buf)));
	CHECK_EQ_STR(buf, "sleep 10");
	CHECK(advice__target_command(NULL, 0, "/usr/bin/perf c2c record --call-graph dwarf "
				     "-F 999 python3 t.py", buf, sizeof(buf)));
	CHECK_EQ_STR(buf, "python3 t.py");
	CHECK(!advice__target_command(NULL, 0, "perf record -a -F 99", buf, sizeof(buf)));
	CHECK_EQ_STR(buf, "CMD");
	CHECK(!advice__target_command(NULL, 0, "numalens profile -p 42 -d 3", buf, sizeof(buf)));
	CHECK(advice__target_command(NULL, 0, "numalens profile --record f -q -- ./seed --mib 64",
				     buf, sizeof(buf)));
	CHECK_EQ_STR(buf, "./seed --mib 64");
}

/* HT advice from the real engine: every thread of node index idx busy. */
static void ht_on_node(const char *name, struct nl_topology *topo, int idx, const char *want,
		       int want_cores, int pkg_nodes)
{
	struct nl_smt *smt = smt__new(topo, true);
	const struct nl_cpuset *cpus = &topo->nodes[idx].cpus;
	const struct nl_smt_result *r;
	struct nl_advice adv[NL_MAX_ADVICE];
	const struct nl_advice *a;
	struct fake *f = calloc(1, sizeof(*f));
	char cmd[1024], py[2048];
	int tid = 1000, n, busy = 0;
	static const char argv[] = "python3\0train.py";

	smt__start(smt, 0);
	for (int c = cpuset__next(cpus, 0); c >= 0; c = cpuset__next(cpus, c + 1))
		if (c < topo->nr_cpus && topo->cpus[c].online) {
			smt__switch(smt, c, 900, tid++, 1, false);
			busy++;
		}
	r = smt__finish(smt, 10 * S);
	fake_init(f, topo);
	memcpy(f->info.target_cmdline, argv, sizeof(argv));
	f->info.target_cmdline_len = sizeof(argv) - 1;
	f->p.smt = r;
	/* a main process that sleeps and its workers (one per busy thread, in the profile: 3) */
	fake_proc(f, 900, 1, "python3", idx, -1, -1);
	fake_proc(f, 901, 900, "pt_data_worker", idx, -1, -1);
	fake_proc(f, 902, 900, "pt_data_worker", idx, -1, -1);
	n = compute(&f->in, adv);
	a = find_advice(adv, n, NL_ADVICE_ONE_THREAD_PER_CORE);
	printf("%s node %d: %d busy threads, %d shared, one per core %s\n", name,
	       topo->nodes[idx].id, busy, r->busy_shared_half, r->one_per_core);
	if (!r->has_smt) {
		CHECK(a == NULL);       /* no SMT: no HT advice */
		goto out;
	}
	CHECK(a != NULL);
	if (!a)
		goto out;
	printf("  %s\n", a->text);
	snprintf(cmd, sizeof(cmd), "taskset -c %s python3 train.py", want);
	CHECK_EQ_STR(a->command, cmd);
	CHECK_EQ_STR(r->one_per_core, want);    /* the engine and the plan agree */
	snprintf(cmd, sizeof(cmd), "run at most %d workers, one per physical core", want_cores);
	CHECK(strstr(a->text, cmd) != NULL);
	CHECK(a->confidence == NL_CONFIDENCE_HIGH);     /* fed CPU-wide */
	snprintf(cmd, sizeof(cmd), "is one of %d nodes of package", pkg_nodes);
	CHECK((pkg_nodes > 1) == (strstr(a->text, cmd) != NULL));
	CHECK((pkg_nodes > 1) == (strstr(a->text, "sub-NUMA") != NULL));
	/* the snippet pins each worker to one core of the node */
	a = find_advice(adv, n, NL_ADVICE_WORKER_INIT_FN);
	CHECK(a != NULL);
	if (a && run_snippet(a->command, want_cores, py, sizeof(py))) {
		struct nl_cpuset got = { 0 }, list = { 0 };
		char fmt[1024];

		cpuset__parse_list(&got, py);
		cpuset__parse_list(&list, want);
		cpuset__format(&got, fmt, sizeof(fmt));
		/* workers <= cores: every worker its own core, all of the list used */
		CHECK_EQ_STR(fmt, want);
		CHECK_EQ_U64(cpuset__count(&got), want_cores);
		cpuset__free(&got);
		cpuset__free(&list);
	} else if (a) {
		printf("python3 snippet: %s\n", py);
		CHECK(!"the worker_init_fn snippet runs in python3");
	}
out:
	free(f);
	smt__free(smt);
}

static void test_fixtures(void)
{
	const char *shared = getenv("NL_SHARED");
	char dir[512], root[1024];
	struct dirent *e;
	DIR *d;
	int fixtures = 0;

	snprintf(dir, sizeof(dir), "%s/fixtures/sysfs", shared ? shared : "../shared");
	if (!(d = opendir(dir))) {
		printf("SKIP part: %s absent (the fixture checks need ../shared)\n", dir);
		return;
	}
	while ((e = readdir(d))) {
		struct nl_topology *topo;

		if (e->d_name[0] == '.')
			continue;
		snprintf(root, sizeof(root), "%s/%s/fsroot", dir, e->d_name);
		if (!(topo = topology__read_sysfs(root, NULL)))
			continue;
		fixtures++;
		for (int i = 0; i < topo->nr_nodes; i++) {
			struct nl_node_plan plan, kept;
			char want[1024], got[1024];
			int cores = 0;

			CHECK_EQ_U64(advice__plan_node(topo, topo->nodes[i].id, 0, &plan), 0);
			CHECK(oracle_one_per_core(root, topo->nodes[i].id, want, sizeof(want), &cores));
			cpuset__format(&plan.one_per_core, got, sizeof(got));
			if (strcmp(got, want))
				printf("%s node %d: plan %s, files say %s\n", e->d_name,
				       topo->nodes[i].id, got, want);
			CHECK_EQ_STR(got, want);
			CHECK_EQ_U64(plan.cores, cores);
			CHECK_EQ_U64(plan.workers, cores);
			if (cores) {
				int pkg = oracle_package(root, topo->nodes[i].id), same = 0;

				if (plan.package != pkg)
					printf("%s node %d: package %d, files say %d\n", e->d_name,
					       topo->nodes[i].id, plan.package, pkg);
				CHECK_EQ_U64(plan.package, pkg);
				for (int j = 0; j < topo->nr_nodes; j++)
					same += oracle_package(root, topo->nodes[j].id) == pkg;
				CHECK_EQ_U64(plan.nodes_in_package, same);
			}
			/* one core reserved: one fewer worker, never below 0 */
			CHECK_EQ_U64(advice__plan_node(topo, topo->nodes[i].id, 1, &kept), 0);
			CHECK_EQ_U64(kept.workers, cores ? cores - 1 : 0);
			advice__plan_free(&plan);
			advice__plan_free(&kept);
			if (cores >= 2 && i < 2) {
				int pkg = oracle_package(root, topo->nodes[i].id), same = 0;

				for (int j = 0; j < topo->nr_nodes; j++)
					same += oracle_package(root, topo->nodes[j].id) == pkg;
				ht_on_node(e->d_name, topo, i, want, cores, same);
			}
		}
		topology__free(topo);
	}
	closedir(d);
	CHECK(fixtures >= 5);
}

/* Workers on node 0 read an object on node 1: bind; readers on both nodes: interleave. */
static void test_placement_advice(void)
{
	struct nl_topology *t = topology__new("two");
	struct fake *f = calloc(1, sizeof(*f));
	struct nl_advice adv[NL_MAX_ADVICE];
	const struct nl_advice *a;
	static const char argv[] = "./seed\0--mib\0" "64";
	int n;

	topology__add_node(t, 0, "0-3", 0, 0);
	topology__add_node(t, 1, "4-7", 0, 0);
	topology__finish(t);

	fake_init(f, t);
	memcpy(f->info.target_cmdline, argv, sizeof(argv));
	f->info.target_cmdline_len = sizeof(argv) - 1;
	fake_proc(f, 100, 1, "seed", 1, 1, 0.0);
	for (int w = 0; w < 4; w++)
		fake_proc(f, 101 + w, 100, "seed", 0, 1, 0.99);
	CHECK_EQ_U64(findings__compute(&f->p), 0);
	n = compute(&f->in, adv);
	a = find_advice(adv, n, NL_ADVICE_BIND_PER_NODE);
	CHECK(a != NULL && a == &adv[0]);
	if (a) {
		printf("bind: %s\n", a->text);
		CHECK_EQ_STR(a->command, "numactl --cpunodebind=0 --membind=0 ./seed --mib 64");
		CHECK(strstr(a->text, "at 0x10000000") && strstr(a->text, "workers of pid 100"));
		/* no objects in the input: the mapping names the data */
		CHECK(strstr(a->text, "the 64 MiB mapping /memfd:dataset (deleted), at") != NULL);
		CHECK(a->object[0] == '\0' && a->finding == 0);
		CHECK(strstr(a->why, "exposure 99 %") != NULL);
		CHECK(a->confidence == NL_CONFIDENCE_HIGH);
	}
	a = find_advice(adv, n, NL_ADVICE_FIRST_TOUCH);
	CHECK(a != NULL && strstr(a->why, "parent pid 100 ran on node 1"));
	CHECK(find_advice(adv, n, NL_ADVICE_INTERLEAVE) == NULL); /* readers on one node */
	CHECK(find_advice(adv, n, NL_ADVICE_ONE_THREAD_PER_CORE) == NULL); /* no HT data */
	CHECK(find_advice(adv, n, NL_ADVICE_WORKER_INIT_FN) == NULL); /* not Python */
	free(f->p.findings);

	/* readers of one object on both nodes: interleave */
	fake_init(f, t);
	fake_proc(f, 100, 1, "python3", 1, 1, 0.0);
	for (int w = 0; w < 4; w++)
		fake_proc(f, 101 + w, 100, "pt_data_worker", w % 2, 1, w % 2 ? 0.0 : 0.99);
	CHECK_EQ_U64(findings__compute(&f->p), 0);
	n = compute(&f->in, adv);
	a = find_advice(adv, n, NL_ADVICE_INTERLEAVE);
	CHECK(a != NULL);
	if (a) {
		printf("interleave: %s\n", a->text);
		CHECK_EQ_STR(a->command, "numactl --interleave=all CMD");
		CHECK(strstr(a->why, "on nodes 0,1") != NULL);
		CHECK(strstr(a->why, "CMD: the input does not name") != NULL);
	}
	/* the node-0 readers' finding is interleave's: binding would starve node 1's */
	CHECK(find_advice(adv, n, NL_ADVICE_BIND_PER_NODE) == NULL);
	/* Python with workers: a snippet over both nodes (no HT data: every node) */
	a = find_advice(adv, n, NL_ADVICE_WORKER_INIT_FN);
	CHECK(a != NULL && strstr(a->command, "NODE_CPUS = {0: \"0-3\", 1: \"4-7\"}"));
	free(f->p.findings);

	/* 4 readers on node 0, 1 on node 1: not spread; binding the four is the answer */
	fake_init(f, t);
	fake_proc(f, 100, 1, "seed", 1, 1, 0.0);
	for (int w = 0; w < 5; w++)
		fake_proc(f, 101 + w, 100, "seed", w == 4, 1, w == 4 ? 0.0 : 0.99);
	CHECK_EQ_U64(findings__compute(&f->p), 0);
	n = compute(&f->in, adv);
	CHECK(find_advice(adv, n, NL_ADVICE_INTERLEAVE) == NULL);
	CHECK(n > 0 && adv[0].kind == NL_ADVICE_BIND_PER_NODE);
	free(f->p.findings);

	/* one process on both nodes (half each), its data on node 1: no binding */
	fake_init(f, t);
	fake_proc(f, 100, 1, "smt", 0, 1, 0.5);
	f->ran[0][1] = f->ran[0][0];
	CHECK_EQ_U64(findings__compute(&f->p), 0);
	CHECK(f->p.nr_findings == 1 && f->p.findings[0].kind == NL_FINDING_REMOTE_PROCESSES);
	n = compute(&f->in, adv);
	CHECK(find_advice(adv, n, NL_ADVICE_BIND_PER_NODE) == NULL);
	free(f->p.findings);

	/* local readers: no advice at all */
	fake_init(f, t);
	fake_proc(f, 100, 1, "seed", 1, 1, 0.0);
	for (int w = 0; w < 4; w++)
		fake_proc(f, 101 + w, 100, "seed", 1, 1, 0.0);
	CHECK_EQ_U64(findings__compute(&f->p), 0);
	CHECK_EQ_U64(compute(&f->in, adv), 0);
	free(f->p.findings);
	free(f);
	topology__free(t);
}

/* 6. A tracked allocation in the finding's range: the advice names it. */
static void test_object_advice(void)
{
	struct nl_topology *t = topology__new("two");
	struct fake *f = calloc(1, sizeof(*f));
	struct nl_data_object ob = { 0 };
	struct nl_objects_result objs = { 0 };
	uint64_t pages_by_node[3] = { 0, 12000, 0 };
	double touch_by_node[3] = { 0, 1, 0 };
	struct nl_advice adv[NL_MAX_ADVICE];
	const struct nl_advice *a;
	struct nl_report_model m;
	cJSON *doc, *fj, *aj;
	int n;

	topology__add_node(t, 0, "0-3", 0, 0);
	topology__add_node(t, 1, "4-7", 0, 0);
	topology__finish(t);
	fake_init(f, t);
	fake_proc(f, 100, 1, "seed", 1, 1, 0.0);
	for (int w = 0; w < 4; w++)
		fake_proc(f, 101 + w, 100, "seed", 0, 1, 0.99);
	/* the allocation inside the 64 MiB mapping, first touched on node 1 */
	snprintf(ob.key, sizeof(ob.key), "[anon]|fill_dataset (seed.c:88)");
	ob.allocation = true;
	ob.op = "malloc";
	ob.pid = ob.tid = 100;
	ob.start = 0x10000000 + 4096;
	ob.size = 48ull << 20;
	snprintf(ob.mapping, sizeof(ob.mapping), "/memfd:dataset (deleted)");
	ob.site = (struct nl_object_site){ .function = "fill_dataset", .file = "src/seed.c",
					   .line = 88, .dso = "seed" };
	ob.samples = 5000;
	ob.pages = 12000;
	ob.pages_by_node = pages_by_node;
	ob.touch_by_node = touch_by_node;
	ob.first_touched = ob.touch_pages = 12000;
	ob.touch_pid = ob.touch_tid = 100;
	ob.touch_cpu = 5;
	ob.touch_node = 1;
	ob.touch_share = 0.98;
	ob.touch_site = (struct nl_object_site){ .function = "touch_all", .file = "seed.c",
						 .line = 93, .dso = "seed" };
	objs.nr_nodes = 2;
	objs.nr_objects = 1;
	objs.objects = &ob;
	objs.tracking = true;
	f->in.objects = &objs;
	CHECK_EQ_U64(findings__compute(&f->p), 0);
	n = compute(&f->in, adv);
	a = find_advice(adv, n, NL_ADVICE_BIND_PER_NODE);
	CHECK(a != NULL);
	if (a) {
		printf("bind, object: %s\n", a->text);
		CHECK(strstr(a->text, "the 48 MiB allocation (malloc) at fill_dataset (seed.c:88), "
				      "first touched by pid 100 on node 1 at touch_all (seed.c:93) for "
				      "98 % of its pages, at 0x10001000, that 4 workers") != NULL);
		CHECK(strstr(a->why, "allocation (malloc) at fill_dataset (seed.c:88)") != NULL);
		CHECK(strstr(a->text, "mapping /memfd") == NULL);
		CHECK_EQ_STR(a->object, ob.key);
		CHECK(a->finding == 0);
	}
	a = find_advice(adv, n, NL_ADVICE_FIRST_TOUCH);
	CHECK(a != NULL && strstr(a->text, "first touched by pid 100 on node 1 at touch_all "
					   "(seed.c:93)") && a->finding == 0);
	/* one source of advice text: the JSON finding quotes the engine's advice */
	CHECK_EQ_U64(report_model__build(&m, &f->in), 0);
	doc = report_json__build(&m);
	fj = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "findings"), 0);
	aj = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "advice"), 0);
	CHECK(fj && aj && cJSON_GetStringValue(cJSON_GetObjectItem(fj, "advice")) &&
	      !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(fj, "advice")),
		      cJSON_GetStringValue(cJSON_GetObjectItem(aj, "text"))));
	CHECK(fj && cJSON_GetObjectItem(fj, "advice_index") &&
	      cJSON_GetObjectItem(fj, "advice_index")->valueint == 0);
	CHECK(aj && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(aj, "object")), ob.key));
	cJSON_Delete(doc);
	report_model__free(&m);
	/* a mapping object wider than the finding's range (the objects saw the
	   VMA before an mbind split it, as in guest.torch_balancing): the
	   finding's exact range and words, not the wider object's address */
	ob.allocation = false;
	ob.op = NULL;
	ob.start = 0x10000000 - (8 << 20);
	ob.size = (72ull << 20);
	n = compute(&f->in, adv);
	a = find_advice(adv, n, NL_ADVICE_BIND_PER_NODE);
	CHECK(a != NULL);
	if (a) {
		printf("bind, wider mapping object: %s\n", a->text);
		CHECK(strstr(a->text, "mapping /memfd:dataset (deleted), at 0x10000000, that 4 workers")
		      != NULL);
		CHECK(strstr(a->text, "72 MiB") == NULL);
		CHECK_EQ_STR(a->object, ob.key);
	}
	free(f->p.findings);
	free(f);
	topology__free(t);
}

/*
 * Sub-NUMA clustering: one package, two nodes, two threads per core (none
 * of the fixtures has SNC with SMT): the HT advice names the package.
 */
static void test_snc(void)
{
	struct nl_topology *t = topology__new("snc");

	topology__add_node(t, 0, "0-3", 0, 0);
	topology__add_node(t, 1, "4-7", 0, 0);
	for (int cpu = 0; cpu < 8; cpu++)
		topology__set_cpu(t, cpu, true, 0, 0, cpu / 2);
	for (int cpu = 0; cpu < 8; cpu += 2) {
		char list[16];

		snprintf(list, sizeof(list), "%d-%d", cpu, cpu + 1);
		topology__add_siblings(t, list);
	}
	topology__finish(t);
	ht_on_node("snc", t, 1, "4,6", 2, 2);
	topology__free(t);
}

/* This machine: busy threads on its CPUs are never SMT siblings -> no HT advice. */
static void test_this_machine(void)
{
	struct nl_topology *topo = topology__read_sysfs("/", NULL);
	bool smt = false;

	if (!topo)
		return;
	for (int c = 0; c < topo->nr_cpus; c++)
		smt |= topo->cpus[c].online && cpuset__count(&topo->cpus[c].siblings) > 1;
	if (!smt) {
		printf("this machine: no SMT siblings\n");
		ht_on_node("this machine", topo, 0, "", 0, 1);
	}
	topology__free(topo);
}

static void test_ipc_note(void)
{
	struct nl_topology *t = guest_topology();
	struct nl_smt *smt = smt__new(t, true);
	struct fake *f = calloc(1, sizeof(*f));
	struct nl_report_model m;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	smt__start(smt, 0);
	smt__switch(smt, 0, 10, 10, 0, false);
	smt__switch(smt, 1, 10, 11, 0, false);
	fake_init(f, t);
	f->p.smt = smt__finish(smt, 2 * S);
	f->info.cpu_pmu = NL_PMU_ABSENT;
	CHECK_EQ_U64(report_model__build(&m, &f->in), 0);
	CHECK(strstr(m.smt_ipc_note, "IPC cost not measured (no PMU)") == m.smt_ipc_note);
	out = open_memstream(&text, &len);
	report_text__write(out, &m, 10);
	fclose(out);
	CHECK(text && strstr(text, "HT contention") &&
	      strstr(strstr(text, "HT contention"), "IPC cost not measured (no PMU)"));
	free(text);
	report_model__free(&m);
	f->info.cpu_pmu = NL_PMU_PRESENT;
	CHECK_EQ_U64(report_model__build(&m, &f->in), 0);
	CHECK(strstr(m.smt_ipc_note, "no PMU") == NULL && strstr(m.smt_ipc_note, "not measured"));
	report_model__free(&m);
	free(f);
	smt__free(smt);
	topology__free(t);
}

int main(void)
{
	test_command_lines();
	test_placement_advice();
	test_object_advice();
	test_fixtures();
	test_snc();
	test_this_machine();
	test_ipc_note();
	return check_done();
}
