/*
 * perf_record.h - decoding kernel perf_event records into struct nl_record.
 *
 * Owns: the layout of PERF_RECORD_SAMPLE for any sample_type (every field
 * in the order perf_event_open(2) documents), of the side-band records
 * (MMAP, MMAP2, COMM, FORK, EXIT, LOST, LOST_SAMPLES, THROTTLE,
 * UNTHROTTLE, SWITCH, SWITCH_CPU_WIDE), the sample_id trailer, and the lookup from a sample id to the event that made it.
 * Shared by the perf.data reader and the live ring reader: both hand it the
 * bytes of one record.
 *
 * Promises: every read is checked against the record size; a record that
 * does not fit its declared layout is rejected with -EINVAL, never read past.
 * Nothing is allocated per record.
 */
#ifndef NUMALENS_PERF_RECORD_H
#define NUMALENS_PERF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "samplers/base/map.h"
#include "samplers/sample.h"

/* The attr fields that shape records (read from any attr size >= 64). */
struct perf_event_layout {
	uint32_t type;
	uint32_t attr_size;
	uint64_t config;
	uint64_t sample_period;
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t flags;              /* the bitfield word (disabled, inherit ...) */
	uint64_t config1;
	uint64_t branch_sample_type;
	uint64_t sample_regs_user;
	uint64_t sample_regs_intr;
};

/* attr.flags bits used here */
#define PERF_ATTR_FLAG_FREQ (1ull << 10)
#define PERF_ATTR_FLAG_SAMPLE_ID_ALL (1ull << 18)
#define PERF_ATTR_FLAG_PRECISE_SHIFT 15

/*
 * Reads a perf_event_attr of attr_size bytes (>= 64; larger ones may carry
 * fields this code does not know, which are ignored).  Fields beyond
 * attr_size keep 0.  Returns 0 or -EINVAL when attr_size < 64.
 */
int perf_layout__from_attr(struct perf_event_layout *out, const void *attr,
			   size_t attr_size);

/* Writes sample_type as perf prints it ("IP|TID|TIME") into buf.  Returns buf. */
char *perf_layout__sample_type_names(uint64_t sample_type, char *buf, size_t size);

/*
 * The events of one session and the map from sample ids to them.  Invariants:
 *   1. events[i] is the i-th attr of the session; sample.event indexes it.
 *   2. id_pos/is_pos come from events[0] (perf requires them to agree).
 *   3. ids maps (0, sample id) to an event index (samplers/base/map.h).
 */
struct perf_event_set {
	int nr_events;
	struct perf_event_layout *events;
	size_t cap_events;      /* array__reserve capacity of events */
	struct nl_map ids;      /* (0, id) -> event index */
	int id_pos;             /* u64 index of ID in a sample, -1 none */
	int is_pos;             /* u64 index from the end of sample_id, -1 none */
};

void perf_event_set__init(struct perf_event_set *set);
void perf_event_set__free(struct perf_event_set *set);
/* Appends an event; returns its index or -ENOMEM. */
int perf_event_set__add(struct perf_event_set *set,
			const struct perf_event_layout *layout);
/* Maps id to event index.  0 or -ENOMEM. */
int perf_event_set__add_id(struct perf_event_set *set, uint64_t id, int event);
/* Event index of id, or -1. */
int perf_event_set__event_of_id(const struct perf_event_set *set, uint64_t id);
/* Recomputes id_pos/is_pos after the events are known. */
void perf_event_set__finish(struct perf_event_set *set);

/*
 * Decodes one kernel record (header included, size bytes) into *out.
 * Pointer fields of *out point into rec.  Returns:
 *   1        a record numalens uses (out filled),
 *   0        a valid record numalens does not use (skip it),
 *   -EINVAL  malformed (count it, skip it),
 *   -ENOENT  a kernel record type this code does not know (skip by size).
 * Strings (comm, filename) that are not NUL-terminated inside the record
 * are malformed.
 */
int perf_record__decode(const struct perf_event_set *set, const void *rec,
			size_t size, struct nl_record *out);

/* The sample_id trailer that sample_id_all appends to side-band records. */
struct perf_sample_id {
	int32_t pid, tid;       /* -1 when absent */
	int32_t cpu;            /* -1 when absent */
	bool has_time;
	uint64_t time;
	uint64_t id;            /* ID or IDENTIFIER, 0 when absent */
};

/*
 * Reads the sample_id trailer of a side-band record (header included, size
 * bytes) with the session's layout (events[0], as perf requires).  Returns
 * 1 (out filled), 0 when the session has no sample_id_all (out holds
 * unknowns), -EINVAL when the record is shorter than its trailer.
 */
int perf_record__sample_id(const struct perf_event_set *set, const void *rec,
			   size_t size, struct perf_sample_id *out);

/*
 * The event id of any record: a sample's ID / IDENTIFIER (at id_pos), a
 * side-band record's trailer id (is_pos from its end).  0 when the layout
 * has none or the record is too short.  Never allocates.
 */
uint64_t perf_record__id(const struct perf_event_set *set, const void *rec,
			 size_t size);

/* Kernel record type of rec (its header), for counting. */
uint32_t perf_record__type(const void *rec);

#endif
