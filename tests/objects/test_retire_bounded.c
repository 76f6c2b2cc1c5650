/*
 * test_retire_bounded.c - what the code profile and the data objects keep
 * per ended worker, by count: after NL_REC_RETIRE nothing of a worker is
 * left but its closed objects (at most the ended keep), so the counts
 * after 300 ended workers equal those after 150 (issue 14, the soak:
 * memory grows with distinct keys, not with ended workers).
 *
 * Workers as tests/objects/test_objretire.c's (its helpers), forked from
 * main 100, each with a private range, a malloc made and freed in it,
 * faulted pages, dataset reads; their samples' call stacks hold a frame
 * outside every mapping (a JIT's code, keyed by each worker's own JIT map)
 * and some are read before the worker's own MMAP (pending keys, resolved
 * through main's space).  Checked: address spaces (the workers' are freed,
 * and a retired parent's space stays while its child lives: its final
 * lookups walk it), interned stacks (shared by content across workers'
 * JIT maps), open objects, page entries, allocations, closed objects,
 * and heap bytes (mallinfo2; not under ASan, whose allocator it does not
 * see).  The pending key of a worker read before its mapping names main's
 * code at the end, though the worker's space is gone.
 */
#include <malloc.h>

#define main objretire_test_main
#include "objects/test_objretire.c"
#undef main

#if defined(__SANITIZE_ADDRESS__)
#define NL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NL_ASAN 1
#endif
#endif

#define JIT 0x50000000ull       /* no mapping: each worker's JIT map */
#define KEEP 64

static void jit_sample(struct pair *p, int pid, uint64_t addr, uint64_t t, bool fault)
{
	uint64_t chain[5] = { (uint64_t)-512, CODE + 0x300, JIT + 0x40, CODE + 0x400,
			      CODE + 0x500 };
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_ADDR | NL_SAMPLE_CPU | NL_SAMPLE_TIME |
			 NL_SAMPLE_MEM_NODE | NL_SAMPLE_IP | NL_SAMPLE_CALLCHAIN;
	r.sample.pid = r.sample.tid = pid;
	r.sample.cpu = pid % 8;
	r.sample.addr = addr;
	r.sample.mem_node = (pid % 8) / 4;
	r.sample.time = t;
	r.sample.ip = CODE + 0x300;
	r.sample.callchain = chain;
	r.sample.nr_callchain = 5;
	feed(p, &r, NL_LOC_LOCAL, fault);
}

static void one_worker(struct pair *p, int pid, int ppid, uint64_t *t)
{
	uint64_t own = PRIVATE + (uint64_t)(pid % 3) * 64 * PAGE;

	/* read before its FORK record: its space is empty, the key pending */
	jit_sample(p, pid, own, (*t)++, true);
	task(p, NL_REC_FORK, pid, ppid);
	mapping(p, pid, own, 16, "", 3);
	alloc(p, pid, NL_ALLOC_MALLOC, own + 4 * PAGE, 4 * PAGE, (*t)++);
	for (uint64_t k = 0; k < 16; k++)
		jit_sample(p, pid, own + k * PAGE, (*t)++, k % 3 != 2);
	alloc(p, pid, NL_ALLOC_FREE, own + 4 * PAGE, 0, (*t)++);
	for (uint64_t k = 0; k < 4; k++)
		jit_sample(p, pid, DATASET + ((uint64_t)pid * 7 + k) % 64 * PAGE, (*t)++, k == 0);
	task(p, NL_REC_EXIT, pid, ppid);
	task(p, NL_REC_RETIRE, pid, ppid);
	CHECK(codeprofile__retire(p->cp, pid) >= 0);
}

struct snap {
	struct nl_objects_kept k;
	uint32_t spaces;
	size_t heap;
};

static struct snap snap(struct pair *p)
{
	struct snap s;
	struct mallinfo2 m = mallinfo2();

	objects__kept(p->ob, &s.k);
	s.spaces = addrspace__count(codeprofile__addrspaces(p->cp));
	s.heap = m.uordblks + m.hblkhd;
	return s;
}

