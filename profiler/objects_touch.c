/*
 * objects_touch.c - first-touch tallying: the page table and the touchers
 * of each object.  See objects_touch.h.
 */
#include "profiler/objects_touch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"

void objects_touch__init(struct nl_touch_pages *t, int nr_nodes)
{
	memset(t, 0, sizeof(*t));
	t->nn = nr_nodes;
}

void objects_touch__free(struct nl_touch_pages *t)
{
	free(t->pages);
	free(t->counts);
	map__free(&t->index);
	t->pages = NULL;
	t->counts = NULL;
	t->nr = t->cap = t->cap_counts = 0;
}

struct nl_touch_page *objects_touch__page(struct nl_touch_pages *t, int pid, uint64_t addr,
					  int tid, int cpu)
{
	uint64_t pg = addr >> NL_TOUCH_PAGE_SHIFT, *v;
	size_t row = (size_t)t->nn + 1;
	struct nl_touch_page *p;
	int r;

	/*
	 * Samples walk memory in order (a fill, a scan, the same buffer faulted
	 * again after it was remapped), and entries are made in the order
	 * their pages were first sampled: the page is most often the last
	 * one's or the entry after it.  Guessed, then checked against the
	 * entry (a (pid, page) has one entry), so the hash is skipped and a
	 * wrong guess costs two compares.
	 */
	for (size_t i = t->last; i < t->nr && i <= t->last + 1; i++)
		if (t->pages[i].page == pg && t->pages[i].pid == pid) {
			t->last = i;
			return &t->pages[i];
		}
	r = map__add(&t->index, (uint64_t)(uint32_t)pid, pg, &v);
	if (r < 0)
		return NULL;
	if (r == 0) {
		t->last = *v;
		return &t->pages[*v];
	}
	if (array__reserve((void **)&t->pages, &t->cap, t->nr + 1, sizeof(*p)) ||
	    array__reserve((void **)&t->counts, &t->cap_counts, (t->nr + 1) * row,
			   sizeof(uint32_t))) {
		map__del(&t->index, (uint64_t)(uint32_t)pid, pg);
		return NULL;
	}
	*v = t->nr;
	p = &t->pages[t->nr];
	memset(p, 0, sizeof(*p));
	memset(&t->counts[t->nr * row], 0, row * sizeof(uint32_t));
	p->pid = pid;
	p->tid = tid;
	p->cpu = cpu;
	p->node = -1;
	p->page = pg;
	p->first_time = UINT64_MAX;
	p->fault_time = UINT64_MAX;
	p->fault_stack = NL_TOUCH_NO_STACK;
	t->last = t->nr++;
	return p;
}

uint32_t *objects_touch__counts(struct nl_touch_pages *t, const struct nl_touch_page *p)
{
	return &t->counts[(size_t)(p - t->pages) * ((size_t)t->nn + 1)];
}

/* Whether entry p's first touch comes before q's: the earlier fault, ties
   broken by (pid, tid) so the order entries are settled in changes nothing. */
static bool touched_before(const struct nl_touch_page *p, const struct nl_touch_page *q)
{
	if (p->fault_time != q->fault_time)
		return p->fault_time < q->fault_time;
	if (p->fault_time == UINT64_MAX)
		return false;
	return p->pid != q->pid ? p->pid < q->pid : p->tid < q->tid;
}

int objects_touch__settle(struct nl_touch_tally *ty, const struct nl_touch_page *p, uint32_t obj)
{
	struct nl_touch_page *q;
	uint64_t *v;
	int r = map__add(&ty->obj_page, (uint64_t)obj, p->page, &v);

	if (r < 0)
		return -ENOMEM;
	if (r == 1) {
		if (array__reserve((void **)&ty->kept, &ty->cap_kept, ty->nr_kept + 1,
				   sizeof(*ty->kept))) {
			map__del(&ty->obj_page, (uint64_t)obj, p->page);
			return -ENOMEM;
		}
		*v = ty->nr_kept;
		ty->kept[ty->nr_kept] = *p;
		ty->kept[ty->nr_kept++].obj = obj;
		return 1;
	}
	q = &ty->kept[*v];
	if (touched_before(p, q)) {
		int32_t node = p->node >= 0 ? p->node : q->node;

		*q = *p;
		q->obj = obj;
		q->node = node;
	} else if (q->node < 0) {
		q->node = p->node;
	}
	return 0;
}

void objects_touch__drop(struct nl_touch_pages *t, int pid)
{
	size_t row = (size_t)t->nn + 1, w = 0;

	for (size_t i = 0; i < t->nr; i++) {
		struct nl_touch_page *p = &t->pages[i];

		if (pid < 0 || p->pid == pid) {
			map__del(&t->index, (uint64_t)(uint32_t)p->pid, p->page);
			continue;
		}
		if (w != i) {
			t->pages[w] = *p;
			memmove(&t->counts[w * row], &t->counts[i * row], row * sizeof(uint32_t));
			*map__find(&t->index, (uint64_t)(uint32_t)p->pid, p->page) = w;
		}
		w++;
	}
	t->nr = w;
}

long objects_touch__tally(struct nl_touch_tally *ty, const struct nl_touch_page *p, int node_idx,
			  uint32_t stack)
{
	uint64_t h = map__mix64(((uint64_t)(uint32_t)p->tid << 32 | (uint32_t)node_idx) ^
				map__mix64((uint64_t)stack << 20 | p->obj)), *v;
	int r = map__add(&ty->touch_index, p->obj, h, &v);

	if (r < 0)
		return -ENOMEM;
	if (r == 1) {
		if (array__reserve((void **)&ty->touch, &ty->cap_touch, ty->nr_touch + 1,
				   sizeof(*ty->touch)))
			return -ENOMEM;
		*v = ty->nr_touch;
		ty->touch[ty->nr_touch++] = (struct nl_toucher){ .obj = p->obj, .pid = p->pid,
			.tid = p->tid, .cpu = p->cpu, .node_idx = node_idx, .stack = stack };
	}
	ty->touch[*v].pages++;
	return (long)*v;
}

void objects_touch__tally_free(struct nl_touch_tally *ty)
{
	free(ty->touch);
	free(ty->kept);
	map__free(&ty->obj_page);
	map__free(&ty->touch_index);
	memset(ty, 0, sizeof(*ty));
}
