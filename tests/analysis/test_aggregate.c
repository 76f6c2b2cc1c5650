/*
 * test_aggregate.c - the aggregator (profiler/aggregate.c) through the
 * analysis entry point (analysis__run) on a scripted record stream whose
 * every count is known by construction: per-process and per-thread counts,
 * the CPU-node x memory-node matrix, remote shares, run time per node from
 * RUNTIME records (and from samples without them), placement from
 * PLACEMENT records, FORK/COMM/EXIT labelling, losses; then the drain's own
 * promises (stop flag, a failing source) and the JSON report of the stream.
 *
 * Machine: 2 nodes, node 0 = CPUs 0-1, node 1 = CPUs 2-3.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <math.h>

#include "check.h"
#include "profiler/aggregate.h"
#include "profiler/analysis.h"
#include "report_run.h"
#include "samplers/base/topology.h"
#include "script_source.h"

/* Legacy data_src encodings (mem_lvl bits only), decoded by rules c and d. */
#define DSRC_LOCAL_RAM (PERF_MEM_S(OP, LOAD) | PERF_MEM_S(LVL, HIT) | PERF_MEM_S(LVL, LOC_RAM))
#define DSRC_REMOTE_RAM (PERF_MEM_S(OP, LOAD) | PERF_MEM_S(LVL, HIT) | PERF_MEM_S(LVL, REM_RAM1))

#define MAX_RECS 64
static struct nl_record script[MAX_RECS];
static size_t nr_script;

static struct nl_record *push(enum nl_record_kind kind)
{
	struct nl_record *r = &script[nr_script++];

	if (nr_script > MAX_RECS) {
		fprintf(stderr, "script too long\n");
		exit(1);
	}
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	return r;
}

static void comm(int pid, int tid, const char *name, bool exec)
{
	struct nl_record *r = push(NL_REC_COMM);

	r->task = (struct nl_task_event){ .pid = pid, .tid = tid, .ppid = -1, .ptid = -1,
					  .exec = exec, .comm = name };
}

static void task(enum nl_record_kind kind, int pid, int tid, int ppid, int ptid)
{
	push(kind)->task = (struct nl_task_event){ .pid = pid, .tid = tid, .ppid = ppid,
						   .ptid = ptid };
}

/* A sample of pid/tid on cpu (-1: no CPU field). */
static struct nl_sample *sample(int pid, int tid, int cpu)
{
	struct nl_sample *s = &push(NL_REC_SAMPLE)->sample;

	s->valid = NL_SAMPLE_TID | NL_SAMPLE_IP | (cpu >= 0 ? NL_SAMPLE_CPU : 0);
	s->pid = pid;
	s->tid = tid;
	s->cpu = cpu;
	s->mem_node = -1;
	s->ip = 0x400000;
	return s;
}

static void with_dsrc(struct nl_sample *s, uint64_t dsrc, uint64_t weight)
{
	s->valid |= NL_SAMPLE_DATA_SRC | (weight ? NL_SAMPLE_WEIGHT : 0);
	s->data_src = dsrc;
	s->weight = weight;
}

/* A page-fault-like sample: a data address whose node the source resolved. */
static void with_node(struct nl_sample *s, int node, enum nl_node_method how)
{
	s->valid |= NL_SAMPLE_ADDR | NL_SAMPLE_MEM_NODE;
	s->addr = 0x7f0000001000;
	s->mem_node = node;
	s->mem_node_method = (uint8_t)how;
}

static void runtime(int pid, int tid, int cpu, uint64_t ns)
{
	push(NL_REC_RUNTIME)->runtime = (struct nl_runtime_event){ .pid = pid, .tid = tid,
								   .cpu = cpu, .ns = ns };
}

