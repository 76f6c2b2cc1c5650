/*
 * test_switch_records.c - context switches from bytes to the HT section:
 * PERF_RECORD_SWITCH and SWITCH_CPU_WIDE built byte for byte per
 * perf_event_open(2) (no body / next_prev_pid+tid, then the sample_id
 * trailer), FINISHED_ROUND, a switch too short for its trailer; decoded by
 * the perf.data source, aggregated with a 2x2x2 topology, rendered to JSON.
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
#define TID_TIME_CPU ((1u << 1) | (1u << 2) | (1u << 7))
#define MISC_OUT (1u << 13)
#define MISC_PREEMPT (1u << 14)

static void put_switch(struct fb *f, uint32_t type, uint16_t misc, int pid, int tid,
		       uint64_t time, int cpu, int other)
{
	struct buf b = { 0 };

	if (type == 15) {               /* next_prev_pid, next_prev_tid */
		put32(&b, (uint32_t)other);
		put32(&b, (uint32_t)other);
	}
	put32(&b, (uint32_t)pid);
	put32(&b, (uint32_t)tid);
	put64(&b, time);
	put32(&b, (uint32_t)cpu);
	put32(&b, 0);
	fb_raw(f, type, misc, b.p, b.len);
	free(b.p);
}

int main(void)
{
	struct nl_topology *topo = guest_topology();
	struct nl_aggregate *agg = aggregate__new(topo);
	const struct nl_profile *prof;
	const struct nl_smt_result *r;
	struct nl_source *src;
	struct nl_record rec;
	struct nl_error err;
	struct fb_file file;
	struct fb f;
	int switches = 0, preempt = 0, wide = 0, rounds = 0;

	fb_begin(&f, 112);
	fb_attr(&f, TID_TIME_CPU);
	put_switch(&f, 14, 0, 100, 11, 1 * S, 0, 0);
	put_switch(&f, 14, 0, 100, 12, 1 * S, 1, 0);
	put_switch(&f, 15, 0, 100, 13, 1 * S, 2, 0);    /* CPU-wide: from idle */
	fb_raw(&f, 68, 0, NULL, 0);                     /* FINISHED_ROUND */
	put_switch(&f, 14, MISC_OUT, 100, 11, 3 * S, 0, 0);
	put_switch(&f, 14, MISC_OUT | MISC_PREEMPT, 100, 12, 2 * S, 1, 0); /* older */
	fb_raw(&f, 14, 0, NULL, 0);                     /* no trailer: malformed */
	fb_raw(&f, 68, 0, NULL, 0);
	file = fb_end(&f);

	src = perfdata__open_buffer(file.p, file.len, "switches", &err);
	CHECK(src != NULL && agg != NULL);
	while (src && nl_source__next(src, &rec) > 0) {
		if (rec.kind == NL_REC_SWITCH) {
			switches++;
			preempt += rec.sw.preempt;
			CHECK(rec.sw.pid == 100 && rec.sw.cpu >= 0 && rec.sw.cpu <= 2);
			if (rec.sw.cpu_wide) {
				wide++;
				CHECK(rec.sw.tid == 13 && rec.sw.other_tid == 0 && !rec.sw.out);
			}
			if (rec.sw.tid == 11 && rec.sw.out)
				CHECK_EQ_U64(rec.sw.time, 3 * S);
		}
		rounds += rec.kind == NL_REC_ROUND;
		CHECK(aggregate__add(agg, &rec) == 0);
	}
	CHECK_EQ_U64(switches, 5);
	CHECK_EQ_U64(preempt, 1);
	CHECK_EQ_U64(wide, 1);
	CHECK_EQ_U64(rounds, 3);        /* the opening one and two FINISHED_ROUND */
	CHECK(src && src->stats.bad_records == 1);

	prof = aggregate__finish(agg);
	r = prof ? prof->smt : NULL;
	CHECK(r != NULL);
	if (r) {
		CHECK(r->has_smt && !r->cpu_wide);
		CHECK_EQ_U64(r->late_switches, 0);
		CHECK(r->nr_pairs == 1 && r->pairs[0].corun_ns == 1 * S);
		CHECK(r->nr_pairs == 1 && r->pairs[0].ratio > 0.99);
		CHECK_EQ_U64(r->span_ns, 2 * S);
	}
	if (prof && src) {
		struct nl_report_input in = { .profile = prof, .info = &src->info,
					      .stats = &src->stats, .command = "report",
					      .source_kind = "perf.data" };
		struct nl_report_model model;
		cJSON *json = report_model__build(&model, &in) ? NULL : report_json__build(&model);
		const cJSON *smt = cJSON_GetObjectItemCaseSensitive(json, "smt");
		const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(smt, "pairs");
		const cJSON *p0 = cJSON_GetArrayItem(pairs, 0);

		CHECK(cJSON_IsObject(smt));
		CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(smt, "has_smt")));
		CHECK(p0 && cJSON_GetObjectItemCaseSensitive(p0, "corun_s")->valuedouble == 1.0);
		CHECK(cJSON_GetObjectItemCaseSensitive(smt, "switches")->valuedouble == 5);
		cJSON_Delete(json);
		report_model__free(&model);
	}
	aggregate__free(agg);
	nl_source__close(src);
	topology__free(topo);
	free(file.p);
	return check_done();
}
