/*
 * symbols_internal.h - the state of struct nl_symbols, shared by the files
 * of its two concerns.  Not for use outside profiler/symbols*.c.
 *
 *   symbols.c         the DSO table, opening DSOs, resolution and its cache
 *   symbols_tables.c  the kernel's (/proc/kallsyms) and JIT (perf-PID.map)
 *                     symbol tables
 */
#ifndef NUMALENS_SYMBOLS_INTERNAL_H
#define NUMALENS_SYMBOLS_INTERNAL_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "profiler/symbols.h"
#include "profiler/symindex.h"
#include "samplers/base/map.h"
#include "samplers/base/strtab.h"


#define MAX_LOADS 16
#define MAX_FRAMES 16
#define MAX_NOTES 32

enum dso_state { DSO_NEW, DSO_OK, DSO_FAILED };

struct jit_sym {
	uint64_t start, size;
	const char *name;
};

/*
 * A DSO opened ahead, offline, by the prefetch thread while the records
 * are read (symbols__prefetch_dso): the libdwfl steps of open_dso that
 * cost (its symbol table and DWARF read, debug sections decompressed), on
 * a Dwfl of the job's own that open_dso adopts.  Invariants: the thread
 * touches only queued jobs and their fields until it sets done (under
 * lock); the main thread reads dwfl/mod only after done.
 */
struct dso_job {
	struct dso_job *next;           /* queue order, then the all list */
	struct dso_job *all;
	char *path;
	Dwfl *dwfl;                     /* NULL: failed (open_dso does it again) */
	Dwfl_Module *mod;
	bool done, adopted;
};

struct dso {
	char *path;             /* as the recording names it */
	struct dso_job *job;    /* prefetched, or NULL */
	int fd;                 /* live: opened at first sight; -1 otherwise */
	uint64_t dev, ino;      /* live: identity of the opened file */
	uint8_t want_id[NL_BUILD_ID_MAX], want_size; /* recording's build-id */
	enum dso_state state;
	bool kernel, jit, absolute;
	bool stripped;          /* no .symtab and no debug file: .dynsym only */
	bool noted_missing;     /* the "stripped" note was given */
	bool absent;            /* JIT: no map file: addresses are [unknown] */
	bool wrong_id;          /* its build-id is not the recording's */
	bool wanted;            /* prefetch asked for before it could start */
	int pid;                /* JIT: the process */
	uint64_t uid;           /* JIT: the user the map file must belong to */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	struct { uint64_t off, vaddr, filesz; } loads[MAX_LOADS];
	int nr_loads;
	struct jit_sym *jit_syms;
	uint32_t nr_jit;
	/* Its symbols by address: the address lookup, and the aliases to
	   pick among as perf does. */
	struct symindex symtab;
	struct nl_map inlines;  /* its units' inline ranges (symbols_inline.c) */
};

struct nl_symbols {
	struct nl_symbols_options opt;
	const struct nl_source_info *info;
	struct dso *dsos;
	uint32_t nr_dsos, cap_dsos;
	struct nl_map dso_index;   /* (path id, mix(dev) ^ ino + probe) -> dso id */
	struct nl_map path_index;  /* path id (strings) -> first dso id of that path */
	struct nl_map jit_index;   /* pid -> jit dso id */
	uint32_t *free_jit;        /* JIT DSO slots of retired processes with no
				      map (symbols__jit_forget), for reuse */
	uint32_t nr_free_jit;
	size_t cap_free_jit;
	struct nl_map cache;       /* symbols__key -> struct nl_code_loc * */
	struct nl_strtab strings;  /* symbol, file and DSO path names */
	bool prefetch_on;          /* symbols__prefetch_start was called */
	bool kernel_wanted;        /* kallsyms prefetch asked for before it */
	/* kernel */
	bool kallsyms_loaded;
	struct kallsyms_job {           /* /proc/kallsyms read and parsed in a
					   thread of its own while the records
					   are (symbols__prefetch_kernel) */
		pthread_t thread;
		bool tried;             /* prefetch asked for once */
		bool running;           /* started, not joined yet */
		int err;                /* 0 or -errno of the read */
		char *text;             /* the table: read (malloc'ed, NUL at
					   the end) or mapped (text_mapped) */
		size_t text_mapped;     /* bytes mapped, 0: read */
		struct jit_sym *syms;   /* names point into text, each ended by
					   a blank or newline, not a NUL:
					   symbols_tables__kernel_name */
		uint32_t nr;
		bool all_zero;          /* every address 0: kptr_restrict */
		char cache[320];        /* perf's build-id cache copy of the
					   recording's kallsyms, or "" */
	} kjob;
	struct jit_sym *ksyms;          /* names point into kallsyms_text */
	uint32_t nr_ksyms;
	char *kallsyms_text;
	size_t kallsyms_mapped;         /* kjob.text_mapped of kallsyms_text */
	/* the DSO prefetch thread (started by the first job) */
	struct {
		pthread_t thread;
		pthread_mutex_t lock;
		pthread_cond_t cond;
		struct dso_job *head, *tail, *all;
		bool running, stop, broken;
	} pf;
	/* notes */
	char *notes[MAX_NOTES + 1];
	int nr_notes;
	struct nl_symbols_stats stats;
};

/* The one interned copy of a symbol name (demangled when C++). */
const char *symbols_internal__intern_symbol(struct nl_symbols *s, const char *name);

/* symbols_tables.c: loaded once, at the first kernel / JIT address. */
void symbols_tables__load_kallsyms(struct nl_symbols *s);
/* Waits for a prefetch still running and frees what it read (symbols__free). */
void symbols_tables__drop_prefetch(struct nl_symbols *s);
void symbols_tables__load_jit(struct nl_symbols *s, struct dso *d);
/* The entry of v (sorted by start) holding addr; sized: within its size. */
const struct jit_sym *symbols_tables__find(const struct jit_sym *v, uint32_t n, uint64_t addr,
					   bool sized);
/* A kernel symbol's name (ksyms[]), NUL-terminated in s->strings; NULL
   on -ENOMEM. */
const char *symbols_tables__kernel_name(struct nl_symbols *s, const struct jit_sym *sym);
/* Frees the kallsyms text (read or mapped). */
void symbols_tables__free_text(char *text, size_t mapped);
/* qsort order of jit_sym by start. */
int symbols_tables__by_start(const void *a, const void *b);

/*
 * The inlined subroutines of cu holding addr (cu's own addresses: the
 * module address minus dwfl_module_addrdie's bias), innermost first, as
 * dwarf_getscopes gives them but from an index of the unit built once
 * (symbols_inline.c); at most max.  Returns the count (0: none, or no
 * memory for the index: then no inline frames are named).
 */
int symbols_inline__at(struct nl_map *index, Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Die *out,
		       int max);
/* Frees the index (every unit's ranges). */
void symbols_inline__free(struct nl_map *index);

/*
 * A debug file for libdw (symbols_inflate.c): fd, or, when it holds
 * zlib-compressed sections, a memory file of the same ELF with them
 * inflated (fd closed then).  fd < 0 is returned as it is.
 */
int symbols_inflate__fd(int fd);

/* Where libdwfl looks for debug files by build-id (its default path). */
#define SYMBOLS_DEBUG_ROOT "/usr/lib/debug"

/*
 * The inflated memfd of mod's compressed debug file found by build-id under
 * SYMBOLS_DEBUG_ROOT, its build-id checked; OUT: *name its path (malloc'ed,
 * libdwfl frees it).  -1 (nothing changed) otherwise: libdwfl's own search
 * goes on.
 */
int symbols_inflate__find(Dwfl_Module *mod, char **name);

#endif
