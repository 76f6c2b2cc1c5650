/*
 * objects_internal.h - the state the data objects' files share
 * (objects.c: records, objects and retirement; objects_allocs.c:
 * allocations and releases; objects_sites.c: call
 * stacks, their interning and sharing, and their sites).  Not for other
 * modules: objects.h is the contract.
 *
 * State (invariants): see objects.c.
 */
#ifndef NUMALENS_OBJECTS_INTERNAL_H
#define NUMALENS_OBJECTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/objects.h"
#include "profiler/objects_touch.h"
#include "samplers/base/map.h"

/* Allocation work timed apart from symbols' first DSO loads during it. */
struct objects_clock {
	uint64_t cpu, load;
};
struct objects_clock objects_internal__clock(const struct nl_objects *o);
/* Adds the CPU since c to o's alloc_cpu_ns, and its DSO loads to alloc_load_ns. */
void objects_internal__charge(struct nl_objects *o, struct objects_clock c);

struct nl_code_loc;
struct nl_pystack;

#define MAX_FRAMES 64
#define NO_STACK NL_TOUCH_NO_STACK
#define USER_TOP (1ull << 47)
#define CTX_MAX ((uint64_t)-4095)   /* PERF_CONTEXT_* markers are above */
#define SCAN_BACK 512               /* allocations looked at per lookup */

struct stack {
	int32_t pid;
	bool first_is_pc;       /* ips[0] is a pc, not a return address */
	uint32_t nr;
	uint64_t *ips;          /* NULL: a free slot */
	const struct nl_code_loc *py; /* innermost Python frame (codeprofile's), NULL none */
	uint32_t native;        /* id of the same stack without py (its own when
				   py is NULL): first touchers are told apart by it */
	bool resolved;
	bool alloc;             /* an allocation's: naming it counts in alloc_cpu_ns */
	bool shared;            /* in the (1, content) index: users of any pid */
	uint32_t alias;         /* while settling: the shared stack replacing it */
	struct nl_object_site site;
};

struct alloc {
	struct nl_alloc_event ev;   /* callchain pointer cleared */
	uint32_t stack;
	uint64_t freed;             /* time released, 0 never */
	uint64_t reach;             /* the highest end of pid's allocations up
				       to this one (sorted): a lookup stops
				       where it is at or below the address */
};

struct builder {
	struct nl_data_object *objs;
	size_t nr, cap;
	struct nl_map index;    /* object key hash -> index */
	struct nl_map readers;  /* (obj, pid) -> reader index within obj */
	size_t *cap_readers;    /* array__reserve capacity of each objs[].readers */
	size_t cap_cap;
	struct nl_touch_tally tally;    /* object pages and their first touchers */
	struct nl_map votes;    /* (toucher index, stack with a Python frame) ->
				   pages it touched first with that frame */
	struct obj_key *keys;   /* each objs[] slot's index key */
	size_t cap_keys;
	uint32_t *free_objs;    /* slots of objects moved to closed[] */
	size_t nr_free_objs, cap_free_objs;
};

/* An object's key in builder.index, to delete it when the object closes. */
struct obj_key {
	uint64_t kind, hash;
};

struct nl_objects {
	struct nl_codeprofile *cp;
	struct nl_addrspaces *as;
	struct nl_symbols *syms;
	const struct nl_topology *topo;
	int nn;                         /* nodes (0: none known) */
	struct nl_touch_pages pages;
	struct stack *stacks;
	size_t nr_stacks, cap_stacks;
	struct nl_map stack_index;
	uint32_t *free_stacks;
	size_t nr_free_stacks, cap_free_stacks;
	struct alloc *allocs;
	size_t nr_allocs, cap_allocs;
	struct nl_alloc_event *frees;
	size_t nr_frees, cap_frees;
	size_t prepared_allocs, prepared_frees; /* counts when last sorted */
	uint32_t *live_next;            /* apply_frees' scratch: the next
					   allocation not freed yet */
	size_t cap_live_next;
	struct nl_map parent;           /* pid -> ppid (FORK) */
	struct builder b;
	struct nl_data_object *closed;  /* finished closed objects, at most ended_keep */
	size_t nr_closed, cap_closed;
	int ended_keep;
	struct nl_object_fold *folds;   /* closed objects not kept, by key */
	size_t nr_folds, cap_folds;
	struct nl_map fold_index;       /* (kind, hash of key) -> folds index */
	struct nl_unwinder *unwinder;   /* DWARF unwinds of allocation stacks */
	uint64_t dwarf_stacks;          /* allocation stacks it unwound */
	uint64_t alloc_cpu_ns;          /* this thread's CPU on allocation records:
					   their unwind, interning and naming,
					   without alloc_load_ns */
	uint64_t alloc_load_ns;         /* ... in symbols' first loads of DSOs
					   (symbol tables the code profile
					   shares: not the allocations' own) */
	int unwind_pid;                 /* the unwind in progress (site_found): */
	uint32_t unwind_site;           /* its first frame outside libc, or NO_SITE */
	uint32_t unwind_checked;        /* frames of this walk looked at */
	uint64_t scratch[MAX_FRAMES];
	struct nl_objects_result res;
};

