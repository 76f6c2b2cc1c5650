/*
 * test_ipc.c - the IPC cost of sharing a core, from bytes to the report.
 *
 * A perf.data as `perf record -e '{cycles,instructions}:S' --switch-events`
 * writes it, built byte for byte per perf_event_open(2): two attrs
 * (PERF_TYPE_HARDWARE cycles and instructions, sample_type IDENTIFIER |
 * TID | TIME | CPU | READ, read_format GROUP | ID | the times | LOST, as
 * perf 6.x writes it), cycles samples whose
 * READ holds both members' cumulative counts by id, and PERF_RECORD_SWITCH
 * with the sample_id trailer, and the machine's topology features (NRCPUS,
 * CPU_TOPOLOGY, NUMA_TOPOLOGY: 2 packages x 2 cores x 2 threads; the same
 * file is `numalens report`'s with NL_IPC_DUMP=FILE).  Tasks 11 and 12
 * run on sibling CPUs 0 and 1 for a second (IPC 1.0), then each runs alone
 * (IPC 2.0); the report must say "IPC while sharing a core 1.00 vs 2.00
 * alone (-50 %)" and fill smt.ipc_cost.  Then the engine alone: a task
 * measured only alone, at another IPC, must not move the cost (each task is
 * compared with itself), and a count that goes backwards is not used.
 */
#include <cjson/cJSON.h>

#include "builder.h"
#include "check.h"
#include "guest_topology.h"

#include "profiler/aggregate.h"
#include "profiler/smt.h"
#include "report/report.h"
#include "samplers/base/topology.h"
#include "samplers/perfdata.h"

#define S 1000000000ull
#define MS 1000000ull
#define SAMPLE_TYPE (S_IDENTIFIER | S_TID | S_TIME | S_CPU | S_READ)
/* as perf 6.x writes it for '{cycles,instructions}:S' */
#define FORMAT_TIMES ((1u << 0) | (1u << 1))   /* TOTAL_TIME_ENABLED, _RUNNING */
#define FORMAT_ID (1u << 2)
#define FORMAT_GROUP (1u << 3)
#define FORMAT_LOST (1u << 4)
#define READ_FORMAT (FORMAT_TIMES | FORMAT_ID | FORMAT_GROUP | FORMAT_LOST)
#define MISC_OUT (1u << 13)
#define ID_CYCLES 1001
#define ID_INSTRUCTIONS 1002

/* sample_id trailer order: pid/tid, time, cpu/res, identifier */
static void put_switch(struct fb *f, bool out, int tid, uint64_t time, int cpu)
{
	struct buf b = { 0 };

	put32(&b, 100);
	put32(&b, (uint32_t)tid);
	put64(&b, time);
	put32(&b, (uint32_t)cpu);
	put32(&b, 0);
	put64(&b, ID_CYCLES);
	fb_raw(f, 14, out ? MISC_OUT : 0, b.p, b.len);
	free(b.p);
}

/* A cycles sample with the group read: nr, the times, then value, id, lost per member. */
static void put_sample(struct fb *f, int tid, uint64_t time, int cpu, uint64_t cycles,
		       uint64_t instructions)
{
	struct buf b = { 0 };

	put64(&b, ID_CYCLES);
	put32(&b, 100);
	put32(&b, (uint32_t)tid);
	put64(&b, time);
	put32(&b, (uint32_t)cpu);
	put32(&b, 0);
	put64(&b, 2);
	put64(&b, time);                /* time_enabled */
	put64(&b, time);                /* time_running */
	put64(&b, cycles);
	put64(&b, ID_CYCLES);
	put64(&b, 0);
	put64(&b, instructions);
	put64(&b, ID_INSTRUCTIONS);
	put64(&b, 0);
	fb_raw(f, 9, 2 /* user */, b.p, b.len);
	free(b.p);
}

/*
 * 1 GHz while running; 1 instruction per cycle while the sibling is busy,
 * 2 alone.  corun_until: the task shares its core up to then.
 */
static uint64_t at_cycles(uint64_t run_ns)
{
	return run_ns;
}

static uint64_t at_instructions(uint64_t run_ns, uint64_t corun_ns)
{
	return corun_ns + 2 * (run_ns - corun_ns);
}

static struct fb_file build(void)
{
	struct fb f;
	struct fb_attr *a;
	struct buf *b;

	fb_begin(&f, 112);
	a = fb_attr(&f, SAMPLE_TYPE);
	a->type = 0;            /* PERF_TYPE_HARDWARE */
	a->config = 0;          /* cycles */
	a->period = 100000000;
	a->read_format = READ_FORMAT;
	a->ids[a->nr_ids++] = ID_CYCLES;
	a = fb_attr(&f, SAMPLE_TYPE);
	a->type = 0;
	a->config = 1;          /* instructions: a member, sampling nothing */
	a->period = 0;
	a->read_format = READ_FORMAT;
	a->ids[a->nr_ids++] = ID_INSTRUCTIONS;

