/*
 * test_faultruns.c - page-fault samples counted as runs of consecutive
 * pages (aggregate_internal.h fault_runs) give every mapping the faults a
 * page-by-page count gives.
 *
 * Process 7 has mappings A (64 pages), B (32 pages, right after A) and C
 * (16 pages, apart); process 9 has A's range too and is retired
 * (NL_REC_RETIRE) before the end.  The faults: one run over A into B, seen
 * three times (a buffer filled again); a run shorter than NL_FAULT_RUN_MIN;
 * a run past B's end into unmapped pages; pages in descending order; the
 * two processes' faults interleaved page by page; the same page twice in a
 * row.  Each mapping's faults must equal the count of faults whose page it
 * holds, reckoned here one fault at a time.
 */
#include <stdint.h>

#include "check.h"
#include "synthetic.h"
#include "profiler/aggregate.h"

#define PAGE 4096ull
#define A 0x10000000ull
#define B (A + 64 * PAGE)
#define C 0x30000000ull

struct range { int32_t pid; uint64_t start, pages, expect; };

static struct range ranges[] = {
	{ 7, A, 64, 0 }, { 7, B, 32, 0 }, { 7, C, 16, 0 },
	{ 9, A, 64, 0 },
};
#define NR_RANGES (sizeof(ranges) / sizeof(ranges[0]))

static void placed(struct nl_aggregate *agg, const struct range *g)
{
	uint64_t by_node[2] = { g->pages, 0 };
	struct nl_record r = { .kind = NL_REC_PLACEMENT };

	r.placement = (struct nl_placement_event){ .pid = g->pid, .start = g->start,
		.end = g->start + g->pages * PAGE, .name = "[anon]", .nr_nodes = 2,
		.pages_by_node = by_node, .final = true };
	synthetic_add(agg, &r);
}

static void fault(struct nl_aggregate *agg, int32_t pid, uint64_t addr)
{
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	for (size_t i = 0; i < NR_RANGES; i++)
		if (ranges[i].pid == pid && addr >= ranges[i].start &&
		    addr < ranges[i].start + ranges[i].pages * PAGE)
			ranges[i].expect++;
	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_CPU | NL_SAMPLE_ADDR;
	r.sample.pid = r.sample.tid = pid;
	r.sample.cpu = 4;
	r.sample.addr = addr + 123;     /* inside the page */
	synthetic_add(agg, &r);
}

static void task(struct nl_aggregate *agg, enum nl_record_kind kind, int32_t pid)
{
	struct nl_record r = { .kind = kind };

	r.task = (struct nl_task_event){ .pid = pid, .tid = pid, .ppid = 1, .ptid = 1,
		.comm = "faulter" };
	synthetic_add(agg, &r);
}

int main(void)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_aggregate *agg = topo ? aggregate__new(topo) : NULL;
	const struct nl_profile *p;

	CHECK(agg != NULL);
	if (!agg)
		return check_done();
	task(agg, NL_REC_COMM, 7);
	task(agg, NL_REC_COMM, 9);
	for (size_t i = 0; i < NR_RANGES; i++)
		placed(agg, &ranges[i]);
	for (int rep = 0; rep < 3; rep++)               /* A into B, three times */
		for (uint64_t pg = 10; pg < 80; pg++)
			fault(agg, 7, A + pg * PAGE);
	for (uint64_t pg = 0; pg < 5; pg++)             /* shorter than a run */
		fault(agg, 7, C + pg * PAGE);
	for (uint64_t pg = 90; pg < 120; pg++)          /* past B's end */
		fault(agg, 7, A + pg * PAGE);
	for (uint64_t pg = 15; pg > 5; pg--)            /* descending */
		fault(agg, 7, C + pg * PAGE);
	for (uint64_t pg = 0; pg < 20; pg++) {          /* interleaved */
		fault(agg, 7, A + pg * PAGE);
		fault(agg, 9, A + pg * PAGE);
	}
	for (uint64_t pg = 30; pg < 60; pg++)           /* 9 alone: a run */
		fault(agg, 9, A + pg * PAGE);
	fault(agg, 7, B + 3 * PAGE);                    /* one page twice */
	fault(agg, 7, B + 3 * PAGE);
	{
		struct nl_record r = { .kind = NL_REC_RETIRE };

		r.task.pid = r.task.tid = 9;
		synthetic_add(agg, &r);
	}
	for (uint64_t pg = 0; pg < 40; pg++)            /* after 9's retire */
		fault(agg, 7, B + (pg % 32) * PAGE);
	p = aggregate__finish(agg);
	CHECK(p != NULL);
	for (size_t i = 0; p && i < NR_RANGES; i++) {
		uint64_t got = UINT64_MAX;

		for (int t = 0; t < p->nr_processes; t++)
			for (int m = 0; p->processes[t].pid == ranges[i].pid &&
			     m < p->processes[t].nr_mappings; m++)
				if (p->processes[t].mappings[m].start == ranges[i].start)
					got = p->processes[t].mappings[m].faults;
		CHECK_EQ_U64(got, ranges[i].expect);
	}
	CHECK(ranges[0].expect > 100 && ranges[3].expect == 50);
	aggregate__free(agg);
	topology__free(topo);
	return check_done();
}
