/*
 * rolefold_mem.c - heap the aggregator keeps per ended worker, with the
 * role fold (NL_ENDED_KEEP) and without it; not part of ctest.
 *
 * Feeds one aggregator the stream of tests/report/test_rolefold.c (alike
 * workers with mappings, faults, a second thread, each retired) and prints
 * the heap in use (mallinfo2: arena + mmapped) after 1,000 ended workers
 * and after N, per ended worker in between.
 *
 *   cc -O2 -I. -Itests -Itests/report -o /tmp/rolefold_mem tests/bench/soak/rolefold_mem.c \
 *      build/libnumalens_analysis.a build/libnumalens_sources.a build/libnumalens_base.a \
 *      -lm -lelf -ldw -lnuma -lzstd -lcjson
 *   /tmp/rolefold_mem KEEP N     (KEEP 256: the default; a huge KEEP: no fold)
 */
#include <malloc.h>
#include <stdlib.h>

#define main rolefold_test_main
#include "report/test_rolefold.c"
#undef main

static size_t heap(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

int main(int argc, char **argv)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_aggregate *agg = topo ? aggregate__new(topo) : NULL;
	int keep = argc > 1 ? atoi(argv[1]) : NL_ENDED_KEEP, n = argc > 2 ? atoi(argv[2]) : 6000;
	size_t h0 = 0;

	if (!agg || n <= 1000)
		return 2;
	aggregate__set_ended_keep(agg, keep);
	task(agg, NL_REC_COMM, PARENT, PARENT, "churn");
	for (int w = 0; w < n; w++) {
		worker(agg, 10000 + w);
		if (w == 999)
			h0 = heap();
	}
	printf("keep %d: heap %zu kB after 1000 ended workers, %zu kB after %d: %.1f bytes per ended worker\n",
	       keep, h0 >> 10, heap() >> 10, n, ((double)heap() - (double)h0) / (n - 1000));
	aggregate__free(agg);
	topology__free(topo);
	return 0;
}