static void placement(int pid, uint64_t start, const char *name, const uint64_t *pages,
		      bool final)
{
	push(NL_REC_PLACEMENT)->placement = (struct nl_placement_event){
		.pid = pid, .start = start, .end = start + 0x10000, .name = name,
		.nr_nodes = 2, .pages_by_node = pages, .final = final };
}

static struct nl_topology *two_nodes(void)
{
	struct nl_topology *t = topology__new("test:two-nodes");

	CHECK(t != NULL);
	CHECK(topology__add_node(t, 0, "0-1", 1 << 20, 1 << 19) == 0);
	CHECK(topology__add_node(t, 1, "2-3", 1 << 20, 1 << 19) == 0);
	CHECK(topology__finish(t) == 0);
	return t;
}

static const struct nl_task_stats *find(const struct nl_task_stats *v, int n, int tid)
{
	for (int i = 0; i < n; i++)
		if (v[i].tid == tid)
			return &v[i];
	return NULL;
}

#define PROC(p, pid) find((p)->processes, (p)->nr_processes, (pid))
#define THREAD(p, tid) find((p)->threads, (p)->nr_threads, (tid))
#define CELL(p, row, col) ((p)->node_matrix[(row) * ((p)->nr_nodes + 1) + (col)])

static const uint64_t main_libc[2] = { 4, 0 };
static const uint64_t worker_first[2] = { 2, 6 };   /* replaced by the final one */
static const uint64_t worker_final[2] = { 0, 8 };
static const uint64_t all_on_1[2] = { 0, 10 };

/*
 * The script.  main (pid 100), its threads 101 "loader" and 102; a worker child
 * (pid 200, exec'd "worker"); pid 300 known only by a thread's COMM and
 * run time; pid 400 forked by a parent never seen.
 */
static void build_script(void)
{
	nr_script = 0;
	comm(100, 100, "main", true);
	task(NL_REC_FORK, 100, 101, 100, 100);  /* a thread: named like main */
	comm(100, 101, "loader", false);        /* renames the thread only */
	task(NL_REC_FORK, 100, 102, 100, 100);  /* a thread that keeps main's name */
	task(NL_REC_FORK, 200, 200, 100, 100);  /* a child process */
	comm(200, 200, "worker", true);
	task(NL_REC_FORK, 400, 400, 399, 399);  /* parent unknown: no name */
	comm(300, 301, "t301", false);          /* process has no name yet: takes it */

	/* main on node 0: 3 local DRAM loads (weights 100, 200, 300), 1 non-memory */
	for (int i = 1; i <= 3; i++)
		with_dsrc(sample(100, 100, 0), DSRC_LOCAL_RAM, 100 * (uint64_t)i);
	sample(100, 100, 0);
	/* loader on node 1 touches 2 pages on node 0: remote by node */
	for (int i = 0; i < 2; i++)
		with_node(sample(100, 101, 2), 0, NL_NODE_MOVE_PAGES);
	/* worker on node 0 touches 4 pages on node 1, one remote DRAM load on
	   node 1 with no home node, one sample without a CPU */
	for (int i = 0; i < 4; i++)
		with_node(sample(200, 200, 1), 1, NL_NODE_MOVE_PAGES);
	with_dsrc(sample(200, 200, 3), DSRC_REMOTE_RAM, 0);
	with_node(sample(200, 200, -1), 1, NL_NODE_NUMA_MAPS);

	runtime(200, 200, 0, 3000000000ull);
	runtime(200, 200, 2, 1000000000ull);
	runtime(300, 301, 1, 500000000ull);     /* pid 300: node 0 only */
	runtime(400, 400, 3, 700000000ull);     /* pid 400: node 1 only */

	placement(100, 0x1000000, "/usr/lib/libc.so.6", main_libc, false);
	placement(200, 0x2000000, "[anon]", worker_first, false);
	placement(200, 0x2000000, "[anon]", worker_final, true);
	placement(300, 0x3000000, "/memfd:dataset (deleted)", all_on_1, true);
	placement(400, 0x4000000, "/memfd:dataset (deleted)", all_on_1, true);

	push(NL_REC_LOST)->loss = (struct nl_loss_event){ .count = 5, .event = UINT32_MAX };
	push(NL_REC_LOST)->loss = (struct nl_loss_event){ .count = 7, .event = UINT32_MAX };
	push(NL_REC_THROTTLE);
	push(NL_REC_THROTTLE);
	push(NL_REC_UNTHROTTLE);
	task(NL_REC_EXIT, 200, 200, 100, 100);  /* an exit keeps the labels */
}

