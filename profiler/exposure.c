/*
 * exposure.c - access-weighted remote exposure.  See exposure.h.
 */
#include "profiler/exposure.h"

#include <string.h>

#include "samplers/sample.h"

/* PMU samples a task needs before its sampled locality is its exposure. */
#define PMU_MIN_SAMPLES 20
/* Faults on pages already there a process needs before they weigh it. */
#define FAULT_MIN 20

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

enum nl_mapping_kind exposure__kind(const struct nl_mapping_stats *m)
{
	const char *n = m->name;
	uint32_t f = m->access_flags;

	if (!n[0] || starts(n, "[heap]") || starts(n, "[stack") || starts(n, "[anon") ||
	    starts(n, "/memfd:") || starts(n, "/dev/shm/") || starts(n, "/SYSV") ||
	    starts(n, "/dev/zero"))
		return NL_MAP_DATA;
	if (n[0] == '[')        /* [vdso], [vvar], [vsyscall] */
		return NL_MAP_CODE;
	if (f & (NL_ACCESS_READ | NL_ACCESS_WRITE | NL_ACCESS_EXEC))
		return (f & NL_ACCESS_EXEC) || ((f & NL_ACCESS_FILE) && !(f & NL_ACCESS_WRITE))
		       ? NL_MAP_CODE : NL_MAP_DATA;
	/* a file without known permissions: a library or a read-only file */
	return NL_MAP_CODE;
}

const char *exposure__kind_name(enum nl_mapping_kind kind)
{
	return kind == NL_MAP_CODE ? "code" : "data";
}

void exposure__prepare(struct nl_task_stats *proc)
{
	proc->accessed_bytes = 0;
	proc->access_faults = 0;
	for (int i = 0; i < proc->nr_mappings; i++) {
		struct nl_mapping_stats *m = &proc->mappings[i];
		/* each page the mapping gained took one first-touch fault */
		uint64_t gained = m->pages_total > m->start_pages ? m->pages_total - m->start_pages : 0;

		if (!m->folded)         /* a fold row keeps the kind it was summed by */
			m->kind = exposure__kind(m);
		m->access_faults = m->faults > gained ? m->faults - gained : 0;
		proc->access_faults += m->access_faults;
		if (m->kind == NL_MAP_DATA)
			proc->accessed_bytes += m->accessed_bytes;
	}
}

enum weight { W_ACCESSED, W_FAULTS, W_PAGES };

static double weight_of(const struct nl_mapping_stats *m, enum weight w)
{
	switch (w) {
	case W_ACCESSED:
		return (double)m->accessed_bytes;
	case W_FAULTS:
		return (double)m->access_faults;
	default:
		return (double)m->pages_total;
	}
}

/*
 * Sum over the mappings of kind with pages of weight x remote share, over
 * the sum of weights; the remote share of a mapping for a task that spent
 * share s_n of its time on node n is sum_n s_n (pages not on n) / pages.
 * -1 when no weight.
 */
static double weighted(const struct nl_task_stats *t, const struct nl_task_stats *proc,
		       int nr_nodes, enum nl_mapping_kind kind, enum weight w)
{
	const uint64_t *ran = t->ran_by_node;
	uint64_t ran_total = 0;
	double sum_w = 0, sum_x = 0;

	for (int n = 0; ran && n < nr_nodes; n++)
		ran_total += ran[n];
	if (!ran_total)
		return -1;
	for (int i = 0; i < proc->nr_mappings; i++) {
		const struct nl_mapping_stats *m = &proc->mappings[i];
		double wt = weight_of(m, w), remote = 0;

		if (m->kind != kind || !m->pages_total || wt <= 0)
			continue;
		for (int n = 0; n < nr_nodes; n++)
			remote += (double)ran[n] / (double)ran_total *
				  (double)(m->pages_total - m->pages_by_node[n]) /
				  (double)m->pages_total;
		sum_w += wt;
		sum_x += wt * remote;
	}
	return sum_w > 0 ? sum_x / sum_w : -1;
}

void exposure__derive(struct nl_task_stats *t, const struct nl_task_stats *proc, int nr_nodes)
{
	uint64_t pmu = t->pmu_local + t->pmu_remote;
	double x;

	t->numa_balancing = proc->numa_balancing;
	t->access_error = proc->access_error;
	t->remote_exposure = -1;
	t->remote_exposure_code = -1;
	t->exposure_basis = NL_BASIS_NONE;
	if (pmu >= PMU_MIN_SAMPLES) {
		t->remote_exposure = (double)t->pmu_remote / (double)pmu;
		t->exposure_basis = NL_BASIS_PMU;
		return;
	}
	if (!proc->access_error && (x = weighted(t, proc, nr_nodes, NL_MAP_DATA, W_ACCESSED)) >= 0) {
		t->remote_exposure = x;
		t->remote_exposure_code = weighted(t, proc, nr_nodes, NL_MAP_CODE, W_ACCESSED);
		t->exposure_basis = NL_BASIS_REFERENCED;
		return;
	}
	if (proc->access_faults >= FAULT_MIN &&
	    (x = weighted(t, proc, nr_nodes, NL_MAP_DATA, W_FAULTS)) >= 0) {
		t->remote_exposure = x;
		t->remote_exposure_code = weighted(t, proc, nr_nodes, NL_MAP_CODE, W_FAULTS);
		t->exposure_basis = NL_BASIS_HINT_FAULTS;
		return;
	}
	x = weighted(t, proc, nr_nodes, NL_MAP_DATA, W_PAGES);
	t->remote_exposure_code = weighted(t, proc, nr_nodes, NL_MAP_CODE, W_PAGES);
	if (x < 0)
		x = t->remote_exposure_by_placement;
	if (x >= 0) {
		t->remote_exposure = x;
		t->exposure_basis = NL_BASIS_PLACEMENT;
	}
}

const char *exposure__basis_name(const struct nl_task_stats *t)
{
	switch (t->exposure_basis) {
	case NL_BASIS_PMU:
		return "pmu_samples";
	case NL_BASIS_REFERENCED:
		return "referenced_bits";
	case NL_BASIS_HINT_FAULTS:
		return t->numa_balancing ? "numa_hinting_faults" : "page_refaults";
	case NL_BASIS_PLACEMENT:
		return "placement";
	default:
		return "none";
	}
}
