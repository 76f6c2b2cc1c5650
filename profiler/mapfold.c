/*
 * mapfold.c - folds mapping rows without an access signal.  See mapfold.h.
 */
#include "profiler/mapfold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/exposure.h"

static bool has_signal(const struct nl_mapping_stats *m)
{
	return m->faults || m->accessed_bytes;
}

static const struct nl_mapping_stats *sort_rows;

/* Signal-less rows, largest first; ties by position (a stable order). */
static int by_pages_desc(const void *a, const void *b)
{
	const struct nl_mapping_stats *x = &sort_rows[*(const int *)a];
	const struct nl_mapping_stats *y = &sort_rows[*(const int *)b];

	if (x->pages_total != y->pages_total)
		return x->pages_total < y->pages_total ? 1 : -1;
	return *(const int *)a - *(const int *)b;
}

static void add_into(struct nl_mapping_stats *dst, const struct nl_mapping_stats *m,
		     int nr_nodes)
{
	dst->folded += m->folded ? m->folded : 1;
	dst->pages_total += m->pages_total;
	dst->start_pages += m->start_pages;
	dst->placed |= m->placed;
	for (int n = 0; n <= nr_nodes; n++)
		dst->pages_by_node[n] += m->pages_by_node[n];
}

/* Marks in out[] the rows that go into a fold row; returns how many. */
static int pick_out(struct nl_task_stats *proc, bool *out, int *idx)
{
	int nr_quiet = 0, nr_out = 0;

	for (int i = 0; i < proc->nr_mappings; i++) {
		struct nl_mapping_stats *m = &proc->mappings[i];

		if (!m->folded)
			m->kind = exposure__kind(m);
		if (m->folded)
			out[i] = true;
		else if (!has_signal(m))
			idx[nr_quiet++] = i;
	}
	sort_rows = proc->mappings;
	qsort(idx, (size_t)nr_quiet, sizeof(*idx), by_pages_desc);
	for (int r = 0; r < nr_quiet; r++)
		out[idx[r]] = r >= MAPFOLD_KEEP || !proc->mappings[idx[r]].pages_total;
	/* a fold row of one real mapping would only hide its name */
	for (int kind = NL_MAP_DATA; kind <= NL_MAP_CODE; kind++) {
		int nr = 0, last = -1;

		for (int i = 0; i < proc->nr_mappings; i++)
			if (out[i] && (int)proc->mappings[i].kind == kind)
				nr++, last = i;
		if (nr == 1 && !proc->mappings[last].folded)
			out[last] = false;
	}
	for (int i = 0; i < proc->nr_mappings; i++)
		nr_out += out[i];
	return nr_out;
}

int mapfold__fold(struct nl_task_stats *proc, int nr_nodes, struct nl_strtab *names)
{
	struct nl_mapping_stats fold[2] = { 0 };   /* by kind: data, code */
	struct nl_mapping_stats *v = proc->mappings;
	bool *out = calloc((size_t)proc->nr_mappings + 1, sizeof(*out));
	int *idx = calloc((size_t)proc->nr_mappings + 1, sizeof(*idx));
	int k = 0, nr_fold = 0;

	for (int f = 0; f < 2; f++)
		fold[f].pages_by_node = calloc((size_t)nr_nodes + 1, sizeof(uint64_t));
	if (!out || !idx || !fold[0].pages_by_node || !fold[1].pages_by_node) {
		free(out);
		free(idx);
		free(fold[0].pages_by_node);
		free(fold[1].pages_by_node);
		return -ENOMEM;
	}
	if (pick_out(proc, out, idx) >= 2) {
		for (int i = 0; i < proc->nr_mappings; i++) {
			if (!out[i]) {
				v[k++] = v[i];
				continue;
			}
			add_into(&fold[v[i].kind == NL_MAP_CODE], &v[i], nr_nodes);
			free(v[i].pages_by_node);
		}
		nr_fold = (fold[0].folded > 0) + (fold[1].folded > 0);
		memmove(&v[nr_fold], &v[0], (size_t)k * sizeof(*v));
		for (int f = 0, at = 0; f < 2; f++) {
			if (!fold[f].folded)
				continue;
			fold[f].kind = f ? NL_MAP_CODE : NL_MAP_DATA;
			char name[64];
			int64_t id;

			snprintf(name, sizeof(name), "[%u other %s mappings]",
				 fold[f].folded, exposure__kind_name(fold[f].kind));
			id = strtab__intern(names, name);
			fold[f].name = id >= 0 ? strtab__str(names, (uint32_t)id) : "[other mappings]";
			v[at++] = fold[f];
			fold[f].pages_by_node = NULL;   /* now the row's */
		}
		proc->nr_mappings = k + nr_fold;
	}
	free(fold[0].pages_by_node);
	free(fold[1].pages_by_node);
	free(out);
	free(idx);
	return 0;
}