/* The script's first nr records (SIZE_MAX: all) through analysis__run, the
   source ending with `end`; ss, an OUT.  0 when the run succeeded. */
static int run_script(struct script_source *ss, struct nl_analysis *an, struct nl_topology *topo,
		      size_t nr, int end, volatile sig_atomic_t *stop)
{
	build_script();
	script_source__init(ss, script, nr < nr_script ? nr : nr_script, topo);
	ss->end = end;
	ss->raise_at_end = stop;
	CHECK_EQ_U64(analysis__run(&ss->src, stop, an), 0);
	return an->profile ? 0 : -1;
}

/* The encodings mean what the script says they mean. */
static void test_encodings(void)
{
	struct nl_mem_access a;

	datasrc__decode(DSRC_LOCAL_RAM, &a);
	CHECK_EQ_U64(a.cls, NL_MEM_LOCAL_RAM);
	CHECK_EQ_U64(a.locality, NL_LOC_LOCAL);
	datasrc__decode(DSRC_REMOTE_RAM, &a);
	CHECK_EQ_U64(a.cls, NL_MEM_REMOTE_RAM);
	CHECK_EQ_U64(a.locality, NL_LOC_REMOTE);
}

/* c is {samples, memory, local, remote, unresolved}; ratio: remote share or -1. */
static void expect_counts(const struct nl_counts *c, uint64_t samples, uint64_t memory,
			  uint64_t local, uint64_t remote, uint64_t unresolved, double ratio)
{
	CHECK_EQ_U64(c->samples, samples);
	CHECK_EQ_U64(c->memory, memory);
	CHECK_EQ_U64(c->local, local);
	CHECK_EQ_U64(c->remote, remote);
	CHECK_EQ_U64(c->unresolved, unresolved);
	CHECK(fabs(counts__remote_ratio(c) - ratio) < 1e-9);
}

static void test_totals(const struct nl_profile *p)
{
	CHECK_EQ_U64(p->nr_nodes, 2);
	expect_counts(&p->total, 12, 11, 3, 7, 1, 0.7);
	CHECK_EQ_U64(p->levels[NL_MEM_LOCAL_RAM], 3);
	CHECK_EQ_U64(p->levels[NL_MEM_REMOTE_RAM], 1);
	CHECK_EQ_U64(p->levels[NL_MEM_NA], 1);
	CHECK_EQ_U64(p->address_only, 7);
	CHECK_EQ_U64(p->samples_with_data_src, 4);
	CHECK_EQ_U64(p->samples_with_addr, 7);
	CHECK_EQ_U64(p->node_method[NL_NODE_MOVE_PAGES], 6);
	CHECK_EQ_U64(p->node_method[NL_NODE_NUMA_MAPS], 1);
	CHECK_EQ_U64(p->node_from_datasrc, 4);
	CHECK_EQ_U64(p->level_weight[NL_MEM_LOCAL_RAM].count, 3);
	CHECK_EQ_U64(p->level_weight[NL_MEM_LOCAL_RAM].sum, 600);
}

