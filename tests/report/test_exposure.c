/*
 * test_exposure.c - the analysis on a synthetic record stream (no process,
 * no file): access-weighted exposure, data vs code, the placement figure
 * beside it, the object finding and the advice in the report model.
 *
 * The stream: a two-node machine (node 0: cpus 0-3, node 1: cpus 4-7);
 * parent 100 ran on node 0 and built a 64 MiB dataset there; workers 101-105
 * (children of 100) ran on node 1 and read it; worker 106 ran on node 0
 * (its data is local); process 107 refused the access signal.  Every
 * worker maps the dataset (16384 pages on node 0), its own heap (1000
 * pages on node 1) and a library whose page-cache pages sit on node 1
 * (50000 pages, code), so that counted alike the pages dilute the
 * exposure: by placement 16384 / 67384 = 0.243 for a node-1 worker; by
 * referenced bytes (dataset 32 MiB, heap 2 MiB, library 8 MiB, code apart)
 * 32 / 34 = 0.941.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "synthetic.h"
#include "profiler/aggregate.h"
#include "profiler/findings.h"
#include "profiler/report_model.h"
#include "samplers/base/topology.h"

#define MIB (1ull << 20)
#define DATASET 0x10000000ull
#define HEAP 0x01000000ull
#define LIB 0x7f0000000000ull


static void fork_of(struct nl_aggregate *agg, int pid, int ppid)
{
	struct nl_record r = { .kind = NL_REC_FORK };

	r.task = (struct nl_task_event){ .pid = pid, .tid = pid, .ppid = ppid, .ptid = ppid };
	synthetic_add(agg, &r);
}

static void ran(struct nl_aggregate *agg, int pid, int cpu)
{
	struct nl_record r = { .kind = NL_REC_RUNTIME };

	r.runtime = (struct nl_runtime_event){ .pid = pid, .tid = pid, .cpu = cpu, .ns = 1000000000 };
	synthetic_add(agg, &r);
}

static void placed(struct nl_aggregate *agg, int pid, uint64_t start, uint64_t pages,
		   int node, const char *name)
{
	uint64_t by_node[2] = { 0, 0 };
	struct nl_record r = { .kind = NL_REC_PLACEMENT };

	by_node[node] = pages;
	r.placement = (struct nl_placement_event){ .pid = pid, .start = start,
		.end = start + pages * 4096, .name = name, .nr_nodes = 2,
		.pages_by_node = by_node, .final = true };
	synthetic_add(agg, &r);
}

static void accessed(struct nl_aggregate *agg, int pid, uint64_t start, uint64_t pages,
		     uint64_t bytes, uint32_t flags, const char *name)
{
	struct nl_record r = { .kind = NL_REC_ACCESS };

	r.access = (struct nl_access_event){ .pid = pid, .start = start, .end = start + pages * 4096,
		.flags = flags, .method = NL_ACCESS_REFERENCED, .intervals = 2,
		.accessed_bytes = bytes, .rss_bytes = pages * 4096, .name = name };
	synthetic_add(agg, &r);
}

/* A worker's (or the parent's) three mappings and what it read of them. */
static void process(struct nl_aggregate *agg, int pid, bool reads_dataset, int heap_node)
{
	uint32_t rw = NL_ACCESS_READ | NL_ACCESS_WRITE;

	placed(agg, pid, DATASET, 16384, 0, "[anon]");
	placed(agg, pid, HEAP, 1000, heap_node, "[heap]");
	placed(agg, pid, LIB, 50000, 1, "/usr/lib/libtorch_cpu.so");
	accessed(agg, pid, DATASET, 16384, reads_dataset ? 32 * MIB : 0, rw, "");
	accessed(agg, pid, HEAP, 1000, 2 * MIB, rw, "[heap]");
	accessed(agg, pid, LIB, 50000, 8 * MIB, NL_ACCESS_READ | NL_ACCESS_EXEC | NL_ACCESS_FILE,
		 "/usr/lib/libtorch_cpu.so");
}

static const struct nl_task_stats *find(const struct nl_profile *p, int pid)
{
	for (int i = 0; i < p->nr_processes; i++)
		if (p->processes[i].pid == pid)
			return &p->processes[i];
	return NULL;
}

static bool near(double got, double want)
{
	if (fabs(got - want) < 0.002)
		return true;
	printf("got %.4f, want %.4f\n", got, want);
	return false;
}