/*
 * The role row m (of kind, named name) goes into.  Rows without a signal
 * sum by kind and name: where pages weigh, remote pages are linear in
 * pages.  Rows with a signal (faults, referenced bytes) weigh by it, which
 * is not linear in their pages, so they sum only with the same range of
 * the other workers (forked alike, they map alike), until the role holds
 * MAPFOLD_ROLE_ROWS rows; then by kind and name too.
 */
static struct nl_mapping_stats *role_row(struct nl_task_stats *role, int *cap,
					 const struct nl_mapping_stats *m,
					 enum nl_mapping_kind kind, const char *name,
					 int nr_nodes)
{
	bool signal = has_signal(m), full = role->nr_mappings >= MAPFOLD_ROLE_ROWS;
	struct nl_mapping_stats *r;

	for (int i = 0; i < role->nr_mappings; i++) {
		r = &role->mappings[i];
		if (r->kind != kind || r->name != name || has_signal(r) != signal)
			continue;
		if (!signal || full || (r->start == m->start && r->end == m->end))
			return r;
	}
	if (role->nr_mappings == *cap) {
		int n = *cap ? *cap * 2 : 8;

		if (!(r = realloc(role->mappings, (size_t)n * sizeof(*r))))
			return NULL;
		role->mappings = r;
		*cap = n;
	}
	r = &role->mappings[role->nr_mappings];
	memset(r, 0, sizeof(*r));
	if (!(r->pages_by_node = calloc((size_t)nr_nodes + 1, sizeof(uint64_t))))
		return NULL;
	r->kind = kind;
	r->name = name;
	if (signal && !m->folded) {
		r->start = m->start;
		r->end = m->end;
	}
	r->remote_pages = -1;
	role->nr_mappings++;
	return r;
}

int mapfold__merge_process(struct nl_task_stats *role, int *role_cap,
			   const struct nl_task_stats *proc, int nr_nodes,
			   struct nl_strtab *names)
{
	const struct nl_weight_stats *w = &proc->weight;

	role->counts.samples += proc->counts.samples;
	role->counts.memory += proc->counts.memory;
	role->counts.local += proc->counts.local;
	role->counts.remote += proc->counts.remote;
	role->counts.unresolved += proc->counts.unresolved;
	role->weight.count += w->count;
	role->weight.sum += w->sum;
	if (w->count && w->min < role->weight.min)
		role->weight.min = w->min;
	if (w->max > role->weight.max)
		role->weight.max = w->max;
	for (int b = 0; b < 40; b++)
		role->weight.hist[b] += w->hist[b];
	role->address_only += proc->address_only;
	role->pmu_local += proc->pmu_local;
	role->pmu_remote += proc->pmu_remote;
	role->numa_balancing |= proc->numa_balancing;
	if (!role->access_error)
		role->access_error = proc->access_error;
	role->folded_processes++;
	for (int i = 0; i < proc->nr_mappings; i++) {
		const struct nl_mapping_stats *m = &proc->mappings[i];
		enum nl_mapping_kind kind = m->folded ? m->kind : exposure__kind(m);
		const char *name = m->name;
		struct nl_mapping_stats *r;

		if (m->folded) {        /* "[N other ...]": N differs by process */
			char other[64];
			int64_t id;

			snprintf(other, sizeof(other), "[other %s mappings]", exposure__kind_name(kind));
			id = strtab__intern(names, other);
			if (id < 0)
				return -ENOMEM;
			name = strtab__str(names, (uint32_t)id);
		}
		if (!(r = role_row(role, role_cap, m, kind, name, nr_nodes)))
			return -ENOMEM;
		r->folded += m->folded ? m->folded : 1;
		r->access_flags |= m->access_flags;
		r->has_access |= m->has_access;
		r->accessed_bytes += m->accessed_bytes;
		r->access_intervals += m->access_intervals;
		r->faults += m->faults;
		r->start_pages += m->start_pages;
		r->placed |= m->placed;
		r->pages_total += m->pages_total;
		for (int n = 0; n <= nr_nodes; n++)
			r->pages_by_node[n] += m->pages_by_node[n];
	}
	return 0;
}