/* --- objects_allocs.c: allocations and releases ------------------------------ */

/* allocs[] sorted and the releases applied, again when more came since. */
void objects_allocs__prepare(struct nl_objects *o);
/* Index of the first allocation with (pid, addr) >= the key. */
size_t objects_allocs__lower_bound(const struct nl_objects *o, int pid, uint64_t addr);
/* The innermost allocation live at addr at time t in pid or the ancestors
   it inherited memory from, or NULL.  After objects_allocs__prepare. */
const struct alloc *objects_allocs__of(const struct nl_objects *o, int pid, uint64_t addr,
				       uint64_t t);
/* pid's parent (its FORK, else the address spaces'), or <= 0. */
int objects_allocs__parent(const struct nl_objects *o, int pid);
/* The root of pid's line of processes within the profile. */
int objects_allocs__line_root(const struct nl_objects *o, int pid);

/* --- objects_fold.c: closed objects not kept ------------------------------------ */

/* Finished closed object ob, not kept, joins the row of its key and kind
   (a new row while fewer than NL_OBJECTS_FOLD_ROWS are).  0 or -ENOMEM. */
int objects_fold__add(struct nl_objects *o, const struct nl_data_object *ob);

/* The rows, most remote samples first, into o->res (o keeps them). */
void objects_fold__finish(struct nl_objects *o);

void objects_fold__free(struct nl_objects *o);
/* obj's reader of pid; an ended pid (settled at its retire) beyond
   NL_OBJECT_READERS_KEEP readers gets the one of pid -1 that sums them.
   NULL on -ENOMEM. */
struct nl_object_reader *objects_fold__reader(struct nl_objects *o, struct builder *b, uint32_t obj,
					      int pid, bool ended);
/* Drops obj's reader keys from b->readers (obj is closed). */
void objects_fold__forget_readers(struct builder *b, uint32_t obj);

/* --- objects_sites.c: call stacks ---------------------------------------------- */

/* User frames of a callchain (markers and kernel frames dropped) into
   o->scratch; their count.  OUT first_is_pc: scratch[0] is a pc. */
uint32_t objects_sites__user_frames(struct nl_objects *o, const uint64_t *chain, uint32_t nr,
				    bool *first_is_pc);

/* The callers of allocation a into o->scratch (a DWARF unwind, else the
   callchain and a scan of the stack copy); their count. */
uint32_t objects_sites__alloc_callers(struct nl_objects *o, const struct nl_alloc_event *a);

/* The innermost of a thread's Python frames (NULL none or -ENOMEM): read
   with the record, so the interned location is kept, not the frames. */
const struct nl_code_loc *objects_sites__python_leaf(struct nl_objects *o,
						     const struct nl_pystack *py);

/* Interns (pid, scratch[0..n), py) with its native twin (py NULL, its
   stack.native).  Its id, or NO_STACK (n 0, or -ENOMEM). */
uint32_t objects_sites__intern(struct nl_objects *o, int pid, uint32_t n, bool first_is_pc,
			       const struct nl_code_loc *py);

/* Resolves stack id (not shared: pid's address space is final) and looks
   for a shared stack of the same content (frames, Python frame, site):
   sets id's alias to it when there is one, else makes id shared.  0 or
   -ENOMEM. */
int objects_sites__share(struct nl_objects *o, uint32_t id);

/* Frees stack id (aliased: no user left) for the next intern.  0 or -ENOMEM. */
int objects_sites__free(struct nl_objects *o, uint32_t id);

/* Sites in an order of their content (not of their strings' addresses):
   <0, 0, >0 as strcmp. */
int objects_sites__cmp(const struct nl_object_site *x, const struct nl_object_site *y);

/* Stack id's site (resolved once, cached in it): its first frame outside
   the C library and its Python frame; a site with no function for
   NO_STACK or a stack that does not resolve. */
const struct nl_object_site *objects_sites__stack_site(struct nl_objects *o, uint32_t id);

#endif
