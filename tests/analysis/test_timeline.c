/*
 * test_timeline.c - the aggregator's per-second timeline: seconds counted
 * from the first timed sample, an empty second kept, a late (older) sample
 * in second 0, untimed samples only in the totals, and the seconds adding
 * up to the totals.  A profile longer than NL_TIMELINE_MAX seconds widens
 * the entries (2 s, 4 s, ...) instead of growing, and a hostile timestamp
 * (2^63 ns, a corrupt recording) leaves at most NL_TIMELINE_MAX entries.
 * The sampled window runs from the earliest timed sample (even one older
 * than the first) to the latest, untimed ones aside.
 */
#include "check.h"

#include "profiler/aggregate.h"

#define S 1000000000ull

static void sample(struct nl_aggregate *agg, uint64_t time, bool timed)
{
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	r.sample.valid = NL_SAMPLE_TID | (timed ? NL_SAMPLE_TIME : 0);
	r.sample.pid = r.sample.tid = 100;
	r.sample.cpu = r.sample.mem_node = -1;
	r.sample.time = time;
	CHECK(aggregate__add(agg, &r) == 0);
}

int main(void)
{
	struct nl_aggregate *agg = aggregate__new(NULL);
	const struct nl_profile *p;
	uint64_t sum = 0;

	sample(agg, 10 * S + S / 2, true);      /* the first: second 0 */
	sample(agg, 11 * S + S / 5, true);      /* 0.7 s after it: second 0 */
	sample(agg, 11 * S + 9 * S / 10, true); /* 1.4 s: second 1 */
	sample(agg, 13 * S, true);              /* 2.5 s: second 2 */
	sample(agg, 14 * S + 6 * S / 10, true); /* 4.1 s: second 4; second 3 stays empty */
	sample(agg, 9 * S, true);               /* older than the first: second 0 */
	sample(agg, 0, false);                  /* no time: totals only */
	p = aggregate__finish(agg);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ_U64(p->nr_timeline, 5);
		CHECK_EQ_U64(p->timeline[0].samples, 3);
		CHECK_EQ_U64(p->timeline[1].samples, 1);
		CHECK_EQ_U64(p->timeline[2].samples, 1);
		CHECK_EQ_U64(p->timeline[3].samples, 0);
		CHECK_EQ_U64(p->timeline[4].samples, 1);
		for (int i = 0; i < p->nr_timeline; i++)
			sum += p->timeline[i].samples;
		CHECK_EQ_U64(sum + 1, p->total.samples);
		CHECK_EQ_U64(p->first_sample_ns, 9 * S);
		CHECK_EQ_U64(p->last_sample_ns, 14 * S + 6 * S / 10);
	}
	aggregate__free(agg);

	/* one sample a second for 2.5 h: 9000 s -> 4 s per entry, 2250 entries */
	agg = aggregate__new(NULL);
	for (uint64_t t = 0; t < 9000; t++)
		sample(agg, 100 * S + t * S, true);
	p = aggregate__finish(agg);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ_U64(p->timeline_step, 4);
		CHECK_EQ_U64(p->nr_timeline, 2250);
		CHECK_EQ_U64(p->timeline[0].samples, 4);
		CHECK_EQ_U64(p->timeline[2249].samples, 4);
		sum = 0;
		for (int i = 0; i < p->nr_timeline; i++)
			sum += p->timeline[i].samples;
		CHECK_EQ_U64(sum, 9000);
		CHECK_EQ_U64(p->last_sample_ns - p->first_sample_ns, 8999 * S);
	}
	aggregate__free(agg);

	agg = aggregate__new(NULL);
	sample(agg, S, true);
	sample(agg, 1ull << 63, true);
	p = aggregate__finish(agg);
	CHECK(p != NULL);
	if (p) {
		CHECK(p->nr_timeline <= NL_TIMELINE_MAX);
		CHECK_EQ_U64(p->timeline[0].samples, 1);
		CHECK_EQ_U64(p->timeline[p->nr_timeline - 1].samples, 1);
	}
	aggregate__free(agg);
	return check_done();
}