/* Rows: CPU node 0, 1, unknown; columns: data node 0, 1, remote-unknown. */
static void test_matrix(const struct nl_profile *p)
{
	static const uint64_t want[3][3] = {
		{ 3, 4, 0 },    /* node 0: main's local loads; worker's node-1 pages */
		{ 2, 0, 1 },    /* node 1: loader's node-0 pages; a remote load */
		{ 0, 1, 0 },    /* no CPU: worker's node-1 page */
	};

	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 3; c++) {
			if (CELL(p, r, c) != want[r][c])
				fprintf(stderr, "matrix[%d][%d]\n", r, c);
			CHECK_EQ_U64(CELL(p, r, c), want[r][c]);
		}
}

static void test_tasks(const struct nl_profile *p)
{
	const struct nl_task_stats *main_p = PROC(p, 100), *worker = PROC(p, 200);
	const struct nl_task_stats *t100 = THREAD(p, 100), *t101 = THREAD(p, 101);

	CHECK_EQ_U64(p->nr_processes, 4);
	CHECK_EQ_U64(p->nr_threads, 6);
	CHECK(main_p && worker && t100 && t101);
	if (!main_p || !worker || !t100 || !t101)
		return;
	/* most memory samples first */
	CHECK_EQ_U64(p->processes[0].pid, 200);
	CHECK_EQ_U64(p->processes[1].pid, 100);
	expect_counts(&main_p->counts, 6, 5, 3, 2, 0, 0.4);
	CHECK_EQ_U64(main_p->nr_threads, 3);
	CHECK_EQ_U64(main_p->weight.count, 3);
	CHECK_EQ_U64(main_p->weight.min, 100);
	CHECK_EQ_U64(main_p->weight.max, 300);
	CHECK_EQ_U64(t100->counts.samples, 4);
	CHECK_EQ_U64(t101->counts.remote, 2);
	CHECK_EQ_U64(t101->address_only, 2);
	expect_counts(&worker->counts, 6, 6, 0, 5, 1, 1.0);
	CHECK_EQ_U64(worker->nr_threads, 1);
}

static void test_cpus(const struct nl_profile *p)
{
	static const int want_samples[4] = { 4, 4, 2, 1 }, want_node[4] = { 0, 0, 1, 1 };

	CHECK_EQ_U64(p->nr_cpus, 4);
	for (int i = 0; i < p->nr_cpus && i < 4; i++) {
		CHECK_EQ_U64(p->cpus[i].cpu, i);
		CHECK_EQ_U64(p->cpus[i].node, want_node[i]);
		CHECK_EQ_U64(p->cpus[i].counts.samples, want_samples[i]);
	}
}

/* FORK/COMM/EXIT: names, parents, inheritance until exec, an exit keeps all. */
static void test_labels(const struct nl_profile *p)
{
	const struct nl_task_stats *main_p = PROC(p, 100), *worker = PROC(p, 200);
	const struct nl_task_stats *t101 = THREAD(p, 101), *p300 = PROC(p, 300);
	const struct nl_task_stats *p400 = PROC(p, 400);

	CHECK(main_p && worker && t101 && p300 && p400);
	if (!main_p || !worker || !t101 || !p300 || !p400)
		return;
	CHECK_EQ_STR(main_p->comm, "main");             /* a thread's COMM did not rename it */
	CHECK_EQ_STR(t101->comm, "loader");
	CHECK_EQ_STR(THREAD(p, 102) ? THREAD(p, 102)->comm : NULL, "main");
	CHECK_EQ_U64(t101->ppid, (uint64_t)-1);          /* a thread's parent is its process' */
	CHECK_EQ_STR(worker->comm, "worker");           /* exec renamed the fork copy */
	CHECK_EQ_U64(worker->ppid, 100);
	CHECK_EQ_STR(p300->comm, "t301");
	CHECK_EQ_U64(p300->ppid, (uint64_t)-1);
	CHECK_EQ_STR(p400->comm, "");                   /* parent never seen */
	CHECK_EQ_U64(p400->ppid, 399);
}

