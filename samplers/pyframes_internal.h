/*
 * pyframes_internal.h - the state shared by pyframes.c (processes, threads,
 * frame walks, look-ahead reads) and pyframes_code.c (reads of the target's
 * memory, interned strings and frame ids, code objects and their line
 * tables).  Not for use outside samplers/pyframes*.c.
 */
#ifndef NL_PYFRAMES_INTERNAL_H
#define NL_PYFRAMES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "samplers/base/map.h"
#include "samplers/base/sys.h"
#include "samplers/pyframes.h"
#include "samplers/pylayout.h"
#include "samplers/pyruntime.h"

#define STR_MAX 512             /* longer names are cut */
#define LINETABLE_MAX (256u << 10)
#define MAX_THREADS 65536       /* thread-state list walk bound */
#define DELAY_BUCKET_US 100     /* delay histogram: 100 us buckets ... */
#define DELAY_BUCKETS 10000     /* ... up to 1 s, then ... */
#define DELAY_LATE 20           /* ... one per power of two seconds (to 2^20 s) */
#define MAX_FILES 16            /* interpreter files checked against DWARF */
/* A walk reads the target's memory around a frame in one call (the frames
   of a thread sit together in its data stack chunk, older ones below): a
   read under TCG costs ~0.4 ms, and a torch worker's chain is ~20 deep. */
#define WINDOW 8192
#define PAGE 4096ull
/* A cached code object is re-validated (one read) at most this often: a
   freed code object whose address another one took is named wrongly for
   at most this long. */
#define CODE_CHECK_NS 1000000000ull

struct code {
	uint64_t addr;
	uint64_t checked_ns;                    /* when last re-validated */
	uint64_t filename, name, linetable;     /* pointers, to re-validate */
	const char *function, *file;            /* interned */
	int firstlineno;
	uint32_t nr_ranges;
	uint32_t *range_end;                    /* code units, ascending */
	int32_t *range_line;                    /* -1: no line */
};

struct proc {
	int pid;
	int status;                     /* 0 (Python), or pyruntime__find's -errno */
	struct nl_pyruntime rt;
	struct nl_map tstates;          /* tid -> PyThreadState address */
	struct nl_map codes;            /* code address -> index into code */
	struct code *code;
	size_t nr_code, cap_code;
	uint64_t code_type;             /* 3.13: address of PyCode_Type once seen */
	bool exec;                      /* exec'd under the profile (pyframes__exec) */
	uint64_t first_frames;          /* when a read first found Python frames */
};

/* A thread's read in the current batch: its stack, exact and approximate. */
struct burst {
	int32_t start, nr;              /* into p->fbuf; nr -1: no Python frames */
	uint32_t flags;                 /* NL_PYS_TRUNCATED */
	int32_t stack[2];               /* into p->stacks: exact, approximate; -1 */
};

/* A stack kept for look-ahead reads (pyframes__look), interned: its frames
   never move. */
struct kept {
	uint32_t nr, flags;             /* NL_PYS_TRUNCATED */
	uint64_t hash;
	struct nl_pyframe *frames;
};

/* One look at a thread: when, and what it ran (-1: no Python frames). */
struct look {
	uint64_t time;
	int32_t kept;
};

/* A thread's looks, oldest first: look[start, n) are kept. */
struct history {
	struct look *look;
	size_t start, n, cap;
};

/* Interpreter files whose layout was compared with their DWARF. */
struct checked_file {
	char path[600];
	struct nl_pylayout layout;      /* the layout to use */
};

struct nl_pyframes {
	const struct nl_sys *sys;
	struct nl_map procs;            /* pid -> index + 1 into proc (0 free) */
	struct nl_map execs;            /* pid -> 1: exec'd, its interpreter not yet found */
	struct proc **proc;
	size_t nr_proc, cap_proc;
	/* strings and frames for the whole profile */
	struct nl_map strings;          /* hash -> index into str (probed) */
	char **str;
	size_t nr_str, cap_str;
	struct nl_map frame_ids;        /* hash(function, file, line) -> id (probed) */
	struct nl_pyframe *frame;       /* by id */
	size_t nr_frame, cap_frame;
	/* the current batch */
	struct nl_map bursts;           /* (pid, tid) -> index into burst */
	struct burst *burst;
	size_t nr_burst, cap_burst;
	struct nl_pyframe *fbuf;        /* frames of this batch's reads */
	size_t nr_fbuf, cap_fbuf;
	struct nl_pystack *stacks;
	size_t nr_stacks, cap_stacks;
	uint64_t walk[NL_PY_MAX_DEPTH]; /* frame addresses of one walk */
	uint64_t walk_ns;               /* when the current walk began */
	bool no_window;                 /* frames read one by one (tests) */
	uint64_t win_lo, win_hi;        /* win holds [win_lo, win_hi) of this walk */
	uint8_t win[WINDOW];
	/* look-ahead reads (pyframes__look), by thread, and their stacks */
	struct nl_map histories;        /* (pid, tid) -> index into history */
	struct history *history;
	size_t nr_history, cap_history;
	struct nl_map kept_ids;         /* stack hash -> index into kept (probed) */
	struct kept *kept;
	size_t nr_kept, cap_kept;
	struct nl_pyframe *lbuf;        /* a look's frames, before they are kept */
	size_t nr_lbuf, cap_lbuf;
	struct nl_pysyms_cache syms;    /* interpreter files' symbols, read once */
	struct checked_file files[MAX_FILES];
	int nr_files;
	uint32_t delay_hist[DELAY_BUCKETS + DELAY_LATE];
	uint64_t delays;
	int noted_denied, noted_other, noted_nosym, noted_version, noted_mismatch;
	bool quiet;                     /* pyframes__attach: refusals counted later */
	struct nl_pyframes_stats st;
};

static inline uint64_t pyframes__u64_at(const uint8_t *b, uint16_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* --- pyframes_code.c ------------------------------------------------------------ */

/* Exactly len bytes of pid's memory at addr, or -errno (-EFAULT for a
   short read). */
int pyframes__read(const struct nl_pyframes *p, int pid, uint64_t addr, void *buf, size_t len);
/* The pointer at addr (0 on error), or -errno. */
int pyframes__read_ptr(const struct nl_pyframes *p, int pid, uint64_t addr, uint64_t *v);
/* s interned for the profile; NULL on -ENOMEM. */
const char *pyframes__intern(struct nl_pyframes *p, const char *s);
/* The id of (function, file, line), both interned; UINT32_MAX on -ENOMEM. */
uint32_t pyframes__frame_id(struct nl_pyframes *p, const char *function, const char *file, int line);
/* The code object at addr in pr, decoded once and re-validated at most
   every CODE_CHECK_NS; NULL with *err set when it cannot be read. */
const struct code *pyframes__code_get(struct nl_pyframes *p, struct proc *pr, uint64_t addr,
				      int *err);
/* The source line of code unit `unit` (-1: the frame has not started). */
int pyframes__line_of(const struct code *c, int64_t unit);

#endif
