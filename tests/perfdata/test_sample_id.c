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

static void test_identifier(void)
{
	struct perf_event_set set;
	struct perf_sample_id sid;
	struct buf r = { 0 };

	layout(&set, S_IP | S_TID | S_TIME | S_CPU | S_IDENTIFIER);
	/* SWITCH: no body, trailer TID, TIME, CPU, IDENTIFIER */
	header(&r, REC_SWITCH, 8 + 32);
	put32(&r, 100); put32(&r, 101);
	put64(&r, 5555);
	put32(&r, 3); put32(&r, 0);
	put64(&r, 0xabc);
	CHECK(perf_record__sample_id(&set, r.p, r.len, &sid) == 1);
	CHECK_EQ_U64(sid.pid, 100);
	CHECK_EQ_U64(sid.tid, 101);
	CHECK_EQ_U64(sid.time, 5555);
	CHECK_EQ_U64(sid.cpu, 3);
	CHECK_EQ_U64(sid.id, 0xabc);
	CHECK_EQ_U64(perf_record__id(&set, r.p, r.len), 0xabc);
	/* too short for the trailer: refused, not read before the record */
	CHECK(perf_record__sample_id(&set, r.p, 8 + 24, &sid) == -EINVAL);
	/* a sample: IDENTIFIER is its first u64 */
	r.len = 0;
	header(&r, 9, 8 + 16);
	put64(&r, 0xdef);
	put64(&r, 0x401000);
	CHECK_EQ_U64(perf_record__id(&set, r.p, r.len), 0xdef);
	CHECK_EQ_U64(perf_record__id(&set, r.p, 8), 0);
	free(r.p);
	perf_event_set__free(&set);
}

/* ID without IDENTIFIER: after IP, TID in a sample; before STREAM_ID, CPU at the end. */
static void test_plain_id(void)
{
	struct perf_event_set set;
	struct perf_sample_id sid;
	struct buf r = { 0 };

	layout(&set, S_IP | S_TID | S_ID | S_STREAM_ID | S_CPU);
	header(&r, REC_SWITCH, 8 + 32);
	put32(&r, 7); put32(&r, 8);
	put64(&r, 0x77);                /* ID */
	put64(&r, 0x99);                /* STREAM_ID */
	put32(&r, 1); put32(&r, 0);     /* CPU */
	CHECK(perf_record__sample_id(&set, r.p, r.len, &sid) == 1);
	CHECK_EQ_U64(sid.tid, 8);
	CHECK_EQ_U64(sid.cpu, 1);
	CHECK_EQ_U64(sid.time, 0);      /* not in the layout */
	CHECK_EQ_U64(sid.id, 0x77);
	CHECK_EQ_U64(perf_record__id(&set, r.p, r.len), 0x77);
	r.len = 0;
	header(&r, 9, 8 + 24);
	put64(&r, 0x401000);
	put32(&r, 7); put32(&r, 8);
	put64(&r, 0x78);
	CHECK_EQ_U64(perf_record__id(&set, r.p, r.len), 0x78);
	free(r.p);
	perf_event_set__free(&set);
}

int main(void)
{
	test_identifier();
	test_plain_id();
	return check_done();
}