/* Run time per node: ns from RUNTIME records, else samples per CPU node. */
static void test_runtime(const struct nl_profile *p)
{
	const struct nl_task_stats *worker = PROC(p, 200), *main_p = PROC(p, 100);
	const struct nl_task_stats *t101 = THREAD(p, 101);

	CHECK(worker && main_p && t101);
	if (!worker || !main_p || !t101)
		return;
	CHECK(worker->ran_in_ns);
	CHECK_EQ_U64(worker->ran_by_node[0], 3000000000ull);
	CHECK_EQ_U64(worker->ran_by_node[1], 1000000000ull);
	CHECK(!main_p->ran_in_ns);
	CHECK_EQ_U64(main_p->ran_by_node[0], 4);
	CHECK_EQ_U64(main_p->ran_by_node[1], 2);
	CHECK_EQ_U64(t101->ran_by_node[0], 0);
	CHECK_EQ_U64(t101->ran_by_node[1], 2);
}

/* Placement: mappings and pages per node; the final snapshot replaces the first. */
static void test_placement(const struct nl_profile *p)
{
	const struct nl_task_stats *worker = PROC(p, 200), *main_p = PROC(p, 100);
	const struct nl_task_stats *p300 = PROC(p, 300), *p400 = PROC(p, 400);

	CHECK(p->has_placement);
	CHECK_EQ_U64(p->placement_pages, 4 + 8 + 10 + 10);
	CHECK(worker && main_p && p300 && p400);
	if (!worker || !main_p || !p300 || !p400)
		return;
	CHECK_EQ_U64(worker->nr_mappings, 1);
	CHECK_EQ_U64(worker->mappings[0].pages_total, 8);
	CHECK_EQ_U64(worker->mappings[0].pages_by_node[0], 0);
	CHECK_EQ_U64(worker->mappings[0].pages_by_node[1], 8);
	CHECK_EQ_STR(worker->mappings[0].name, "[anon]");
	CHECK_EQ_U64(main_p->nr_mappings, 1);
	CHECK_EQ_STR(main_p->mappings[0].name, "/usr/lib/libc.so.6");
	CHECK_EQ_U64(main_p->mappings[0].pages_by_node[0], 4);
	/* Exposure at its two ends, whatever the weighting between: every page
	   away from the only node a process ran on, or every page on it. */
	CHECK(fabs(p300->remote_exposure - 1.0) < 1e-9);
	CHECK(fabs(p400->remote_exposure - 0.0) < 1e-9);
	CHECK(THREAD(p, 101) && THREAD(p, 101)->remote_exposure >= 0);
}

static void test_losses(const struct script_source *ss, const struct nl_profile *p)
{
	CHECK_EQ_U64(p->lost, 12);
	CHECK_EQ_U64(p->throttles, 2);
	CHECK_EQ_U64(p->unthrottles, 1);
	CHECK_EQ_U64(ss->src.stats.lost_samples, 12);
	CHECK_EQ_U64(ss->src.stats.lost_records, 2);
	CHECK_EQ_U64(ss->src.stats.samples, 12);
	CHECK_EQ_U64(ss->src.stats.records, nr_script);
	CHECK_EQ_U64(ss->src.stats.stopped_at, 0);
}

static void test_stream(struct nl_topology *topo)
{
	struct script_source ss;
	struct nl_analysis an;

	if (run_script(&ss, &an, topo, SIZE_MAX, 0, NULL))
		return;
	CHECK(!an.interrupted);
	test_totals(an.profile);
	test_matrix(an.profile);
	test_tasks(an.profile);
	test_cpus(an.profile);
	test_labels(an.profile);
	test_runtime(an.profile);
	test_placement(an.profile);
	test_losses(&ss, an.profile);
	analysis__free(&an);
	CHECK(an.agg == NULL && an.profile == NULL);
}

