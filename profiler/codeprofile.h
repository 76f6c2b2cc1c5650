/*
 * codeprofile.h - which code: samples per function, per source line and
 * per call stack, with the NUMA split (local, remote, unresolved) that
 * perf's own reports do not have.
 *
 * Owns the address spaces (addrspace.h), the symbol table (symbols.h) and
 * the per-site and per-stack counts.  Fed from the drain loop, one record
 * at a time, after the aggregator has classified the sample:
 *   1. codeprofile__add() maps each sample's IP (and callchain) to site keys
 *      (DSO + file offset) through the process' address space, and counts
 *      into a per-site and a per-stack table.  No symbol lookup, no
 *      allocation per sample (tables grow with distinct sites and stacks).
 *   2. codeprofile__finish() resolves every distinct site once (symbols.h),
 *      folds sites into functions (ELF symbols, as `perf report --sort sym`)
 *      and source lines (innermost inline frame), sorts everything by
 *      remote memory samples, and returns plain data for the renderers.
 * Call stacks: callchains as the source delivers them (frame pointers, or
 * whatever a perf.data holds), or, for samples with a copy of the user
 * stack (--call-graph dwarf), the kernel part of the callchain followed by
 * the user frames unwind.h unwinds while the record is at hand (the stack
 * bytes are never kept); PERF_CONTEXT_* markers switch between kernel
 * and user; return addresses of non-leaf frames are looked up at pc-1 (the
 * first entry of each context is the interrupted pc itself, looked up as is).
 * Page-fault samples (address, no cache level) are first touches; samples
 * with a cache level are accesses.
 * Python frames (a sample's py, samplers/pyframes.h): the innermost one is
 * also counted as a site of its own (a Python function and line, dso
 * "[python] FILE" as perf names JIT code by its map, a --sort row too; not
 * in the totals), and the stack (frame-pointer or --call-graph dwarf, whose
 * Python keys are kept with a deferred sample) gets them spliced in place of
 * the _PyEval_EvalFrameDefault activations of its native frames, one
 * evaluator activation each, leaf first; those the native stack cannot place
 * (frame-pointer walks stop inside libpython) go above its outermost frame.
 */
#ifndef NUMALENS_CODEPROFILE_H
#define NUMALENS_CODEPROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/aggregate.h"
#include "profiler/datasrc.h"
#include "profiler/symbols.h"
#include "profiler/unwind.h"
#include "samplers/sample.h"

/* The counts every row carries. */
struct nl_code_counts {
	struct nl_counts counts;        /* samples, memory, local, remote, unresolved */
	uint64_t first_touch;           /* memory samples with an address and no
					   cache level (page faults) */
	uint64_t weight_count, weight_sum; /* latency of memory samples, cycles */
	const char *top_mapping;        /* data mapping touched most, NULL none */
	uint64_t top_mapping_samples;
};

struct nl_code_function {
	const char *name;               /* symbol, or "dso+0xOFF", "[unknown]" */
	const char *dso;
	bool resolved;
	const char *file;               /* line of its hottest site, NULL none */
	int line;
	bool python;                    /* a Python function: its samples are those
					   whose innermost Python frame it is */
	struct nl_code_counts c;
};

struct nl_code_line {
	const char *file;               /* never NULL (rows without lines are not kept) */
	int line;
	const char *function;           /* innermost function at the line */
	bool inlined;                   /* that function was inlined into ... */
	const char *inlined_into;       /* ... this one (the ELF symbol) */
	const char *dso;
	bool python;                    /* a Python line (innermost Python frame) */
	struct nl_code_counts c;
};

struct nl_code_frame_ref {
	const char *function;
	const char *file;
	int line;
	bool inlined;
	bool python;                    /* a Python frame (samplers/pyframes.h) */
};

struct nl_code_stack {
	uint32_t nr_frames;             /* leaf first, inline frames expanded */
	struct nl_code_frame_ref *frames;
	struct nl_code_counts c;
};

/* --sort keys (perf report's names), in the order --sort gives them. */
enum nl_code_key { NL_CODE_SYM = 0, NL_CODE_DSO, NL_CODE_SRCLINE, NL_CODE_PID, NL_CODE_KEYS };
#define NL_CODE_SORT_KEYS "sym,dso,srcline,pid"
#define NL_CODE_MAX_KEYS NL_CODE_KEYS

