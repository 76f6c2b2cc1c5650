/*
 * test_rolefold.c - ended processes beyond NL_ENDED_KEEP summed into one
 * row per role (profiler/mapfold.h mapfold__merge_process, aggregate.h)
 * change no total and keep a line per worker.
 *
 * Parent 100 ("churn") forks WORKERS alike workers ("worker"), each on node
 * 1 (cpu 4) for 1 s with a faulted data range of 100 pages on node 0, 12
 * quiet data ranges, a library on node 1, a second thread, cpu samples and
 * page-fault samples, and each retired (NL_REC_RETIRE) as the live source
 * does a second after it ends.  Aggregator "all" folds every ended one
 * (ended_keep 0), "some" keeps KEEP, "none" the default (more than
 * WORKERS).  All three must give the same totals, node matrix, sums over
 * processes of samples, pages by node, faults and referenced bytes, the
 * role row the exposure of each alike worker, and a line per folded
 * worker with its ppid and samples; the HT rows of the folded workers are
 * summed likewise (smt.h invariant 4) and every run time kept.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "synthetic.h"
#include "profiler/aggregate.h"
#include "profiler/smt.h"
#include "samplers/base/topology.h"

#define PARENT 100
#define WORKERS 10
#define KEEP 3

static void task(struct nl_aggregate *agg, enum nl_record_kind kind, int32_t pid,
		 int32_t tid, const char *comm)
{
	struct nl_record r = { .kind = kind };

	r.task = (struct nl_task_event){ .pid = pid, .tid = tid, .ppid = PARENT,
		.ptid = PARENT, .comm = comm };
	synthetic_add(agg, &r);
}

static void placed(struct nl_aggregate *agg, int32_t pid, uint64_t start, uint64_t pages,
		   int node, const char *name, uint64_t accessed)
{
	uint64_t by_node[2] = { 0, 0 };
	struct nl_record r = { .kind = NL_REC_PLACEMENT };

	by_node[node] = pages;
	r.placement = (struct nl_placement_event){ .pid = pid, .start = start,
		.end = start + pages * 4096, .name = name, .nr_nodes = 2,
		.pages_by_node = by_node, .final = true };
	synthetic_add(agg, &r);
	if (accessed) {
		r = (struct nl_record){ .kind = NL_REC_ACCESS };
		r.access = (struct nl_access_event){ .pid = pid, .start = start,
			.end = start + pages * 4096, .intervals = 1, .accessed_bytes = accessed,
			.name = name };
		synthetic_add(agg, &r);
	}
}

static void sample(struct nl_aggregate *agg, int32_t pid, int32_t tid, uint64_t addr)
{
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_CPU;
	r.sample.pid = pid;
	r.sample.tid = tid;
	r.sample.cpu = 4;
	if (addr) {
		r.sample.valid |= NL_SAMPLE_ADDR | NL_SAMPLE_MEM_NODE;
		r.sample.addr = addr;
		r.sample.mem_node = 0;
	}
	synthetic_add(agg, &r);
}

static void switched(struct nl_aggregate *agg, int32_t pid, int cpu, uint64_t time, bool out)
{
	struct nl_record r = { .kind = NL_REC_SWITCH };

	r.sw = (struct nl_switch_event){ .pid = pid, .tid = pid, .cpu = cpu, .time = time,
		.out = out, .other_pid = -1, .other_tid = -1 };
	synthetic_add(agg, &r);
}

static void worker(struct nl_aggregate *agg, int32_t pid)
{
	struct nl_record r = { .kind = NL_REC_RUNTIME };
	uint64_t t = 2000000000ull + (uint64_t)(pid - 1000) * 1000000000ull;

	task(agg, NL_REC_FORK, pid, pid, NULL);
	task(agg, NL_REC_COMM, pid, pid, "worker");
	r.runtime = (struct nl_runtime_event){ .pid = pid, .tid = pid, .cpu = 4, .ns = 1000000000 };
	synthetic_add(agg, &r);
	placed(agg, pid, 0x10000000ull, 100, 0, "[anon]", 200 * 4096);
	for (int i = 0; i < 12; i++)
		placed(agg, pid, 0x20000000ull + (uint64_t)i * 0x100000, (uint64_t)i + 1, i % 2,
		       "[anon]", 0);
	placed(agg, pid, 0x7f0000000000ull, 10, 1, "/usr/lib/libw.so", 4096);
	for (int k = 0; k < 40; k++)
		sample(agg, pid, pid, 0x10000000ull + (uint64_t)(k % 100) * 4096);
	for (int k = 0; k < 7; k++)
		sample(agg, pid, pid + 5000, 0);        /* its second thread */
	switched(agg, pid, 4, t, false);                /* 200 ms on cpu 4 */
	switched(agg, pid, 4, t + 200000000ull, true);
	r = (struct nl_record){ .kind = NL_REC_RETIRE };
	r.task.pid = r.task.tid = pid;
	synthetic_add(agg, &r);
}

