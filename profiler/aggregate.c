/*
 * aggregate.c - records -> counts.  See aggregate.h for the contract.
 *
 * Locality of one memory sample, in order of evidence:
 *   1. data_src says local or remote (hardware sampled the access): that.
 *   2. otherwise, the data's node (source-resolved, or phys_addr through the
 *      memory-block map) compared with the node of the sampling CPU.
 *   3. otherwise unresolved.
 * The node matrix places a sample by the *home node* of its data when known
 * (rule 2's node), else by data_src alone: local DRAM on the CPU's node,
 * remote DRAM/cache in the "remote, node unknown" column.  Cache hits whose
 * home node is unknown are not in the matrix.
 */
#include "profiler/aggregate.h"
#include "profiler/smt.h"
#include "profiler/nodecount.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/map.h"
#include "samplers/base/strtab.h"
#include "profiler/exposure.h"
#include "profiler/findings.h"
#include "profiler/mapfold.h"
#include "samplers/base/topology.h"

#include "profiler/aggregate_internal.h"

/* --- tables ------------------------------------------------------------ */

struct task_entry *aggtab__find(const struct task_table *t, int32_t key)
{
	const uint64_t *i = map__find(&t->index, 0, (uint32_t)key);

	return i ? t->entries[*i] : NULL;
}

struct task_entry *aggtab__entry_new(struct nl_aggregate *agg, int32_t pid, int32_t tid)
{
	struct task_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ran_ns = calloc((size_t)agg->nr_nodes + 1, sizeof(uint64_t));
	e->ran_samples = calloc((size_t)agg->nr_nodes + 1, sizeof(uint64_t));
	e->ran_share = calloc((size_t)agg->nr_nodes + 1, sizeof(double));
	if (!e->ran_ns || !e->ran_samples || !e->ran_share) {
		free(e->ran_ns);
		free(e->ran_samples);
		free(e->ran_share);
		free(e);
		return NULL;
	}
	e->pub.pid = pid;
	e->pub.tid = tid;
	e->pub.ppid = -1;
	e->pub.weight.min = UINT64_MAX;
	e->pub.remote_exposure = -1;
	e->pub.remote_exposure_by_placement = -1;
	e->pub.remote_exposure_code = -1;
	/* The idle task never gets a COMM record; perf calls it swapper too. */
	if (pid == 0)
		snprintf(e->pub.comm, sizeof(e->pub.comm), "swapper");
	return e;
}

/* Finds key, or adds an entry for it.  NULL on -ENOMEM. */
static struct task_entry *table_get(struct nl_aggregate *agg, struct task_table *t,
				    int32_t pid, int32_t key)
{
	struct task_entry *e = aggtab__find(t, key);

	if (e)
		return e;
	if (array__reserve((void **)&t->entries, &t->cap, (size_t)t->nr + 1,
			   sizeof(*t->entries)) ||
	    map__reserve(&t->index, (uint32_t)t->nr + 1))
		return NULL;
	e = aggtab__entry_new(agg, pid, key);
	if (!e)
		return NULL;
	map__put(&t->index, 0, (uint32_t)key, (uint64_t)t->nr); /* room reserved */
	t->entries[t->nr++] = e;
	return e;
}

/* Adds e (a role row) to t's entries, not to its index.  0 or -ENOMEM. */
int aggtab__append(struct task_table *t, struct task_entry *e)
{
	if (array__reserve((void **)&t->entries, &t->cap, (size_t)t->nr + 1,
			   sizeof(*t->entries)))
		return -ENOMEM;
	t->entries[t->nr++] = e;
	return 0;
}

void aggtab__entry_free(struct task_entry *e)
{
	for (int m = 0; m < e->pub.nr_mappings; m++)
		free(e->pub.mappings[m].pages_by_node);
	free(e->pub.mappings);
	free(e->ran_ns);
	free(e->ran_samples);
	free(e->ran_share);
	free(e);
}

/* Drops and frees entry i of t (key: its pid or tid); the last moves into i. */
void aggtab__remove(struct task_table *t, int i, bool by_tid)
{
	struct task_entry *e = t->entries[i], *last = t->entries[t->nr - 1];

	map__del(&t->index, 0, (uint32_t)(by_tid ? e->pub.tid : e->pub.pid));
	t->entries[i] = last;
	t->nr--;
	if (last != e && !last->role)     /* room was there: the key is */
		map__put(&t->index, 0, (uint32_t)(by_tid ? last->pub.tid : last->pub.pid),
			 (uint64_t)i);
	aggtab__entry_free(e);
}

