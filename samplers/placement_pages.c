/*
 * placement_pages.c - the node of each sampled data page: physical
 * address, a page cache in the one map, move_pages per process, numa_maps.
 * See placement.h for the contract, placement_internal.h for the state.
 */
#include "samplers/placement.h"

#include <errno.h>
#include <stdlib.h>

#include "samplers/base/array.h"
#include "samplers/base/topology.h"
#include "samplers/base/sys.h"
#include "samplers/placement_internal.h"

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
	const struct snapshot *s = placement_snapshots__find(pl, pid);

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

/* Caches pid's page at addr on node, found by method (the one insert). */
static void cache_put(struct nl_placement *pl, int pid, uint64_t addr, int node, int method)
{
	/* the cap: emptied whole, its slots kept (the same size again soon) */
	if (pl->max_pages && map__count(&pl->pages) >= pl->max_pages &&
	    !map__find(&pl->pages, (uint32_t)pid, page_number(pl, addr))) {
		map__clear(&pl->pages);
		pl->stats.cache_flushes++;
	}
	map__put(&pl->pages, (uint32_t)pid, page_number(pl, addr),
		 (uint32_t)method << 24 | (uint32_t)(node + 1));
}

void placement__page_landed(struct nl_placement *pl, int pid, uint64_t addr, uint64_t len,
			    int node)
{
	uint64_t ps = 1ull << pl->page_shift;

	if (node < 0 || (uint32_t)node >= 0xffffff || addr >= USER_ADDR_LIMIT)
		return;
	for (uint64_t a = addr & ~(ps - 1); a < addr + len; a += ps)
		cache_put(pl, pid, a, node, NL_NODE_PAGE_ALLOC);
	pl->stats.pages_landed += (len + ps - 1) / ps;
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
	cache_put(pl, s->pid, s->addr, node, method);
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

void placement__limit_pages(struct nl_placement *pl, uint32_t max)
{
	pl->max_pages = max;
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

struct drop {
	const struct nl_placement *pl;
	int pid;
	void (*keep)(int, uint64_t, int, int, void *);
	void *ctx;
};

static bool drop_match(uint64_t k0, uint64_t page, uint64_t v, void *ctx)
{
	const struct drop *d = ctx;

	if (k0 != (uint32_t)d->pid)
		return false;
	if (d->keep)
		d->keep(d->pid, page << d->pl->page_shift, (int)(v & 0xffffff) - 1, (int)(v >> 24),
			d->ctx);
	return true;
}

/* Drops pid's cached pages (keep sees each first).  Stops early on -ENOMEM. */
static void drop_pages(struct nl_placement *pl, int pid,
		       void (*keep)(int, uint64_t, int, int, void *), void *ctx)
{
	struct drop d = { pl, pid, keep, ctx };

	map__del_where(&pl->pages, drop_match, &d, &pl->drop, &pl->cap_drop);
}

/* Drops the pages of processes gone for a second and queues them for retiring. */
void placement__retire_due(struct nl_placement *pl,
			   void (*keep)(int pid, uint64_t page, int node, int method,
					void *ctx),
			   void *ctx)
{
	uint64_t now = pl->sys->now_ns();
	uint32_t k = 0;

	for (uint32_t i = 0; i < pl->nr_gone; i++) {
		if (now - pl->gone[i].when < 1000000000ull) {
			pl->gone[k++] = pl->gone[i];
			continue;
		}
		drop_pages(pl, pl->gone[i].pid, keep, ctx);
		if (pl->retire_head == pl->nr_retire)
			pl->retire_head = pl->nr_retire = 0;
		/* no room: the snapshot stays until the end, correct, only larger */
		if (!array__reserve((void **)&pl->retire, &pl->cap_retire, pl->nr_retire + 1,
				    sizeof(*pl->retire)))
			pl->retire[pl->nr_retire++] = pl->gone[i].pid;
	}
	pl->nr_gone = k;
}

void placement__process_exit(struct nl_placement *pl, int pid,
			     void (*keep)(int pid, uint64_t page, int node, int method,
					  void *ctx),
			     void *ctx)
{
	placement__retire_due(pl, keep, ctx);
	if (pl->nr_gone == pl->cap_gone) {
		uint32_t cap = pl->cap_gone ? pl->cap_gone * 2 : 64;
		void *g = realloc(pl->gone, cap * sizeof(*pl->gone));

		if (!g)
			return;         /* its pages stay cached: correct, only larger */
		pl->gone = g;
		pl->cap_gone = cap;
	}
	pl->gone[pl->nr_gone].pid = pid;
	pl->gone[pl->nr_gone++].when = pl->sys->now_ns();
}
