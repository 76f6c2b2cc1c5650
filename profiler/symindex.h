/*
 * symindex.h - one DSO's symbol table sorted by address, built once, for
 * the symbol layer (profiler/symbols.c): the address -> symbol lookup and
 * the perf-alias choice among functions at one address.
 *
 * Why: dwfl_module_addrinfo scans the whole symbol table for every
 * address (libtorch_cpu has ~10^5 symbols; naming the frames of the
 * allocation sites' stacks took seconds).  This index answers the same
 * question by binary search plus a short walk back over the symbols that
 * still cover the address.
 *
 * Owns: the sorted copy of (address, end, binding, index) of every symbol
 * of the module, with the running maximum end of the symbols up to each
 * entry (how far back a covering symbol can start).
 *
 * Promises: symindex__addrinfo names the symbol dwfl_module_addrinfo
 * names (elfutils' rules: globals first, then locals; closest start, then
 * binding, then the smaller of equal starts, then the first in table
 * order).  The cases those rules decide by sizeless symbols (assembly
 * labels) or by more covering symbols than it holds at once go to
 * dwfl_module_addrinfo itself, so the answer is the same there too, only
 * slower.  Memory: 40 bytes per symbol, freed by symindex__free.
 */
#ifndef NUMALENS_SYMINDEX_H
#define NUMALENS_SYMINDEX_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

#define SYMINDEX_ELIGIBLE 1   /* a candidate of dwfl_module_addrinfo */
#define SYMINDEX_GLOBAL 2     /* in its first pass (the globals) */
#define SYMINDEX_FUNC 4       /* STT_FUNC (perf's aliases) */
#define SYMINDEX_LABELS 8     /* label is set */

struct symindex_entry {
	GElf_Addr value;        /* adjusted address (dwfl_module_getsym_info) */
	GElf_Addr end;          /* value + st_size */
	GElf_Addr reach;        /* max end of the eligible entries up to here */
	GElf_Addr label;        /* max value of the eligible sizeless entries up
				   to here (SYMINDEX_LABELS: there are some) */
	int idx;                /* index for dwfl_module_getsym_info */
	uint8_t flags;          /* SYMINDEX_* */
	uint8_t bind;           /* elfutils' binding order: global 3 .. other 0 */
};

struct symindex {
	struct symindex_entry *v;   /* by (value, idx) */
	int nr;                     /* -1: not built yet */
	uint64_t fallbacks;         /* lookups answered by dwfl_module_addrinfo */
};

/* An empty index (built at the first lookup). */
void symindex__init(struct symindex *ix);
void symindex__free(struct symindex *ix);

/*
 * dwfl_module_addrinfo(mod, addr, off, sym, NULL, NULL, NULL), through the
 * index of mod (built at the first call).  NULL when no symbol covers addr.
 */
const char *symindex__addrinfo(struct symindex *ix, Dwfl_Module *mod, GElf_Addr addr,
			       GElf_Off *off, GElf_Sym *sym);

/*
 * The position of the first entry at adjusted address value or above
 * (ix->nr when none): the entries from there on with that value and
 * SYMINDEX_FUNC are the function symbols at value, in table order.
 */
int symindex__first_at(struct symindex *ix, Dwfl_Module *mod, GElf_Addr value);

#endif