static void table_free(struct task_table *t)
{
	for (int i = 0; i < t->nr; i++)
		aggtab__entry_free(t->entries[i]);
	free(t->entries);
	map__free(&t->index);
}

static int node_index(const struct nl_aggregate *agg, int node);

static struct cpu_entry *cpu_get(struct nl_aggregate *agg, int cpu)
{
	if (cpu < 0 || cpu > (1 << 20))
		return NULL;
	if (cpu >= agg->cpus_cap) {
		int cap = agg->cpus_cap ? agg->cpus_cap : 64;
		struct cpu_entry *v;

		while (cap <= cpu)
			cap *= 2;
		v = realloc(agg->cpus, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		for (int i = agg->cpus_cap; i < cap; i++) {
			memset(&v[i], 0, sizeof(v[i]));
			v[i].pub.cpu = i;
			v[i].pub.node = agg->topo ? topology__node_of_cpu(agg->topo, i) : -1;
			v[i].node_idx = node_index(agg, v[i].pub.node);
		}
		agg->cpus = v;
		agg->cpus_cap = cap;
	}
	return &agg->cpus[cpu];
}

/* --- lifecycle ----------------------------------------------------------- */

struct nl_aggregate *aggregate__new(const struct nl_topology *topo)
{
	struct nl_aggregate *agg = calloc(1, sizeof(*agg));
	size_t cells;

