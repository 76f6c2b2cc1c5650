/*
 * findings.c - object and process findings.  See findings.h.
 *
 * A candidate is (process, data mapping) where the process mostly ran on
 * node r, the mapping holds at least 1 MiB with most of its pages on node
 * h != r, and the mapping carries at least a tenth of the process's
 * access weight (referenced bytes, faults, or pages: whatever basis its
 * exposure used).  Candidates of one parent on one address range (a
 * mapping inherited at fork keeps its address) form an object finding when
 * there are two or more and their mean exposure is at least one half.
 */
#include "profiler/findings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/exposure.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/topology.h"


struct candidate {
	const struct nl_task_stats *proc;
	const struct nl_mapping_stats *map;
	int run, home;          /* node indexes */
	double share;           /* of the process's data access weight */
	bool used;
};

const char *findings__kind_name(enum nl_finding_kind kind)
{
	return kind == NL_FINDING_SHARED_OBJECT ? "shared_remote_object" : "remote_processes";
}

/* Index of the largest entry of a by-node array, or -1 when all are 0. */
static int largest(const uint64_t *by_node, int nr_nodes)
{
	int best = -1;

	for (int n = 0; by_node && n < nr_nodes; n++)
		if (by_node[n] && (best < 0 || by_node[n] > by_node[best]))
			best = n;
	return best;
}

int findings__run_node(const struct nl_task_stats *t, int nr_nodes)
{
	uint64_t total = 0;
	int best = largest(t->ran_by_node, nr_nodes);

	for (int n = 0; best >= 0 && n < nr_nodes; n++)
		total += t->ran_by_node[n];
	return best >= 0 && t->ran_by_node[best] * 2 >= total ? best : -1;
}

double findings__weight(const struct nl_task_stats *t, const struct nl_mapping_stats *m)
{
	switch (t->exposure_basis) {
	case NL_BASIS_REFERENCED:
		return (double)m->accessed_bytes;
	case NL_BASIS_HINT_FAULTS:
		return (double)m->access_faults;
	default:
		return (double)m->pages_total;
	}
}

static int collect(const struct nl_profile *p, struct candidate **out)
{
	struct candidate *v = NULL;
	int n = 0, cap = 0;

	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];
		int run = findings__run_node(t, p->nr_nodes);
		double total = 0;

		if (run < 0 || t->exposure_basis == NL_BASIS_NONE)
			continue;
		for (int m = 0; m < t->nr_mappings; m++)
			if (t->mappings[m].kind == NL_MAP_DATA)
				total += findings__weight(t, &t->mappings[m]);
		for (int m = 0; m < t->nr_mappings && total > 0; m++) {
			const struct nl_mapping_stats *map = &t->mappings[m];
			int home = largest(map->pages_by_node, p->nr_nodes);

			if (map->kind != NL_MAP_DATA || map->folded || map->pages_total < NL_FINDING_MIN_OBJECT_PAGES ||
			    home < 0 || home == run || map->pages_by_node[home] * 2 < map->pages_total ||
			    findings__weight(t, map) < NL_FINDING_MIN_WEIGHT_SHARE * total)
				continue;
			if (n == cap) {
				struct candidate *w;

				cap = cap ? cap * 2 : 64;
				w = realloc(v, (size_t)cap * sizeof(*v));
				if (!w) {
					free(v);
					return -ENOMEM;
				}
				v = w;
			}
			v[n++] = (struct candidate){ t, map, run, home, findings__weight(t, map) / total, false };
		}
	}
	*out = v;
	return n;
}

void findings__size_text(char *buf, size_t size, uint64_t bytes)
{
	if (bytes >= 10ull << 30)
		snprintf(buf, size, "%" PRIu64 " GiB", bytes >> 30);
	else if (bytes >= 1ull << 20)
		snprintf(buf, size, "%" PRIu64 " MiB", (bytes + (1 << 19)) >> 20);
	else
		snprintf(buf, size, "%" PRIu64 " KiB", bytes >> 10);
}