	/* 0..1 s: 11 on CPU 0 and 12 on its sibling CPU 1 */
	put_switch(&f, false, 11, 0, 0);
	put_switch(&f, false, 12, 0, 1);
	for (uint64_t t = 100 * MS; t < S; t += 400 * MS) {     /* 0.1 0.5 0.9 */
		put_sample(&f, 11, t, 0, at_cycles(t), at_instructions(t, t));
		put_sample(&f, 12, t, 1, at_cycles(t), at_instructions(t, t));
	}
	put_switch(&f, true, 12, S, 1);
	fb_raw(&f, 68, 0, NULL, 0);                     /* FINISHED_ROUND */
	/* 1..2 s: 11 alone on its core (0.9..1.5 is mixed, 1.5..1.9 alone) */
	put_sample(&f, 11, 1500 * MS, 0, at_cycles(1500 * MS), at_instructions(1500 * MS, S));
	put_sample(&f, 11, 1900 * MS, 0, at_cycles(1900 * MS), at_instructions(1900 * MS, S));
	put_switch(&f, true, 11, 2 * S, 0);
	/* 2..3 s: 12 alone on CPU 2 (another core): 0.9..2.1 mixed, then alone */
	put_switch(&f, false, 12, 2 * S, 2);
	for (uint64_t t = 2100 * MS; t < 3 * S; t += 400 * MS) {
		uint64_t run = S + (t - 2 * S);

		put_sample(&f, 12, t, 2, at_cycles(run), at_instructions(run, S));
	}
	put_switch(&f, true, 12, 3 * S, 2);
	/* a task no switch record put on a CPU: its window is unplaced */
	put_sample(&f, 13, 1000 * MS, 4, 5, 5);
	put_sample(&f, 13, 1200 * MS, 4, 500, 700);
	fb_raw(&f, 68, 0, NULL, 0);
	/* the recording machine, as perf writes it: 2 packages x 2 cores x 2 threads */
	b = fb_feature(&f, 7);          /* NRCPUS: online, available */
	put32(b, 8);
	put32(b, 8);
	b = fb_feature(&f, 13);         /* CPU_TOPOLOGY */
	put32(b, 2);
	put_hstring(b, "0-3");
	put_hstring(b, "4-7");
	put32(b, 4);
	put_hstring(b, "0-1");
	put_hstring(b, "2-3");
	put_hstring(b, "4-5");
	put_hstring(b, "6-7");
	for (int cpu = 0; cpu < 8; cpu++) {
		put32(b, (uint32_t)((cpu / 2) % 2));    /* core id */
		put32(b, (uint32_t)(cpu / 4));          /* socket id */
	}
	b = fb_feature(&f, 14);         /* NUMA_TOPOLOGY */
	put32(b, 2);
	put32(b, 0);
	put64(b, 1000000);
	put64(b, 500000);
	put_hstring(b, "0-3");
	put32(b, 1);
	put64(b, 1000000);
	put64(b, 500000);
	put_hstring(b, "4-7");
	return fb_end(&f);
}

static const struct nl_smt_task *task(const struct nl_smt_result *r, int tid)
{
	for (int i = 0; i < r->nr_tasks; i++)
		if (r->tasks[i].tid == tid)
			return &r->tasks[i];
	return NULL;
}

static bool near(double got, double want)
{
	return got > want - 1e-9 && got < want + 1e-9;
}