	if (!agg)
		return NULL;
	agg->topo = topo;
	agg->nr_nodes = topo ? topo->nr_nodes : 0;
	cells = (size_t)(agg->nr_nodes + 1) * (size_t)(agg->nr_nodes + 1);
	agg->profile.topology = topo;
	agg->profile.nr_nodes = agg->nr_nodes;
	agg->profile.timeline_step = 1;
	agg->profile.node_matrix = calloc(cells, sizeof(uint64_t));
	agg->nodecount = nodecount__new();
	if (!agg->profile.node_matrix || !agg->nodecount) {
		free(agg->profile.node_matrix);
		free(agg->nodecount);
		free(agg);
		return NULL;
	}
	for (int c = 0; c < NL_MEM_CLASS_COUNT; c++)
		agg->profile.level_weight[c].min = UINT64_MAX;
	agg->ended_keep = NL_ENDED_KEEP;
	return agg;
}

void aggregate__set_ended_keep(struct nl_aggregate *agg, int keep)
{
	agg->ended_keep = keep < 0 ? 0 : keep;
}

void aggregate__free(struct nl_aggregate *agg)
{
	if (!agg)
		return;
	table_free(&agg->processes);
	table_free(&agg->threads);
	smt__free(agg->smt);
	free(agg->profile.timeline);
	free(agg->cpus);
	free(agg->profile.node_matrix);
	free(agg->profile.processes);
	free(agg->profile.threads);
	free(agg->profile.cpus);
	nodecount__free(agg->nodecount);
	free(agg->profile.findings);
	map__free(&agg->fault_pages);
	map__free(&agg->fault_runs);
	free(agg->retire_keys);
	free(agg->roles);
	free(agg->ended);
	strtab__free(&agg->names);
	free(agg);
}

/* --- samples ------------------------------------------------------------- */

/* A page-fault sample of pid: one more on its page (grows with pages and
   distinct runs of pages): the page after the open run's extends it. */
static int count_fault(struct nl_aggregate *agg, int32_t pid, uint64_t addr)
{
	uint64_t page = addr >> 12;

	if (agg->fault_run.open && agg->fault_run.pid == pid && agg->fault_run.end == page &&
	    page - agg->fault_run.start < UINT32_MAX) {
		agg->fault_run.end++;
		return 0;
	}
	if (aggfold__close_fault_run(agg))
		return -ENOMEM;
	agg->fault_run.open = true;
	agg->fault_run.pid = pid;
	agg->fault_run.start = page;
	agg->fault_run.end = page + 1;
	return 0;
}

static void weight_add(struct nl_weight_stats *w, uint64_t v)
{
	int b = v ? 63 - __builtin_clzll(v) : 0;

	w->count++;
	w->sum += v;
	if (v < w->min)
		w->min = v;
	if (v > w->max)
		w->max = v;
	w->hist[b < 40 ? b : 39]++;
}

/* A weight of 0 means "not measured" (IBS without a miss, stores). */
static bool has_latency(const struct nl_sample *s)
{
	return (s->valid & NL_SAMPLE_WEIGHT) && s->weight;
}

static int node_index(const struct nl_aggregate *agg, int node)
{
	return agg->topo && node >= 0 ? topology__node_index(agg->topo, node) : -1;
}

/* Home node index of the sample's data, or -1. */
static int data_node_index(struct nl_aggregate *agg, const struct nl_sample *s)
{
	int idx;

	if (s->valid & NL_SAMPLE_MEM_NODE) {
		idx = node_index(agg, s->mem_node);
		if (idx >= 0 && s->mem_node_method < NL_NODE_METHOD_COUNT)
			agg->profile.node_method[s->mem_node_method]++;
		return idx;
	}
	if ((s->valid & NL_SAMPLE_PHYS_ADDR) && s->phys_addr && agg->topo) {
		idx = node_index(agg, topology__node_of_phys(agg->topo, s->phys_addr));
		if (idx >= 0) {
			agg->profile.node_method[NL_NODE_PHYS_ADDR]++;
			return idx;
		}
	}
	/* One node: every page is on it, and nothing can be remote. */
	if (agg->nr_nodes == 1 && ((s->valid & NL_SAMPLE_ADDR) && s->addr)) {
		agg->profile.node_single++;
		return 0;
	}
	return -1;
}

/* Column of the node matrix by data_src alone, or -1 (not placed). */
static int datasrc_column(struct nl_aggregate *agg, const struct nl_mem_access *a,
			  int cpu_idx)
{
	switch (a->cls) {
	case NL_MEM_LOCAL_RAM:
	case NL_MEM_PMEM:
	case NL_MEM_CXL:
		if (a->locality == NL_LOC_LOCAL) {
			agg->profile.node_from_datasrc++;
			return cpu_idx;
		}
		__attribute__((fallthrough)); /* remote PMEM/CXL */
	case NL_MEM_REMOTE_RAM:
	case NL_MEM_REMOTE_CACHE:
	case NL_MEM_REMOTE_CACHE_HITM:
	case NL_MEM_REMOTE_UNKNOWN:
		agg->profile.node_from_datasrc++;
		return agg->nr_nodes;
	default:
		return -1;
	}
}

static void counts_add(struct nl_counts *c, bool memory, enum nl_locality loc)
{
	c->samples++;
	if (!memory)
		return;
	c->memory++;
	if (loc == NL_LOC_LOCAL)
		c->local++;
	else if (loc == NL_LOC_REMOTE)
		c->remote++;
	else
		c->unresolved++;
}

/*
 * Locality of s (see the top of this file).  *col is its node matrix
 * column or -1; *address_only says the sample has a data address but no
 * cache level (page faults, first touches).
 */
/* Doubles the step: entry i becomes entries 2i and 2i + 1 summed. */
static void timeline_widen(struct nl_profile *pr)
{
	int n = (pr->nr_timeline + 1) / 2;

	for (int i = 0; i < n; i++) {
		struct nl_counts sum = pr->timeline[2 * i];

		if (2 * i + 1 < pr->nr_timeline)
			counts__add(&sum, &pr->timeline[2 * i + 1]);
		pr->timeline[i] = sum;
	}
	memset(pr->timeline + n, 0, (size_t)(pr->nr_timeline - n) * sizeof(*pr->timeline));
	pr->nr_timeline = n;
	pr->timeline_step *= 2;
}

/* The sample's entry of the timeline (aggregate.h); grows it (doubling)
   only when a new entry starts.  Samples older than the first count in 0. */
static void timeline_add(struct nl_aggregate *agg, uint64_t time, bool memory,
			 enum nl_locality loc)
{
	struct nl_profile *pr = &agg->profile;
	uint64_t sec, at, span;