void findings__mapping_text(char *buf, size_t size, const char *name)
{
	if (!name[0] || !strcmp(name, "[anon]"))
		snprintf(buf, size, "anonymous mapping");
	else if (name[0] == '[')
		snprintf(buf, size, "%s mapping", name);
	else
		snprintf(buf, size, "mapping %s", name);
}

void findings__readers_text(char *buf, size_t size, const struct nl_finding *f)
{
	int n = f->nr_readers < NL_FINDING_MAX_READERS ? f->nr_readers : NL_FINDING_MAX_READERS;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(buf + used, size - used, "%s%d", i ? "," : "", f->readers[i]);

		if (w < 0 || (size_t)w >= size - used - 4)
			break;
		used += (size_t)w;
	}
	if (n < f->nr_readers && used + 4 < size)
		snprintf(buf + used, size - used, ",...");
}

static int children_of(const struct nl_profile *p, int32_t parent)
{
	int n = 0;

	for (int i = 0; i < p->nr_processes; i++)
		n += (p->processes[i].ppid == parent && parent >= 0) *
		     (p->processes[i].folded_processes ? (int)p->processes[i].folded_processes : 1);
	return n;
}

static void object_finding(const struct nl_profile *p, struct candidate *c, int nr,
			   int first, struct nl_finding *f)
{
	const struct nl_topology *topo = p->topology;
	const struct candidate *a = &c[first];
	char size[32], obj[200];
	double x = 0, share = 0;
	int nx = 0;
	bool measured = false;  /* an access signal, not placement alone */

	memset(f, 0, sizeof(*f));
	f->kind = NL_FINDING_SHARED_OBJECT;
	f->parent = a->proc->ppid;
	f->start = a->map->start;
	f->end = a->map->end;
	snprintf(f->name, sizeof(f->name), "%s", a->map->name);
	f->home_node = topo->nodes[a->home].id;
	f->run_node = topo->nodes[a->run].id;
	f->home_share = (double)a->map->pages_by_node[a->home] / (double)a->map->pages_total;
	for (int i = first; i < nr; i++) {
		if (c[i].used || c[i].proc->ppid != a->proc->ppid || c[i].map->start != a->map->start ||
		    c[i].map->end != a->map->end || c[i].run != a->run)
			continue;
		c[i].used = true;
		share += c[i].share;
		measured |= c[i].proc->exposure_basis != NL_BASIS_PLACEMENT;
		if (f->nr_readers < NL_FINDING_MAX_READERS)
			f->readers[f->nr_readers] = c[i].proc->pid;
		f->nr_readers++;
		if (c[i].proc->remote_exposure >= 0) {
			x += c[i].proc->remote_exposure;
			nx++;
		}
	}
	f->exposure = nx ? x / nx : -1;
	f->weight_share = f->nr_readers ? share / f->nr_readers : 0;
	f->nr_group = children_of(p, f->parent);
	if (f->nr_group < f->nr_readers)
		f->nr_group = f->nr_readers;
	findings__size_text(size, sizeof(size), f->end - f->start);
	findings__mapping_text(obj, sizeof(obj), f->name);
	snprintf(f->summary, sizeof(f->summary),
		 "%d of %d workers of pid %d %s a %s %s with %.0f %% of its pages on node %d; "
		 "they run on node %d", f->nr_readers, f->nr_group, f->parent,
		 measured ? "read" : "map", size, obj,
		 f->home_share * 100, f->home_node, f->run_node);
}

/* Replaces the first `was` in buf (of size bytes) by `now`, if it fits. */
static void replace_first(char *buf, size_t size, const char *was, const char *now)
{
	char *at = strstr(buf, was), tail[1024];

	if (!at || strlen(buf) - strlen(was) + strlen(now) >= size)
		return;
	snprintf(tail, sizeof(tail), "%s", at + strlen(was));
	snprintf(at, size - (size_t)(at - buf), "%s%s", now, tail);
}

void findings__name_object(struct nl_finding *f, const char *what)
{
	char size[32], obj[200], was[240];

	findings__size_text(size, sizeof(size), f->end - f->start);
	findings__mapping_text(obj, sizeof(obj), f->name);
	snprintf(was, sizeof(was), "%s %s", size, obj);
	replace_first(f->summary, sizeof(f->summary), was, what);
}

