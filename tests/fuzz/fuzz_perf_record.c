/*
 * fuzz_perf_record.c - kernel record decoding, as the live rings and the
 * perf.data reader hand records to perf_record__decode().
 *
 * Input: a perf_event_attr (its size field, clamped to 64..136, says how
 * many bytes), then records framed by their header.size.  Two events are
 * made from the attr (the second with sample ids 1 and 2 mapped to it) so
 * the id lookup is exercised too.  Each record is copied into an
 * allocation of exactly its size, so any read past it is an ASan report;
 * a frame that does not fit is decoded with the bytes that are left.
 * The counting decoder (samplers/counters.c: a group's read() buffer)
 * gets every whole record's body too.
 */
#include <string.h>

#include "fuzz.h"
#include "samplers/counters.h"
#include "samplers/perf_record.h"

static void touch(const struct nl_record *r)
{
	volatile uint64_t sink = 0;

	switch (r->kind) {
	case NL_REC_SAMPLE:
		for (uint32_t i = 0; i < r->sample.nr_callchain; i++)
			sink += r->sample.callchain[i];
		/* the user regs and stack lie inside the record (ASan says if not) */
		for (uint32_t i = 0; r->sample.regs_user && i < r->sample.nr_regs_user * 8; i++)
			sink += ((const uint8_t *)r->sample.regs_user)[i];
		for (uint32_t i = 0; r->sample.stack_user && i < r->sample.stack_size; i++)
			sink += ((const uint8_t *)r->sample.stack_user)[i];
		break;
	case NL_REC_COMM:
		sink += fuzz_touch_string(r->task.comm);
		break;
	case NL_REC_MMAP:
		sink += fuzz_touch_string(r->mmap.filename);
		break;
	default:
		break;
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_event_set set;
	struct perf_event_layout layout;
	uint32_t attr_size;
	size_t off;

	if (size < 64)
		return 0;
	memcpy(&attr_size, data + 4, 4);
	attr_size = attr_size < 64 ? 64 : attr_size > 136 ? 136 : attr_size;
	if (attr_size > size)
		attr_size = 64;
	if (perf_layout__from_attr(&layout, data, attr_size))
		return 0;
	perf_event_set__init(&set);
	if (perf_event_set__add(&set, &layout) < 0 || perf_event_set__add(&set, &layout) < 0 ||
	    perf_event_set__add_id(&set, 1, 1) || perf_event_set__add_id(&set, 2, 1))
		goto out;
	perf_event_set__finish(&set);
	for (off = attr_size; off + 8 <= size;) {
		uint16_t rec_size;
		size_t n;
		uint8_t *rec;
		struct nl_record r;

		memcpy(&rec_size, data + off + 6, 2);
		n = rec_size >= 8 && rec_size <= size - off ? rec_size : size - off;
		rec = malloc(n);
		if (!rec)
			break;
		memcpy(rec, data + off, n);
		memset(&r, 0, sizeof(r));
		if (perf_record__decode(&set, rec, n, &r) == 1)
			touch(&r);
		if (n == rec_size) {
			struct nl_group_read g;

			counters__decode_group(rec + 8, n - 8, &g);
		}
		(void)perf_record__type(rec);
		free(rec);
		off += n;
	}
out:
	perf_event_set__free(&set);
	return 0;
}
