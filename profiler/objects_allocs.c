/*
 * objects_allocs.c - the allocations of the data objects: allocs[] in
 * (pid, address, time) order, the releases applied in time order, and
 * the lookup of the allocation live at an address and time, in a process
 * or the ancestors it inherited memory from.  See objects_internal.h.
 */
#include <stdlib.h>

#include "profiler/addrspace.h"
#include "profiler/objects_internal.h"
#include "samplers/base/array.h"
#include "samplers/base/map.h"

static int alloc_cmp(const void *a, const void *b)
{
	const struct alloc *x = a, *y = b;

	if (x->ev.pid != y->ev.pid)
		return x->ev.pid < y->ev.pid ? -1 : 1;
	if (x->ev.addr != y->ev.addr)
		return x->ev.addr < y->ev.addr ? -1 : 1;
	return x->ev.time < y->ev.time ? -1 : x->ev.time > y->ev.time;
}

static int free_cmp(const void *a, const void *b)
{
	const struct nl_alloc_event *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

/* Index of the first allocation with (pid, addr) >= the key. */
size_t objects_allocs__lower_bound(const struct nl_objects *o, int pid, uint64_t addr)
{
	size_t lo = 0, hi = o->nr_allocs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct nl_alloc_event *e = &o->allocs[mid].ev;

		if (e->pid < pid || (e->pid == pid && e->addr < addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first allocation at or after k not freed yet (next[] path-compressed). */
static size_t live_from(uint32_t *next, size_t k)
{
	size_t r = k;

	while (next[r] != r)
		r = next[r];
	while (next[k] != r) {
		size_t up = next[k];

		next[k] = (uint32_t)r;
		k = up;
	}
	return r;
}

/*
 * Releases end the allocations they cover that were live then, each by
 * the first release after it.  An allocator hands the same address out
 * again and again (an mmap+munmap loop: 20,000 allocations at one
 * address), so a release must not walk every allocation ever made there:
 * the freed ones are skipped (live_next), and at one address those made
 * after the release (allocs[] is in time order there) all at once.
 */
static void apply_frees(struct nl_objects *o)
{
	uint32_t *next = NULL;

	if (o->nr_frees)        /* qsort(NULL, 0) is undefined */
		qsort(o->frees, o->nr_frees, sizeof(*o->frees), free_cmp);
	if (o->nr_allocs < UINT32_MAX &&
	    !array__reserve((void **)&o->live_next, &o->cap_live_next, o->nr_allocs + 1,
			    sizeof(*o->live_next))) {
		next = o->live_next;
		for (size_t k = 0; k <= o->nr_allocs; k++)
			next[k] = (uint32_t)k;
	}
	for (size_t i = 0; i < o->nr_frees; i++) {
		const struct nl_alloc_event *f = &o->frees[i];
		uint64_t end = f->op == NL_ALLOC_FREE ? f->addr + 1 : f->addr + f->len;
		size_t k = objects_allocs__lower_bound(o, f->pid, f->addr);

		while ((k = next ? live_from(next, k) : k) < o->nr_allocs &&
		       o->allocs[k].ev.pid == f->pid && o->allocs[k].ev.addr < end) {
			struct alloc *a = &o->allocs[k];

			if (a->ev.time > f->time && next) {
				/* this address' later allocations: past them */
				k = objects_allocs__lower_bound(o, f->pid, a->ev.addr + 1);
				continue;
			}
			if (!a->freed && a->ev.time <= f->time) {
				a->freed = f->time ? f->time : 1;
				if (next)
					next[k] = (uint32_t)k + 1;
			}
			k++;
		}
	}
}

/* In allocs[lo, hi) (one address, in time order): the last made at or
   before t, or hi when none. */
static size_t last_made_by(const struct nl_objects *o, size_t lo, size_t hi, uint64_t t)
{
	size_t first = lo, end = hi;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->allocs[mid].ev.time <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > first ? lo - 1 : end;
}

/*
 * The innermost allocation of pid covering addr at time t, or NULL.
 * Looks at SCAN_BACK start addresses below addr, and at each only at the
 * allocation made last by t: an address handed out again and again (an
 * mmap+munmap loop) holds one live allocation at a time, and its older
 * ones must not use up the scan.
 */
static const struct alloc *alloc_at(const struct nl_objects *o, int pid, uint64_t addr,
				    uint64_t t)
{
	const struct alloc *best = NULL;
	size_t k = objects_allocs__lower_bound(o, pid, addr + 1);

	for (int n = 0; k > 0 && n < SCAN_BACK; n++) {
		const struct alloc *last = &o->allocs[k - 1], *a;
		size_t start, j;

		if (last->ev.pid != pid || last->reach <= addr)
			break;  /* none at k or before it reaches addr */
		start = objects_allocs__lower_bound(o, pid, last->ev.addr);
		j = last_made_by(o, start, k, t);
		a = j < k ? &o->allocs[j] : NULL;
		k = start;
		if (a && addr < a->ev.addr + a->ev.len && (!a->freed || a->freed > t) &&
		    (!best || a->ev.len < best->ev.len))
			best = a;
	}
	return best;
}

int objects_allocs__parent(const struct nl_objects *o, int pid)
{
	uint64_t v;

	if (map__get(&o->parent, 0, (uint64_t)(uint32_t)pid, &v))
		return (int)v;
	return addrspace__parent(o->as, pid);
}

/*
 * A fault on a malloc chunk's header (the 16 bytes before the pointer)
 * touches the allocation that follows it.
 */
#define CHUNK_HEADER 16

/* alloc_at in pid or the ancestors it inherited memory from. */
const struct alloc *objects_allocs__of(const struct nl_objects *o, int pid, uint64_t addr,
				       uint64_t t)
{
	for (int up = 0; up < 16 && pid > 0; up++) {
		const struct alloc *a = alloc_at(o, pid, addr, t);

		if (!a)
			a = alloc_at(o, pid, addr + CHUNK_HEADER, t);

		if (a)
			return a;
		pid = objects_allocs__parent(o, pid);
	}
	return NULL;
}

/* The root of pid's line of processes (mappings inherited at fork keep
   their start address: one object for the whole line). */
int objects_allocs__line_root(const struct nl_objects *o, int pid)
{
	for (int up = 0; up < 16; up++) {
		int pp = objects_allocs__parent(o, pid);

		/* up only to processes of the profile (their FORK was seen) */
		if (pp <= 0 || !map__get(&o->parent, 0, (uint64_t)(uint32_t)pp, NULL))
			break;
		pid = pp;
	}
	return pid;
}

/* allocs[] sorted and frees applied, again when more came since. */
void objects_allocs__prepare(struct nl_objects *o)
{
	if (o->prepared_allocs == o->nr_allocs && o->prepared_frees == o->nr_frees)
		return;
	if (o->nr_allocs)       /* qsort(NULL, 0) is undefined */
		qsort(o->allocs, o->nr_allocs, sizeof(*o->allocs), alloc_cmp);
	/* from scratch: a release that came late may end an allocation first */
	for (size_t i = 0; i < o->nr_allocs; i++) {
		struct alloc *a = &o->allocs[i];
		uint64_t end = a->ev.addr + a->ev.len;

		a->freed = 0;
		a->reach = i && a[-1].ev.pid == a->ev.pid && a[-1].reach > end ? a[-1].reach : end;
	}
	apply_frees(o);
	o->prepared_allocs = o->nr_allocs;
	o->prepared_frees = o->nr_frees;
}
