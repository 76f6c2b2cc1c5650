/*
 * codeprofile_internal.h - the state of struct nl_codeprofile, shared by
 * the files of its two concerns.  Not for use outside profiler/code*.c.
 *
 *   codeprofile.c  sites (DSO + offset keys), Python frames, and folding
 *                  sites into the function, line and --sort rows
 *   codestacks.c   the stack table: callchains and unwound user stacks to
 *                  site keys, deferred dwarf samples, and the published
 *                  stacks (frames, inline and Python frames spliced in,
 *                  merged by function, sorted)
 */
#ifndef NUMALENS_CODEPROFILE_INTERNAL_H
#define NUMALENS_CODEPROFILE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/codeprofile.h"
#include "samplers/base/map.h"


#define TOP_SLOTS 4
#define KEY_CACHE 4096          /* direct-mapped (pid, ip) -> site key cache */
#define MAX_DEPTH 128

/* perf's callchain context markers (uapi PERF_CONTEXT_*), as u64. */
#define CTX_HV           ((uint64_t)-32)
#define CTX_KERNEL       ((uint64_t)-128)
#define CTX_USER         ((uint64_t)-512)
#define CTX_GUEST        ((uint64_t)-2048)
#define CTX_GUEST_KERNEL ((uint64_t)-2176)
#define CTX_GUEST_USER   ((uint64_t)-2560)
#define CTX_MAX          ((uint64_t)-4095)

struct tally {
	struct nl_counts counts;
	uint64_t first_touch, weight_count, weight_sum;
	uint32_t map_id[TOP_SLOTS];
	uint64_t map_n[TOP_SLOTS];
};

struct site {
	uint64_t key;
	int32_t pid;            /* with --sort pid; else -1 (sites of all pids are one) */
	struct tally t;
};

/* A sample whose IP fell outside its process' known mappings, looked up
   again at finish (records are not in time order across CPUs). */
struct pending {
	int pid;
	bool freed;             /* pid retired: no key names it (free_pending) */
	uint64_t ip;
};

/* Site keys naming a pending entry: a DSO id symbols never hands out. */
#define PENDING_DSO 0xffffu
/* Site keys naming a Python frame: offset = index into py << 1 | NL_PYF_ENTRY;
   PY_SEP ends a stack's native keys before its Python keys. */
#define PY_DSO 0xfffeu
#define PY_SEP symbols__key(PY_DSO, (1ull << NL_SITE_OFF_BITS) - 1)

/* One distinct Python frame (function, file, line), as a resolved site. */
struct pysite {
	struct nl_code_loc *loc;        /* one frame; strings owned here */
	const char *dso;                /* PY_DSO_PREFIX name of its file */
};

/* The DSO name of Python frames: perf names JIT code after the map its
   symbols came from (perf-PID.map, [JIT] tid); Python code comes from its
   .py file, so "[python] FILE" (co_filename).  PY_DSO_PREFIX + file. */
#define PY_DSO_PREFIX "[python] "

struct stack {
	uint32_t nr;
	uint64_t *keys;         /* leaf first */
	struct tally t;
};

/* A cached lookup, valid while the address spaces' generation is gen. */
struct key_cache {
	uint64_t ip, key, gen;
	int32_t pid;
	bool kernel, used;
};

/*
 * The last frame-pointer stack counted, to count a repeat without its
 * lookups: consecutive samples mostly come from one loop, so their pid,
 * callchain and the address spaces (generation) are those of the sample
 * before, and so are its site keys and stack.  Valid while used is set.
 */
struct stack_memo {
	bool used, kernel;
	int32_t pid;
	uint64_t gen;
	uint32_t nr;                    /* callchain entries in chain */
	uint32_t stack;                 /* its stack (index), or UINT32_MAX: no keys */
	uint32_t truncated, broken;     /* what chain_keys counted for it */
	uint64_t chain[2 * MAX_DEPTH + 2];
};

/* The last sampled pc's site, likewise (same pid, pc, mode, generation). */
struct leaf_memo {
	bool used, kernel;
	int32_t pid;
	uint64_t gen, ip, key;
	uint32_t site;
};

/* The last sample's data mapping (same pid and generation, address in
   [start, end)): samples of one buffer follow each other. */
struct data_memo {
	bool used;
	int32_t pid;
	uint64_t gen, start, end;
	uint32_t name;
};