static void test_perfdata(void)
{
	struct nl_aggregate *agg = NULL;
	struct fb_file file = build();
	const struct nl_profile *prof;
	const struct nl_smt_result *r;
	struct nl_source *src;
	struct nl_record rec;
	struct nl_error err;
	int counted = 0;

	if (getenv("NL_IPC_DUMP")) {      /* for trying it: numalens report FILE */
		FILE *f = fopen(getenv("NL_IPC_DUMP"), "wb");

		if (f) {
			fwrite(file.p, 1, file.len, f);
			fclose(f);
		}
	}
	src = perfdata__open_buffer(file.p, file.len, "ipc", &err);
	/* the file's own topology: SMT siblings (0,1) (2,3) ... */
	CHECK(src && src->info.topology && src->info.topology->nr_nodes == 2);
	agg = src ? aggregate__new(src->info.topology) : NULL;
	CHECK(agg != NULL);
	while (src && nl_source__next(src, &rec) > 0) {
		if (rec.kind == NL_REC_SAMPLE && (rec.sample.valid & NL_SAMPLE_COUNTS)) {
			counted++;
			CHECK(rec.sample.event == 0);
			if (rec.sample.tid == 13 && rec.sample.time == 1200 * MS)
				CHECK(rec.sample.cycles == 500 && rec.sample.instructions == 700);
		}
		CHECK(aggregate__add(agg, &rec) == 0);
	}
	CHECK_EQ_U64(counted, 13);
	CHECK(src && src->stats.bad_records == 0);
	prof = aggregate__finish(agg);
	r = prof ? prof->smt : NULL;
	CHECK(r != NULL);
	if (r) {
		const struct nl_smt_task *t11 = task(r, 11), *t12 = task(r, 12);

		CHECK_EQ_U64(r->ipc.samples, 13);
		CHECK_EQ_U64(r->ipc.windows_corun, 4);
		CHECK_EQ_U64(r->ipc.windows_alone, 3);
		CHECK_EQ_U64(r->ipc.windows_mixed, 2);
		CHECK_EQ_U64(r->ipc.windows_unplaced, 1);
		CHECK_EQ_U64(r->ipc.cycles_corun, 1600 * MS);
		CHECK_EQ_U64(r->ipc.instructions_alone, 2 * 1200 * MS);
		CHECK(r->ipc.has_cost && r->ipc.tasks_both == 2);
		CHECK(near(r->ipc.ipc_corun, 1.0) && near(r->ipc.ipc_alone, 2.0));
		CHECK(near(r->ipc.cost, 0.5));
		CHECK(t11 && near(t11->ipc_corun, 1.0) && near(t11->ipc_alone, 2.0));
		CHECK(t12 && t12->cycles_alone == 800 * MS && near(t12->ipc_alone, 2.0));
	}
	if (prof && src) {
		struct nl_report_input in = { .profile = prof, .info = &src->info,
					      .stats = &src->stats, .command = "report",
					      .source_kind = "perf.data" };
		struct nl_report_model model;
		cJSON *json = report_model__build(&model, &in) ? NULL : report_json__build(&model);
		const cJSON *smt = cJSON_GetObjectItemCaseSensitive(json, "smt");
		const cJSON *cost = cJSON_GetObjectItemCaseSensitive(smt, "ipc_cost");
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);

		bool advised = false;

		CHECK(model.smt_ipc_note[0] == 0);
		/* the one-thread-per-core advice quotes the cost in its why */
		for (int i = 0; i < model.nr_advice; i++)
			advised |= strstr(model.advice[i].why,
					  "IPC while sharing a core 1.00 vs 2.00 alone (-50 %)") != NULL;
		CHECK(advised);
		CHECK(cJSON_IsObject(cost));
		CHECK(cost && near(cJSON_GetObjectItemCaseSensitive(cost, "cost")->valuedouble, 0.5));
		CHECK(cost && cJSON_GetObjectItemCaseSensitive(cost, "windows_mixed")->valuedouble == 2);
		report_text__write(out, &model, 10);
		fclose(out);
		CHECK(text && strstr(text, "IPC while sharing a core 1.00 vs 2.00 alone (-50 %)"));
		if (text && !strstr(text, "IPC while sharing"))
			fputs(text, stderr);
		free(text);
		cJSON_Delete(json);
		report_model__free(&model);
	}
	aggregate__free(agg);
	nl_source__close(src);
	free(file.p);
}

/*
 * The engine: task 21 co-runs at IPC 0.5 and runs alone at 1.0 (cost 50 %);
 * task 23 only ever runs alone at IPC 3.0.  Pooling every alone cycle would
 * call the cost 1 - 0.5 / 2.0 = 75 %; each task against itself says 50 %.
 * A count below the previous one is a bad window, not used.
 */
static void test_engine(void)
{
	struct nl_topology *topo = guest_topology();
	struct nl_smt *s = smt__new(topo, false);
	const struct nl_smt_result *r;

	smt__start(s, 0);
	CHECK(smt__switch(s, 0, 200, 21, 0, false) == 0);
	CHECK(smt__switch(s, 1, 200, 22, 0, false) == 0);       /* busy sibling */
	CHECK(smt__switch(s, 4, 200, 23, 0, false) == 0);       /* a core of its own */
	CHECK(smt__counts(s, 0, 200, 21, 0, 0, 0) == 0);
	CHECK(smt__counts(s, 4, 200, 23, 0, 0, 0) == 0);
	CHECK(smt__counts(s, 0, 200, 21, S, 1000, 500) == 0);
	CHECK(smt__switch(s, 1, 200, 22, S, true) == 0);
	CHECK(smt__counts(s, 0, 200, 21, 2 * S, 3000, 2500) == 0);
	CHECK(smt__counts(s, 4, 200, 23, 2 * S, 10000, 30000) == 0);
	CHECK(smt__counts(s, 4, 200, 23, 3 * S, 9000, 31000) == 0);  /* backwards */
	CHECK(smt__counts(s, 9, 200, 23, 3 * S, 1, 1) == 0);         /* no such CPU */
	r = smt__finish(s, 4 * S);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_U64(r->ipc.samples, 6);
		CHECK_EQ_U64(r->bad_switches, 1);
		CHECK_EQ_U64(r->ipc.windows_bad, 1);
		CHECK_EQ_U64(r->ipc.windows_corun, 1);
		CHECK_EQ_U64(r->ipc.windows_alone, 2);
		CHECK(r->ipc.has_cost && r->ipc.tasks_both == 1);
		CHECK(near(r->ipc.ipc_corun, 0.5) && near(r->ipc.ipc_alone, 1.0));
		CHECK(near(r->ipc.cost, 0.5));
		CHECK(task(r, 23) && near(task(r, 23)->ipc_alone, 3.0) && !task(r, 23)->cycles_corun);
	}
	smt__free(s);
	topology__free(topo);
}

int main(void)
{
	test_perfdata();
	test_engine();
	return check_done();
}
