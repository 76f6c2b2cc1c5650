/*
 * placement.c - numa_maps snapshots, data page nodes (move_pages with a
 * page cache), numastat deltas and runtime accounting.  See placement.h.
 *
 * Divisions: snapshots (maps + numa_maps parsing); node resolution (a page
 * cache in the one map, samplers/base/map.h); numastat; runtime.
 */
#include "samplers/placement.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samplers/base/array.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/map.h"
#include "samplers/base/topology.h"
#include "samplers/base/sys.h"

#define MAX_BATCH 1024
#define MAX_NODE_IDS 1024
#define USER_ADDR_LIMIT (1ull << 56)

/* --- state ------------------------------------------------------------------ */

struct map_entry {
	uint64_t start, end;
	uint32_t name_off;      /* into snapshot.names */
};

/* One process' latest numa_maps snapshot. */
struct snapshot {
	int pid;
	bool start_pending;     /* first snapshot, not yet emitted */
	int nr;
	struct map_entry *maps;
	uint64_t *pages;        /* nr x nr_nodes */
	char *names;
};

struct run_task {
	int32_t pid, tid, cpu;  /* cpu it switched in on, -1 not running */
	bool seen;              /* any switch record seen */
	uint64_t in_time;
};

struct run_cell {
	int32_t pid, tid, cpu;
	uint64_t ns;
};

struct nl_placement {
	const struct nl_sys *sys;
	const struct nl_topology *topo;
	uint32_t nr_nodes;      /* node ids 0..nr_nodes-1 */
	unsigned page_shift;
	/* snapshots */
	struct snapshot *snaps;
	int nr_snaps;
	size_t cap_snaps;
	int start_cursor, final_proc, final_map;
	/* page cache: (pid, addr >> page_shift) -> (method << 24 | node + 1) */
	struct nl_map pages;
	struct nl_node_stats stats;
	int q_idx[MAX_BATCH];
	uint64_t q_sorted[MAX_BATCH];
	void *q_pages[MAX_BATCH];
	int q_status[MAX_BATCH];
	bool q_done[MAX_BATCH];
	/* numastat */
	int nr_stat;
	struct nl_numastat *stat_start, *stat_delta;
	bool stat_started;
	/* runtime */
	struct nl_map run_task_idx;     /* (0, tid) -> index in tasks */
	struct nl_map run_cell_idx;     /* (tid, cpu) -> index in cells */
	struct run_task *tasks;
	struct run_cell *cells;
	size_t cap_tasks, cap_cells;
	uint32_t nr_tasks, nr_cells, cell_cursor;
	uint64_t run_t0;
};

static uint32_t node_id_count(const struct nl_sys *sys, const struct nl_topology *topo)
{
	struct nl_cpuset set = { 0 };
	char buf[256];
	int last = -1;

	if (sys__read_small(sys, "/sys/devices/system/node/possible", buf, sizeof(buf)) > 0 &&
	    !cpuset__parse_list(&set, buf))
		last = cpuset__last(&set);
	cpuset__free(&set);
	if (last < 0 && topo && topo->nr_nodes)
		last = topo->nodes[topo->nr_nodes - 1].id;
	if (last < 0)
		last = 0;
	return last + 1 > MAX_NODE_IDS ? MAX_NODE_IDS : (uint32_t)last + 1;
}

struct nl_placement *placement__new(const struct nl_sys *sys,
				    const struct nl_topology *topo)
{
	struct nl_placement *pl = calloc(1, sizeof(*pl));
	long psize = sysconf(_SC_PAGESIZE);

	if (!pl)
		return NULL;
	pl->sys = sys;
	pl->topo = topo;
	pl->nr_nodes = node_id_count(sys, topo);
	pl->page_shift = (unsigned)__builtin_ctzl(psize > 0 ? (unsigned long)psize : 4096ul);
	return pl;
}

static void snapshot_clear(struct snapshot *s)
{
	free(s->maps);
	free(s->pages);
	free(s->names);
	s->maps = NULL;
	s->pages = NULL;
	s->names = NULL;
	s->nr = 0;
}

