/*
 * test_touch_pages.c - the first-touch page table (profiler/objects_touch.c)
 * gives one entry per (process, page) whatever the order of the lookups,
 * with and without its guess of the last entry:
 *   1. a sequential walk, then the same walk again: the same entries;
 *   2. two processes on the same pages, alternating: one entry each, never
 *      the other process's (the guess checks the pid);
 *   3. after one process's entries are dropped, the other's are still
 *      found, and a dropped page comes back as a new entry.
 */
#include "check.h"
#include "profiler/objects_touch.h"

#define PAGES 64
#define PAGE(i) (0x7f0000000000ull + ((uint64_t)(i) << NL_TOUCH_PAGE_SHIFT))

int main(void)
{
	struct nl_touch_pages t;
	size_t first[PAGES], a[PAGES], b[PAGES];
	int bad = 0;

	objects_touch__init(&t, 1);
	for (int i = 0; i < PAGES; i++) {
		struct nl_touch_page *p = objects_touch__page(&t, 10, PAGE(i) + 8, 10, 0);

		CHECK(p != NULL);
		if (!p)
			return check_done();
		p->samples++;
		first[i] = (size_t)(p - t.pages);
	}
	CHECK_EQ_U64(t.nr, PAGES);
	for (int i = 0; i < PAGES; i++)         /* 1. the walk again */
		bad += (size_t)(objects_touch__page(&t, 10, PAGE(i), 10, 0) - t.pages) != first[i];
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(t.nr, PAGES);
	for (int i = 0; i < PAGES; i++) {       /* 2. pid 20 beside pid 10 */
		b[i] = (size_t)(objects_touch__page(&t, 20, PAGE(i), 20, 0) - t.pages);
		a[i] = (size_t)(objects_touch__page(&t, 10, PAGE(i), 10, 0) - t.pages);
	}
	CHECK_EQ_U64(t.nr, 2 * PAGES);
	bad = 0;
	for (int i = 0; i < PAGES; i++)
		bad += a[i] != first[i] || t.pages[b[i]].pid != 20 || t.pages[a[i]].pid != 10 ||
		       t.pages[b[i]].page != PAGE(i) >> NL_TOUCH_PAGE_SHIFT;
	CHECK_EQ_U64(bad, 0);
	objects_touch__drop(&t, 10);            /* 3. */
	CHECK_EQ_U64(t.nr, PAGES);
	bad = 0;
	for (int i = PAGES - 1; i >= 0; i--) {
		struct nl_touch_page *p = objects_touch__page(&t, 20, PAGE(i), 20, 0);

		bad += !p || p->pid != 20 || p->page != PAGE(i) >> NL_TOUCH_PAGE_SHIFT;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(t.nr, PAGES);
	{
		struct nl_touch_page *p = objects_touch__page(&t, 10, PAGE(3), 10, 0);

		CHECK(p && p->pid == 10 && p->samples == 0);
	}
	CHECK_EQ_U64(t.nr, PAGES + 1);
	objects_touch__free(&t);
	return check_done();
}
