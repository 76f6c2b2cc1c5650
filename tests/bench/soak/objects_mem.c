/*
 * objects_mem.c - heap the data objects (profiler/objects.c) keep per ended
 * worker, with NL_REC_RETIRE and without it; not part of ctest.
 *
 * Feeds one objects layer workers like those of tests/objects/
 * test_objretire.c (a private range with a malloc made and freed, PAGES
 * sampled pages, two thirds of them faulted, dataset pages placed and read, the same call stacks in
 * every worker, one of its own), each retired after its last record when
 * asked, and prints the heap in use (mallinfo2) after 1,000 ended workers
 * and after N, per ended worker in between, and after objects__finish.
 *
 *   cc -O2 -I. -Itests -Itests/report -I/usr/include/cjson -o /tmp/objects_mem \
 *      tests/bench/soak/objects_mem.c build/libnumalens_render.a \
 *      build/libnumalens_analysis.a build/libnumalens_sources.a build/libnumalens_base.a \
 *      -lm -lelf -ldw -lnuma -lzstd -lcjson -lstdc++
 *   /tmp/objects_mem RETIRE N [PAGES]   (RETIRE 1: retire each worker, 0: never;
 *                                      PAGES sampled in its range, 256)
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>

#define main objretire_test_main
#include "objects/test_objretire.c"
#undef main

static size_t heap(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static void worker(struct pair *p, int pid, uint64_t *t, bool retire, uint64_t pages)
{
	uint64_t own = PRIVATE + (uint64_t)(pid % 3) * 64 * PAGE;
	int cpu = pid % 8, node = cpu / 4;

	task(p, NL_REC_FORK, pid, MAIN);
	mapping(p, pid, own, pages, "", 3);
	alloc(p, pid, NL_ALLOC_MALLOC, own + 4 * PAGE, 4 * PAGE, (*t)++);
	for (uint64_t k = 0; k < pages; k++)
		sample(p, pid, cpu, own + k * PAGE, node, (*t)++, k % 3 != 2, k == 1);
	alloc(p, pid, NL_ALLOC_FREE, own + 4 * PAGE, 0, (*t)++);
	for (uint64_t k = 0; k < 6; k++)
		sample(p, pid, cpu, DATASET + ((uint64_t)pid * 7 + k) % 64 * PAGE, (int)(k % 2),
		       (*t)++, k == 0, false);
	sample(p, pid, cpu, HEAP + (uint64_t)(pid % 12) * PAGE + 128, 1, (*t)++, false, false);
	task(p, NL_REC_EXIT, pid, MAIN);
	if (retire)
		task(p, NL_REC_RETIRE, pid, MAIN);
}

int main(int argc, char **argv)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_symbols_options so = { 0 };
	bool retire = argc > 1 && atoi(argv[1]);
	int n = argc > 2 ? atoi(argv[2]) : 6000;
	uint64_t pages = argc > 3 ? strtoull(argv[3], NULL, 10) : 256;
	struct pair p = { .cp = codeprofile__new(&so, NULL) };
	size_t h0 = 0;
	uint64_t t = 1000;

	p.ob = p.cp ? objects__new(p.cp, topo, NULL) : NULL;
	if (!p.ob || n <= 1000)
		return 2;
	mapping(&p, MAIN, CODE, 16, "/opt/objretire/train", 5);
	mapping(&p, MAIN, DATASET, 64, "/data/objretire.bin", 1);
	mapping(&p, MAIN, HEAP, 32, "[heap]", 3);
	for (int w = 0; w < n; w++) {
		worker(&p, 10000 + w, &t, retire, pages);
		if (w == 999)
			h0 = heap();
	}
	printf("retire %d, %" PRIu64 " pages a worker: heap %zu kB after 1000 ended workers, "
	       "%zu kB after %d: %.1f bytes per ended worker; ", retire, pages, h0 >> 10,
	       heap() >> 10, n, ((double)heap() - (double)h0) / (n - 1000));
	if (!objects__finish(p.ob))
		return 2;
	printf("%zu kB after finish\n", heap() >> 10);
	objects__free(p.ob);
	codeprofile__free(p.cp);
	topology__free(topo);
	return 0;
}