void placement__free(struct nl_placement *pl)
{
	if (!pl)
		return;
	for (int i = 0; i < pl->nr_snaps; i++)
		snapshot_clear(&pl->snaps[i]);
	free(pl->snaps);
	map__free(&pl->pages);
	free(pl->stat_start);
	free(pl->stat_delta);
	map__free(&pl->run_task_idx);
	map__free(&pl->run_cell_idx);
	free(pl->tasks);
	free(pl->cells);
	free(pl);
}

/* --- snapshots ---------------------------------------------------------------- */

static struct snapshot *snap_find(const struct nl_placement *pl, int pid)
{
	for (int i = 0; i < pl->nr_snaps; i++)
		if (pl->snaps[i].pid == pid)
			return &pl->snaps[i];
	return NULL;
}

bool placement__has(const struct nl_placement *pl, int pid)
{
	return snap_find(pl, pid) != NULL;
}

static struct snapshot *snap_get(struct nl_placement *pl, int pid)
{
	struct snapshot *s = snap_find(pl, pid);

	if (s)
		return s;
	if (array__reserve((void **)&pl->snaps, &pl->cap_snaps,
			   (size_t)pl->nr_snaps + 1, sizeof(*pl->snaps)))
		return NULL;
	s = &pl->snaps[pl->nr_snaps++];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->start_pending = true;
	return s;
}

/* A /proc/PID/maps line: range and the name ("" when anonymous). */
static int parse_maps_line(char *line, uint64_t *start, uint64_t *end, char **name)
{
	int off = 0;

	if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", (unsigned long *)start,
		   (unsigned long *)end, &off) < 2 || !off)
		return -EINVAL;
	*name = line + off;
	while (**name == ' ')
		(*name)++;
	return 0;
}

/* The mapping of maps text starting at start: end and name, by a scan. */
struct maps_index {
	uint64_t *start, *end;
	char **name;
	int nr;
};

static int maps_index_build(char *text, struct maps_index *ix)
{
	int lines = 1;

	for (char *p = text; *p; p++)
		lines += *p == '\n';
	ix->start = malloc((size_t)lines * sizeof(uint64_t));
	ix->end = malloc((size_t)lines * sizeof(uint64_t));
	ix->name = malloc((size_t)lines * sizeof(char *));
	ix->nr = 0;
	if (!ix->start || !ix->end || !ix->name)
		return -ENOMEM;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (!parse_maps_line(line, &ix->start[ix->nr], &ix->end[ix->nr],
				     &ix->name[ix->nr]))
			ix->nr++;
	return 0;
}

static void maps_index_free(struct maps_index *ix)
{
	free(ix->start);
	free(ix->end);
	free(ix->name);
}

