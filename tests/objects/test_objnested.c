/*
 * test_objnested.c - an address inside a large allocation but above a
 * small one made later inside it (a heap grown by brk, then a malloc in
 * it) belongs to the large one: the lookup of an address's allocation
 * (profiler/objects.c, alloc_at) must not stop at the small one, whose end
 * is below the address, before it reaches the large one that covers it
 * (test_nested); and an address handed out again and again (test_reuse).
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
#define A 0x7f0000000000ull             /* the reused address */
#define LEN (16 * PAGE)
#define B (A + LEN)                     /* its neighbour */
#define N 3000                          /* allocations at A */
#define NR_PROBES 4

static const uint64_t chain[] = { (uint64_t)-512, CODE + 0x100, CODE + 0x200 };

/* A code profile and the objects layer over it, on two synthetic nodes. */
struct fixture {
	struct nl_topology *topo;
	struct nl_codeprofile *cp;
	struct nl_objects *ob;
};

static struct fixture fixture_new(void)
{
	struct nl_symbols_options so = { 0 };
	struct fixture f = { synthetic_two_nodes(), codeprofile__new(&so, NULL), NULL };

	f.ob = f.cp ? objects__new(f.cp, f.topo, NULL) : NULL;
	return f;
}

static void fixture_free(struct fixture *f)
{
	objects__free(f->ob);
	codeprofile__free(f->cp);
	topology__free(f->topo);
}

static void feed(struct nl_codeprofile *cp, struct nl_objects *ob, const struct nl_record *r,
		 bool fault)
{
	CHECK_EQ_U64(codeprofile__add(cp, r, NL_LOC_LOCAL, fault), 0);
	CHECK_EQ_U64(objects__add(ob, r, NL_LOC_LOCAL, fault), 0);
}

static void alloc_event(struct nl_codeprofile *cp, struct nl_objects *ob, uint8_t op,
			uint64_t addr, uint64_t len, uint64_t t)
{
	struct nl_record r = { .kind = NL_REC_ALLOC };

	r.alloc = (struct nl_alloc_event){ .pid = PID, .tid = PID, .cpu = -1, .op = op,
		.time = t, .addr = addr, .len = len, .nr_callchain = 3, .callchain = chain };
	feed(cp, ob, &r, false);
}

static void sample_at(struct nl_codeprofile *cp, struct nl_objects *ob, uint64_t addr,
		      uint64_t t)
{
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_ADDR | NL_SAMPLE_CPU | NL_SAMPLE_TIME |
			 NL_SAMPLE_MEM_NODE | NL_SAMPLE_IP;
	r.sample.pid = r.sample.tid = PID;
	r.sample.addr = addr;
	r.sample.time = t;
	r.sample.ip = CODE + 0x300;
	feed(cp, ob, &r, true);
}

/* Samples in allocation objects starting at start (allocation), or in
   mappings (!allocation). */
static uint64_t samples_in(const struct nl_objects_result *res, bool allocation, uint64_t start)
{
	uint64_t n = 0;

	for (int i = 0; res && i < res->nr_objects; i++) {
		const struct nl_data_object *o = &res->objects[i];

		if (o->allocation == allocation && (!allocation || o->start == start))
			n += o->samples;
	}
	return n;
}

static void test_nested(void)
{
	struct fixture f = fixture_new();
	struct nl_codeprofile *cp = f.cp;
	struct nl_objects *ob = f.ob;
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
	if (!ob)
		goto out;
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
out:
	fixture_free(&f);
}

/*
 * An allocator hands one address out again and again (an mmap+munmap
 * loop), and a release may cover several addresses: each allocation ends
 * at the first release after it that covers its start, and a sample
 * belongs to an allocation live at its time, else to the mapping.
 * apply_frees skips the allocations already freed and, at one address,
 * those made after the release; alloc_at looks at the last one made by the
 * sample's time: neither may skip a live one or free one too early.
 */
static void test_reuse(void)
{
	static const int probe[NR_PROBES] = { 0, 1, 1500, N - 1 };
	struct fixture f = fixture_new();
	struct nl_codeprofile *cp = f.cp;
	struct nl_objects *ob = f.ob;
	const struct nl_objects_result *res;
	struct nl_record r = { .kind = NL_REC_MMAP };

	CHECK(ob != NULL);
	if (!ob)
		goto out;
	r.mmap = (struct nl_mmap_event){ .pid = PID, .tid = PID, .start = A, .len = 2 * LEN,
		.filename = "//anon", .prot = 3 };
	feed(cp, ob, &r, false);
	/* B at 5, ended at 17 by a release of A and B together (A's allocation
	   of 10 is already gone at 15; A's later ones are after it), B again at 30 */
	alloc_event(cp, ob, NL_ALLOC_MMAP, B, LEN, 5);
	alloc_event(cp, ob, NL_ALLOC_MUNMAP, A, 2 * LEN, 17);
	alloc_event(cp, ob, NL_ALLOC_MMAP, B, LEN, 30);
	/* A: made at 10 i + 10, released at 10 i + 15 */
	for (int i = 0; i < N; i++) {
		alloc_event(cp, ob, NL_ALLOC_MMAP, A, LEN, 10ull * i + 10);
		alloc_event(cp, ob, NL_ALLOC_MUNMAP, A, LEN, 10ull * i + 15);
	}
	/* one page each: a page's samples go to one object */
	for (size_t k = 0; k < NR_PROBES; k++) {
		sample_at(cp, ob, A + 8 + 2 * k * PAGE, 10ull * probe[k] + 12);         /* live */
		sample_at(cp, ob, A + 8 + (2 * k + 1) * PAGE, 10ull * probe[k] + 17);   /* released */
	}
	sample_at(cp, ob, B + 8, 12);           /* the first B, live */
	sample_at(cp, ob, B + PAGE + 8, 18);    /* released at 17 */
	sample_at(cp, ob, B + 2 * PAGE + 8, 40);/* the second B */
	CHECK(codeprofile__finish(cp) != NULL);
	res = objects__finish(ob);
	CHECK(res != NULL);
	/* (one site at one address is one object, whichever allocation) */
	CHECK_EQ_U64(samples_in(res, true, A), NR_PROBES);
	CHECK_EQ_U64(samples_in(res, true, B), 2);
	/* the released times: no allocation, the mapping */
	CHECK_EQ_U64(samples_in(res, false, 0), NR_PROBES + 1);
out:
	fixture_free(&f);
}

int main(void)
{
	test_nested();
	test_reuse();
	return check_done();
}
