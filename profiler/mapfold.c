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