static int maps_index_find(const struct maps_index *ix, uint64_t start)
{
	int lo = 0, hi = ix->nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (ix->start[mid] == start)
			return mid;
		if (ix->start[mid] < start)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Node pages of one numa_maps line into row (base pages).  Returns 0. */
static void parse_numa_tokens(const struct nl_placement *pl, char *rest, uint64_t *row,
			      bool *heap, bool *stack)
{
	uint64_t kb = 0, counts[64];
	int ids[64], n = 0;
	char *save;

	for (char *tok = strtok_r(rest, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int id;
		unsigned long long v;

		if (sscanf(tok, "N%d=%llu", &id, &v) == 2 && n < 64) {
			ids[n] = id;
			counts[n++] = v;
		} else if (sscanf(tok, "kernelpagesize_kB=%llu", &v) == 1) {
			kb = v;
		} else if (!strcmp(tok, "heap")) {
			*heap = true;
		} else if (!strcmp(tok, "stack")) {
			*stack = true;
		}
	}
	for (int i = 0; i < n; i++) {
		uint64_t base_kb = (1ull << pl->page_shift) / 1024;
		uint64_t mult = kb && base_kb ? kb / base_kb : 1;

		if (ids[i] >= 0 && (uint32_t)ids[i] < pl->nr_nodes)
			row[ids[i]] += counts[i] * (mult ? mult : 1);
	}
}

/* Appends name to the names buffer.  OUT: offset.  0 or -ENOMEM. */
static int add_name(char **names, size_t *len, size_t *cap, const char *name,
		    uint32_t *off)
{
	size_t n = strlen(name) + 1;

	if (array__reserve((void **)names, cap, *len + n, 1))
		return -ENOMEM;
	memcpy(*names + *len, name, n);
	*off = (uint32_t)*len;
	*len += n;
	return 0;
}

static const char *mapping_name(const char *maps_name, bool heap, bool stack)
{
	if (heap)
		return "[heap]";
	if (stack)
		return "[stack]";
	return *maps_name ? maps_name : "[anon]";
}

/* Builds a snapshot from the two texts into s (cleared first). */
static int build_snapshot(struct nl_placement *pl, char *maps, char *numa,
			  struct snapshot *s)
{
	struct maps_index ix = { 0 };
	size_t names_len = 0, names_cap = 0;
	int lines = 1, err;

	snapshot_clear(s);
	err = maps_index_build(maps, &ix);
	for (char *p = numa; *p; p++)
		lines += *p == '\n';
	s->maps = calloc((size_t)lines, sizeof(*s->maps));
	s->pages = calloc((size_t)lines * pl->nr_nodes, sizeof(*s->pages));
	if (err || !s->maps || !s->pages) {
		err = -ENOMEM;
		goto out;
	}
	for (char *save, *line = strtok_r(numa, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct map_entry *m = &s->maps[s->nr];
		unsigned long start;
		bool heap = false, stack = false;
		char *rest;
		int k;

		if (sscanf(line, "%lx", &start) != 1 || !(rest = strchr(line, ' ')) ||
		    (k = maps_index_find(&ix, start)) < 0)
			continue;
		parse_numa_tokens(pl, rest + 1, &s->pages[(size_t)s->nr * pl->nr_nodes],
				  &heap, &stack);
		m->start = start;
		m->end = ix.end[k];
		err = add_name(&s->names, &names_len, &names_cap,
			       mapping_name(ix.name[k], heap, stack), &m->name_off);
		if (err)
			goto out;
		s->nr++;
	}
out:
	maps_index_free(&ix);
	return err;
}

int placement__snapshot(struct nl_placement *pl, int pid)
{
	char path[64], *maps = NULL, *numa = NULL;
	size_t len;
	struct snapshot *s;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = sys__read_file(pl->sys, path, 1 << 26, &maps, &len);
	if (!err) {
		snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
		err = sys__read_file(pl->sys, path, 1 << 26, &numa, &len);
	}
	if (err == -ENOENT || err == -ESRCH || (!err && !*maps)) {
		err = -ESRCH;   /* gone, or a zombie with no mappings */
		goto out;
	}
	if (err)
		goto out;
	s = snap_get(pl, pid);
	err = s ? build_snapshot(pl, maps, numa, s) : -ENOMEM;
out:
	free(maps);
	free(numa);
	return err;
}

static void fill_placement(const struct nl_placement *pl, const struct snapshot *s,
			   int i, bool final, struct nl_record *out)
{
	const struct map_entry *m = &s->maps[i];

	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_PLACEMENT;
	out->placement.pid = s->pid;
	out->placement.start = m->start;
	out->placement.end = m->end;
	out->placement.name = s->names + m->name_off;
	out->placement.nr_nodes = pl->nr_nodes;
	out->placement.pages_by_node = &s->pages[(size_t)i * pl->nr_nodes];
	out->placement.final = final;
}

int placement__next_start(struct nl_placement *pl, struct nl_record *out)
{
	for (int p = 0; p < pl->nr_snaps; p++) {
		struct snapshot *s = &pl->snaps[p];

		if (!s->start_pending)
			continue;
		if (pl->start_cursor < s->nr) {
			fill_placement(pl, s, pl->start_cursor++, false, out);
			return 1;
		}
		s->start_pending = false;
		pl->start_cursor = 0;
	}
	return 0;
}

int placement__next_final(struct nl_placement *pl, struct nl_record *out)
{
	while (pl->final_proc < pl->nr_snaps) {
		const struct snapshot *s = &pl->snaps[pl->final_proc];

		if (pl->final_map < s->nr) {
			fill_placement(pl, s, pl->final_map++, true, out);
			return 1;
		}
		pl->final_proc++;
		pl->final_map = 0;
	}
	return 0;
}

/* --- data page nodes ------------------------------------------------------------ */

/* The page cache key is (pid, page number): it cannot collide for any address. */
static uint64_t page_number(const struct nl_placement *pl, uint64_t addr)
{
	return addr >> pl->page_shift;
}

static void set_node(struct nl_placement *pl, struct nl_sample *s, int node, int method)
{
	s->mem_node = node;
	s->mem_node_method = (uint8_t)method;
	s->valid |= NL_SAMPLE_MEM_NODE;
	pl->stats.by_method[method]++;
}

/* numa_maps fallback: the node when the mapping's pages sit on one node. */
static int node_from_snapshot(const struct nl_placement *pl, int pid, uint64_t addr)
{
	const struct snapshot *s = snap_find(pl, pid);

	for (int i = 0; s && i < s->nr; i++) {
		const uint64_t *row = &s->pages[(size_t)i * pl->nr_nodes];
		int node = -1;

		if (addr < s->maps[i].start || addr >= s->maps[i].end)
			continue;
		for (uint32_t n = 0; n < pl->nr_nodes; n++) {
			if (!row[n])
				continue;
			if (node >= 0)
				return -1;
			node = (int)n;
		}
		return node;
	}
	return -1;
}

static enum nl_unresolved reason_of(int status)
{
	switch (status) {
	case -ENOENT:
		return NL_UNRES_NOT_PRESENT;
	case -EFAULT:
		return NL_UNRES_FAULT;
	case -ESRCH:
		return NL_UNRES_GONE;
	case -EPERM:
	case -EACCES:
		return NL_UNRES_DENIED;
	default:
		return NL_UNRES_OTHER;
	}
}

/* Answers without move_pages: phys address, cache.  True when done. */
static bool resolve_fast(struct nl_placement *pl, struct nl_sample *s)
{
	const uint64_t *v;

	if ((s->valid & NL_SAMPLE_PHYS_ADDR) && s->phys_addr && pl->topo) {
		int node = topology__node_of_phys(pl->topo, s->phys_addr);

		if (node >= 0) {
			set_node(pl, s, node, NL_NODE_PHYS_ADDR);
			return true;
		}
	}
	if (s->addr >= USER_ADDR_LIMIT) {
		pl->stats.unresolved[NL_UNRES_NOT_USER]++;
		return true;
	}
	v = map__find(&pl->pages, (uint32_t)s->pid, page_number(pl, s->addr));
	if (v) {
		pl->stats.cache_hits++;
		set_node(pl, s, (int)(*v & 0xffffff) - 1, (int)(*v >> 24));
		return true;
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted unique pages of pid's queued samples from queue slot first on. */
static int collect_pages(struct nl_placement *pl, struct nl_sample **samples,
			 int nq, int first, int pid)
{
	uint64_t mask = ~((1ull << pl->page_shift) - 1);
	int m = 0;

	for (int a = first; a < nq; a++)
		if (!pl->q_done[a] && samples[pl->q_idx[a]]->pid == pid)
			pl->q_sorted[m++] = samples[pl->q_idx[a]]->addr & mask;
	qsort(pl->q_sorted, (size_t)m, sizeof(uint64_t), cmp_u64);
	int u = 0;
	for (int i = 0; i < m; i++)
		if (!u || pl->q_sorted[u - 1] != pl->q_sorted[i])
			pl->q_sorted[u++] = pl->q_sorted[i];
	return u;
}

/*
 * Resolved pages are cached (and written to NL_FEAT_PAGE_NODES by
 * --record), numa_maps answers too; unknown ones are asked again next time.
 */
static void answer(struct nl_placement *pl, struct nl_sample *s, int status)
{
	int method = NL_NODE_MOVE_PAGES;
	int node = status;

	if (status < 0) {
		node = node_from_snapshot(pl, s->pid, s->addr);
		method = NL_NODE_NUMA_MAPS;
	}
	if (node < 0) {
		pl->stats.unresolved[reason_of(status)]++;
		return;
	}
	set_node(pl, s, node, method);
	map__put(&pl->pages, (uint32_t)s->pid, page_number(pl, s->addr),
		 (uint32_t)method << 24 | (uint32_t)(node + 1));
}

/* One move_pages call for pid's queued pages, then answers its samples. */
static void resolve_pid(struct nl_placement *pl, struct nl_sample **samples,
			int nq, int first)
{
	uint64_t mask = ~((1ull << pl->page_shift) - 1);
	int pid = samples[pl->q_idx[first]]->pid;
	int m = collect_pages(pl, samples, nq, first, pid);
	long r;

	for (int i = 0; i < m; i++)
		pl->q_pages[i] = (void *)(uintptr_t)pl->q_sorted[i];
	r = pl->sys->move_pages(pid, (unsigned long)m, pl->q_pages, NULL, pl->q_status, 0);
	pl->stats.move_pages_calls++;
	pl->stats.pages_queried += (uint64_t)m;
	for (int a = first; a < nq; a++) {
		struct nl_sample *s = samples[pl->q_idx[a]];
		uint64_t page = s->addr & mask;
		const uint64_t *hit;

		if (pl->q_done[a] || s->pid != pid)
			continue;
		pl->q_done[a] = true;
		hit = bsearch(&page, pl->q_sorted, (size_t)m, sizeof(uint64_t), cmp_u64);
		/* the call fails with -EINVAL for a zombie: it has no memory left */
		answer(pl, s, r == -EINVAL ? -ESRCH : r < 0 ? (int)r :
			      pl->q_status[hit - pl->q_sorted]);
	}
}

void placement__resolve(struct nl_placement *pl, struct nl_sample **samples, int n)
{
	int nq = 0;

	for (int i = 0; i < n && i < MAX_BATCH; i++) {
		struct nl_sample *s = samples[i];

		if (!(s->valid & NL_SAMPLE_ADDR) || !s->addr || s->pid <= 0 ||
		    (s->valid & NL_SAMPLE_MEM_NODE))
			continue;
		if (!resolve_fast(pl, s)) {
			pl->q_done[nq] = false;
			pl->q_idx[nq++] = i;
		}
	}
	for (int a = 0; a < nq; a++)
		if (!pl->q_done[a])
			resolve_pid(pl, samples, nq, a);
}

const struct nl_node_stats *placement__node_stats(const struct nl_placement *pl)
{
	return &pl->stats;
}

uint64_t placement__page_size(const struct nl_placement *pl)
{
	return 1ull << pl->page_shift;
}

void placement__each_page(const struct nl_placement *pl,
			  void (*fn)(int pid, uint64_t page, int node, int method,
				     void *ctx),
			  void *ctx)
{
	uint64_t pid, page, v;
	uint32_t pos = 0;

	while (map__next(&pl->pages, &pos, &pid, &page, &v))
		fn((int)pid, page << pl->page_shift, (int)(v & 0xffffff) - 1,
		   (int)(v >> 24), ctx);
}

/* --- numastat --------------------------------------------------------------------- */

static int read_numastat(const struct nl_placement *pl, int node, struct nl_numastat *st)
{
	char path[96], buf[1024];
	const struct { const char *name; int64_t *v; } f[] = {
		{ "numa_hit", &st->numa_hit }, { "numa_miss", &st->numa_miss },
		{ "numa_foreign", &st->numa_foreign },
		{ "interleave_hit", &st->interleave_hit },
		{ "local_node", &st->local_node }, { "other_node", &st->other_node },
	};
	int n;

	memset(st, 0, sizeof(*st));
	st->node = node;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/numastat", node);
	n = sys__read_small(pl->sys, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *p = strstr(buf, f[i].name);

		if (p)
			*f[i].v = strtoll(p + strlen(f[i].name), NULL, 10);
	}
	return 0;
}

int placement__numastat(struct nl_placement *pl)
{
	struct nl_numastat now;

	if (!pl->stat_start) {
		pl->stat_start = calloc(pl->nr_nodes, sizeof(*pl->stat_start));
		pl->stat_delta = calloc(pl->nr_nodes, sizeof(*pl->stat_delta));
		if (!pl->stat_start || !pl->stat_delta)
			return -ENOMEM;
	}
	pl->nr_stat = 0;
	for (uint32_t node = 0; node < pl->nr_nodes; node++) {
		struct nl_numastat *d = &pl->stat_delta[pl->nr_stat];
		struct nl_numastat *s0 = &pl->stat_start[pl->nr_stat];

		if (read_numastat(pl, (int)node, &now))
			continue;
		if (!pl->stat_started)
			*s0 = now;
		*d = now;
		d->numa_hit -= s0->numa_hit;
		d->numa_miss -= s0->numa_miss;
		d->numa_foreign -= s0->numa_foreign;
		d->interleave_hit -= s0->interleave_hit;
		d->local_node -= s0->local_node;
		d->other_node -= s0->other_node;
		pl->nr_stat++;
	}
	pl->stat_started = true;
	return 0;
}

int placement__numastat_delta(const struct nl_placement *pl,
			      const struct nl_numastat **out)
{
	*out = pl->stat_delta;
	return pl->nr_stat;
}

/* --- runtime --------------------------------------------------------------------- */

void placement__runtime_start(struct nl_placement *pl, uint64_t time)
{
	pl->run_t0 = time;
}

static struct run_task *run_task_get(struct nl_placement *pl, int pid, int tid)
{
	uint64_t *v = map__find(&pl->run_task_idx, 0, (uint32_t)tid);
	struct run_task *t;

	if (v)
		return &pl->tasks[*v];
	if (array__reserve((void **)&pl->tasks, &pl->cap_tasks, pl->nr_tasks + 1,
			   sizeof(*pl->tasks)) ||
	    map__put(&pl->run_task_idx, 0, (uint32_t)tid, pl->nr_tasks))
		return NULL;
	t = &pl->tasks[pl->nr_tasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	t->cpu = -1;
	return t;
}

static int add_ns(struct nl_placement *pl, const struct run_task *t, int cpu,
		  uint64_t ns)
{
	uint64_t *v = map__find(&pl->run_cell_idx, (uint32_t)t->tid, (uint32_t)cpu);
	struct run_cell *c;

	if (v) {
		pl->cells[*v].ns += ns;
		return 0;
	}
	if (array__reserve((void **)&pl->cells, &pl->cap_cells, pl->nr_cells + 1,
			   sizeof(*pl->cells)) ||
	    map__put(&pl->run_cell_idx, (uint32_t)t->tid, (uint32_t)cpu, pl->nr_cells))
		return -ENOMEM;
	c = &pl->cells[pl->nr_cells++];
	c->pid = t->pid;
	c->tid = t->tid;
	c->cpu = cpu;
	c->ns = ns;
	return 0;
}

int placement__switch(struct nl_placement *pl, int pid, int tid, int cpu,
		      uint64_t time, bool out)
{
	struct run_task *t = run_task_get(pl, pid, tid);
	int err = 0;

	if (!t)
		return -ENOMEM;
	if (!out) {
		t->cpu = cpu;
		t->in_time = time;
	} else {
		/* A first switch-out: the task was running since attach. */
		uint64_t from = t->cpu == cpu ? t->in_time : (!t->seen ? pl->run_t0 : 0);

		if (from && time > from && cpu >= 0)
			err = add_ns(pl, t, cpu, time - from);
		t->cpu = -1;
	}
	t->seen = true;
	return err;
}

void placement__task_exit(struct nl_placement *pl, int tid, uint64_t time)
{
	uint64_t *v = map__find(&pl->run_task_idx, 0, (uint32_t)tid);
	struct run_task *t = v ? &pl->tasks[*v] : NULL;

	if (t && t->cpu >= 0) {
		if (time > t->in_time)
			add_ns(pl, t, t->cpu, time - t->in_time);
		t->cpu = -1;
	}
}

void placement__runtime_stop(struct nl_placement *pl, uint64_t time)
{
	for (uint32_t i = 0; i < pl->nr_tasks; i++)
		placement__task_exit(pl, pl->tasks[i].tid, time);
}

int placement__next_runtime(struct nl_placement *pl, struct nl_record *out)
{
	const struct run_cell *c;

	if (pl->cell_cursor >= pl->nr_cells)
		return 0;
	c = &pl->cells[pl->cell_cursor++];
	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_RUNTIME;
	out->runtime.pid = c->pid;
	out->runtime.tid = c->tid;
	out->runtime.cpu = c->cpu;
	out->runtime.ns = c->ns;
	return 1;
}