int main(void)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_aggregate *agg = topo ? aggregate__new(topo) : NULL;
	const struct nl_profile *p;
	const struct nl_task_stats *w, *local, *parent, *denied;
	struct nl_report_input in = { 0 };
	struct nl_report_model model;
	struct nl_source_info info;
	struct nl_source_stats stats;
	struct nl_record r = { .kind = NL_REC_ACCESS };

	CHECK(agg != NULL);
	if (!agg)
		return check_done();
	ran(agg, 100, 0);
	process(agg, 100, false, 0);
	for (int pid = 101; pid <= 106; pid++) {
		fork_of(agg, pid, 100);
		ran(agg, pid, pid == 106 ? 1 : 4 + pid % 4);
		/* 106 runs on node 0 next to the dataset; its heap is local too */
		process(agg, pid, true, pid == 106 ? 0 : 1);
	}
	fork_of(agg, 107, 100);
	ran(agg, 107, 5);
	placed(agg, 107, DATASET, 16384, 0, "[anon]");
	placed(agg, 107, HEAP, 1000, 1, "[heap]");
	r.access = (struct nl_access_event){ .pid = 107, .flags = NL_ACCESS_DENIED, .error = -13,
					     .name = "" };
	synthetic_add(agg, &r);
	p = aggregate__finish(agg);
	CHECK(p != NULL);
	if (!p)
		goto out;

	w = find(p, 101);
	CHECK(w != NULL);
	if (w) {
		CHECK_EQ_U64(w->exposure_basis, NL_BASIS_REFERENCED);
		CHECK(near(w->remote_exposure, 32.0 / 34.0));
		CHECK(near(w->remote_exposure_by_placement, 16384.0 / 67384.0));
		CHECK(near(w->remote_exposure_code, 0));
		CHECK_EQ_U64(w->accessed_bytes, 34 * MIB);
		for (int m = 0; m < w->nr_mappings; m++)
			CHECK_EQ_U64(w->mappings[m].kind,
				     w->mappings[m].start == LIB ? NL_MAP_CODE : NL_MAP_DATA);
	}
	local = find(p, 106);
	CHECK(local && near(local->remote_exposure, 0));
	parent = find(p, 100);
	CHECK(parent && near(parent->remote_exposure, 0));
	denied = find(p, 107);
	CHECK(denied != NULL);
	if (denied) {
		CHECK_EQ_U64(denied->exposure_basis, NL_BASIS_PLACEMENT);
		CHECK_EQ_U64(denied->access_error, (uint64_t)-13);
		/* placement over its data mappings: the dataset on node 0, it runs on 1 */
		CHECK(near(denied->remote_exposure, 16384.0 / 17384.0));
	}

	/* the finding: 6 readers on node 1 (101-105 and 107), never 106 or 100 */
	CHECK(p->nr_findings >= 1);
	if (p->nr_findings >= 1) {
		const struct nl_finding *f = &p->findings[0];

		printf("finding: %s\n", f->summary);
		CHECK_EQ_U64(f->kind, NL_FINDING_SHARED_OBJECT);
		CHECK_EQ_U64(f->start, DATASET);
		CHECK_EQ_U64(f->nr_readers, 6);
		CHECK_EQ_U64(f->nr_group, 7);
		CHECK_EQ_STR(f->summary, "6 of 7 workers of pid 100 read a 64 MiB anonymous mapping "
			     "with 100 % of its pages on node 0; they run on node 1");
		for (int i = 0; i < f->nr_readers; i++)
			CHECK(f->readers[i] != 106 && f->readers[i] != 100);
	}
	for (int i = 0; i < p->nr_findings; i++)
		for (int k = 0; k < p->findings[i].nr_readers; k++)
			CHECK(p->findings[i].readers[k] != 106 && p->findings[i].readers[k] != 100);

	/* the model: the first advice is the finding's, with the mapping and workers */
	memset(&info, 0, sizeof(info));
	memset(&stats, 0, sizeof(stats));
	in.profile = p;
	in.info = &info;
	in.stats = &stats;
	in.command = "report";
	in.source_kind = "live";
	CHECK_EQ_U64(report_model__build(&model, &in), 0);
	{
		const char *first = NULL;
		bool basis_said = false;

		for (int i = 0; i < model.nr_notes; i++) {
			if (model.notes[i].kind == NL_NOTE_ADVICE && !first)
				first = model.notes[i].text;
			basis_said |= strstr(model.notes[i].text, "by page placement only") != NULL;
		}
		CHECK(first != NULL);
		if (first) {
			printf("first advice: %s\n", first);
			CHECK(strstr(first, "at 0x10000000") != NULL);
			CHECK(strstr(first, "workers of pid 100") != NULL);
			CHECK(strstr(first, "106") == NULL);
		}
		CHECK(basis_said);      /* 107 refused: the report says its basis */
		/* the ranking: the dataset of a node-1 worker first */
		CHECK(model.nr_mappings > 0);
		if (model.nr_mappings > 0)
			CHECK_EQ_U64(model.mappings[0].map->start, DATASET);
	}
	report_model__free(&model);
out:
	aggregate__free(agg);
	topology__free(topo);
	return check_done();
}