static const struct nl_profile *run(struct nl_aggregate *agg, int keep)
{
	if (keep >= 0)
		aggregate__set_ended_keep(agg, keep);
	task(agg, NL_REC_COMM, PARENT, PARENT, "churn");
	switched(agg, PARENT, 0, 1, false);             /* busy throughout */
	for (int k = 0; k < 5; k++)
		sample(agg, PARENT, PARENT, 0);
	for (int w = 0; w < WORKERS; w++)
		worker(agg, 1000 + w);
	return aggregate__finish(agg);
}

struct sums {
	uint64_t samples, memory, local, remote, faults, accessed, pages[3], threads;
	int rows;
};

static struct sums sums_of(const struct nl_profile *p)
{
	struct sums s = { 0 };

	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		s.samples += t->counts.samples;
		s.memory += t->counts.memory;
		s.local += t->counts.local;
		s.remote += t->counts.remote;
		s.accessed += t->accessed_bytes;
		for (int m = 0; m < t->nr_mappings; m++) {
			s.faults += t->mappings[m].faults;
			for (int n = 0; n <= p->nr_nodes; n++)
				s.pages[n] += t->mappings[m].pages_by_node[n];
		}
		s.rows += t->nr_mappings;
	}
	for (int i = 0; i < p->nr_threads; i++)
		s.threads += p->threads[i].counts.samples;
	return s;
}

static const struct nl_task_stats *find(const struct nl_profile *p, int32_t pid)
{
	for (int i = 0; i < p->nr_processes; i++)
		if (p->processes[i].pid == pid)
			return &p->processes[i];
	return NULL;
}

static void same_totals(const struct nl_profile *a, const struct nl_profile *b)
{
	struct sums x = sums_of(a), y = sums_of(b);
	size_t cells = (size_t)(a->nr_nodes + 1) * (size_t)(a->nr_nodes + 1);

	CHECK_EQ_U64(a->total.samples, b->total.samples);
	CHECK_EQ_U64(a->total.remote, b->total.remote);
	CHECK_EQ_U64(a->placement_pages, b->placement_pages);
	CHECK(!memcmp(a->node_matrix, b->node_matrix, cells * sizeof(uint64_t)));
	CHECK_EQ_U64(x.samples, y.samples);
	CHECK_EQ_U64(x.samples, a->total.samples);
	CHECK_EQ_U64(x.memory, y.memory);
	CHECK_EQ_U64(x.local, y.local);
	CHECK_EQ_U64(x.remote, y.remote);
	CHECK_EQ_U64(x.faults, y.faults);
	CHECK_EQ_U64(x.accessed, y.accessed);
	CHECK_EQ_U64(x.threads, y.threads);
	for (int n = 0; n < 3; n++)
		CHECK_EQ_U64(x.pages[n], y.pages[n]);
}

/* The role row of folded workers has the exposure of each (they are alike). */
static void same_exposure(const struct nl_task_stats *role, const struct nl_task_stats *one)
{
	CHECK(fabs(role->remote_exposure - one->remote_exposure) < 1e-9);
	CHECK(fabs(role->remote_exposure_by_placement - one->remote_exposure_by_placement) < 1e-9);
	CHECK(fabs(role->remote_exposure_code - one->remote_exposure_code) < 1e-9);
	CHECK_EQ_U64(role->exposure_basis, one->exposure_basis);
	CHECK(role->remote_exposure > 0.5);     /* the referenced data sits on node 0 */
}