/* Without a topology: counts, but no matrix, no nodes. */
static void test_no_topology(void)
{
	struct script_source ss;
	struct nl_analysis an;

	if (run_script(&ss, &an, NULL, SIZE_MAX, 0, NULL))
		return;
	CHECK_EQ_U64(an.profile->nr_nodes, 0);
	/* data_src still says local / remote; nodes of pages cannot */
	expect_counts(&an.profile->total, 12, 11, 3, 1, 7, 0.25);
	CHECK_EQ_STR(PROC(an.profile, 200) ? PROC(an.profile, 200)->comm : NULL, "worker");
	analysis__free(&an);
}

/* The stop flag is watched, not obeyed: the source ends the stream. */
static void test_stop_flag(struct nl_topology *topo)
{
	volatile sig_atomic_t stop = 0;
	struct script_source ss;
	struct nl_analysis an;

	if (run_script(&ss, &an, topo, SIZE_MAX, 0, &stop))
		return;
	CHECK(an.interrupted);
	CHECK_EQ_U64(an.profile ? an.profile->total.samples : 0, 12);
	analysis__free(&an);
}

/* A source that fails: what came before counts, and the stats say where. */
static void test_failing_source(struct nl_topology *topo)
{
	struct script_source ss;
	struct nl_analysis an;

	if (run_script(&ss, &an, topo, 13, -EIO, NULL))   /* 8 side-band + 5 samples */
		return;
	CHECK_EQ_U64(an.profile ? an.profile->total.samples : 0, 5);
	CHECK_EQ_U64(ss.src.stats.stopped_at, 13);
	CHECK(strstr(ss.src.stats.stop_reason, "the source failed") != NULL);
	CHECK(strstr(ss.src.stats.stop_reason, strerror(EIO)) != NULL);
	analysis__free(&an);
}

/* Notes of the given kind ("loss", "damage") in a JSON report. */
static int notes_of(const cJSON *json, const char *kind)
{
	const cJSON *n;
	int count = 0;

	cJSON_ArrayForEach(n, cJSON_GetObjectItem(json, "notes")) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(n, "kind"));

		count += k && !strcmp(k, kind);
	}
	return count;
}

/* The same stream through the report path the binary takes (JSON). */
static void test_report(struct nl_topology *topo)
{
	struct script_source ss;
	const cJSON *procs, *first;
	cJSON *json;

	build_script();
	script_source__init(&ss, script, nr_script, topo);
	json = report_run__source(&ss.src);
	CHECK(json != NULL);
	if (!json)
		return;
	CHECK_EQ_U64(json_num(json, "summary.local"), 3);
	CHECK_EQ_U64(json_num(json, "summary.remote"), 7);
	CHECK_EQ_U64(json_num(json, "summary.lost"), 12);
	procs = cJSON_GetObjectItem(json, "processes");
	CHECK_EQ_U64(cJSON_GetArraySize(procs), 4);
	first = cJSON_GetArrayItem(procs, 0);
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "comm")), "worker");
	CHECK_EQ_U64(json_num(first, "ppid"), 100);
	CHECK_EQ_U64(notes_of(json, "loss"), 2);              /* lost, throttled: always said */
	CHECK_EQ_U64(notes_of(json, "damage"), 0);
	cJSON_Delete(json);

	/* a source that fails half way: a report of what came, and where it stopped */
	build_script();
	script_source__init(&ss, script, 13, topo);
	ss.end = -EIO;
	json = report_run__source(&ss.src);
	CHECK(json != NULL);
	if (!json)
		return;
	CHECK_EQ_U64(json_num(json, "summary.samples"), 5);
	CHECK_EQ_U64(notes_of(json, "damage"), 1);
	CHECK_EQ_U64(notes_of(json, "loss"), 0);
	cJSON_Delete(json);
}

int main(void)
{
	struct nl_topology *topo = two_nodes();

	test_encodings();
	test_stream(topo);
	test_no_topology();
	test_stop_flag(topo);
	test_failing_source(topo);
	test_report(topo);
	topology__free(topo);
	return check_done();
}