struct nl_codeprofile {
	struct key_cache kcache[KEY_CACHE]; /* most frames repeat: skip the lookup */
	struct data_memo data;
	uint64_t prefetch_after;     /* samples before symbols__prefetch_start */
	struct stack_memo memo;
	struct leaf_memo leaf;
	struct nl_symbols *syms;
	struct nl_addrspaces *as;
	struct site *sites;
	uint32_t nr_sites;
	size_t cap_sites;
	struct nl_map site_index;    /* key -> site index */
	struct pending *pending;
	uint32_t nr_pending;
	size_t cap_pending;
	struct nl_map pending_index; /* hash(pid, ip) -> pending index */
	uint32_t *free_pending;      /* slots of retired processes' entries */
	size_t nr_free_pending, cap_free_pending;
	struct stack *stacks;
	uint32_t nr_stacks;
	size_t cap_stacks;
	struct nl_map stack_index;   /* hash of keys -> stack index */
	struct nl_unwinder *unwinder;   /* --call-graph dwarf stacks */
	uint8_t *dfr;                   /* deferred dwarf samples (see defer) */
	size_t dfr_len, dfr_cap;
	uint64_t chain[2 * MAX_DEPTH + 2]; /* one sample's kernel + unwound user ips */
	uint64_t scratch[2 * MAX_DEPTH + 2]; /* one sample's stack keys: native
						(or the pc), PY_SEP, Python */
	uint64_t pykeys[MAX_DEPTH + 1];      /* ... its Python ones (PY_SEP first) */
	struct nl_map py_index;      /* source frame id -> index into py */
	struct pysite *py;
	size_t nr_py, cap_py;
	struct nl_map pydso_index;   /* hash of a file -> index into pydsos */
	char **pydsos;               /* interned "[python] FILE" names */
	size_t nr_pydsos, cap_pydsos;
	struct nl_code_profile pub;
	/* results */
	struct nl_map fn_index, line_index;
	size_t cap_fn, cap_lines;
	struct tally *fn_t, *line_t, *row_t;
	struct nl_map row_index;
	size_t cap_rows;
	bool by_pid;                    /* --sort has pid: sites are per process */
	uint64_t *fn_best;              /* samples of each function's hottest site */
};

/* The aggregator's verdict on one sample, as the tallies count it. */
struct verdict {
	enum nl_locality loc;
	bool first_touch, has_weight;
	uint64_t weight;
	uint32_t mapping;       /* 0: unknown */
};

/* --- codeprofile.c: counting, for the stack table ----------------------------- */

/* Counts one sample with verdict v into t. */
void codeprofile__tally_add(struct tally *t, const struct verdict *v);
/* Adds the counts of from to t. */
void codeprofile__tally_merge(struct tally *t, const struct tally *from);

/* The key an ended process' key becomes at its retirement (codeprofile.c):
   pid's pending keys their final key, keys of its JIT map when that does
   not exist (jit: its DSO, NL_DSO_UNKNOWN none) the [unknown] key of the
   same address, as they resolve; others unchanged. */
uint64_t codeprofile__retired_key(struct nl_codeprofile *cp, int pid, uint32_t jit, uint64_t key);

/* Every stack holding a key of retiring pid (codeprofile__retired_key)
   takes the keys it becomes, merged into a stack with those keys when one
   is kept.  0 or -ENOMEM. */
int codestacks__retire(struct nl_codeprofile *cp, int pid, uint32_t jit);
/* t's counts as a row's (its top data mapping named). */
void codeprofile__publish(const struct nl_codeprofile *cp, const struct tally *t,
			  struct nl_code_counts *c);
/* qsort order of rows: by remote memory samples, then memory, then samples. */
int codeprofile__by_weight(const struct nl_code_counts *a, const struct nl_code_counts *b);
/* The site key of ip in pid, or a pending key when no mapping holds it yet. */
uint64_t codeprofile__code_key(struct nl_codeprofile *cp, int pid, uint64_t ip, bool kernel);
/* Kernel code: by the sample's cpumode, or by the address when unknown. */
bool codeprofile__is_kernel(const struct nl_sample *s, uint64_t ip);
/* The resolved location of a site key (a Python frame's own, or symbols');
   NULL on -ENOMEM. */
const struct nl_code_loc *codeprofile__key_loc(struct nl_codeprofile *cp, uint64_t key);

/* --- codestacks.c: the stack table -------------------------------------------- */

/* Site keys of chain (a callchain: ips and context markers) of sample s
   into cp->scratch; returns how many. */
uint32_t codestacks__chain_keys(struct nl_codeprofile *cp, const struct nl_sample *s,
				const uint64_t *chain, uint32_t nr);
/* Counts v into the stack of the n keys in keys.  0 or -ENOMEM. */
/* Counts s's frame-pointer callchain (s without Python frames) as a stack,
   through cp->memo when it repeats the one before.  0 or -ENOMEM. */
int codestacks__count_chain(struct nl_codeprofile *cp, const struct nl_sample *s,
			    const struct verdict *v);
int codestacks__count(struct nl_codeprofile *cp, const uint64_t *keys, uint32_t n,
		      const struct verdict *v);
/* A --call-graph dwarf sample with its nr_py Python keys py (PY_SEP first,
   or none): unwound and counted now, or kept (keys included: s->py does not
   last) for the round that knows its pc (NL_REC_ROUND: codestacks__replay).
   Without native frames the Python ones stand above the sampled pc.
   0 or -ENOMEM. */
int codestacks__add_dwarf(struct nl_codeprofile *cp, const struct nl_sample *s,
			  const struct verdict *v, const uint64_t *py, uint32_t nr_py);
/* Unwinds the deferred samples whose pc is now known (all when final). */
int codestacks__replay(struct nl_codeprofile *cp, bool final);
/* The published stacks (cp->pub.stacks), merged and sorted.  0 or -ENOMEM. */
int codestacks__finish(struct nl_codeprofile *cp);
/* The unwinder's statistics into cp->pub.unwind, and a note when dwarf
   stacks came out short. */
void codestacks__unwind_note(struct nl_codeprofile *cp);
/* Frees what the stack table holds (cp itself stays). */
void codestacks__free(struct nl_codeprofile *cp);

#endif
