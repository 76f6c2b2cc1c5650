/*
 * perf_record.c - one kernel perf_event record -> struct nl_record.
 *
 * The sample layout follows perf_event_open(2), "PERF_RECORD_SAMPLE": the
 * fields present are those whose bit is set in sample_type, in this order:
 * IDENTIFIER, IP, TID, TIME, ADDR, ID, STREAM_ID, CPU, PERIOD, READ,
 * CALLCHAIN, RAW, BRANCH_STACK, REGS_USER, STACK_USER, WEIGHT or
 * WEIGHT_STRUCT, DATA_SRC, TRANSACTION, REGS_INTR, PHYS_ADDR, AUX, CGROUP,
 * DATA_PAGE_SIZE, CODE_PAGE_SIZE.  A cursor walks the record and refuses
 * every read that would pass its end.
 */
#include "samplers/perf_record.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/cursor.h"
#include "samplers/perf_abi.h"

/* Newer than Debian 12's uapi header. */
#ifndef PERF_SAMPLE_BRANCH_COUNTERS
#define PERF_SAMPLE_BRANCH_COUNTERS (1u << 19)
#endif
#ifndef PERF_FORMAT_LOST
#define PERF_FORMAT_LOST (1u << 4)
#endif

/* --- attr ---------------------------------------------------------------- */

static uint64_t attr_u64(const uint8_t *attr, size_t size, size_t off)
{
	uint64_t v = 0;

	if (off + 8 <= size)
		memcpy(&v, attr + off, 8);
	return v;
}

int perf_layout__from_attr(struct perf_event_layout *out, const void *attr,
			   size_t attr_size)
{
	const uint8_t *a = attr;

	memset(out, 0, sizeof(*out));
	if (attr_size < PERF_ATTR_SIZE_MIN)
		return -EINVAL;
	memcpy(&out->type, a, 4);
	out->attr_size = (uint32_t)attr_size;
	out->config = attr_u64(a, attr_size, 8);
	out->sample_period = attr_u64(a, attr_size, 16);
	out->sample_type = attr_u64(a, attr_size, 24);
	out->read_format = attr_u64(a, attr_size, 32);
	out->flags = attr_u64(a, attr_size, 40);
	out->config1 = attr_u64(a, attr_size, 56);
	out->branch_sample_type = attr_u64(a, attr_size, 72);
	out->sample_regs_user = attr_u64(a, attr_size, 80);
	out->sample_regs_intr = attr_u64(a, attr_size, 96);
	return 0;
}

static const char *const sample_type_bits[] = {
	"IP", "TID", "TIME", "ADDR", "READ", "CALLCHAIN", "ID", "CPU", "PERIOD",
	"STREAM_ID", "RAW", "BRANCH_STACK", "REGS_USER", "STACK_USER", "WEIGHT",
	"DATA_SRC", "IDENTIFIER", "TRANSACTION", "REGS_INTR", "PHYS_ADDR", "AUX",
	"CGROUP", "DATA_PAGE_SIZE", "CODE_PAGE_SIZE", "WEIGHT_STRUCT",
};