	if (!agg->timed) {
		agg->timed = true;
		agg->t0 = pr->first_sample_ns = pr->last_sample_ns = time;
	} else if (time > pr->last_sample_ns) {
		pr->last_sample_ns = time;
	} else if (time < pr->first_sample_ns) {
		pr->first_sample_ns = time;
	}
	if (agg->tl_memo.used && agg->tl_memo.step == pr->timeline_step &&
	    time >= agg->tl_memo.lo && time < agg->tl_memo.hi) {
		counts_add(&pr->timeline[agg->tl_memo.at], memory, loc);
		return;
	}
	sec = time > agg->t0 ? (time - agg->t0) / 1000000000ull : 0;
	while ((at = sec / pr->timeline_step) >= NL_TIMELINE_MAX && pr->timeline_step < (1u << 31))
		timeline_widen(pr);
	if (at >= NL_TIMELINE_MAX)
		at = NL_TIMELINE_MAX - 1;
	if ((int)at >= pr->nr_timeline) {
		size_t old = agg->cap_timeline;

		if (array__reserve((void **)&pr->timeline, &agg->cap_timeline, at + 1,
				   sizeof(*pr->timeline)))
			return;         /* -ENOMEM: the second goes uncounted */
		memset(pr->timeline + old, 0, (agg->cap_timeline - old) * sizeof(*pr->timeline));
		pr->nr_timeline = (int)at + 1;
	}
	counts_add(&pr->timeline[at], memory, loc);
	/* the entry's times: seconds [at * step, (at + 1) * step) after t0,
	   and all before t0 for entry 0 (none when that would overflow) */
	span = ((uint64_t)at + 1) * pr->timeline_step;
	agg->tl_memo.used = span < (1ull << 32) &&
			    agg->t0 <= UINT64_MAX - span * 1000000000ull;
	agg->tl_memo.step = pr->timeline_step;
	agg->tl_memo.at = (uint32_t)at;
	agg->tl_memo.lo = at ? agg->t0 + at * pr->timeline_step * 1000000000ull : 0;
	agg->tl_memo.hi = agg->t0 + span * 1000000000ull;
}

static enum nl_locality classify(struct nl_aggregate *agg, const struct nl_sample *s,
				 struct nl_mem_access *a, int cpu_idx, int *col,
				 bool *address_only)
{
	bool has_addr = (s->valid & NL_SAMPLE_ADDR) && s->addr;
	bool has_dsrc = s->valid & NL_SAMPLE_DATA_SRC;
	int home = -1;

	if (has_dsrc && agg->dsrc_memo.used && agg->dsrc_memo.raw == s->data_src) {
		*a = agg->dsrc_memo.a;
	} else if (has_dsrc) {
		datasrc__decode(s->data_src, a);
		agg->dsrc_memo.used = true;
		agg->dsrc_memo.raw = s->data_src;
		agg->dsrc_memo.a = *a;
	} else {
		memset(a, 0, sizeof(*a));
	}
	/*
	 * Software events recorded with -d (page faults) carry a data address
	 * and an all-"N/A" data_src: not available, which is not "no memory op".
	 */
	if (has_dsrc && a->cls == NL_MEM_NA && has_addr)
		has_dsrc = false;
	if (has_dsrc)
		agg->profile.samples_with_level++;
	if (!has_dsrc && !has_addr && !(s->valid & NL_SAMPLE_MEM_NODE))
		return NL_LOC_NONE;
	*address_only = !has_dsrc;
	if (!has_dsrc) {
		memset(a, 0, sizeof(*a));
		a->cls = NL_MEM_UNKNOWN;
		a->hops = -1;
	}
	else if (a->locality == NL_LOC_NONE)
		return NL_LOC_NONE;
	home = data_node_index(agg, s);
	*col = home >= 0 ? home : has_dsrc ? datasrc_column(agg, a, cpu_idx) : -1;
	if (a->locality == NL_LOC_LOCAL || a->locality == NL_LOC_REMOTE)
		return a->locality;
	if (home >= 0 && cpu_idx >= 0 && cpu_idx < agg->nr_nodes)
		return home == cpu_idx ? NL_LOC_LOCAL : NL_LOC_REMOTE;
	return NL_LOC_UNKNOWN;
}

static void task_add(struct task_entry *e, bool memory, enum nl_locality loc,
		     const struct nl_sample *s, int cpu_slot, bool address_only)
{
	counts_add(&e->pub.counts, memory, loc);
	/* a cache level means a PMU sampled the access itself */
	if (memory && !address_only) {
		e->pub.pmu_local += loc == NL_LOC_LOCAL;
		e->pub.pmu_remote += loc == NL_LOC_REMOTE;
	}
	if (memory && has_latency(s))
		weight_add(&e->pub.weight, s->weight);
	if (cpu_slot >= 0)
		e->ran_samples[cpu_slot]++;
	e->pub.address_only += address_only;
}

static int add_sample(struct nl_aggregate *agg, const struct nl_sample *s)
{
	struct nl_profile *pr = &agg->profile;
	struct task_entry *proc = NULL, *thr = NULL;
	struct cpu_entry *cpu = NULL;
	struct nl_mem_access a;
	int cpu_idx = -1, col = -1, cpu_slot = -1;
	enum nl_locality loc;
	bool memory, address_only = false;

	if ((s->valid & NL_SAMPLE_TIME) && s->time > agg->last_time)
		agg->last_time = s->time;
	if (s->valid & NL_SAMPLE_TID) {
		if (!agg->last_thr || agg->last_thr->pub.tid != s->tid ||
		    agg->last_thr->pub.pid != s->pid) {
			agg->last_proc = table_get(agg, &agg->processes, s->pid, s->pid);
			agg->last_thr = table_get(agg, &agg->threads, s->pid, s->tid);
		}
		proc = agg->last_proc;
		thr = agg->last_thr;
		if (!proc || !thr) {
			agg->last_thr = NULL;
			return -ENOMEM;
		}
	}
	if (s->valid & NL_SAMPLE_CPU) {
		cpu = cpu_get(agg, s->cpu);
		cpu_idx = cpu ? cpu->node_idx : -1;
		cpu_slot = cpu_idx >= 0 ? cpu_idx : agg->nr_nodes;
	}
	loc = classify(agg, s, &a, cpu_idx, &col, &address_only);
	memory = loc != NL_LOC_NONE;
	agg->last_loc = loc;
	agg->last_first_touch = memory && address_only;
	counts_add(&pr->total, memory, loc);
	if (s->valid & NL_SAMPLE_TIME)
		timeline_add(agg, s->time, memory, loc);
	if (!address_only)
		pr->levels[memory ? a.cls : NL_MEM_NA]++;
	pr->samples_with_addr += (s->valid & NL_SAMPLE_ADDR) && s->addr;
	pr->samples_with_phys += (s->valid & NL_SAMPLE_PHYS_ADDR) && s->phys_addr;
	pr->samples_with_data_src += !!(s->valid & NL_SAMPLE_DATA_SRC);
	pr->address_only += address_only;
	if (memory && has_latency(s))
		weight_add(&pr->level_weight[a.cls], s->weight);
	if (loc == NL_LOC_REMOTE && a.hops >= 0 && a.hops < 4)
		pr->remote_hops[a.hops]++;
	if (memory && col >= 0 && agg->nr_nodes) {
		int row = cpu_idx >= 0 ? cpu_idx : agg->nr_nodes;

		pr->node_matrix[row * (agg->nr_nodes + 1) + col]++;
	}
	if (cpu)
		counts_add(&cpu->pub.counts, memory, loc);
	if (proc) {
		task_add(proc, memory, loc, s, cpu_slot, address_only);
		task_add(thr, memory, loc, s, cpu_slot, address_only);
		if (address_only && (s->valid & NL_SAMPLE_ADDR) && count_fault(agg, s->pid, s->addr))
			return -ENOMEM;
	}
	return 0;
}

/* --- side-band --------------------------------------------------------- */

static void set_comm(struct task_entry *e, const char *comm)
{
	if (comm)
		snprintf(e->pub.comm, sizeof(e->pub.comm), "%s", comm);
}

static int add_task_event(struct nl_aggregate *agg, const struct nl_record *r)
{
	const struct nl_task_event *t = &r->task;
	struct task_entry *thr = table_get(agg, &agg->threads, t->pid, t->tid);
	struct task_entry *proc = table_get(agg, &agg->processes, t->pid, t->pid);

	if (!thr || !proc)
		return -ENOMEM;
	if (r->kind == NL_REC_COMM) {
		set_comm(thr, t->comm);
		if (t->tid == t->pid || t->exec || !proc->pub.comm[0])
			set_comm(proc, t->comm);
	} else if (r->kind == NL_REC_FORK) {
		struct task_entry *parent = aggtab__find(&agg->threads, t->ptid);

		if (t->pid != t->ppid)
			proc->pub.ppid = t->ppid;
		/* A child is called what its parent was until it calls exec. */
		if (parent && !thr->pub.comm[0])
			set_comm(thr, parent->pub.comm);
		if (parent && !proc->pub.comm[0])
			set_comm(proc, parent->pub.comm);
	}
	return 0;
}

static int add_runtime(struct nl_aggregate *agg, const struct nl_runtime_event *r)
{
	struct task_entry *thr = table_get(agg, &agg->threads, r->pid, r->tid);
	struct task_entry *proc = table_get(agg, &agg->processes, r->pid, r->pid);
	int idx = agg->topo ? node_index(agg, topology__node_of_cpu(agg->topo, r->cpu)) : -1;
	int slot = idx >= 0 ? idx : agg->nr_nodes;

	if (!thr || !proc)
		return -ENOMEM;
	thr->ran_ns[slot] += r->ns;
	proc->ran_ns[slot] += r->ns;
	return 0;
}

static struct nl_mapping_stats *mapping_get(struct task_entry *e, uint64_t start,
					    int nr_nodes)
{
	struct nl_mapping_stats *m;

	for (int i = 0; i < e->pub.nr_mappings; i++)
		if (e->pub.mappings[i].start == start)
			return &e->pub.mappings[i];
	if (e->pub.nr_mappings == e->mappings_cap) {
		int cap = e->mappings_cap ? e->mappings_cap * 2 : 16;

		m = realloc(e->pub.mappings, (size_t)cap * sizeof(*m));
		if (!m)
			return NULL;
		e->pub.mappings = m;
		e->mappings_cap = cap;
	}
	m = &e->pub.mappings[e->pub.nr_mappings];
	memset(m, 0, sizeof(*m));
	m->name = "";
	m->pages_by_node = calloc((size_t)nr_nodes + 1, sizeof(uint64_t));
	if (!m->pages_by_node)
		return NULL;
	m->start = start;
	e->pub.nr_mappings++;
	return m;
}

/* name kept once for every row that has it; "" when NULL or out of memory. */
static const char *intern(struct nl_aggregate *agg, const char *name)
{
	int64_t id = name ? strtab__intern(&agg->names, name) : -1;

	return id >= 0 ? strtab__str(&agg->names, (uint32_t)id) : "";
}

static int add_placement(struct nl_aggregate *agg, const struct nl_placement_event *p)
{
	struct task_entry *proc = table_get(agg, &agg->processes, p->pid, p->pid);
	struct nl_mapping_stats *m;

	if (!proc)
		return -ENOMEM;
	m = mapping_get(proc, p->start, agg->nr_nodes);
	if (!m)
		return -ENOMEM;
	/* The final snapshot replaces the first: placement at the end counts. */
	agg->profile.placement_pages -= m->pages_total;
	m->end = p->end;
	/* numa_maps names the heap and stack; smaps may have named it first */
	if (!m->placed || (p->name && p->name[0] == '['))
		m->name = intern(agg, p->name);
	memset(m->pages_by_node, 0, ((size_t)agg->nr_nodes + 1) * sizeof(uint64_t));
	m->pages_total = 0;
	for (uint32_t n = 0; n < p->nr_nodes; n++) {
		int idx = node_index(agg, (int)n);

		if (!p->pages_by_node[n])
			continue;
		m->pages_by_node[idx >= 0 ? idx : agg->nr_nodes] += p->pages_by_node[n];
		m->pages_total += p->pages_by_node[n];
	}
	if (!m->placed)
		m->start_pages = m->pages_total;
	m->placed = true;
	agg->profile.placement_pages += m->pages_total;
	agg->profile.has_placement = true;
	return 0;
}

/* Context switches feed the HT engine; without a topology there are no cores. */
static int add_switch(struct nl_aggregate *agg, const struct nl_switch_event *sw)
{
	agg->profile.switches++;
	if (sw->time > agg->last_time)
		agg->last_time = sw->time;
	if (!agg->topo)
		return 0;
	if (!agg->smt) {
		if (!(agg->smt = smt__new(agg->topo, sw->cpu_wide)))
			return -ENOMEM;
		if (agg->rounds)
			smt__round(agg->smt);
	}
	if (sw->outside)
		return smt__switch_outside(agg->smt, sw->cpu, sw->pid, sw->tid, sw->time, sw->out);
	return smt__switch(agg->smt, sw->cpu, sw->pid, sw->tid, sw->time, sw->out);
}

/*
 * A sample's cycles and instructions (NL_SAMPLE_COUNTS) feed the HT
 * engine's IPC windows; before the first switch there is no run state to
 * classify them by, so they are left out.
 */
static int add_counts(struct nl_aggregate *agg, const struct nl_sample *s)
{
	const uint32_t need = NL_SAMPLE_COUNTS | NL_SAMPLE_TID | NL_SAMPLE_TIME | NL_SAMPLE_CPU;

	if (!agg->smt || (s->valid & need) != need)
		return 0;
	return smt__counts(agg->smt, s->cpu, s->pid, s->tid, s->time, s->cycles, s->instructions);
}

static int add_access(struct nl_aggregate *agg, const struct nl_access_event *a)
{
	struct task_entry *proc = table_get(agg, &agg->processes, a->pid, a->pid);
	struct nl_mapping_stats *m;

	if (!proc)
		return -ENOMEM;
	agg->profile.has_access = true;
	proc->pub.numa_balancing |= !!(a->flags & NL_ACCESS_BALANCING);
	if (a->flags & NL_ACCESS_DENIED) {
		proc->pub.access_error = a->error ? a->error : -EACCES;
		return 0;
	}
	if (a->end <= a->start)
		return 0;
	m = mapping_get(proc, a->start, agg->nr_nodes);
	if (!m)
		return -ENOMEM;
	if (!m->placed) {
		m->end = a->end;
		m->name = intern(agg, a->name);
	}
	m->access_flags = a->flags & (NL_ACCESS_READ | NL_ACCESS_WRITE | NL_ACCESS_EXEC |
				      NL_ACCESS_SHARED | NL_ACCESS_FILE);
	m->has_access = a->method != NL_ACCESS_NONE;
	m->accessed_bytes = a->accessed_bytes;
	m->access_intervals = a->intervals;
	return 0;
}

int aggregate__add(struct nl_aggregate *agg, const struct nl_record *rec)
{
	switch (rec->kind) {
	case NL_REC_SAMPLE:
		if ((rec->sample.valid & NL_SAMPLE_COUNTS) && add_counts(agg, &rec->sample))
			return -ENOMEM;
		return add_sample(agg, &rec->sample);
	case NL_REC_COMM:
	case NL_REC_FORK:
		return add_task_event(agg, rec);
	case NL_REC_LOST:
		if (rec->loss.source == NL_LOSS_FILTERED)
			agg->profile.lost_filtered += rec->loss.count;
		else
			*(rec->loss.source == NL_LOSS_RING ? &agg->lost_ring : &agg->lost_counted) +=
				rec->loss.count;
		agg->profile.lost = agg->lost_ring > agg->lost_counted ? agg->lost_ring
								       : agg->lost_counted;
		return 0;
	case NL_REC_THROTTLE:
		agg->profile.throttles++;
		return 0;
	case NL_REC_UNTHROTTLE:
		agg->profile.unthrottles++;
		return 0;
	case NL_REC_PLACEMENT:
		return add_placement(agg, &rec->placement);
	case NL_REC_RUNTIME:
		return add_runtime(agg, &rec->runtime);
	case NL_REC_SWITCH:
		return add_switch(agg, &rec->sw);
	case NL_REC_ROUND:
		agg->rounds = true;
		if (agg->smt)
			smt__round(agg->smt);
		return 0;
	case NL_REC_COUNTS:
		return nodecount__add(agg->nodecount, &rec->counts);
	case NL_REC_ACCESS:
		return add_access(agg, &rec->access);
	case NL_REC_RETIRE:
		return aggfold__retire_process(agg, rec->task.pid);
	default:
		return 0;
	}
}

/* --- finish ----------------------------------------------------------------- */

enum nl_locality aggregate__last_sample(const struct nl_aggregate *agg, bool *first_touch)
{
	*first_touch = agg->last_first_touch;
	return agg->last_loc;
}

void counts__add(struct nl_counts *dst, const struct nl_counts *src)
{
	dst->samples += src->samples;
	dst->memory += src->memory;
	dst->local += src->local;
	dst->remote += src->remote;
	dst->unresolved += src->unresolved;
}

double counts__remote_ratio(const struct nl_counts *c)
{
	uint64_t resolved = c->local + c->remote;

	return resolved ? (double)c->remote / (double)resolved : -1;
}

/*
 * Exposure: for a task that spent share s_n of its time on node n, the
 * chance that a page it maps, picked at random, is not on the node it runs
 * on: sum over n of s_n * (pages not on n) / pages.
 */
static double exposure(const struct task_entry *e, const struct task_entry *proc,
		       int nr_nodes)
{
	const uint64_t *ran = e->pub.ran_by_node;
	uint64_t ran_total = 0, pages_total = 0;
	double x = 0;

	for (int n = 0; n < nr_nodes; n++)
		ran_total += ran[n];
	for (int m = 0; m < proc->pub.nr_mappings; m++)
		pages_total += proc->pub.mappings[m].pages_total;
	if (!ran_total || !pages_total)
		return -1;
	for (int n = 0; n < nr_nodes; n++) {
		uint64_t on_n = 0;

		for (int m = 0; m < proc->pub.nr_mappings; m++)
			on_n += proc->pub.mappings[m].pages_by_node[n];
		x += (double)ran[n] / (double)ran_total *
		     (double)(pages_total - on_n) / (double)pages_total;
	}
	return x;
}

/* Each mapping's pages away from where its process ran (see aggregate.h). */
static void mapping_remote_pages(struct task_entry *proc, int nr_nodes)
{
	const uint64_t *ran = proc->pub.ran_by_node;
	uint64_t ran_total = 0;

	for (int n = 0; n < nr_nodes; n++)
		ran_total += ran[n];
	for (int m = 0; m < proc->pub.nr_mappings; m++) {
		struct nl_mapping_stats *map = &proc->pub.mappings[m];

		map->remote_pages = ran_total ? 0 : -1;
		for (int n = 0; n < nr_nodes && ran_total; n++)
			map->remote_pages += (double)ran[n] / (double)ran_total *
					     (double)(map->pages_total - map->pages_by_node[n]);
	}
}

static int by_memory(const void *a, const void *b)
{
	const struct nl_task_stats *x = a, *y = b;

	if (x->counts.memory != y->counts.memory)
		return x->counts.memory < y->counts.memory ? 1 : -1;
	if (x->counts.samples != y->counts.samples)
		return x->counts.samples < y->counts.samples ? 1 : -1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void pick_ran(struct task_entry *e, int nr_nodes)
{
	uint64_t ns = 0, known = 0;

	for (int n = 0; n <= nr_nodes; n++)
		ns += e->ran_ns[n];
	e->pub.ran_in_ns = ns > 0;
	e->pub.ran_by_node = ns ? e->ran_ns : e->ran_samples;
	/* the shares every renderer prints, computed here once */
	for (int n = 0; n < nr_nodes; n++)
		known += e->pub.ran_by_node[n];
	for (int n = 0; n < nr_nodes; n++)
		e->ran_share[n] = known ? (double)e->pub.ran_by_node[n] / (double)known : 0;
	e->pub.ran_share = e->ran_share;
}

static struct nl_task_stats *flatten(struct nl_aggregate *agg, struct task_table *t,
				     bool processes)
{
	struct nl_task_stats *v = calloc((size_t)t->nr + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < t->nr; i++) {
		struct task_entry *e = t->entries[i];
		struct task_entry *proc = processes ? e : e->proc_of ? e->proc_of :
					  aggtab__find(&agg->processes, e->pub.pid);

		pick_ran(e, agg->nr_nodes);
		if (proc && proc != e)
			pick_ran(proc, agg->nr_nodes);
		e->pub.remote_exposure_by_placement = proc ? exposure(e, proc, agg->nr_nodes) : -1;
		if (proc)
			exposure__derive(&e->pub, &proc->pub, agg->nr_nodes);
		if (!processes && proc && e->pub.tid != e->pub.pid)
			e->pub.ppid = proc->pub.ppid;
		if (!processes && proc)
			proc->pub.nr_threads++;
		if (e->pub.weight.count == 0)
			e->pub.weight.min = 0;
		else
			e->pub.weight.mean = (double)e->pub.weight.sum / (double)e->pub.weight.count;
		v[i] = e->pub;
	}
	qsort(v, (size_t)t->nr, sizeof(*v), by_memory);
	return v;
}

const struct nl_profile *aggregate__finish(struct nl_aggregate *agg)
{
	struct nl_profile *pr = &agg->profile;

	if (agg->finished)
		return pr;
	for (int i = 0; i < agg->processes.nr; i++)
		agg->processes.entries[i]->pub.nr_threads = 0;
	/* threads first: they count themselves into their process */
	/* mappings first: their kinds, remote pages and faults feed every task */
	if (aggfold__close_fault_run(agg))
		return NULL;
	aggfold__attribute_faults(agg);
	for (int i = 0; i < agg->processes.nr; i++) {
		struct task_entry *e = agg->processes.entries[i];

		if (!e->role && aggfold__mappings(agg, e))
			return NULL;
		pick_ran(e, agg->nr_nodes);
		mapping_remote_pages(e, agg->nr_nodes);
		exposure__prepare(&e->pub);
	}
	/* threads first: they count themselves into their process */
	pr->threads = flatten(agg, &agg->threads, false);
	pr->processes = flatten(agg, &agg->processes, true);
	pr->cpus = calloc((size_t)agg->cpus_cap + 1, sizeof(*pr->cpus));
	if (!pr->threads || !pr->processes || !pr->cpus)
		return NULL;
	pr->nr_threads = agg->threads.nr;
	pr->nr_processes = agg->processes.nr;
	pr->ended_workers = agg->ended;
	pr->nr_ended_workers = (int)agg->nr_ended;
	pr->nr_roles = (int)agg->nr_roles;
	for (int c = 0; c < agg->cpus_cap; c++)
		if (agg->cpus[c].pub.counts.samples)
			pr->cpus[pr->nr_cpus++] = agg->cpus[c].pub;
	for (int c = 0; c < NL_MEM_CLASS_COUNT; c++)
		if (!pr->level_weight[c].count)
			pr->level_weight[c].min = 0;
		else
			pr->level_weight[c].mean = (double)pr->level_weight[c].sum /
						   (double)pr->level_weight[c].count;
	if (agg->smt && !(pr->smt = smt__finish(agg->smt, agg->last_time)))
		return NULL;
	pr->node_counts = nodecount__finish(agg->nodecount, pr);
	if (findings__compute(pr))
		return NULL;
	agg->finished = true;
	return pr;
}
