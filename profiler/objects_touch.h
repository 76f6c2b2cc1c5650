/*
 * objects_touch.h - first-touch tallying for the data objects (objects.h):
 * per sampled page, the thread, CPU, time and call stack of its first page
 * fault; per object, how many of its pages each toucher placed.
 *
 * Owns:
 *   1. The page table: one entry per (process, 4 KiB page) sampled, with
 *      its earliest sample (whose address finds the object), its earliest
 *      page fault in that process (the first-touch candidate: thread, CPU,
 *      time, stack id), the node of the page and its samples by node of the
 *      reading CPU.  Memory grows with distinct pages, not samples.
 *   2. The object pages, settled when a process retires (and at finish for
 *      the rest): each (object, page) once, whatever number of processes
 *      map it, as a copy of the entry with the earliest fault, so
 *      copy-on-write faults, NUMA hinting faults and faults of other
 *      processes on a page already placed are not first touches.  A settled
 *      entry leaves the page table: memory grows with the pages of live
 *      processes and the distinct pages of objects, not with ended
 *      processes' copies of them.
 *   3. The touchers tally: per object, pages by (thread, CPU node, stack).
 * Does not: intern or resolve call stacks (ids are the caller's,
 * objects.c), know what an object is (an index the caller gives), or tell
 * a 2 MiB THP fault from a 4 KiB one: the page-fault event fires before
 * the kernel picks the page size, so each fault counts as the one 4 KiB
 * page it hit.  A THP-backed object then shows one first-touched page per
 * huge page (plus one per 4 KiB page not backed by one): the toucher and
 * its share are right, the counts are of faults, never 512 per fault
 * (tests/objects/thp_touch.sh).
 */
#ifndef NUMALENS_OBJECTS_TOUCH_H
#define NUMALENS_OBJECTS_TOUCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "samplers/base/map.h"

#define NL_TOUCH_PAGE_SHIFT 12
#define NL_TOUCH_NO_STACK UINT32_MAX

/* One (process, page) sampled. */
struct nl_touch_page {
	int32_t pid, tid, cpu;  /* tid, cpu: of the earliest fault (else of the
				   first sample) */
	int32_t node;           /* memory node id of the page, -1 unknown */
	uint64_t page;          /* address >> NL_TOUCH_PAGE_SHIFT */
	uint64_t first_time;    /* earliest sample ... */
	uint64_t first_addr;    /* ... and its address (objects are found by it) */
	uint64_t fault_time;    /* earliest page fault, UINT64_MAX none */
	uint32_t fault_stack;   /* the caller's stack id, NL_TOUCH_NO_STACK none */
	uint32_t samples, local, remote;
	uint32_t obj;           /* the caller's object index, at finish */
};

/*
 * The page table.  Invariant: pages[0..nr) has one entry per (pid, page);
 * index maps (pid, page number) to it; counts[] holds nr rows of nn + 1
 * samples by CPU node index (last: CPU unknown).
 */
struct nl_touch_pages {
	int nn;                         /* nodes (0: none known) */
	struct nl_touch_page *pages;
	size_t nr, cap;
	uint32_t *counts;
	size_t cap_counts;
	struct nl_map index;
	size_t last;                    /* index of the entry returned last: a
					   guess, checked before it is used */
};

/* A first toucher of an object: same thread, CPU node and stack. */
struct nl_toucher {
	uint32_t obj;
	int32_t pid, tid, cpu, node_idx;
	uint32_t stack;
	uint64_t pages;                 /* pages it touched first */
};

/* The object pages and, at finish, their touchers. */
struct nl_touch_tally {
	struct nl_map obj_page;         /* (obj, page) -> kept index */
	struct nl_touch_page *kept;     /* one per (obj, page), settled order */
	size_t nr_kept, cap_kept;
	struct nl_toucher *touch;
	size_t nr_touch, cap_touch;
	struct nl_map touch_index;      /* (obj, toucher hash) -> touch index */
};

/* --- the page table ------------------------------------------------------------ */

/* An empty table for nr_nodes nodes (zeroed + nn is fine too). */
void objects_touch__init(struct nl_touch_pages *t, int nr_nodes);
void objects_touch__free(struct nl_touch_pages *t);

/*
 * The entry of (pid, addr's page), added (tid and cpu as given, no sample,
 * no fault) when new.  NULL on -ENOMEM (the table is left unchanged).
 * The pointer is valid until the next add.
 */
struct nl_touch_page *objects_touch__page(struct nl_touch_pages *t, int pid, uint64_t addr,
					  int tid, int cpu);

/* Entry p's samples by CPU node index (nn + 1 entries). */
uint32_t *objects_touch__counts(struct nl_touch_pages *t, const struct nl_touch_page *p);

/* Removes pid's entries (every entry when pid < 0), keeping the order of
   the others.  Never allocates. */
void objects_touch__drop(struct nl_touch_pages *t, int pid);

/* --- the object pages and the tally ------------------------------------------ */

/*
 * Entry p (copied) is one of object obj's pages: 1 when the page is new to
 * the object, 0 when another process's entry had it (the one touched first
 * is kept: earlier fault, ties the lower pid then tid; a node unknown in
 * it is taken from the other), -ENOMEM (unchanged).
 */
int objects_touch__settle(struct nl_touch_tally *ty, const struct nl_touch_page *p, uint32_t obj);

/* One more page first touched by p's toucher (CPU node index node_idx,
   stack id stack: the caller's, which may differ from p->fault_stack) in
   object p->obj.  The toucher's index in ty->touch, or -ENOMEM. */
long objects_touch__tally(struct nl_touch_tally *ty, const struct nl_touch_page *p, int node_idx,
			  uint32_t stack);

void objects_touch__tally_free(struct nl_touch_tally *ty);

#endif
