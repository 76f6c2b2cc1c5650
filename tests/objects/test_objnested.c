/*
 * test_objnested.c - an address inside a large allocation but above a
 * small one made later inside it (a heap grown by brk, then a malloc in
 * it) belongs to the large one: the lookup of an address's allocation
 * (profiler/objects.c, alloc_at) must not stop at the small one, whose end
 * is below the address, before it reaches the large one that covers it.
 */
#include <string.h>

#include "check.h"
#include "report/synthetic.h"
#include "profiler/codeprofile.h"
#include "profiler/objects.h"
#include "samplers/base/topology.h"

#define PID 100
#define HEAP 0x20000000ull
#define PAGE 4096ull
#define CODE 0x400000ull

static void feed(struct nl_codeprofile *cp, struct nl_objects *ob, const struct nl_record *r,
		 bool fault)
{
	CHECK_EQ_U64(codeprofile__add(cp, r, NL_LOC_LOCAL, fault), 0);
	CHECK_EQ_U64(objects__add(ob, r, NL_LOC_LOCAL, fault), 0);
}

int main(void)
{
	static const uint64_t chain[] = { (uint64_t)-512, CODE + 0x100, CODE + 0x200 };
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_symbols_options so = { 0 };
	struct nl_codeprofile *cp = codeprofile__new(&so, NULL);
	struct nl_objects *ob = cp ? objects__new(cp, topo, NULL) : NULL;
	const struct nl_objects_result *res;
	struct nl_record r = { .kind = NL_REC_MMAP };
	/* the heap (64 pages, brk), then small mallocs in its first pages */
	const struct { uint8_t op; uint64_t addr, len, t; } allocs[] = {
		{ NL_ALLOC_BRK, HEAP, 64 * PAGE, 10 },
		{ NL_ALLOC_MALLOC, HEAP + 2 * PAGE, PAGE, 20 },
		{ NL_ALLOC_MALLOC, HEAP + 4 * PAGE, PAGE, 30 },
	};
	bool heap_found = false;

	CHECK(ob != NULL);
	if (!ob) {
		codeprofile__free(cp);
		topology__free(topo);
		return check_done();
	}
	r.mmap = (struct nl_mmap_event){ .pid = PID, .tid = PID, .start = HEAP, .len = 64 * PAGE,
		.filename = "[heap]", .prot = 3 };
	feed(cp, ob, &r, false);
	for (size_t i = 0; i < sizeof(allocs) / sizeof(allocs[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.kind = NL_REC_ALLOC;
		r.alloc = (struct nl_alloc_event){ .pid = PID, .tid = PID, .cpu = -1,
			.op = allocs[i].op, .time = allocs[i].t, .addr = allocs[i].addr,
			.len = allocs[i].len, .nr_callchain = 3, .callchain = chain };
		feed(cp, ob, &r, false);
	}
	/* faults on pages 40..49 of the heap, above both mallocs */
	for (uint64_t p = 40; p < 50; p++) {
		memset(&r, 0, sizeof(r));
		r.kind = NL_REC_SAMPLE;
		r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_ADDR | NL_SAMPLE_CPU | NL_SAMPLE_TIME |
				 NL_SAMPLE_MEM_NODE | NL_SAMPLE_IP;
		r.sample.pid = r.sample.tid = PID;
		r.sample.addr = HEAP + p * PAGE + 8;
		r.sample.time = 100 + p;
		r.sample.ip = CODE + 0x300;
		feed(cp, ob, &r, true);
	}
	CHECK(codeprofile__finish(cp) != NULL);
	res = objects__finish(ob);
	CHECK(res != NULL);
	for (int i = 0; res && i < res->nr_objects; i++) {
		const struct nl_data_object *o = &res->objects[i];

		if (o->samples && o->start == HEAP && o->size == 64 * PAGE && o->op &&
		    !strcmp(o->op, "brk"))
			heap_found = o->samples == 10;
	}
	CHECK(heap_found);
	objects__free(ob);
	codeprofile__free(cp);
	topology__free(topo);
	return check_done();
}