/* Processes mostly reading remote data that no object finding named. */
static bool process_finding(const struct nl_profile *p, const struct nl_finding *objects,
			    int nr_objects, struct nl_finding *f)
{
	const struct nl_topology *topo = p->topology;
	const struct nl_task_stats *first = NULL;
	uint64_t pages[64] = { 0 };
	int ran, home, nn = p->nr_nodes < 64 ? p->nr_nodes : 64;
	char pids[128];

	memset(f, 0, sizeof(*f));
	f->kind = NL_FINDING_REMOTE_PROCESSES;
	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];
		bool named = false;

		if (t->remote_exposure < NL_FINDING_REMOTE_EXPOSURE)
			continue;
		for (int o = 0; o < nr_objects; o++)
			for (int r = 0; r < objects[o].nr_readers && r < NL_FINDING_MAX_READERS; r++)
				named |= objects[o].readers[r] == t->pid;
		if (named)
			continue;
		first = first ? first : t;
		if (f->nr_readers < NL_FINDING_MAX_READERS)
			f->readers[f->nr_readers] = t->pid;
		f->nr_readers++;
		for (int m = 0; m < t->nr_mappings; m++)
			for (int n = 0; n < nn && t->mappings[m].kind == NL_MAP_DATA; n++)
				pages[n] += t->mappings[m].pages_by_node[n];
	}
	if (!first)
		return false;
	ran = largest(first->ran_by_node, p->nr_nodes);
	home = largest(pages, nn);
	if (ran < 0 || home < 0 || ran == home)
		return false;
	f->parent = first->ppid;
	f->home_node = topo->nodes[home].id;
	f->run_node = topo->nodes[ran].id;
	f->exposure = first->remote_exposure;
	findings__readers_text(pids, sizeof(pids), f);
	snprintf(f->summary, sizeof(f->summary),
		 "%d process%s (%s) run%s on node %d while most of the data %s access%s sits on "
		 "node %d (pid %d: %.0f%% by %s)", f->nr_readers, f->nr_readers == 1 ? "" : "es",
		 pids, f->nr_readers == 1 ? "s" : "", f->run_node, f->nr_readers == 1 ? "it" : "they",
		 f->nr_readers == 1 ? "es" : "", f->home_node, first->pid, first->remote_exposure * 100,
		 exposure__basis_name(first));
	return true;
}

/* Object findings: most readers first, then the larger object. */
static int by_weight(const void *a, const void *b)
{
	const struct nl_finding *x = a, *y = b;

	if (x->nr_readers != y->nr_readers)
		return x->nr_readers < y->nr_readers ? 1 : -1;
	return x->weight_share < y->weight_share ? 1 : x->weight_share > y->weight_share ? -1 : 0;
}

int findings__compute(struct nl_profile *p)
{
	struct candidate *c = NULL;
	int nr;

	free(p->findings);
	p->findings = NULL;
	p->nr_findings = 0;
	if (!p->topology || p->nr_nodes < 2)
		return 0;
	p->findings = calloc(NL_MAX_FINDINGS, sizeof(*p->findings));
	if (!p->findings)
		return -ENOMEM;
	nr = collect(p, &c);
	if (nr < 0)
		return nr;
	for (int i = 0; i < nr && p->nr_findings < NL_MAX_FINDINGS - 1; i++) {
		int same = 0;

		if (c[i].used)
			continue;
		for (int j = i; j < nr; j++)
			same += !c[j].used && c[j].proc->ppid == c[i].proc->ppid &&
				c[j].map->start == c[i].map->start && c[j].run == c[i].run;
		if (same < 2 || c[i].proc->ppid < 0)
			continue;
		object_finding(p, c, nr, i, &p->findings[p->nr_findings]);
		/* readers whose accessed data is mostly local get no advice */
		if (p->findings[p->nr_findings].exposure >= NL_FINDING_REMOTE_EXPOSURE)
			p->nr_findings++;
	}
	free(c);
	qsort(p->findings, (size_t)p->nr_findings, sizeof(*p->findings), by_weight);
	if (process_finding(p, p->findings, p->nr_findings, &p->findings[p->nr_findings]))
		p->nr_findings++;
	return 0;
}