int main(void)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct nl_aggregate *all = topo ? aggregate__new(topo) : NULL;
	struct nl_aggregate *some = topo ? aggregate__new(topo) : NULL;
	struct nl_aggregate *none = topo ? aggregate__new(topo) : NULL;
	const struct nl_profile *pa, *ps, *pn;
	const struct nl_task_stats *role, *one;

	CHECK(all && some && none);
	if (!all || !some || !none)
		return check_done();
	pa = run(all, 0);
	ps = run(some, KEEP);
	pn = run(none, -1);
	CHECK(pa && ps && pn);
	if (!pa || !ps || !pn)
		return check_done();
	same_totals(pa, pn);
	same_totals(ps, pn);
	/* none folded: the parent and every worker have their own row */
	CHECK_EQ_U64(pn->nr_ended_workers, 0);
	CHECK_EQ_U64(pn->nr_processes, 1 + WORKERS);
	CHECK_EQ_U64(pn->nr_roles, 0);
	/* all folded: the parent and one role row; a line per worker */
	CHECK_EQ_U64(pa->nr_processes, 2);
	CHECK_EQ_U64(pa->nr_roles, 1);
	CHECK_EQ_U64(pa->nr_threads, 2);
	CHECK_EQ_U64(pa->nr_ended_workers, WORKERS);
	CHECK_EQ_U64(ps->nr_ended_workers, WORKERS - KEEP);
	CHECK_EQ_U64(ps->nr_processes, 1 + KEEP + 1);
	role = find(pa, 1000);
	one = find(pn, 1000);
	CHECK(role && one && role->folded_processes == WORKERS);
	if (role && one) {
		CHECK_EQ_U64(role->ppid, PARENT);
		CHECK(!strcmp(role->comm, "worker"));
		CHECK_EQ_U64(role->counts.samples, WORKERS * one->counts.samples);
		/* rows by name: [anon] ranges, the library, the fold rows */
		CHECK(role->nr_mappings <= one->nr_mappings);
		same_exposure(role, one);
	}
	for (int i = 0; i < pa->nr_ended_workers; i++) {
		const struct nl_ended_worker *w = &pa->ended_workers[i];
		const struct nl_task_stats *t = find(pn, w->pid);

		CHECK_EQ_U64(w->pid, 1000 + i);         /* in the order they ended */
		CHECK_EQ_U64(w->ppid, PARENT);
		CHECK_EQ_U64(w->role_pid, 1000);
		CHECK_EQ_U64(w->threads, 2);
		CHECK(t != NULL);
		if (t) {
			CHECK_EQ_U64(w->samples, t->counts.samples);
			CHECK_EQ_U64(w->memory, t->counts.memory);
		}
	}
	role = find(ps, 1000 + KEEP);
	CHECK(role && role->folded_processes == WORKERS - KEEP);
	if (role && one)
		same_exposure(role, one);
	CHECK(find(ps, 1000) && !find(ps, 1000)->folded_processes);
	/* HT rows go with the process rows: the folded workers' are summed */
	CHECK(pa->smt && ps->smt && pn->smt);
	if (pa->smt && ps->smt && pn->smt) {
		const struct nl_smt_result *sa = pa->smt, *ss = ps->smt, *sn = pn->smt;
		uint64_t run[3] = { sa->folded_run_ns, ss->folded_run_ns, sn->folded_run_ns };

		CHECK_EQ_U64(sn->nr_tasks, 1 + WORKERS);
		CHECK_EQ_U64(sn->folded_tasks, 0);
		CHECK_EQ_U64(sa->nr_tasks, 1);
		CHECK_EQ_U64(sa->folded_tasks, WORKERS);
		CHECK_EQ_U64(ss->nr_tasks, 1 + KEEP);
		CHECK_EQ_U64(ss->folded_tasks, WORKERS - KEEP);
		CHECK_EQ_U64(sa->folded_run_ns, WORKERS * 200000000ull);
		for (int i = 0; i < sa->nr_tasks; i++)
			run[0] += sa->tasks[i].run_ns;
		for (int i = 0; i < ss->nr_tasks; i++)
			run[1] += ss->tasks[i].run_ns;
		for (int i = 0; i < sn->nr_tasks; i++)
			run[2] += sn->tasks[i].run_ns;
		CHECK_EQ_U64(run[0], run[2]);
		CHECK_EQ_U64(run[1], run[2]);
		CHECK_EQ_U64(sa->busy_tasks, sn->busy_tasks);
	}
	aggregate__free(all);
	aggregate__free(some);
	aggregate__free(none);
	topology__free(topo);
	return check_done();
}
