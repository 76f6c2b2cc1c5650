/*
 * symbols_inline.c - the inline frames at an address: an index of each
 * compile unit's inlined-subroutine ranges, built at the first lookup in
 * the unit.  See symbols_internal.h (symbols_inline__at).
 *
 * Why not dwarf_getscopes, as before: it walks the unit's DIE tree again
 * for every address, and a live profile of a PyTorch trainer looks up
 * thousands of distinct return addresses in a few huge units (libpython's
 * ceval.c, libtorch's kernels).  Measured with `perf record -e cpu-clock
 * --call-graph dwarf -- numalens profile -- python3
 * tests/bench/alloc/train_steps.py`, it was 12 % of numalens' CPU.  One
 * walk per unit into an array sorted by low address (each entry: low,
 * high, DIE, depth) makes each later lookup a binary search.  It was also
 * short: a nested inline whose parent scope is itself inlined, and every
 * inline of an LTO unit (libpython3.11's "<artificial>" units), came out
 * missing.
 *
 * The walk descends the scopes that can hold code (units, namespaces,
 * classes, subprograms, lexical blocks, inlined subroutines, imported
 * partial units) and answers with the inlined subroutines holding the
 * address, innermost (deepest) first.  tests/symbols/test_inline.c holds
 * the answer to GNU addr2line -i on libpython3.11's debug file (every
 * line-table address of 400 units) and on its own -O2 code.  Memory: one
 * entry per range of an inlined subroutine of the units looked into,
 * freed with the DSO.
 */
#include "profiler/symbols_internal.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>

#include "samplers/base/array.h"

#define MAX_DEPTH 64
#define MAX_IMPORTS 4096        /* imported units followed per unit (a cycle ends) */

struct inline_range {
	uint64_t low, high;
	uint64_t reach;         /* the highest high of this and the ones before
				   (sorted by low): a backward scan stops below it */
	Dwarf_Die die;
	uint32_t depth;
};

struct cu_inlines {
	struct inline_range *v;
	size_t nr, cap;
};

static bool may_hold_scopes(int tag)
{
	switch (tag) {
	case DW_TAG_compile_unit:
	case DW_TAG_partial_unit:
	case DW_TAG_module:
	case DW_TAG_lexical_block:
	case DW_TAG_with_stmt:
	case DW_TAG_catch_block:
	case DW_TAG_try_block:
	case DW_TAG_entry_point:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		return true;
	default:
		return false;
	}
}

static int add_ranges(struct cu_inlines *c, Dwarf_Die *die, uint32_t depth)
{
	Dwarf_Addr base, low, high;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(die, off, &base, &low, &high)) > 0) {
		if (low >= high)
			continue;
		if (array__reserve((void **)&c->v, &c->cap, c->nr + 1, sizeof(*c->v)))
			return -ENOMEM;
		c->v[c->nr++] = (struct inline_range){ .low = low, .high = high, .die = *die,
						       .depth = depth };
	}
	return 0;
}

static int by_low(const void *a, const void *b)
{
	const struct inline_range *x = a, *y = b;

	return x->low < y->low ? -1 : x->low > y->low;
}

/* The first child to walk under d: its own, or an imported unit's. */
static bool first_child(Dwarf_Die *d, int tag, Dwarf_Die *child, int *imports)
{
	if (tag == DW_TAG_imported_unit) {
		Dwarf_Attribute a;
		Dwarf_Die unit;

		if (++*imports > MAX_IMPORTS || !dwarf_attr(d, DW_AT_import, &a) ||
		    !dwarf_formref_die(&a, &unit))
			return false;
		return dwarf_child(&unit, child) == 0;
	}
	return may_hold_scopes(tag) && dwarf_haschildren(d) && dwarf_child(d, child) == 0;
}

/* One walk of cu's tree: every inlined subroutine's ranges, sorted. */
static struct cu_inlines *build(Dwarf_Die *cu)
{
	struct cu_inlines *c = calloc(1, sizeof(*c));
	Dwarf_Die stack[MAX_DEPTH], next;
	int top = 0, imports = 0;

	if (!c)
		return NULL;
	if (dwarf_child(cu, &stack[0]) != 0)
		return c;
	for (;;) {
		Dwarf_Die *d = &stack[top];
		int tag = dwarf_tag(d);

		if (tag == DW_TAG_inlined_subroutine && add_ranges(c, d, (uint32_t)top)) {
			free(c->v);
			free(c);
			return NULL;
		}
		if (top + 1 < MAX_DEPTH && first_child(d, tag, &stack[top + 1], &imports)) {
			top++;
			continue;
		}
		/* the next sibling, climbing while a level has none left */
		while (dwarf_siblingof(&stack[top], &next) != 0) {
			if (top == 0)
				goto sorted;
			top--;
		}
		stack[top] = next;
	}
sorted:
	if (c->nr)
		qsort(c->v, c->nr, sizeof(*c->v), by_low);
	for (size_t i = 0; i < c->nr; i++)
		c->v[i].reach = i && c->v[i - 1].reach > c->v[i].high ? c->v[i - 1].reach
								       : c->v[i].high;
	return c;
}

int symbols_inline__at(struct nl_map *index, Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Die *out,
		       int max)
{
	uint32_t depth[MAX_DEPTH];
	struct cu_inlines *c;
	size_t lo = 0, hi;
	uint64_t v;
	int n = 0;

	if (map__get(index, (uint64_t)(uintptr_t)cu->cu, 0, &v)) {
		c = (struct cu_inlines *)(uintptr_t)v;
	} else {
		c = build(cu);
		if (!c)
			return 0;
		if (map__put(index, (uint64_t)(uintptr_t)cu->cu, 0, (uint64_t)(uintptr_t)c)) {
			free(c->v);
			free(c);
			return 0;
		}
	}
	if (max > MAX_DEPTH)
		max = MAX_DEPTH;
	hi = c->nr;
	while (lo < hi) {       /* the first range starting above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].low <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && c->v[i].reach > addr && n < max;) {
		const struct inline_range *r = &c->v[i];
		int k;

		if (r->high <= addr)
			continue;
		/* insertion by depth, deepest (innermost) first */
		for (k = n; k > 0 && depth[k - 1] < r->depth; k--) {
			out[k] = out[k - 1];
			depth[k] = depth[k - 1];
		}
		out[k] = r->die;
		depth[k] = r->depth;
		n++;
	}
	return n;
}

void symbols_inline__free(struct nl_map *index)
{
	uint64_t k0, k1, v;
	uint32_t pos = 0;

	while (map__next(index, &pos, &k0, &k1, &v)) {
		struct cu_inlines *c = (struct cu_inlines *)(uintptr_t)v;

		free(c->v);
		free(c);
	}
	map__free(index);
}
