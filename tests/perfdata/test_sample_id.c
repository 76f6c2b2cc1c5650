/*
 * test_sample_id.c - record ids and the sample_id trailer (perf_record.h):
 * perf_record__id on samples and side-band records (the live source finds a
 * record's owner with it) agreeing with perf_record__sample_id, built byte
 * for byte per perf_event_open(2), with IDENTIFIER and with plain ID (its
 * position counted from the end), and records too short to hold one.
 */
#include <errno.h>

#include "builder.h"
#include "check.h"
#include "samplers/perf_record.h"

#define REC_SWITCH 14

static void layout(struct perf_event_set *set, uint64_t sample_type)
{
	struct perf_event_layout l = { 0 };

	perf_event_set__init(set);
	l.sample_type = sample_type;
	l.flags = PERF_ATTR_FLAG_SAMPLE_ID_ALL;
	CHECK(perf_event_set__add(set, &l) == 0);
	perf_event_set__finish(set);
}

static void header(struct buf *b, uint32_t type, uint16_t size)
{
	put32(b, type);
	put16(b, 0);
	put16(b, size);
}

/* One layout: a SWITCH record's trailer and a sample, as u64 words. */
struct id_case {
	const char *what;
	uint64_t sample_type;
	uint64_t trailer[4];            /* TID, TIME / ID, STREAM_ID, CPU ... */
	int32_t pid, tid, cpu;
	uint64_t time, id;              /* what the trailer says */
	uint64_t sample[3];             /* a sample's first words */
	int sample_words;
	uint64_t sample_id;
};

static const struct id_case cases[] = {
	{ "IDENTIFIER", S_IP | S_TID | S_TIME | S_CPU | S_IDENTIFIER,
	  { 101ull << 32 | 100, 5555, 3, 0xabc }, 100, 101, 3, 5555, 0xabc,
	  { 0xdef, 0x401000 }, 2, 0xdef },
	/* ID without IDENTIFIER: after IP, TID in a sample; before STREAM_ID, CPU at the end */
	{ "ID", S_IP | S_TID | S_ID | S_STREAM_ID | S_CPU,
	  { 8ull << 32 | 7, 0x77, 0x99, 1 }, 7, 8, 1, 0, 0x77,
	  { 0x401000, 8ull << 32 | 7, 0x78 }, 3, 0x78 },
};

static void check_case(const struct id_case *k)
{
	struct perf_event_set set;
	struct perf_sample_id sid;
	struct buf r = { 0 };

	layout(&set, k->sample_type);
	header(&r, REC_SWITCH, 8 + 32);         /* SWITCH: no body, only the trailer */
	for (int i = 0; i < 4; i++)
		put64(&r, k->trailer[i]);
	CHECK(perf_record__sample_id(&set, r.p, r.len, &sid) == 1);
	CHECK_EQ_U64(sid.pid, k->pid);
	CHECK_EQ_U64(sid.tid, k->tid);
	CHECK_EQ_U64(sid.cpu, k->cpu);
	CHECK_EQ_U64(sid.time, k->time);
	CHECK_EQ_U64(sid.id, k->id);
	CHECK_EQ_U64(perf_record__id(&set, r.p, r.len), k->id);
	/* too short for the trailer: refused, not read before the record */
	CHECK(perf_record__sample_id(&set, r.p, 8 + 24, &sid) == -EINVAL);
	CHECK_EQ_U64(perf_record__id(&set, r.p, 8), 0);
	r.len = 0;
	header(&r, 9, (uint16_t)(8 + 8 * k->sample_words));
	for (int i = 0; i < k->sample_words; i++)
		put64(&r, k->sample[i]);
	CHECK_EQ_U64(perf_record__id(&set, r.p, r.len), k->sample_id);
	CHECK_EQ_U64(perf_record__id(&set, r.p, 8), 0);
	free(r.p);
	perf_event_set__free(&set);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	return check_done();
}
