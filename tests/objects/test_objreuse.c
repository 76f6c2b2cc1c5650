/*
 * test_objreuse.c - an allocator hands one address out again and again
 * (an mmap+munmap loop), and a release may cover several addresses: each
 * allocation ends at the first release after it that covers its start,
 * and a sample belongs to an allocation live at its time, else to the
 * mapping
 * (profiler/objects.c, apply_frees and alloc_at).  apply_frees skips the
 * allocations already freed and, at one address, those made after the
 * release; this checks that it skips no live one and frees none too early.
 */
#include <string.h>

#include "check.h"
#include "report/synthetic.h"
#include "profiler/codeprofile.h"
#include "profiler/objects.h"
#include "samplers/base/topology.h"

#define PID 100
#define PAGE 4096ull
#define A 0x7f0000000000ull             /* the reused address */
#define LEN (16 * PAGE)
#define B (A + LEN)                     /* its neighbour */
#define N 3000                          /* allocations at A */
#define CODE 0x400000ull
#define NR_PROBES 4

static const uint64_t chain[] = { (uint64_t)-512, CODE + 0x100, CODE + 0x200 };

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

int main(void)
{
	static const int probe[NR_PROBES] = { 0, 1, 1500, N - 1 };
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_symbols_options so = { 0 };
	struct nl_codeprofile *cp = codeprofile__new(&so, NULL);
	struct nl_objects *ob = cp ? objects__new(cp, topo, NULL) : NULL;
	const struct nl_objects_result *res;
	struct nl_record r = { .kind = NL_REC_MMAP };

	CHECK(ob != NULL);
	if (!ob) {
		codeprofile__free(cp);
		topology__free(topo);
		return check_done();
	}
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
	objects__free(ob);
	codeprofile__free(cp);
	topology__free(topo);
	return check_done();
}
