/*
 * symbols.h - code addresses to names: DSO + offset -> symbol + offset ->
 * source file:line, with inline frames, through elfutils (libdwfl, libdw).
 *
 * Owns the DSO table (one entry, one Dwfl and one ELF open per DSO, shared
 * by every process that maps it), the per-(DSO, offset) resolution cache,
 * the kernel symbol table (/proc/kallsyms) and JIT maps (/tmp/perf-PID.map).
 * Promises:
 *   1. Each distinct (DSO, offset) is resolved once; a DSO that failed to
 *      open, is stripped or has the wrong build-id is marked and never
 *      retried (negative caching).  Memory grows with distinct DSOs and
 *      addresses, never with samples.
 *   2. A DSO whose build-id differs from the one the recording names is not
 *      used: its addresses read `dso+0xOFF` and a note says why.  Missing or
 *      stripped DSOs read `dso+0xOFF` too, with one note each.
 *   3. Live (options.live), a DSO is opened when its first mapping is seen,
 *      through the target's own root (/proc/PID/map_files/LO-HI, then
 *      /proc/PID/root/PATH), so containers resolve and a file replaced on
 *      disk later does not; the fd is kept for libdwfl, which consumes it.
 *   4. Symbol lookup itself (ELF, DWARF, debuginfod) runs only from
 *      symbols__resolve, i.e. while reporting, never in a source's reader.
 *      debuginfod (when libdw finds DEBUGINFOD_URLS) gets a 5 s timeout.
 * Does not: demangle C++ names, unwind stacks (unwind.h does, with the
 * files opened here).
 */
#ifndef NUMALENS_SYMBOLS_H
#define NUMALENS_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

/* Fixed DSO ids. */
enum { NL_DSO_UNKNOWN = 0, NL_DSO_KERNEL = 1 };

/* Offsets are kept in the low 48 bits of a site key (see symbols__key). */
#define NL_SITE_OFF_BITS 48

struct nl_symbols_options {
	const char *symfs;      /* --symfs DIR: DSOs are looked up under DIR */
	bool live;              /* targets are alive: open DSOs through /proc/PID */
	bool force_jit_maps;    /* read perf-PID.map files whatever their owner */
	bool same_kernel;       /* the recording's kernel is the running one:
				   /proc/kallsyms names kernel addresses */
	uint32_t prefetch_after; /* offline: samples read before the prefetch
				   threads start (symbols__prefetch_start);
				   0: SYMBOLS_PREFETCH_AFTER */
	const char *code_sort;  /* --sort KEYS (codeprofile.h): the code table's
				   grouping, carried here into codeprofile__new;
				   NULL: the default tables only */
};

/* One frame of a resolved address, innermost (inlined) first. */
struct nl_frame {
	const char *function;   /* interned; never NULL */
	const char *file;       /* interned; NULL without line information */
	int line;               /* 0 without line information */
	bool inlined;           /* an inlined call, not a real frame */
};

/* One resolved (DSO, offset); owned by the symbols table. */
struct nl_code_loc {
	uint32_t dso;
	uint64_t offset;        /* file offset; kernel and JIT: the address */
	const char *symbol;     /* ELF symbol (outermost function), or
				   "dso+0xOFF" / "[unknown]" when unresolved */
	bool resolved;          /* symbol came from a symbol table */
	uint32_t nr_frames;     /* >= 1; frames[nr_frames-1] is the symbol */
	struct nl_frame frames[];
};

struct nl_symbols;

/* NULL on -ENOMEM.  info (may be NULL) gives the BUILD_ID feature. */
struct nl_symbols *symbols__new(const struct nl_symbols_options *o,
				const struct nl_source_info *info);
void symbols__free(struct nl_symbols *s);

/*
 * The DSO id of mapping m of process pid (interned: the same file in 90
 * processes is one DSO).  Live, the first sighting opens the file through
 * pid's root.  Returns NL_DSO_UNKNOWN for anonymous mappings or -ENOMEM.
 */
uint32_t symbols__dso_of_mapping(struct nl_symbols *s, int pid,
				 const struct nl_mmap_event *m);