char *perf_layout__sample_type_names(uint64_t sample_type, char *buf, size_t size)
{
	size_t used = 0;
	size_t nr = sizeof(sample_type_bits) / sizeof(sample_type_bits[0]);

	if (!size)
		return buf;
	buf[0] = '\0';
	for (size_t bit = 0; bit < 64; bit++) {
		char unknown[24];
		const char *name = unknown;
		int n;

		if (!(sample_type >> bit & 1))
			continue;
		if (bit < nr)
			name = sample_type_bits[bit];
		else
			snprintf(unknown, sizeof(unknown), "BIT%zu", bit);
		n = snprintf(buf + used, size - used, "%s%s", used ? "|" : "", name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* --- event set ------------------------------------------------------------ */

void perf_event_set__init(struct perf_event_set *set)
{
	memset(set, 0, sizeof(*set));
	set->id_pos = set->is_pos = -1;
}

void perf_event_set__free(struct perf_event_set *set)
{
	free(set->events);
	map__free(&set->ids);
	perf_event_set__init(set);
}

int perf_event_set__add(struct perf_event_set *set,
			const struct perf_event_layout *layout)
{
	if (array__reserve((void **)&set->events, &set->cap_events,
			   (size_t)set->nr_events + 1, sizeof(*set->events)))
		return -ENOMEM;
	set->events[set->nr_events] = *layout;
	return set->nr_events++;
}

int perf_event_set__add_id(struct perf_event_set *set, uint64_t id, int event)
{
	return map__put(&set->ids, 0, id, (uint64_t)(uint32_t)event);
}

int perf_event_set__event_of_id(const struct perf_event_set *set, uint64_t id)
{
	const uint64_t *v = map__find(&set->ids, 0, id);

	return v ? (int)*v : -1;
}

void perf_event_set__finish(struct perf_event_set *set)
{
	uint64_t t;

	set->id_pos = set->is_pos = -1;
	if (!set->nr_events)
		return;
	t = set->events[0].sample_type;
	if (t & PERF_SAMPLE_IDENTIFIER) {
		set->id_pos = 0;
		set->is_pos = 1;
	} else if (t & PERF_SAMPLE_ID) {
		set->id_pos = !!(t & PERF_SAMPLE_IP) + !!(t & PERF_SAMPLE_TID) +
			      !!(t & PERF_SAMPLE_TIME) + !!(t & PERF_SAMPLE_ADDR);
		set->is_pos = 1 + !!(t & PERF_SAMPLE_CPU) +
			      !!(t & PERF_SAMPLE_STREAM_ID);
	}
}

/* --- samples ---------------------------------------------------------------- */

static void skip_read(struct nl_cursor *c, uint64_t fmt)
{
	uint64_t per_value = 1 + !!(fmt & PERF_FORMAT_ID) + !!(fmt & PERF_FORMAT_LOST);
	uint64_t times = !!(fmt & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			 !!(fmt & PERF_FORMAT_TOTAL_TIME_RUNNING);

	if (fmt & PERF_FORMAT_GROUP) {
		uint64_t nr = cursor__u64(c);

		cursor__skip_u64s(c, times);
		if (nr > (uint64_t)(c->end - c->p) / 8 / per_value)
			c->bad = true;
		else
			cursor__skip_u64s(c, nr * per_value);
	} else {
		cursor__skip_u64s(c, per_value + times);
	}
}

/* What a group member counts, for NL_SAMPLE_COUNTS: 1 cycles, 2 instructions. */
static int counted(const struct perf_event_layout *ev)
{
	/* hybrid CPUs put the core PMU's type in config's upper half */
	uint64_t id = ev->config & 0xffffffffull;

	if (ev->type != PERF_TYPE_HARDWARE)
		return 0;
	return id == PERF_COUNT_HW_CPU_CYCLES ? 1 : id == PERF_COUNT_HW_INSTRUCTIONS ? 2 : 0;
}

/*
 * PERF_SAMPLE_READ: with PERF_FORMAT_GROUP, nr, the times, then nr values
 * each with its id (FORMAT_ID) and lost count (FORMAT_LOST).  A group with
 * a cycles and an instructions member fills s->cycles, s->instructions;
 * members are found by id, or without ids by position from the sampling
 * event (perf record sets ids whenever there are several events).
 */
static void take_read(struct nl_cursor *c, const struct perf_event_set *set, int event,
		      struct nl_sample *s)
{
	uint64_t fmt = set->events[event].read_format;
	uint64_t per_value = 1 + !!(fmt & PERF_FORMAT_ID) + !!(fmt & PERF_FORMAT_LOST);
	uint64_t nr, found = 0;

	if (!(fmt & PERF_FORMAT_GROUP)) {
		skip_read(c, fmt);
		return;
	}
	nr = cursor__u64(c);
	cursor__skip_u64s(c, !!(fmt & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			     !!(fmt & PERF_FORMAT_TOTAL_TIME_RUNNING));
	if (c->bad || nr > (uint64_t)(c->end - c->p) / 8 / per_value) {
		c->bad = true;
		return;
	}
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t value = cursor__u64(c);
		int member, what;

		if (fmt & PERF_FORMAT_ID)
			member = perf_event_set__event_of_id(set, cursor__u64(c));
		else
			member = (uint64_t)event + i < (uint64_t)set->nr_events ? event + (int)i : -1;
		what = member >= 0 ? counted(&set->events[member]) : 0;

		if (fmt & PERF_FORMAT_LOST)
			cursor__u64(c);
		if (what == 1)
			s->cycles = value;
		else if (what == 2)
			s->instructions = value;
		found |= (uint64_t)what;
	}
	if (found == 3 && !c->bad)
		s->valid |= NL_SAMPLE_COUNTS;
}

static void skip_branch_stack(struct nl_cursor *c, uint64_t branch_type)
{
	uint64_t nr = cursor__u64(c);

	if (branch_type & PERF_SAMPLE_BRANCH_HW_INDEX)
		cursor__u64(c);
	/* Each entry is from, to, flags: three u64. */
	if (nr > (uint64_t)(c->end - c->p) / 24) {
		c->bad = true;
		return;
	}
	cursor__skip_u64s(c, nr * 3);
	if (branch_type & PERF_SAMPLE_BRANCH_COUNTERS)
		cursor__skip_u64s(c, nr);
}

static void skip_regs(struct nl_cursor *c, uint64_t mask)
{
	uint64_t abi = cursor__u64(c);

	if (abi)
		cursor__skip_u64s(c, (uint64_t)__builtin_popcountll(mask));
}

/* Registers are only kept with the stack they describe (take_stack_user). */
static void take_regs_user(struct nl_cursor *c, uint64_t mask, struct nl_sample *s)
{
	uint64_t abi = cursor__u64(c);
	const uint8_t *regs = c->p;

	if (!abi)
		return;         /* PERF_SAMPLE_REGS_ABI_NONE: a kernel thread */
	cursor__skip_u64s(c, (uint64_t)__builtin_popcountll(mask));
	if (c->bad)
		return;
	s->regs_mask = mask;
	s->nr_regs_user = (uint32_t)__builtin_popcountll(mask);
	s->regs_user = regs;
}

/* u64 size, size bytes, then (when size) u64 dyn_size: the bytes copied. */
static void take_stack_user(struct nl_cursor *c, struct nl_sample *s)
{
	uint64_t size = cursor__u64(c), dyn;
	const uint8_t *stack = c->p;

	if (!size)
		return;
	cursor__skip(c, size);
	dyn = cursor__u64(c);
	if (c->bad || !s->regs_user || !dyn)
		return;
	s->stack_user = stack;
	s->stack_size = (uint32_t)(dyn < size ? dyn : size);
	s->valid |= NL_SAMPLE_USER_STACK;
}

static void take_callchain(struct nl_cursor *c, struct nl_sample *s)
{
	uint64_t nr = cursor__u64(c);
	const uint8_t *ips = c->p;

	cursor__skip_u64s(c, nr);
	if (c->bad || !nr || (uintptr_t)ips % 8)
		return;
	s->nr_callchain = nr > UINT32_MAX ? UINT32_MAX : (uint32_t)nr;
	s->callchain = (const uint64_t *)(const void *)ips;
	s->valid |= NL_SAMPLE_CALLCHAIN;
}

static void take_weight(struct nl_cursor *c, uint64_t type, struct nl_sample *s)
{
	uint64_t w = cursor__u64(c);

	if (type & PERF_SAMPLE_WEIGHT_STRUCT) {
		s->weight = (uint32_t)w;          /* var1_dw */
		s->weight_var2 = (uint16_t)(w >> 32); /* var2_w */
	} else {
		s->weight = w;
	}
	s->valid |= NL_SAMPLE_WEIGHT;
}

/* Fields up to CPU/PERIOD: the ones every NUMA sample needs. */
static void take_sample_head(struct nl_cursor *c, uint64_t t, struct nl_sample *s)
{
	if (t & PERF_SAMPLE_IDENTIFIER)
		cursor__u64(c);
	if (t & PERF_SAMPLE_IP) {
		s->ip = cursor__u64(c);
		s->valid |= NL_SAMPLE_IP;
	}
	if (t & PERF_SAMPLE_TID) {
		s->pid = (int32_t)cursor__u32(c);
		s->tid = (int32_t)cursor__u32(c);
		s->valid |= NL_SAMPLE_TID;
	}
	if (t & PERF_SAMPLE_TIME) {
		s->time = cursor__u64(c);
		s->valid |= NL_SAMPLE_TIME;
	}
	if (t & PERF_SAMPLE_ADDR) {
		s->addr = cursor__u64(c);
		s->valid |= NL_SAMPLE_ADDR;
	}
	if (t & PERF_SAMPLE_ID)
		cursor__u64(c);
	if (t & PERF_SAMPLE_STREAM_ID)
		cursor__u64(c);
	if (t & PERF_SAMPLE_CPU) {
		s->cpu = (int32_t)cursor__u32(c);
		cursor__u32(c);
		s->valid |= NL_SAMPLE_CPU;
	}
	if (t & PERF_SAMPLE_PERIOD) {
		s->period = cursor__u64(c);
		s->valid |= NL_SAMPLE_PERIOD;
	}
}

static void take_sample_tail(struct nl_cursor *c, const struct perf_event_set *set, int event,
			     struct nl_sample *s)
{
	const struct perf_event_layout *ev = &set->events[event];
	uint64_t t = ev->sample_type;

	if (t & PERF_SAMPLE_READ)
		take_read(c, set, event, s);
	if (t & PERF_SAMPLE_CALLCHAIN)
		take_callchain(c, s);
	if (t & PERF_SAMPLE_RAW) {
		/* u32 size + data, padded so the whole is u64 aligned */
		uint32_t size = cursor__u32(c);

		s->raw = c->p;
		s->raw_size = size;
		cursor__skip(c, size);
		if (c->bad) {
			s->raw = NULL;
			s->raw_size = 0;
		}
	}
	if (t & PERF_SAMPLE_BRANCH_STACK)
		skip_branch_stack(c, ev->branch_sample_type);
	if (t & PERF_SAMPLE_REGS_USER)
		take_regs_user(c, ev->sample_regs_user, s);
	if (t & PERF_SAMPLE_STACK_USER)
		take_stack_user(c, s);
	if (t & (PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT))
		take_weight(c, t, s);
	if (t & PERF_SAMPLE_DATA_SRC) {
		s->data_src = cursor__u64(c);
		s->valid |= NL_SAMPLE_DATA_SRC;
	}
	if (t & PERF_SAMPLE_TRANSACTION)
		cursor__u64(c);
	if (t & PERF_SAMPLE_REGS_INTR)
		skip_regs(c, ev->sample_regs_intr);
	if (t & PERF_SAMPLE_PHYS_ADDR) {
		s->phys_addr = cursor__u64(c);
		s->valid |= NL_SAMPLE_PHYS_ADDR;
	}
	if (t & PERF_SAMPLE_AUX)
		cursor__skip(c, cursor__u64(c));
	if (t & PERF_SAMPLE_CGROUP)
		cursor__u64(c);
	if (t & PERF_SAMPLE_DATA_PAGE_SIZE)
		cursor__u64(c);
	if (t & PERF_SAMPLE_CODE_PAGE_SIZE)
		cursor__u64(c);
}

static uint8_t cpumode_of(uint16_t misc)
{
	switch (misc & PERF_RECORD_MISC_CPUMODE_MASK) {
	case PERF_RECORD_MISC_KERNEL:
		return NL_CPUMODE_KERNEL;
	case PERF_RECORD_MISC_USER:
		return NL_CPUMODE_USER;
	case PERF_RECORD_MISC_GUEST_KERNEL:
	case PERF_RECORD_MISC_GUEST_USER:
		return NL_CPUMODE_GUEST;
	default:
		return NL_CPUMODE_UNKNOWN;
	}
}

/* Which event made this sample: by its id when the session has several. */
static int sample_event(const struct perf_event_set *set, const uint8_t *body,
			size_t body_size)
{
	uint64_t id;

	if (set->nr_events == 1)
		return 0;
	if (set->id_pos < 0 || (size_t)(set->id_pos + 1) * 8 > body_size)
		return set->nr_events ? 0 : -1;
	memcpy(&id, body + set->id_pos * 8, 8);
	return perf_event_set__event_of_id(set, id);
}

/*
 * memset(s, 0, sizeof(*s)) as 16-byte stores.  gcc turns a memset, a
 * struct copy and a plain loop of this size into "rep stosq", whose start
 * alone was half the decoding of a page-fault sample; the volatile keeps
 * the stores as they are written.
 */
static inline void clear_sample(struct nl_sample *s)
{
	typedef uint64_t v2 __attribute__((vector_size(16), may_alias, aligned(8)));
	volatile v2 *q = (volatile v2 *)(void *)s;
	const v2 zero = { 0, 0 };

	_Static_assert(sizeof(*s) % sizeof(v2) == 0, "nl_sample is cleared 16 bytes at a time");
	for (size_t i = 0; i < sizeof(*s) / sizeof(v2); i++)
		q[i] = zero;
}

static int decode_sample(const struct perf_event_set *set, const uint8_t *rec,
			 size_t size, uint16_t misc, struct nl_sample *s)
{
	struct nl_cursor c = { rec + sizeof(struct perf_event_header), rec + size, false };
	int event = sample_event(set, c.p, (size_t)(c.end - c.p));
	const struct perf_event_layout *ev;

	if (event < 0)
		return -EINVAL;
	ev = &set->events[event];
	clear_sample(s);
	s->pid = s->tid = s->cpu = s->mem_node = -1;
	s->event = (uint32_t)event;
	s->cpumode = cpumode_of(misc);
	take_sample_head(&c, ev->sample_type, s);
	take_sample_tail(&c, set, event, s);
	return c.bad ? -EINVAL : 1;
}

/* --- side-band ------------------------------------------------------------- */

/*
 * Bytes of the sample_id trailer that sample_id_all appends to side-band
 * records, so strings are searched for their NUL only before it.
 */
static size_t sample_id_size(const struct perf_event_set *set)
{
	uint64_t t;

	if (!set->nr_events || !(set->events[0].flags & PERF_ATTR_FLAG_SAMPLE_ID_ALL))
		return 0;
	t = set->events[0].sample_type;
	return 8 * (size_t)(!!(t & PERF_SAMPLE_TID) + !!(t & PERF_SAMPLE_TIME) +
			    !!(t & PERF_SAMPLE_ID) + !!(t & PERF_SAMPLE_STREAM_ID) +
			    !!(t & PERF_SAMPLE_CPU) + !!(t & PERF_SAMPLE_IDENTIFIER));
}

int perf_record__sample_id(const struct perf_event_set *set, const void *rec,
			   size_t size, struct perf_sample_id *out)
{
	size_t n = sample_id_size(set);
	uint64_t t = n ? set->events[0].sample_type : 0;
	struct nl_cursor c;

	memset(out, 0, sizeof(*out));
	out->pid = out->tid = out->cpu = -1;
	if (!n)
		return 0;
	if (size < sizeof(struct perf_event_header) + n)
		return -EINVAL;
	c.p = (const uint8_t *)rec + size - n;
	c.end = (const uint8_t *)rec + size;
	c.bad = false;
	if (t & PERF_SAMPLE_TID) {
		out->pid = (int32_t)cursor__u32(&c);
		out->tid = (int32_t)cursor__u32(&c);
	}
	if (t & PERF_SAMPLE_TIME) {
		out->time = cursor__u64(&c);
		out->has_time = true;
	}
	if (t & PERF_SAMPLE_ID)
		out->id = cursor__u64(&c);
	if (t & PERF_SAMPLE_STREAM_ID)
		cursor__u64(&c);
	if (t & PERF_SAMPLE_CPU) {
		out->cpu = (int32_t)cursor__u32(&c);
		cursor__u32(&c);
	}
	if (t & PERF_SAMPLE_IDENTIFIER)
		out->id = cursor__u64(&c);
	return c.bad ? -EINVAL : 1;
}

uint64_t perf_record__id(const struct perf_event_set *set, const void *rec,
			 size_t size)
{
	const size_t hdr = sizeof(struct perf_event_header);
	uint64_t id = 0;

	if (size < hdr)
		return 0;
	if (perf_record__type(rec) == PERF_RECORD_SAMPLE) {
		if (set->id_pos >= 0 && size >= hdr + (size_t)(set->id_pos + 1) * 8)
			memcpy(&id, (const uint8_t *)rec + hdr + (size_t)set->id_pos * 8, 8);
	} else if (set->is_pos > 0 && sample_id_size(set) &&
		   size >= hdr + (size_t)set->is_pos * 8) {
		memcpy(&id, (const uint8_t *)rec + size - (size_t)set->is_pos * 8, 8);
	}
	return id;
}

/*
 * SWITCH has no body; SWITCH_CPU_WIDE names the task switched to (out) or
 * from (in).  Who and where come from the sample_id trailer, so without
 * sample_id_all the record says nothing numalens can use.
 */
static int decode_switch(const struct perf_event_set *set, const void *rec, size_t size,
			 struct nl_cursor *body, uint16_t misc, bool cpu_wide,
			 struct nl_record *out)
{
	struct nl_switch_event *sw = &out->sw;
	struct perf_sample_id sid;
	int r = perf_record__sample_id(set, rec, size, &sid);

	if (r <= 0)
		return r;
	out->kind = NL_REC_SWITCH;
	memset(sw, 0, sizeof(*sw));
	sw->pid = sid.pid;
	sw->tid = sid.tid;
	sw->cpu = sid.cpu;
	sw->time = sid.time;
	sw->out = misc & PERF_RECORD_MISC_SWITCH_OUT;
	sw->preempt = misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT;
	sw->cpu_wide = cpu_wide;
	sw->other_pid = sw->other_tid = -1;
	if (cpu_wide) {
		sw->other_pid = (int32_t)cursor__u32(body);
		sw->other_tid = (int32_t)cursor__u32(body);
	}
	return body->bad ? -EINVAL : 1;
}

static int decode_mmap(struct nl_cursor *c, bool mmap2, uint16_t misc, struct nl_record *out)
{
	struct nl_mmap_event *m = &out->mmap;

	out->kind = NL_REC_MMAP;
	m->pid = (int32_t)cursor__u32(c);
	m->tid = (int32_t)cursor__u32(c);
	m->start = cursor__u64(c);
	m->len = cursor__u64(c);
	m->pgoff = cursor__u64(c);
	m->prot = m->flags = 0;
	m->build_id_size = 0;
	m->kernel = (misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
	if (mmap2 && (misc & PERF_RECORD_MISC_MMAP_BUILD_ID)) {
		/* u8 build_id_size, u8 reserved[3], u8 build_id[20] */
		const uint8_t *b = c->p;

		cursor__skip(c, 24);
		if (!c->bad && b[0] && b[0] <= NL_BUILD_ID_MAX) {
			m->build_id_size = b[0];
			memcpy(m->build_id, b + 4, b[0]);
		}
		m->prot = cursor__u32(c);
		m->flags = cursor__u32(c);
	} else if (mmap2) {
		cursor__skip(c, 24);    /* maj, min, ino, ino_generation */
		m->prot = cursor__u32(c);
		m->flags = cursor__u32(c);
	}
	m->filename = cursor__string(c);
	return c->bad ? -EINVAL : 1;
}

static int decode_comm(struct nl_cursor *c, uint16_t misc, struct nl_record *out)
{
	out->kind = NL_REC_COMM;
	memset(&out->task, 0, sizeof(out->task));
	out->task.pid = (int32_t)cursor__u32(c);
	out->task.tid = (int32_t)cursor__u32(c);
	out->task.ppid = out->task.ptid = -1;
	out->task.exec = misc & PERF_RECORD_MISC_COMM_EXEC;
	out->task.comm = cursor__string(c);
	return c->bad ? -EINVAL : 1;
}

static int decode_task(struct nl_cursor *c, enum nl_record_kind kind,
		       struct nl_record *out)
{
	out->kind = kind;
	memset(&out->task, 0, sizeof(out->task));
	out->task.pid = (int32_t)cursor__u32(c);
	out->task.ppid = (int32_t)cursor__u32(c);
	out->task.tid = (int32_t)cursor__u32(c);
	out->task.ptid = (int32_t)cursor__u32(c);
	out->task.time = cursor__u64(c);
	return c->bad ? -EINVAL : 1;
}

#ifndef PERF_RECORD_MISC_LOST_SAMPLES_BPF
#define PERF_RECORD_MISC_LOST_SAMPLES_BPF (1 << 15)
#endif

static int decode_loss(struct nl_cursor *c, enum nl_record_kind kind, bool has_id,
		       uint16_t misc, const struct perf_event_set *set, struct nl_record *out)
{
	int event = -1;

	out->kind = kind;
	memset(&out->loss, 0, sizeof(out->loss));
	if (kind == NL_REC_LOST) {
		if (has_id)
			event = perf_event_set__event_of_id(set, cursor__u64(c));
		else    /* LOST_SAMPLES (see enum nl_loss_source) */
			out->loss.source = misc & PERF_RECORD_MISC_LOST_SAMPLES_BPF ?
					   NL_LOSS_FILTERED : NL_LOSS_COUNTED;
		out->loss.count = cursor__u64(c);
	} else {
		out->loss.time = cursor__u64(c);
		event = perf_event_set__event_of_id(set, cursor__u64(c));
	}
	out->loss.event = event < 0 ? UINT32_MAX : (uint32_t)event;
	return c->bad ? -EINVAL : 1;
}

uint32_t perf_record__type(const void *rec)
{
	uint32_t type;

	memcpy(&type, rec, 4);
	return type;
}

int perf_record__decode(const struct perf_event_set *set, const void *rec,
			size_t size, struct nl_record *out)
{
	struct perf_event_header h;
	struct nl_cursor c;
	size_t trailer;

	if (size < sizeof(h))
		return -EINVAL;
	memcpy(&h, rec, sizeof(h));
	if (h.type == PERF_RECORD_SAMPLE) {
		out->kind = NL_REC_SAMPLE;
		return decode_sample(set, rec, size, h.misc, &out->sample);
	}
	trailer = sample_id_size(set);
	c.p = (const uint8_t *)rec + sizeof(h);
	c.end = (const uint8_t *)rec + size;
	c.bad = false;
	/* Strings end before the trailer; a short record is caught by take_*. */
	if ((size_t)(c.end - c.p) >= trailer)
		c.end -= trailer;
	switch (h.type) {
	case PERF_RECORD_MMAP:
		return decode_mmap(&c, false, h.misc, out);
	case PERF_RECORD_MMAP2:
		return decode_mmap(&c, true, h.misc, out);
	case PERF_RECORD_COMM:
		return decode_comm(&c, h.misc, out);
	case PERF_RECORD_FORK:
		return decode_task(&c, NL_REC_FORK, out);
	case PERF_RECORD_EXIT:
		return decode_task(&c, NL_REC_EXIT, out);
	case PERF_RECORD_LOST:
		return decode_loss(&c, NL_REC_LOST, true, h.misc, set, out);
	case PERF_RECORD_LOST_SAMPLES:
		return decode_loss(&c, NL_REC_LOST, false, h.misc, set, out);
	case PERF_RECORD_THROTTLE:
		return decode_loss(&c, NL_REC_THROTTLE, false, h.misc, set, out);
	case PERF_RECORD_UNTHROTTLE:
		return decode_loss(&c, NL_REC_UNTHROTTLE, false, h.misc, set, out);
	case PERF_RECORD_SWITCH:
		return decode_switch(set, rec, size, &c, h.misc, false, out);
	case PERF_RECORD_SWITCH_CPU_WIDE:
		return decode_switch(set, rec, size, &c, h.misc, true, out);
	default:
		/* Kernel types up to AUX_OUTPUT_HW_ID are known, just unused here. */
		return h.type <= PERF_RECORD_AUX_OUTPUT_HW_ID ? 0 : -ENOENT;
	}
}
