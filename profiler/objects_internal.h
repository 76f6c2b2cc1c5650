/*
 * objects_internal.h - the state of the data objects (objects.h), shared by
 * objects.c (adding, assigning, touchers) and objects_sites.c (naming a
 * stack's site).  Not for other modules.
 */
#ifndef NUMALENS_OBJECTS_INTERNAL_H
#define NUMALENS_OBJECTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/objects.h"
#include "profiler/objects_touch.h"
#include "profiler/symbols.h"
#include "samplers/base/map.h"

struct nl_addrspaces;
struct nl_codeprofile;
struct nl_unwinder;

#define MAX_FRAMES 64
#define NO_STACK NL_TOUCH_NO_STACK
#define USER_TOP (1ull << 47)
#define CTX_MAX ((uint64_t)-4095)   /* PERF_CONTEXT_* markers are above */
#define SCAN_BACK 512               /* allocations looked at per lookup */

struct stack {
	int32_t pid;
	bool first_is_pc;       /* ips[0] is a pc, not a return address */
	uint32_t nr;
	uint64_t *ips;
	const struct nl_code_loc *py; /* innermost Python frame (codeprofile's), NULL none */
	uint32_t native;        /* id of the same stack without py (its own when
				   py is NULL): first touchers are told apart by it */
	bool resolved;
	struct nl_object_site site;
};

struct alloc {
	struct nl_alloc_event ev;   /* callchain pointer cleared */
	uint32_t stack;
	uint64_t freed;             /* time released, 0 never */
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
	struct alloc *allocs;
	size_t nr_allocs, cap_allocs;
	struct nl_alloc_event *frees;
	size_t nr_frees, cap_frees;
	struct nl_map parent;           /* pid -> ppid (FORK) */
	struct nl_unwinder *unwinder;   /* DWARF unwinds of allocation stacks */
	uint64_t dwarf_stacks;          /* allocation stacks it unwound */
	uint64_t scratch[MAX_FRAMES];
	struct nl_objects_result res;
};

/* Whether dso (a path) is the C library or the dynamic loader. */
bool objects__is_libc(const char *dso);

/* The site of stack id (NO_STACK: none): its first frame outside the C
   library, and its Python frame; resolved once, owned by o. */
const struct nl_object_site *objects__stack_site(struct nl_objects *o, uint32_t id);

#endif