/* The JIT pseudo-DSO of pid (/tmp/perf-PID.map, read at the first resolve;
   when it does not exist then, its addresses resolve as [unknown]). */
uint32_t symbols__jit_dso(struct nl_symbols *s, int pid);
/* Whether pid has a JIT pseudo-DSO whose map does not exist (read now if
   it was not: the map of an ended process is final); OUT *dso its id. */
bool symbols__jit_absent(struct nl_symbols *s, int pid, uint32_t *dso);
/* pid retired, its JIT map absent, and no key names its JIT DSO any more
   (the code profile and data objects keyed its addresses as [unknown]):
   the DSO's slot serves the next process' JIT map. */
void symbols__jit_forget(struct nl_symbols *s, int pid);
/* Path (or "[kernel.kallsyms]", "[unknown]") of dso. */
const char *symbols__dso_name(const struct nl_symbols *s, uint32_t dso);
/* Whether dso's offsets are absolute addresses (kernel, JIT, unknown). */
bool symbols__dso_absolute(const struct nl_symbols *s, uint32_t dso);

/* (dso, offset) packed into one u64 and back: dso in the top 16 bits. */
uint64_t symbols__key(uint32_t dso, uint64_t offset);
void symbols__unkey(const struct nl_symbols *s, uint64_t key, uint32_t *dso,
		    uint64_t *offset);

/*
 * Resolves (dso, offset), once: the cached result otherwise.  Never NULL
 * except on -ENOMEM; the result lives until symbols__free.
 */
const struct nl_code_loc *symbols__resolve(struct nl_symbols *s, uint32_t dso,
					   uint64_t offset);

/*
 * Starts reading /proc/kallsyms in a thread of its own, for the first
 * kernel address resolved later (offline, a recording of this kernel only; once;
 * when no thread can start, the first resolve reads it as before).  The
 * file's read costs the kernel some 40 ms (it formats ~120,000 lines):
 * overlapped with the records' reading, not after it.
 */
void symbols__prefetch_kernel(struct nl_symbols *s);

/*
 * Offline, starts opening dso (its symbol table and DWARF: libc's debug
 * sections take ~30 ms to decompress) in the prefetch thread, so that its
 * first resolve finds it open.  For the first sampled address of each DSO;
 * what resolution gives is the same with or without it.
 */
void symbols__prefetch_dso(struct nl_symbols *s, uint32_t dso);

/*
 * The two calls above only note what they were asked for until this one
 * (a recording has shown it is big: codeprofile calls it after
 * SYMBOLS_PREFETCH_AFTER samples, or the options' prefetch_after), which
 * starts it and all that follows.
 * A small recording is resolved without threads: for it they cost more
 * CPU (their start, their own malloc arena) than their overlap saves.
 */
#define SYMBOLS_PREFETCH_AFTER 100000
void symbols__prefetch_start(struct nl_symbols *s);

/*
 * For the unwinder (unwind.h): a new fd of dso's file (opened as resolve
 * opens it, first use included), the caller's to close; OUT *path its name.
 * -ENOENT for the kernel, JIT maps, a file not found or whose build-id is
 * not the recording's.
 */
int symbols__open_for_unwind(struct nl_symbols *s, uint32_t dso, const char **path);
/* OUT *vaddr: the ELF address of file offset in dso (false: dso not opened). */
bool symbols__elf_vaddr(const struct nl_symbols *s, uint32_t dso, uint64_t offset,
			uint64_t *vaddr);

/* Counters for the report ("symbols.dsos", "symbols.addresses", ...). */
struct nl_symbols_stats {
	uint32_t dsos, dsos_failed, addresses, unresolved_addresses;
	uint32_t jit_bad_lines;
	uint64_t load_cpu_ns;   /* the calling threads' CPU opening DSOs and
				   loading their symbol tables (the prefetch
				   thread's own work not included) */
};
void symbols__stats(const struct nl_symbols *s, struct nl_symbols_stats *out);

/* Adds a note (printf format; at most 32 are kept). */
void symbols__note(struct nl_symbols *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The notes collected so far (one per failed DSO or cause), NULL-terminated
   array owned by s. */
const char *const *symbols__notes(const struct nl_symbols *s);

#endif
