/*
 * symindex.c - a DSO's symbol table sorted by address (see symindex.h).
 *
 * The lookup follows elfutils' __libdwfl_addrsym (dwfl_module_addrinfo):
 * a pass over the globals, then, when it found no sized symbol covering
 * the address, one over the locals; in a pass a covering sized symbol
 * replaces the one kept when it starts closer to the address or binds
 * stronger, or starts at the same place and is smaller at no weaker
 * binding.  Only sized covering symbols take part in that choice, so the
 * index gathers exactly those (the walk back stops where no earlier symbol
 * reaches the address) and replays the choice in table order.  What
 * depends on sizeless symbols (no sized symbol covers the address, or a
 * global label sits exactly at it, which skips the locals' pass) is left
 * to dwfl_module_addrinfo, unless no label can qualify (then no symbol
 * names the address: stripped DSOs' local functions, the usual case).
 */
#include "profiler/symindex.h"

#include <stdlib.h>

/* Covering sized symbols gathered per lookup; more: dwfl decides. */
#define MAX_COVER 64

void symindex__init(struct symindex *ix)
{
	ix->v = NULL;
	ix->nr = -1;
	ix->fallbacks = 0;
}

void symindex__free(struct symindex *ix)
{
	free(ix->v);
	symindex__init(ix);
}

static int by_value_idx(const void *a, const void *b)
{
	const struct symindex_entry *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* elfutils' binding_value: higher is preferred. */
static uint8_t binding(const GElf_Sym *s)
{
	switch (GELF_ST_BIND(s->st_info)) {
	case STB_GLOBAL:
		return 3;
	case STB_WEAK:
		return 2;
	case STB_LOCAL:
		return 1;
	default:
		return 0;
	}
}

static void build(struct symindex *ix, Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod), first_global, k = 0;
	GElf_Addr reach = 0, label = 0;
	bool labels = false;

	ix->nr = 0;
	if (n <= 1)
		return;
	first_global = dwfl_module_getsymtab_first_global(mod);
	if (first_global < 1)
		first_global = 1;
	ix->v = malloc((size_t)n * sizeof(*ix->v));
	if (!ix->v)
		return;
	for (int i = 1; i < n; i++) {
		GElf_Sym s;
		GElf_Addr v;
		const char *name = dwfl_module_getsym_info(mod, i, &s, &v, NULL, NULL, NULL);
		uint8_t flags = 0, t = GELF_ST_TYPE(s.st_info);

		if (!name)
			continue;
		if (name[0] && s.st_shndx != SHN_UNDEF && t != STT_SECTION && t != STT_FILE &&
		    t != STT_TLS)
			flags |= SYMINDEX_ELIGIBLE;
		if (t == STT_FUNC)
			flags |= SYMINDEX_FUNC;
		if (!flags)
			continue;
		if (i >= first_global)
			flags |= SYMINDEX_GLOBAL;
		ix->v[k] = (struct symindex_entry){ .value = v, .end = v + s.st_size, .idx = i,
						    .flags = flags, .bind = binding(&s) };
		k++;
	}
	ix->nr = k;
	qsort(ix->v, (size_t)k, sizeof(*ix->v), by_value_idx);
	for (int i = 0; i < k; i++) {
		if ((ix->v[i].flags & SYMINDEX_ELIGIBLE) && ix->v[i].end > reach)
			reach = ix->v[i].end;
		ix->v[i].reach = reach;
		if ((ix->v[i].flags & SYMINDEX_ELIGIBLE) && ix->v[i].end == ix->v[i].value) {
			labels = true;
			label = ix->v[i].value;
		}
		ix->v[i].label = label;
		if (labels)
			ix->v[i].flags |= SYMINDEX_LABELS;
	}
}

int symindex__first_at(struct symindex *ix, Dwfl_Module *mod, GElf_Addr value)
{
	int lo = 0, hi;

	if (ix->nr < 0)
		build(ix, mod);
	hi = ix->nr;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (ix->v[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int by_idx(const void *a, const void *b)
{
	const struct symindex_entry *x = *(const struct symindex_entry *const *)a;
	const struct symindex_entry *y = *(const struct symindex_entry *const *)b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* One pass of elfutils' choice over the covering sized symbols c[] of one
   pass (table order).  The chosen entry or NULL. */
static const struct symindex_entry *choose(const struct symindex_entry *const *c, int n)
{
	const struct symindex_entry *best = NULL;

	for (int i = 0; i < n; i++) {
		const struct symindex_entry *e = c[i];

		if (!best || best->value < e->value || best->bind < e->bind)
			best = e;
		else if (best->value == e->value &&
			 ((best->end - best->value > e->end - e->value && best->bind <= e->bind) ||
			  (best->end - best->value >= e->end - e->value && best->bind < e->bind)))
			best = e;
	}
	return best;
}

const char *symindex__addrinfo(struct symindex *ix, Dwfl_Module *mod, GElf_Addr addr,
			       GElf_Off *off, GElf_Sym *sym)
{
	const struct symindex_entry *glob[MAX_COVER], *loc[MAX_COVER], *best;
	int top = symindex__first_at(ix, mod, addr + 1), ng = 0, nl = 0;
	bool label_at = false;
	GElf_Addr value;
	const char *name;

	if (addr == UINT64_MAX || !ix->v)
		goto slow;
	/* Entries [0, top) start at or below addr; walk back while one of them
	   may still reach past it. */
	for (int j = top - 1; j >= 0 && ix->v[j].reach > addr; j--) {
		const struct symindex_entry *e = &ix->v[j];

		if (!(e->flags & SYMINDEX_ELIGIBLE) || e->end <= addr)
			continue;
		if (e->flags & SYMINDEX_GLOBAL) {
			if (ng == MAX_COVER)
				goto slow;
			glob[ng++] = e;
		} else {
			if (nl == MAX_COVER)
				goto slow;
			loc[nl++] = e;
		}
	}
	for (int j = top - 1; j >= 0 && ix->v[j].value == addr; j--)
		if ((ix->v[j].flags & (SYMINDEX_ELIGIBLE | SYMINDEX_GLOBAL)) ==
		    (SYMINDEX_ELIGIBLE | SYMINDEX_GLOBAL) && ix->v[j].end == addr)
			label_at = true;
	qsort(glob, (size_t)ng, sizeof(*glob), by_idx);
	best = choose(glob, ng);
	if (!best) {
		/* The locals' pass: skipped by elfutils after a global label at
		   addr, and without covering locals the labels decide. */
		if (label_at)
			goto slow;
		/* No sized symbol covers addr: a label can name it only when no
		   symbol below it ends past it (elfutils' min_label). */
		if (!nl && (!top || !(ix->v[top - 1].flags & SYMINDEX_LABELS) ||
			    ix->v[top - 1].label < ix->v[top - 1].reach))
			return NULL;
		if (!nl)
			goto slow;
		qsort(loc, (size_t)nl, sizeof(*loc), by_idx);
		best = choose(loc, nl);
	}
	name = dwfl_module_getsym_info(mod, best->idx, sym, &value, NULL, NULL, NULL);
	if (!name)
		goto slow;
	*off = addr - value;
	return name;
slow:
	ix->fallbacks++;
	return dwfl_module_addrinfo(mod, addr, off, sym, NULL, NULL, NULL);
}
