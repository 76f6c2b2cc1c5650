/*
 * test_mapfold.c - folding quiet mapping rows (profiler/mapfold.h) and
 * retiring an ended process early (NL_REC_RETIRE) change no figure.
 *
 * Process 300 runs on node 1 of a two-node machine and maps 4 data ranges
 * it faults in (100 pages on node 0 each, with fault samples), 30 quiet
 * data ranges (i + 1 pages, on node i % 2) and 20 quiet libraries (10 pages
 * on node 1 each, all smaller than the 8 largest quiet data ranges).  Two aggregators get the same stream; one also gets
 * NL_REC_RETIRE for 300 halfway, as the live source sends it for an ended
 * worker.  Both must report the same exposure figures, faults and pages,
 * with the 4 signal rows and the 8 largest quiet rows kept and the rest in
 * one "[N other data mappings]" and one "[N other code mappings]" row; the
 * by-placement exposure must equal the figure computed here from every page.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "synthetic.h"
#include "profiler/aggregate.h"
#include "profiler/mapfold.h"
#include "samplers/base/topology.h"

#define PID 300


static void placed(struct nl_aggregate *agg, uint64_t start, uint64_t pages, int node,
		   const char *name)
{
	uint64_t by_node[2] = { 0, 0 };
	struct nl_record r = { .kind = NL_REC_PLACEMENT };

	by_node[node] = pages;
	r.placement = (struct nl_placement_event){ .pid = PID, .start = start,
		.end = start + pages * 4096, .name = name, .nr_nodes = 2,
		.pages_by_node = by_node, .final = true };
	synthetic_add(agg, &r);
}

static void fault(struct nl_aggregate *agg, uint64_t addr)
{
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_ADDR | NL_SAMPLE_CPU | NL_SAMPLE_MEM_NODE;
	r.sample.pid = r.sample.tid = PID;
	r.sample.cpu = 4;
	r.sample.addr = addr;
	r.sample.mem_node = 0;
	synthetic_add(agg, &r);
}

/* The stream; retire: NL_REC_RETIRE after the placement, before the last faults. */
static void stream(struct nl_aggregate *agg, bool retire, uint64_t *pages_on, uint64_t *pages)
{
	struct nl_record r = { .kind = NL_REC_RUNTIME };
	char names[20][40];

	r.runtime = (struct nl_runtime_event){ .pid = PID, .tid = PID, .cpu = 4, .ns = 1000000000 };
	synthetic_add(agg, &r);
	*pages = pages_on[0] = pages_on[1] = 0;
	for (int i = 0; i < 4; i++) {
		placed(agg, 0x10000000ull + (uint64_t)i * 0x100000, 100, 0, "[anon]");
		pages_on[0] += 100;
		for (int k = 0; k < 30 + i; k++)
			fault(agg, 0x10000000ull + (uint64_t)i * 0x100000 + (uint64_t)(k % 100) * 4096);
	}
	for (int i = 0; i < 30; i++) {
		placed(agg, 0x20000000ull + (uint64_t)i * 0x100000, (uint64_t)i + 1, i % 2, "[anon]");
		pages_on[i % 2] += (uint64_t)i + 1;
	}
	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "/usr/lib/libx%d.so", i);
		placed(agg, 0x7f0000000000ull + (uint64_t)i * 0x100000, 10, 1, names[i]);
		pages_on[1] += 10;
	}
	if (retire) {
		r = (struct nl_record){ .kind = NL_REC_RETIRE };
		r.task.pid = r.task.tid = PID;
		synthetic_add(agg, &r);
	}
	fault(agg, 0x10000000ull + 5 * 4096);     /* a late sample of the dead process */
	*pages = pages_on[0] + pages_on[1];
}

static const struct nl_task_stats *proc_of(const struct nl_profile *p)
{
	for (int i = 0; i < p->nr_processes; i++)
		if (p->processes[i].pid == PID)
			return &p->processes[i];
	return NULL;
}

static const struct nl_mapping_stats *row_named(const struct nl_task_stats *t, const char *name)
{
	for (int i = 0; i < t->nr_mappings; i++)
		if (!strcmp(t->mappings[i].name, name))
			return &t->mappings[i];
	return NULL;
}

static void check_rows(const struct nl_task_stats *t, uint64_t pages)
{
	uint64_t faults = 0, sum = 0;
	int signal = 0;
	const struct nl_mapping_stats *data = row_named(t, "[22 other data mappings]");
	const struct nl_mapping_stats *code = row_named(t, "[20 other code mappings]");

	for (int i = 0; i < t->nr_mappings; i++) {
		faults += t->mappings[i].faults;
		sum += t->mappings[i].pages_total;
		signal += t->mappings[i].faults > 0;
	}
	CHECK_EQ_U64(signal, 4);
	CHECK_EQ_U64(faults, 30 + 31 + 32 + 33 + 1);
	CHECK_EQ_U64(sum, pages);
	CHECK_EQ_U64(t->nr_mappings, 4 + 8 + 2);
	CHECK(data != NULL && code != NULL);
	if (!data || !code)
		return;
	CHECK_EQ_U64(data->folded, 22);
	CHECK_EQ_U64(code->folded, 20);
	CHECK(data->kind == NL_MAP_DATA && code->kind == NL_MAP_CODE);
	CHECK_EQ_U64(code->pages_total, 200);
	CHECK_EQ_U64(code->pages_by_node[1], 200);
	/* the 8 largest quiet rows are the data ranges of 30..23 pages */
	for (int i = 0; i < t->nr_mappings; i++)
		if (!t->mappings[i].folded && !t->mappings[i].faults)
			CHECK(t->mappings[i].pages_total >= 23);
}

int main(void)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_aggregate *a = topo ? aggregate__new(topo) : NULL;
	struct nl_aggregate *b = topo ? aggregate__new(topo) : NULL;
	const struct nl_profile *pa, *pb;
	const struct nl_task_stats *ta, *tb;
	uint64_t on[2], pages;

	CHECK(a != NULL && b != NULL);
	if (!a || !b)
		return check_done();
	stream(a, true, on, &pages);
	stream(b, false, on, &pages);
	pa = aggregate__finish(a);
	pb = aggregate__finish(b);
	CHECK(pa != NULL && pb != NULL);
	ta = pa ? proc_of(pa) : NULL;
	tb = pb ? proc_of(pb) : NULL;
	CHECK(ta != NULL && tb != NULL);
	if (ta && tb) {
		check_rows(ta, pages);
		check_rows(tb, pages);
		/* ran on node 1 only: every page not on node 1 is remote */
		CHECK(fabs(ta->remote_exposure_by_placement - (double)on[0] / (double)pages) < 1e-9);
		CHECK(fabs(ta->remote_exposure_by_placement - tb->remote_exposure_by_placement) < 1e-12);
		CHECK(fabs(ta->remote_exposure - tb->remote_exposure) < 1e-12);
		CHECK(fabs(ta->remote_exposure_code - tb->remote_exposure_code) < 1e-12);
		CHECK_EQ_U64(ta->exposure_basis, tb->exposure_basis);
		CHECK(ta->remote_exposure > 0.99);   /* the faulted data sits on node 0 */
	}
	aggregate__free(a);
	aggregate__free(b);
	topology__free(topo);
	return check_done();
}
