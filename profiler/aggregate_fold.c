/*
 * aggregate_fold.c - what keeps the aggregator's memory growing with live
 * tasks and distinct data, not with every process that ever ran: page-fault
 * samples attributed to the mappings that hold them, quiet mapping rows
 * folded (profiler/mapfold.h), and ended processes retired, beyond
 * ended_keep summed into one row per role (ppid + comm).  Every total and
 * exposure figure is the same folded or not (tests/report/test_rolefold.c).
 */
#include "profiler/aggregate_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "profiler/mapfold.h"

static int by_start(const void *a, const void *b)
{
	const struct nl_mapping_stats *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The mapping of a process (sorted by start) holding addr, or NULL. */
static struct nl_mapping_stats *mapping_at(struct task_entry *proc, uint64_t addr)
{
	int lo = 0, hi = proc->pub.nr_mappings - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct nl_mapping_stats *m = &proc->pub.mappings[mid];

		if (addr < m->start)
			hi = mid - 1;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

int aggfold__close_fault_run(struct nl_aggregate *agg)
{
	uint64_t pid = (uint64_t)(uint32_t)agg->fault_run.pid, *n;
	uint64_t len = agg->fault_run.end - agg->fault_run.start;

	if (!agg->fault_run.open)
		return 0;
	agg->fault_run.open = false;
	if (len >= NL_FAULT_RUN_MIN) {
		if (map__add(&agg->fault_runs, pid | len << 32, agg->fault_run.start, &n) < 0)
			return -ENOMEM;
		(*n)++;
		return 0;
	}
	for (uint64_t page = agg->fault_run.start; page < agg->fault_run.end; page++) {
		if (map__add(&agg->fault_pages, pid, page, &n) < 0)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

/* n faults on each page of [page, end) of proc (mappings sorted) to the
   mappings that hold them. */
static void attribute_pages(struct task_entry *proc, uint64_t page, uint64_t end, uint64_t n)
{
	while (proc && page < end) {
		struct nl_mapping_stats *m = mapping_at(proc, page << 12);
		uint64_t to = page + 1;

		if (m) {
			to = (m->end + 4095) >> 12;     /* its pages: page << 12 < end */
			if (to > end)
				to = end;
			m->faults += (to - page) * n;
		}
		page = to;
	}
}

/* Sorts every process's mappings and hands them their fault samples. */
void aggfold__attribute_faults(struct nl_aggregate *agg)
{
	uint64_t pid, page, n;
	uint32_t pos = 0;

	for (int i = 0; i < agg->processes.nr; i++) {
		struct task_entry *e = agg->processes.entries[i];

		if (e->pub.nr_mappings > 1)     /* none: mappings may be NULL */
			qsort(e->pub.mappings, (size_t)e->pub.nr_mappings,
			      sizeof(*e->pub.mappings), by_start);
	}
	while (map__next(&agg->fault_pages, &pos, &pid, &page, &n)) {
		struct task_entry *proc = aggtab__find(&agg->processes, (int32_t)pid);
		struct nl_mapping_stats *m = proc ? mapping_at(proc, page << 12) : NULL;

		if (m)
			m->faults += n;
	}
	/* (the open run is closed first: aggregate__finish) */
	for (pos = 0; map__next(&agg->fault_runs, &pos, &pid, &page, &n);)
		attribute_pages(aggtab__find(&agg->processes, (int32_t)(uint32_t)pid), page,
				page + (pid >> 32), n);
}

/* Folds proc's quiet rows (mapfold.h) and gives the room back. */
int aggfold__mappings(struct nl_aggregate *agg, struct task_entry *proc)
{
	struct nl_mapping_stats *v;

	if (mapfold__fold(&proc->pub, agg->nr_nodes, &agg->names))
		return -ENOMEM;
	if (proc->pub.nr_mappings && proc->pub.nr_mappings < proc->mappings_cap &&
	    (v = realloc(proc->pub.mappings, (size_t)proc->pub.nr_mappings * sizeof(*v)))) {
		proc->pub.mappings = v;
		proc->mappings_cap = proc->pub.nr_mappings;
	}
	return 0;
}

/* The role of ended process proc (same ppid and comm), made when new. */
static struct role *role_of(struct nl_aggregate *agg, const struct task_entry *proc)
{
	struct role *r;

	for (size_t i = 0; i < agg->nr_roles; i++)
		if (agg->roles[i].ppid == proc->pub.ppid &&
		    !strcmp(agg->roles[i].comm, proc->pub.comm))
			return &agg->roles[i];
	if (array__reserve((void **)&agg->roles, &agg->cap_roles, agg->nr_roles + 1,
			   sizeof(*agg->roles)))
		return NULL;
	r = &agg->roles[agg->nr_roles];
	r->ppid = proc->pub.ppid;
	snprintf(r->comm, sizeof(r->comm), "%s", proc->pub.comm);
	r->proc = aggtab__entry_new(agg, proc->pub.pid, proc->pub.pid);
	r->thr = aggtab__entry_new(agg, proc->pub.pid, proc->pub.pid);
	if (!r->proc || !r->thr || aggtab__append(&agg->processes, r->proc)) {
		if (r->thr)
			aggtab__entry_free(r->thr);
		if (r->proc)
			aggtab__entry_free(r->proc);
		return NULL;
	}
	if (aggtab__append(&agg->threads, r->thr)) {
		agg->processes.nr--;
		aggtab__entry_free(r->proc);
		aggtab__entry_free(r->thr);
		return NULL;
	}
	r->proc->role = r->thr->role = true;
	r->thr->proc_of = r->proc;
	r->proc->pub.ppid = r->thr->pub.ppid = r->ppid;
	memcpy(r->proc->pub.comm, r->comm, sizeof(r->comm));
	memcpy(r->thr->pub.comm, r->comm, sizeof(r->comm));
	agg->nr_roles++;
	return r;
}

static void ran_add(struct task_entry *dst, const struct task_entry *src, int nr_nodes)
{
	for (int n = 0; n <= nr_nodes; n++) {
		dst->ran_ns[n] += src->ran_ns[n];
		dst->ran_samples[n] += src->ran_samples[n];
	}
}

/*
 * An ended process beyond the first ended_keep: its process and thread
 * rows are summed into its role's (mapfold__merge_process) and freed, and
 * a compact line says it was there.
 */
static int fold_into_role(struct nl_aggregate *agg, struct task_entry *proc)
{
	struct role *r = role_of(agg, proc);
	struct nl_ended_worker w = { 0 };

	if (!r || array__reserve((void **)&agg->ended, &agg->cap_ended, agg->nr_ended + 1,
				 sizeof(*agg->ended)))
		return -ENOMEM;
	if (mapfold__merge_process(&r->proc->pub, &r->proc->mappings_cap, &proc->pub,
				   agg->nr_nodes, &agg->names))
		return -ENOMEM;
	ran_add(r->proc, proc, agg->nr_nodes);
	w = (struct nl_ended_worker){ .pid = proc->pub.pid, .ppid = proc->pub.ppid,
		.role_pid = r->proc->pub.pid, .samples = proc->pub.counts.samples,
		.memory = proc->pub.counts.memory };
	/* its HT rows go with its process and thread rows */
	if (agg->smt)
		smt__fold_process(agg->smt, proc->pub.pid);
	for (int i = agg->threads.nr - 1; i >= 0; i--) {
		struct task_entry *t = agg->threads.entries[i];

		if (t->role || t->pub.pid != proc->pub.pid)
			continue;
		if (mapfold__merge_process(&r->thr->pub, &r->thr->mappings_cap, &t->pub,
					   agg->nr_nodes, &agg->names))
			return -ENOMEM;
		ran_add(r->thr, t, agg->nr_nodes);
		w.threads++;
		aggtab__remove(&agg->threads, i, true);
	}
	for (int i = 0; i < agg->processes.nr; i++)
		if (agg->processes.entries[i] == proc) {
			aggtab__remove(&agg->processes, i, false);
			break;
		}
	agg->ended[agg->nr_ended++] = w;
	agg->last_proc = agg->last_thr = NULL;
	return 0;
}

/* The retiring process of retire_process and its row (NULL: none). */
struct retiring {
	uint32_t pid;
	struct task_entry *proc;
};

/* fault_pages: (pid, page) -> faults, into the mapping holding the page */
static bool retiring_page(uint64_t k0, uint64_t page, uint64_t n, void *ctx)
{
	const struct retiring *r = ctx;
	struct nl_mapping_stats *m;

	if (k0 != r->pid)
		return false;
	if (r->proc && (m = mapping_at(r->proc, page << 12)))
		m->faults += n;
	return true;
}

/* fault_runs: (pid | pages << 32, first page) -> faults, spread over the run */
static bool retiring_run(uint64_t k0, uint64_t page, uint64_t n, void *ctx)
{
	const struct retiring *r = ctx;

	if ((uint32_t)k0 != r->pid)
		return false;
	attribute_pages(r->proc, page, page + (k0 >> 32), n);
	return true;
}

/*
 * An ended process whose last placement and access records came
 * (NL_REC_RETIRE): its fault samples go to its rows now and leave the page
 * map, and its quiet rows are folded, so what a long profile keeps of each
 * ended worker is its rows with a signal, not every page it touched.
 */
int aggfold__retire_process(struct nl_aggregate *agg, int32_t pid)
{
	struct task_entry *proc = aggtab__find(&agg->processes, pid);
	struct retiring r = { (uint32_t)pid, proc };

	if (proc && proc->pub.nr_mappings > 1)
		qsort(proc->pub.mappings, (size_t)proc->pub.nr_mappings,
		      sizeof(*proc->pub.mappings), by_start);
	if (aggfold__close_fault_run(agg))
		return -ENOMEM;
	if (map__del_where(&agg->fault_pages, retiring_page, &r, &agg->retire_keys,
			   &agg->retire_cap) < 0 ||
	    map__del_where(&agg->fault_runs, retiring_run, &r, &agg->retire_keys,
			   &agg->retire_cap) < 0)
		return -ENOMEM;
	if (!proc)
		return 0;
	if (aggfold__mappings(agg, proc))
		return -ENOMEM;
	if (agg->nr_retired++ < agg->ended_keep)
		return 0;
	return fold_into_role(agg, proc);
}