/* One row of the --sort table: the fields of keys not sorted by are unset. */
struct nl_code_row {
	const char *symbol;             /* sym: symbol, "dso+0xOFF", "[unknown]" */
	const char *dso;                /* sym, dso */
	const char *file;               /* srcline: innermost frame, NULL none */
	int line;
	int pid;                        /* pid, else -1 */
	bool python;                    /* of Python frames: samples whose innermost
					   Python frame it is, not in the totals */
	struct nl_code_counts c;
};

struct nl_code_profile {
	int nr_functions, nr_lines, nr_stacks;
	struct nl_code_function *functions;   /* most remote memory samples first */
	struct nl_code_line *lines;
	struct nl_code_stack *stacks;
	int nr_sort_keys;                     /* --sort: 0 none */
	enum nl_code_key sort_keys[NL_CODE_MAX_KEYS];
	int nr_rows;                          /* the --sort table, most remote first */
	struct nl_code_row *rows;
	uint64_t samples_with_ip, samples_with_callchain;
	uint64_t samples_with_dwarf_stack;    /* of those, unwound from a copied
						 user stack (unwind.h) */
	struct nl_unwind_stats unwind;
	uint64_t unresolved_samples;          /* samples whose IP named no symbol */
	uint64_t truncated_stacks;            /* deeper than the stack limit */
	uint64_t broken_stacks;               /* ended at an impossible user address */
	uint64_t remote_total, memory_total;  /* over all samples with an IP */
	uint64_t python_samples;              /* samples with Python frames */
	uint64_t python_approximate;          /* ... read late (NL_PYS_APPROXIMATE) */
	struct nl_symbols_stats symbols;
	const char *const *notes;             /* NULL-terminated */
};

struct nl_codeprofile;

/*
 * o: symbol options (o->code_sort: --sort keys, checked against
 * NL_CODE_SORT_KEYS by the command line; unknown keys are ignored); info
 * may be NULL.  NULL on -ENOMEM.
 */
struct nl_codeprofile *codeprofile__new(const struct nl_symbols_options *o,
					const struct nl_source_info *info);
void codeprofile__free(struct nl_codeprofile *cp);

/*
 * Accounts one record: side-band goes to the address spaces, a sample to
 * its sites.  loc and first_touch are the aggregator's verdict on the
 * sample (aggregate__last_sample).  0 or -ENOMEM.
 */
int codeprofile__add(struct nl_codeprofile *cp, const struct nl_record *rec,
		     enum nl_locality loc, bool first_touch);

/*
 * pid retired (NL_REC_RETIRE) and the data objects are done with it: its
 * pending site keys take their final keys, and, when it has no JIT map,
 * its JIT keys the [unknown] ones (sites and stacks merged into those
 * keys' rows, its JIT DSO slot freed for reuse); its address space is
 * freed (addrspace__retire: once no kept space was forked from it).  Call
 * after objects__add() of the RETIRE record.  Nothing while deferred dwarf
 * samples wait.  The spaces freed (>= 0), or -ENOMEM.
 */
int codeprofile__retire(struct nl_codeprofile *cp, int pid);

/* The address spaces and symbols cp owns, for the data objects (objects.h),
   which resolve their sites through the same DSOs. */
struct nl_addrspaces *codeprofile__addrspaces(struct nl_codeprofile *cp);
struct nl_symbols *codeprofile__symbols(struct nl_codeprofile *cp);

/* Resolves and sorts; the result is owned by cp.  NULL on -ENOMEM. */
const struct nl_code_profile *codeprofile__finish(struct nl_codeprofile *cp);

/*
 * The location (function, file, line) the code rows give Python frame f,
 * interned once per frame id like the rows' own: for the data objects'
 * sites (objects.h).  Owned by cp, valid until codeprofile__free(); NULL
 * on -ENOMEM.
 */
const struct nl_code_loc *codeprofile__python_loc(struct nl_codeprofile *cp,
						  const struct nl_pyframe *f);

#endif