int main(void)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_symbols_options so = { 0 };
	struct pair p = { .cp = codeprofile__new(&so, NULL) };
	struct nl_addrspaces *as;
	struct snap a = { 0 }, b;
	uint64_t t = 1000, key;
	uint32_t dso;
	uint64_t off;
	const struct nl_code_profile *code;
	const struct nl_objects_result *res;
	bool dataset_seen = false;

	p.ob = p.cp ? objects__new(p.cp, topo, NULL) : NULL;
	CHECK(p.ob);
	objects__set_ended_keep(p.ob, KEEP);
	as = codeprofile__addrspaces(p.cp);
	/* main's own FORK seen (as attach synthesizes it): main is of the
	   profile, so objects its workers read in its mappings are main's */
	task(&p, NL_REC_FORK, MAIN, 1);
	mapping(&p, MAIN, CODE, 16, "/opt/objretire/train", 5);
	mapping(&p, MAIN, DATASET, 64, "/data/objretire.bin", 1);
	mapping(&p, MAIN, HEAP, 32, "[heap]", 3);

	/* a retired parent's space stays while its child lives */
	task(&p, NL_REC_FORK, 600, MAIN);
	task(&p, NL_REC_FORK, 601, 600);
	task(&p, NL_REC_EXIT, 600, MAIN);
	task(&p, NL_REC_RETIRE, 600, MAIN);
	CHECK_EQ_U64(codeprofile__retire(p.cp, 600), 0);
	CHECK_EQ_U64(addrspace__count(as), 3);
	CHECK(addrspace__code_key(as, 601, CODE + 0x10, false, true, &key));
	symbols__unkey(codeprofile__symbols(p.cp), key, &dso, &off);
	CHECK_EQ_STR(symbols__dso_name(codeprofile__symbols(p.cp), dso), "/opt/objretire/train");
	task(&p, NL_REC_EXIT, 601, 600);
	task(&p, NL_REC_RETIRE, 601, 600);
	CHECK_EQ_U64(codeprofile__retire(p.cp, 601), 2);       /* and then 600's */
	CHECK_EQ_U64(addrspace__count(as), 1);

	for (int w = 0; w < 300; w++) {
		one_worker(&p, 10000 + w, MAIN, &t);
		if (w == 149)
			a = snap(&p);
	}
	b = snap(&p);
	printf("after 150 / 300 ended workers: spaces %u / %u, stacks %zu / %zu, open objects "
	       "%zu / %zu, readers %zu / %zu, closed %zu / %zu, pages %zu / %zu, object pages "
	       "%zu / %zu, allocs %zu / %zu, frees %zu / %zu, heap %zu / %zu B\n",
	       a.spaces, b.spaces, a.k.stacks, b.k.stacks, a.k.open_objects, b.k.open_objects,
	       a.k.readers, b.k.readers, a.k.closed, b.k.closed, a.k.pages, b.k.pages,
	       a.k.object_pages, b.k.object_pages, a.k.allocs, b.k.allocs, a.k.frees, b.k.frees,
	       a.heap, b.heap);
	CHECK_EQ_U64(b.spaces, 1);
	CHECK_EQ_U64(b.k.stacks, a.k.stacks);
	CHECK_EQ_U64(b.k.open_objects, a.k.open_objects);
	CHECK_EQ_U64(b.k.pages, 0);
	CHECK_EQ_U64(b.k.object_pages, a.k.object_pages);
	CHECK_EQ_U64(b.k.allocs + b.k.frees, 0);
	CHECK_EQ_U64(b.k.closed, KEEP);
	/* the dataset every worker read: 32 readers by pid, the rest summed */
	CHECK_EQ_U64(b.k.readers, a.k.readers);
#ifndef NL_ASAN
	/* nothing per ended worker (64 B each of slack) */
	CHECK(b.heap < a.heap + 150 * 64);
#endif

	/* the pending JIT frames of a retired worker resolve as before: the
	   first sample's pc names main's code, its JIT frame is [unknown] */
	code = codeprofile__finish(p.cp);
	res = code ? objects__finish(p.ob) : NULL;
	CHECK(res != NULL);
	for (int i = 0; res && i < res->nr_objects; i++) {
		const struct nl_data_object *ob = &res->objects[i];
		int summed = 0;

		if (!strstr(ob->name, "objretire.bin"))
			continue;
		dataset_seen = true;
		CHECK_EQ_U64(ob->nr_readers, NL_OBJECT_READERS_KEEP + 1);
		CHECK_EQ_U64(ob->reader_processes, 300);
		for (int k = 0; k < ob->nr_readers; k++)
			if (ob->readers[k].pid < 0)
				summed += ob->readers[k].processes;
		CHECK_EQ_U64(summed, 300 - NL_OBJECT_READERS_KEEP);
	}
	CHECK(dataset_seen);
	for (int i = 0; code && i < code->nr_functions; i++)
		CHECK(strncmp(code->functions[i].dso, "/tmp/perf-", 10) != 0 ||
		      code->functions[i].c.counts.samples > 0);
	objects__free(p.ob);
	codeprofile__free(p.cp);
	topology__free(topo);
	return check_done();
}
