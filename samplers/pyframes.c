/*
 * pyframes.c - Python frame chains read from running CPython processes.
 * See pyframes.h for the lifecycle.
 *
 * Per process (struct proc): its runtime (pyruntime.h), tid -> PyThreadState
 * address (checked at each use against native_thread_id, the list walked
 * again when stale), code address -> decoded code (struct code).  A code
 * object is re-validated at each use by its name, file and line-table
 * pointers (one small read), so a freed and reused address is decoded anew.
 * Strings are interned once for the profile; a frame id is the interned
 * (function, file, line).
 */
#include "samplers/pyframes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/diag.h"
#include "samplers/base/map.h"
#include "samplers/base/sys.h"
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

struct nl_pyframes *pyframes__new(const struct nl_sys *sys)
{
	struct nl_pyframes *p = calloc(1, sizeof(*p));

	if (p)
		p->sys = sys ? sys : sys__default();
	return p;
}

static void proc_free(struct proc *pr)
{
	if (!pr)
		return;
	for (size_t i = 0; i < pr->nr_code; i++) {
		free(pr->code[i].range_end);
		free(pr->code[i].range_line);
	}
	free(pr->code);
	map__free(&pr->codes);
	map__free(&pr->tstates);
	free(pr);
}

void pyframes__free(struct nl_pyframes *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_proc; i++)
		proc_free(p->proc[i]);
	free(p->proc);
	for (size_t i = 0; i < p->nr_str; i++)
		free(p->str[i]);
	free(p->str);
	free(p->frame);
	free(p->burst);
	free(p->fbuf);
	for (size_t i = 0; i < p->nr_history; i++)
		free(p->history[i].look);
	free(p->history);
	for (size_t i = 0; i < p->nr_kept; i++)
		free(p->kept[i].frames);
	free(p->kept);
	free(p->lbuf);
	map__free(&p->histories);
	map__free(&p->kept_ids);
	free(p->stacks);
	map__free(&p->procs);
	map__free(&p->strings);
	map__free(&p->frame_ids);
	map__free(&p->bursts);
	free(p);
}

/* --- target memory ---------------------------------------------------------------- */

/* Exactly len bytes at addr, or -errno (-EFAULT for a short read). */
static int rd(const struct nl_pyframes *p, int pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t r;

	if (!addr)
		return -EFAULT;
	r = sys__read_memory(p->sys, pid, addr, buf, len);
	if (r < 0)
		return (int)r;
	return (size_t)r == len ? 0 : -EFAULT;
}

static int rd_ptr(const struct nl_pyframes *p, int pid, uint64_t addr, uint64_t *v)
{
	*v = 0;
	return rd(p, pid, addr, v, sizeof(*v));
}

static uint64_t u64_at(const uint8_t *b, uint16_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* --- interning ---------------------------------------------------------------- */

static const char *intern(struct nl_pyframes *p, const char *s)
{
	uint64_t h = 1469598103934665603ull, v;

	for (const char *c = s; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	while (map__get(&p->strings, 0, h, &v)) {
		if (!strcmp(p->str[v], s))
			return p->str[v];
		h++;
	}
	if (array__reserve((void **)&p->str, &p->cap_str, p->nr_str + 1, sizeof(*p->str)))
		return NULL;
	p->str[p->nr_str] = strdup(s);
	if (!p->str[p->nr_str] || map__put(&p->strings, 0, h, p->nr_str)) {
		free(p->str[p->nr_str]);
		return NULL;
	}
	return p->str[p->nr_str++];
}

/* The id of (function, file, line); UINT32_MAX on -ENOMEM. */
static uint32_t frame_id(struct nl_pyframes *p, const char *function, const char *file, int line)
{
	uint64_t h = map__mix64(map__mix64((uintptr_t)function) ^ (uintptr_t)file) ^ (uint32_t)line, v;
	struct nl_pyframe *f;

	while (map__get(&p->frame_ids, 0, h, &v)) {
		f = &p->frame[v];
		if (f->function == function && f->file == file && f->line == line)
			return (uint32_t)v;
		h++;
	}
	if (p->nr_frame >= UINT32_MAX - 1 ||
	    array__reserve((void **)&p->frame, &p->cap_frame, p->nr_frame + 1, sizeof(*p->frame)) ||
	    map__put(&p->frame_ids, 0, h, p->nr_frame))
		return UINT32_MAX;
	f = &p->frame[p->nr_frame];
	*f = (struct nl_pyframe){ .id = (uint32_t)p->nr_frame, .line = line,
				  .function = function, .file = file };
	return (uint32_t)p->nr_frame++;
}

/* --- strings and code objects -------------------------------------------------- */

/* A str object's text (ASCII or Latin-1 compact strings; others as '?'). */
static int read_str(struct nl_pyframes *p, const struct proc *pr, uint64_t obj, char *out,
		    size_t size)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t length;
	uint32_t state;
	unsigned kind;
	uint64_t data;
	int e;

	out[0] = '\0';
	if ((e = rd(p, pr->pid, obj + l->off[NL_PY_STR_LENGTH], &length, sizeof(length))) ||
	    (e = rd(p, pr->pid, obj + l->off[NL_PY_STR_STATE], &state, sizeof(state))))
		return e;
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || length > (1u << 20))     /* not compact: not a name */
		return -EINVAL;
	data = obj + (((state >> 6) & 1) ? l->off[NL_PY_STR_ASCII_SIZE] : l->off[NL_PY_STR_COMPACT_SIZE]);
	if (length >= size)
		length = size - 1;
	if (kind == 1) {
		if ((e = rd(p, pr->pid, data, out, length)))
			return e;
		for (size_t i = 0; i < length; i++)
			if ((uint8_t)out[i] >= 0x80 || !out[i])
				out[i] = '?';
		out[length] = '\0';
		return 0;
	}
	memset(out, '?', length);
	out[length] = '\0';
	return 0;
}

/* Decodes a 3.11+ location table (Objects/locations.md) into line ranges. */
static int decode_lines(struct code *c, const uint8_t *t, size_t len)
{
	size_t cap_end = 0, cap_line = 0, n = 0, i = 0;
	uint32_t addr = 0;
	int line = c->firstlineno;

	while (i < len) {
		uint8_t b = t[i++];
		int code = (b >> 3) & 15, ln = line;
		uint64_t v;
		unsigned shift;

		if (!(b & 0x80))
			break;          /* lost the entry boundary: stop */
		switch (code) {
		case 15:
			ln = -1;
			break;
		case 14:
		case 13:
			v = 0, shift = 0;
			while (i < len && shift < 32) {     /* svarint */
				v |= (uint64_t)(t[i] & 63) << shift;
				shift += 6;
				if (!(t[i++] & 64))
					break;
			}
			line += (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
			ln = line;
			for (int k = 0; code == 14 && k < 3; k++)   /* end line, columns */
				while (i < len && (t[i++] & 64))
					;
			break;
		case 12:
		case 11:
		case 10:
			line += code - 10;
			ln = line;
			i += 2;
			break;
		default:
			i += 1;
			break;
		}
		addr += (b & 7) + 1u;
		if (array__reserve((void **)&c->range_end, &cap_end, n + 1, sizeof(*c->range_end)) ||
		    array__reserve((void **)&c->range_line, &cap_line, n + 1, sizeof(*c->range_line)))
			return -ENOMEM;
		c->range_end[n] = addr;
		c->range_line[n] = ln;
		n++;
	}
	c->nr_ranges = (uint32_t)n;
	return 0;
}

/* The source line of code unit `unit` (-1: the frame has not started). */
static int line_of(const struct code *c, int64_t unit)
{
	uint32_t lo = 0, hi = c->nr_ranges;

	if (unit < 0)
		return c->firstlineno;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (c->range_end[mid] <= (uint64_t)unit)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= c->nr_ranges || c->range_line[lo] < 0)
		return 0;
	return c->range_line[lo];
}

/* Reads the code object at addr into c.  0 or -errno. */
static int decode_code(struct nl_pyframes *p, struct proc *pr, uint64_t addr, struct code *c)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	char name[STR_MAX], file[STR_MAX];
	uint8_t hdr[512];
	uint64_t qual, tsize;
	uint8_t *table;
	int32_t first;
	int e;

	if (l->off[NL_PY_CO_CODE_ADAPTIVE] > sizeof(hdr))
		return -EINVAL;
	if ((e = rd(p, pr->pid, addr, hdr, l->off[NL_PY_CO_CODE_ADAPTIVE])))
		return e;
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->filename = u64_at(hdr, l->off[NL_PY_CO_FILENAME]);
	c->name = u64_at(hdr, l->off[NL_PY_CO_NAME]);
	c->linetable = u64_at(hdr, l->off[NL_PY_CO_LINETABLE]);
	qual = u64_at(hdr, l->off[NL_PY_CO_QUALNAME]);
	memcpy(&first, hdr + l->off[NL_PY_CO_FIRSTLINENO], sizeof(first));
	c->firstlineno = first;
	if ((e = read_str(p, pr, qual ? qual : c->name, name, sizeof(name))) ||
	    (e = read_str(p, pr, c->filename, file, sizeof(file))))
		return e;
	c->function = intern(p, name);
	c->file = intern(p, file);
	if (!c->function || !c->file)
		return -ENOMEM;
	if ((e = rd_ptr(p, pr->pid, c->linetable + l->off[NL_PY_BYTES_SIZE], &tsize)))
		return e;
	if (tsize > LINETABLE_MAX)
		return -EINVAL;
	table = malloc(tsize ? tsize : 1);
	if (!table)
		return -ENOMEM;
	e = rd(p, pr->pid, c->linetable + l->off[NL_PY_BYTES_DATA], table, tsize);
	if (!e)
		e = decode_lines(c, table, tsize);
	free(table);
	if (e) {
		free(c->range_end);
		free(c->range_line);
		c->range_end = NULL;
		c->range_line = NULL;
	}
	return e;
}

/* 3.13+: f_executable may be None or another object: only code objects count. */
static bool is_code(struct nl_pyframes *p, struct proc *pr, uint64_t obj)
{
	uint64_t type, tp_name;
	char name[8];

	if (!pr->rt.layout.executable_may_not_be_code)
		return true;
	if (rd_ptr(p, pr->pid, obj + 8, &type))     /* ob_type */
		return false;
	if (pr->code_type)
		return type == pr->code_type;
	if (rd_ptr(p, pr->pid, type + 24, &tp_name) || rd(p, pr->pid, tp_name, name, 5))
		return false;
	if (memcmp(name, "code", 5))
		return false;
	pr->code_type = type;
	return true;
}

/* The cached, re-validated code at addr, decoded on first sight; NULL when unreadable. */
static const struct code *code_get(struct nl_pyframes *p, struct proc *pr, uint64_t addr, int *err)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t v, ptrs[3];
	struct code c, *have = NULL;

	*err = 0;
	if (map__get(&pr->codes, 0, addr, &v)) {
		if (p->walk_ns - pr->code[v].checked_ns < CODE_CHECK_NS)
			return &pr->code[v];
		/* one read of the pointers that name it (they sit together) */
		uint16_t f = l->off[NL_PY_CO_FILENAME], n = l->off[NL_PY_CO_NAME],
			 t = l->off[NL_PY_CO_LINETABLE];
		uint16_t lo = f < n ? (f < t ? f : t) : (n < t ? n : t);
		uint16_t hi = (f > n ? (f > t ? f : t) : (n > t ? n : t)) + 8;
		uint8_t span[64];

		have = &pr->code[v];
		if (hi - lo > (int)sizeof(span)) {
			*err = -EINVAL;
			return NULL;
		}
		if ((*err = rd(p, pr->pid, addr + lo, span, (size_t)(hi - lo))))
			return NULL;
		ptrs[0] = u64_at(span, (uint16_t)(f - lo));
		ptrs[1] = u64_at(span, (uint16_t)(n - lo));
		ptrs[2] = u64_at(span, (uint16_t)(t - lo));
		if (ptrs[0] == have->filename && ptrs[1] == have->name && ptrs[2] == have->linetable) {
			have->checked_ns = p->walk_ns;
			return have;
		}
	}
	if (!is_code(p, pr, addr)) {
		*err = -EINVAL;
		return NULL;
	}
	if ((*err = decode_code(p, pr, addr, &c)))
		return NULL;
	p->st.codes++;
	c.checked_ns = p->walk_ns;
	if (have) {             /* the address was reused by another code object */
		free(have->range_end);
		free(have->range_line);
		*have = c;
		return have;
	}
	if (array__reserve((void **)&pr->code, &pr->cap_code, pr->nr_code + 1, sizeof(*pr->code)) ||
	    map__put(&pr->codes, 0, addr, pr->nr_code)) {
		free(c.range_end);
		free(c.range_line);
		*err = -ENOMEM;
		return NULL;
	}
	pr->code[pr->nr_code] = c;
	return &pr->code[pr->nr_code++];
}

/* --- processes and threads ------------------------------------------------------- */

static void note_status(struct nl_pyframes *p, const struct proc *pr)
{
	const char *f = pr->rt.file;

	if (p->quiet)
		return;
	switch (pr->status) {
	case -ENOENT:
		p->st.not_python++;
		break;
	case -ENOEXEC:
		p->st.other_python++;
		if (!p->noted_other++)
			diag__note("pid %d: %s: not CPython (PyPy?) - its Python frames are not read; "
				   "native frames only", pr->pid, f);
		break;
	case -ENODATA:
		p->st.no_symbols++;
		if (!p->noted_nosym++)
			diag__note("pid %d: %s: no _PyRuntime/Py_Version symbols (stripped?) - Python "
				   "frames need an interpreter with its symbol table", pr->pid, f);
		break;
	case -ENOTSUP:
		p->st.unknown_version++;
		if (!p->noted_version++ && !pr->rt.version)
			diag__note("pid %d: %s: a CPython before 3.11 (no Py_Version) - Python frames are "
				   "read for CPython 3.11 to 3.13", pr->pid, f);
		else if (p->noted_version == 1)
			diag__note("pid %d: %s: Python %u.%u has no known layout - Python frames are read "
				   "for CPython 3.11 to 3.13", pr->pid, f, pr->rt.version >> 24,
				   (pr->rt.version >> 16) & 0xff);
		break;
	case -EPERM:
	case -EACCES:
		p->st.denied++;
		if (!p->noted_denied++)
			diag__note("pid %d: its memory (process_vm_readv, /proc/PID/maps): %s - no Python "
				   "frames; run numalens as root or with CAP_SYS_PTRACE, or 'sysctl "
				   "kernel.yama.ptrace_scope=0'", pr->pid, strerror(-pr->status));
		break;
	case -ESRCH:
		p->st.gone++;
		break;
	default:
		p->st.unknown_version++;
		break;
	}
}

/* The layout checked against the file's DWARF once per interpreter file (by
   its mapped name: forked workers share it), DWARF winning when they differ. */
static void check_layout(struct nl_pyframes *p, struct proc *pr)
{
	struct nl_pylayout dw;
	char dpath[600];
	int i;

	for (i = 0; i < p->nr_files; i++) {
		if (!strcmp(p->files[i].path, pr->rt.file) &&
		    p->files[i].layout.minor == pr->rt.layout.minor) {
			pr->rt.layout = p->files[i].layout;
			return;
		}
	}
	if (!pylayout__from_dwarf(pr->rt.open_path, NULL, pr->rt.layout.major, pr->rt.layout.minor,
				  &dw, dpath, sizeof(dpath)) && pr->rt.layout.minor < 13) {
		int diff = 0;

		p->st.layout_dwarf_checked++;
		for (int f = 0; f < NL_PY_FIELD_COUNT; f++) {
			if (dw.off[f] == NL_PYOFF_NONE || dw.off[f] == pr->rt.layout.off[f])
				continue;
			if (!p->noted_mismatch++)
				diag__note("%s: %s is at %u in its DWARF (%s), %u in numalens' %s table - "
					   "the DWARF offsets are used; report this CPython build",
					   pr->rt.file, pylayout__field_name(f), dw.off[f], dpath,
					   pr->rt.layout.off[f], pr->rt.layout.origin);
			pr->rt.layout.off[f] = dw.off[f];
			diff++;
		}
		if (diff) {
			p->st.layout_dwarf_mismatch++;
			pr->rt.layout.origin = "DWARF";
		}
	}
	if (p->nr_files < MAX_FILES) {
		snprintf(p->files[p->nr_files].path, sizeof(p->files[0].path), "%s", pr->rt.file);
		p->files[p->nr_files++].layout = pr->rt.layout;
	}
}

static struct proc *proc_get(struct nl_pyframes *p, int pid)
{
	uint64_t v, t0;
	struct proc *pr;

	if (map__get(&p->procs, 0, (uint32_t)pid, &v) && v)
		return p->proc[v - 1];
	pr = calloc(1, sizeof(*pr));
	if (!pr || array__reserve((void **)&p->proc, &p->cap_proc, p->nr_proc + 1, sizeof(*p->proc)) ||
	    map__put(&p->procs, 0, (uint32_t)pid, p->nr_proc + 1)) {
		free(pr);
		return NULL;
	}
	p->proc[p->nr_proc++] = pr;
	pr->pid = pid;
	p->st.processes++;
	t0 = p->sys->now_ns();
	pr->status = pyruntime__find_cached(p->sys, pid, &p->syms, &pr->rt);
	if (pr->status) {
		note_status(p, pr);
	} else {
		p->st.python++;
		check_layout(p, pr);
	}
	p->st.find_ns += p->sys->now_ns() - t0;
	return pr;
}

void pyframes__attach(struct nl_pyframes *p, int pid)
{
	uint64_t t0 = p->sys->now_ns();
	struct proc *pr;

	p->quiet = true;
	pr = proc_get(p, pid);
	p->quiet = false;
	/* not readable (yet): the first sample tries again, and says why */
	if (pr && pr->status) {
		pyframes__forget(p, pid);
		p->st.processes--;
	}
	p->st.ns += p->sys->now_ns() - t0;
}

void pyframes__mapped(struct nl_pyframes *p, int pid, const char *path)
{
	const uint64_t *v = map__find(&p->procs, 0, (uint32_t)pid);

	int status = v && *v ? p->proc[*v - 1]->status : 0;

	/* a stub executable (no symbols) may be followed by its libpython */
	if ((status == -ENOENT || status == -ENODATA) && pyruntime__candidate(path)) {
		pyframes__forget(p, pid);
		p->st.processes--;
		if (status == -ENOENT)
			p->st.not_python--;
		else
			p->st.no_symbols--;
	}
}

void pyframes__forget(struct nl_pyframes *p, int pid)
{
	uint64_t *v = map__find(&p->procs, 0, (uint32_t)pid);

	if (!v || !*v)
		return;
	/* the slot stays (indexes are stable); a new process of that pid starts afresh */
	proc_free(p->proc[*v - 1]);
	p->proc[*v - 1] = NULL;
	map__del(&p->procs, 0, (uint32_t)pid);
}

/* The PyThreadState of tid: the cached one if it still names tid, else a walk. */
static int tstate_of(struct nl_pyframes *p, struct proc *pr, int tid, uint64_t *ts)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t v, interp, t, native;
	int e, n = 0;

	if (map__get(&pr->tstates, 0, (uint32_t)tid, &v) &&
	    !rd_ptr(p, pr->pid, v + l->off[NL_PY_TS_NATIVE_TID], &native) && native == (uint64_t)tid) {
		*ts = v;
		return 0;
	}
	if ((e = rd_ptr(p, pr->pid, pr->rt.runtime + l->off[NL_PY_RT_INTERP_HEAD], &interp)) ||
	    (e = rd_ptr(p, pr->pid, interp + l->off[NL_PY_IS_THREADS_HEAD], &t)))
		return e;
	*ts = 0;
	/* a list that loops (memory that lies) ends when it comes back to a
	   mark moved at each power of two steps (Brent), not at MAX_THREADS */
	for (uint64_t mark = t, lap = 1, since = 0; t && n < MAX_THREADS; n++) {
		if ((e = rd_ptr(p, pr->pid, t + l->off[NL_PY_TS_NATIVE_TID], &native)))
			return e;
		if (native && native < (1u << 31))
			map__put(&pr->tstates, 0, (uint32_t)native, t);
		if (native == (uint64_t)tid)
			*ts = t;
		if ((e = rd_ptr(p, pr->pid, t + l->off[NL_PY_TS_NEXT], &t)))
			return e;
		if (t == mark)
			break;
		if (++since == lap) {
			mark = t;
			lap *= 2;
			since = 0;
		}
	}
	return *ts ? 0 : -ENOENT;
}

/* The thread's current frame address (0: no Python code running). */
static int current_frame(struct nl_pyframes *p, struct proc *pr, uint64_t ts, uint64_t *frame)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t cframe;
	int e;

	if (l->off[NL_PY_TS_CURRENT_FRAME] != NL_PYOFF_NONE)
		return rd_ptr(p, pr->pid, ts + l->off[NL_PY_TS_CURRENT_FRAME], frame);
	if ((e = rd_ptr(p, pr->pid, ts + l->off[NL_PY_TS_CFRAME], &cframe)))
		return e;
	return rd_ptr(p, pr->pid, cframe + l->off[NL_PY_CF_CURRENT_FRAME], frame);
}

/* len bytes of a frame at addr, through the walk's window (WINDOW). */
static int rd_frame(struct nl_pyframes *p, const struct proc *pr, uint64_t addr, void *buf,
		    size_t len)
{
	uint64_t hi = (addr + len + PAGE - 1) & ~(PAGE - 1), lo;
	ssize_t r;

	if (p->no_window || !addr || addr + len < addr)
		return rd(p, pr->pid, addr, buf, len);
	if (addr >= p->win_lo && addr + len <= p->win_hi) {
		memcpy(buf, p->win + (addr - p->win_lo), len);
		return 0;
	}
	/* the window below the frame (older frames), else its own pages */
	for (int k = 0; k < 2; k++) {
		lo = k == 0 && hi >= WINDOW ? hi - WINDOW : addr & ~(PAGE - 1);
		if (hi - lo > WINDOW)
			break;
		r = sys__read_memory(p->sys, pr->pid, lo, p->win, (size_t)(hi - lo));
		if (r == -EPERM || r == -EACCES)
			return (int)r;
		if (r > 0 && lo + (uint64_t)r >= addr + len) {
			p->win_lo = lo;
			p->win_hi = lo + (uint64_t)r;
			memcpy(buf, p->win + (addr - lo), len);
			return 0;
		}
	}
	return rd(p, pr->pid, addr, buf, len);
}

/*
 * Walks the frame chain from frame into p->fbuf (appending).  OUT: *nr
 * frames, *flags NL_PYS_TRUNCATED.  0, or -ENOMEM / -EPERM (the walk is
 * bounded and its other failures only truncate it).
 */
static int walk(struct nl_pyframes *p, struct proc *pr, uint64_t frame, int32_t *nr,
		uint32_t *flags)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint16_t need = 0;
	uint8_t fb[128];
	int depth = 0, n = 0, e = 0;

	for (int f = NL_PY_FR_CODE; f <= NL_PY_FR_IS_ENTRY; f++)
		if (l->off[f] != NL_PYOFF_NONE && l->off[f] + 8 > need)
			need = (uint16_t)(l->off[f] + 8);
	if (need > sizeof(fb))
		return -EINVAL;
	*flags = 0;
	for (; frame; depth++) {
		const struct code *c;
		uint64_t code, prev, instr;
		uint8_t owner;
		uint32_t id;

		if (depth == NL_PY_MAX_DEPTH) {
			p->st.too_deep++;
			*flags |= NL_PYS_TRUNCATED;
			break;
		}
		for (int k = 0; k < depth; k++) {
			if (p->walk[k] == frame) {
				p->st.loops++;
				*flags |= NL_PYS_TRUNCATED;
				goto done;
			}
		}
		p->walk[depth] = frame;
		if ((e = rd_frame(p, pr, frame, fb, need)))
			break;
		code = u64_at(fb, l->off[NL_PY_FR_CODE]);
		prev = u64_at(fb, l->off[NL_PY_FR_PREVIOUS]);
		instr = u64_at(fb, l->off[NL_PY_FR_INSTR]);
		owner = fb[l->off[NL_PY_FR_OWNER]];
		frame = prev;
		if (owner == NL_PY_OWNED_BY_CSTACK && l->minor >= 12) {
			/* the shim under an evaluator activation: its callee began one */
			if (n)
				p->fbuf[p->nr_fbuf + (size_t)n - 1].flags |= NL_PYF_ENTRY;
			continue;
		}
		c = code_get(p, pr, code, &e);
		if (!c) {
			if (e == -ENOMEM || e == -EPERM)
				return e;
			if (e == -EINVAL && l->executable_may_not_be_code) {
				e = 0;
				continue;       /* not a code object (3.13 None executable) */
			}
			break;
		}
		id = frame_id(p, c->function, c->file,
			      line_of(c, instr ? ((int64_t)instr - (int64_t)(code + l->off[NL_PY_CO_CODE_ADAPTIVE])) / 2
					       : -1));
		if (id == UINT32_MAX ||
		    array__reserve((void **)&p->fbuf, &p->cap_fbuf, p->nr_fbuf + (size_t)n + 1, sizeof(*p->fbuf)))
			return -ENOMEM;
		p->fbuf[p->nr_fbuf + (size_t)n] = p->frame[id];
		if (l->off[NL_PY_FR_IS_ENTRY] != NL_PYOFF_NONE && fb[l->off[NL_PY_FR_IS_ENTRY]])
			p->fbuf[p->nr_fbuf + (size_t)n].flags |= NL_PYF_ENTRY;
		n++;
	}
	if (e) {
		if (e == -EPERM || e == -EACCES)
			return e;
		p->st.unreadable++;
		*flags |= NL_PYS_TRUNCATED;
	}
done:
	*nr = n;
	p->st.frames += (uint64_t)n;
	return 0;
}

/* One (pid, tid) read into b.  b->nr -1 when the thread runs no Python. */
static void read_thread(struct nl_pyframes *p, struct proc *pr, int tid, struct burst *b)
{
	uint64_t ts, frame, again;
	int e;

	b->nr = -1;
	b->start = (int32_t)p->nr_fbuf;
	e = tstate_of(p, pr, tid, &ts);
	if (!e)
		e = current_frame(p, pr, ts, &frame);
	if (e == -EPERM || e == -EACCES) {      /* the target's memory is closed to us */
		pr->status = e;
		note_status(p, pr);
		return;
	}
	if (e || !frame)
		return;
	p->st.reads++;
	for (int attempt = 0;; attempt++) {
		p->walk_ns = p->sys->now_ns();
		p->win_lo = p->win_hi = 0;      /* each walk sees memory as it is now */
		e = walk(p, pr, frame, &b->nr, &b->flags);
		if (e == -EPERM || e == -EACCES) {
			pr->status = e;
			note_status(p, pr);
			b->nr = -1;
			return;
		}
		if (e) {
			b->nr = -1;
			return;
		}
		/* the thread moved on while read: the chain may mix two stacks */
		if (current_frame(p, pr, ts, &again) || again == frame)
			break;
		if (attempt == NL_PY_RETRIES) {
			p->st.changed++;
			break;
		}
		p->st.retries++;
		frame = again;
		if (!frame) {
			b->nr = -1;
			return;
		}
	}
	if (b->nr == 0)
		b->nr = -1;
	else
		p->nr_fbuf += (size_t)b->nr;
}

/* The histogram bucket of a delay of us, and that bucket's upper edge. */
static int delay_bucket(uint64_t us)
{
	int k = 0;

	if (us < (uint64_t)DELAY_BUCKETS * DELAY_BUCKET_US)
		return (int)(us / DELAY_BUCKET_US);
	for (us /= 2000000; us && k < DELAY_LATE - 1; us /= 2)
		k++;
	return DELAY_BUCKETS + k;
}

static uint64_t delay_edge_us(int k)
{
	if (k < DELAY_BUCKETS)
		return (uint64_t)(k + 1) * DELAY_BUCKET_US;
	return 2000000ull << (k - DELAY_BUCKETS);
}

static void delay_add(struct nl_pyframes *p, uint64_t ns)
{
	uint64_t us = ns / 1000;

	p->delay_hist[delay_bucket(us)]++;
	p->delays++;
	if (us > p->st.delay_max_us)
		p->st.delay_max_us = us;
}

/* --- look-ahead reads ------------------------------------------------------------ */

/* The kept copy of frames[0..nr) with flags (one per distinct stack): its
   index, or -1 on -ENOMEM. */
static int32_t keep_stack(struct nl_pyframes *p, const struct nl_pyframe *f, uint32_t nr,
			  uint32_t flags)
{
	uint64_t h = map__mix64(nr ^ ((uint64_t)flags << 32)), v;
	struct kept *k;

	for (uint32_t i = 0; i < nr; i++)
		h = map__mix64(h ^ f[i].id ^ ((uint64_t)f[i].flags << 32));
	for (uint64_t probe = h; map__get(&p->kept_ids, 0, probe, &v); probe++) {
		bool same;

		k = &p->kept[v];
		same = k->hash == h && k->nr == nr && k->flags == flags;
		for (uint32_t i = 0; same && i < nr; i++)
			same = k->frames[i].id == f[i].id && k->frames[i].flags == f[i].flags;
		if (same)
			return (int32_t)v;
	}
	if (p->nr_kept >= INT32_MAX ||
	    array__reserve((void **)&p->kept, &p->cap_kept, p->nr_kept + 1, sizeof(*p->kept)))
		return -1;
	k = &p->kept[p->nr_kept];
	k->frames = malloc((nr ? nr : 1) * sizeof(*f));
	if (!k->frames)
		return -1;
	memcpy(k->frames, f, nr * sizeof(*f));
	k->nr = nr;
	k->flags = flags;
	k->hash = h;
	{
		uint64_t probe = h;

		while (map__get(&p->kept_ids, 0, probe, &v))
			probe++;
		if (map__put(&p->kept_ids, 0, probe, p->nr_kept)) {
			free(k->frames);
			return -1;
		}
	}
	return (int32_t)p->nr_kept++;
}

void pyframes__look(struct nl_pyframes *p, int pid, int tid, uint64_t now)
{
	uint64_t t0 = p->sys->now_ns(), *v;
	struct nl_pyframe *fbuf;
	size_t nr_fbuf, cap_fbuf;
	struct history *h;
	struct burst b;
	struct proc *pr;
	int r;

	if (pid <= 0 || tid <= 0)
		return;
	pr = proc_get(p, pid);
	if (!pr || pr->status)
		goto out;
	r = map__add(&p->histories, (uint32_t)pid, (uint32_t)tid, &v);
	if (r < 0)
		goto out;
	if (r == 1) {
		if (array__reserve((void **)&p->history, &p->cap_history, p->nr_history + 1,
				   sizeof(*p->history))) {
			map__del(&p->histories, (uint32_t)pid, (uint32_t)tid);
			goto out;
		}
		*v = p->nr_history;
		memset(&p->history[p->nr_history++], 0, sizeof(*p->history));
	}
	h = &p->history[*v];
	if (h->n > h->start && h->look[h->n - 1].time >= now)
		goto out;               /* looked at in this look already */
	if (h->start > 64 && h->start * 2 > h->n) {     /* the pruned half goes */
		memmove(h->look, h->look + h->start, (h->n - h->start) * sizeof(*h->look));
		h->n -= h->start;
		h->start = 0;
	}
	if (array__reserve((void **)&h->look, &h->cap, h->n + 1, sizeof(*h->look)))
		goto out;
	/* the batch's frames (p->fbuf) are in use until the next resolve: the
	   walk appends to the look buffer instead */
	fbuf = p->fbuf, nr_fbuf = p->nr_fbuf, cap_fbuf = p->cap_fbuf;
	p->fbuf = p->lbuf, p->nr_fbuf = 0, p->cap_fbuf = p->cap_lbuf;
	memset(&b, 0, sizeof(b));
	/* the read's own time, not the pass's: a pass of many threads takes a while */
	h->look[h->n].time = p->sys->now_ns();
	read_thread(p, pr, tid, &b);
	h->look[h->n].kept = b.nr < 0 ? -1 : keep_stack(p, p->fbuf, (uint32_t)b.nr, b.flags);
	if (b.nr < 0 || h->look[h->n].kept >= 0)
		h->n++;
	p->lbuf = p->fbuf, p->cap_lbuf = p->cap_fbuf;
	p->fbuf = fbuf, p->nr_fbuf = nr_fbuf, p->cap_fbuf = cap_fbuf;
	p->st.looks++;
out:
	p->st.ns += p->sys->now_ns() - t0;
}

void pyframes__prune(struct nl_pyframes *p, uint64_t before)
{
	for (size_t i = 0; i < p->nr_history; i++) {
		struct history *h = &p->history[i];

		while (h->start < h->n && h->look[h->start].time < before)
			h->start++;
	}
}

/* The first look at (pid, tid) at or after time t, NULL none. */
static const struct look *look_after(const struct nl_pyframes *p, int pid, int tid, uint64_t t)
{
	uint64_t v;
	const struct history *h;
	size_t lo, hi;

	if (!p->nr_history || !map__get(&p->histories, (uint32_t)pid, (uint32_t)tid, &v))
		return NULL;
	h = &p->history[v];
	lo = h->start, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->look[mid].time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n ? &h->look[lo] : NULL;
}

void pyframes__resolve(struct nl_pyframes *p, struct nl_sample *const *batch, int n,
		       uint64_t now)
{
	uint64_t t0 = p->sys->now_ns();

	p->nr_burst = p->nr_fbuf = p->nr_stacks = 0;
	map__free(&p->bursts);
	for (int i = 0; i < n; i++) {
		struct nl_sample *s = batch[i];
		const struct look *lk;
		struct proc *pr;
		struct burst *b;
		uint64_t *v, delay;
		int approx, r;

		s->py = NULL;
		if (!(s->valid & NL_SAMPLE_TID) || s->pid <= 0 || s->tid <= 0)
			continue;
		/* a look-ahead read it soon after the sample (even if it exited since) */
		if ((s->valid & NL_SAMPLE_TIME) && (lk = look_after(p, s->pid, s->tid, s->time))) {
			delay = lk->time - s->time;
			if (lk->kept < 0) {
				p->st.samples_no_thread++;
				continue;
			}
			if (array__reserve((void **)&p->stacks, &p->cap_stacks, p->nr_stacks + 1,
					   sizeof(*p->stacks)))
				continue;
			delay_add(p, delay);
			approx = delay > NL_PY_APPROX_NS;
			p->stacks[p->nr_stacks++] = (struct nl_pystack){
				.nr = p->kept[lk->kept].nr,
				.flags = p->kept[lk->kept].flags | (approx ? NL_PYS_APPROXIMATE : 0),
				.frames = p->kept[lk->kept].frames,
			};
			p->st.samples++;
			p->st.samples_looked_ahead++;
			p->st.approximate += (uint64_t)approx;
			s->py = (const struct nl_pystack *)(uintptr_t)p->nr_stacks;
			continue;
		}
		pr = proc_get(p, s->pid);
		if (!pr || pr->status)
			continue;
		r = map__add(&p->bursts, (uint32_t)s->pid, (uint32_t)s->tid, &v);
		if (r < 0)
			continue;
		if (r == 1) {
			if (array__reserve((void **)&p->burst, &p->cap_burst, p->nr_burst + 1, sizeof(*p->burst))) {
				map__del(&p->bursts, (uint32_t)s->pid, (uint32_t)s->tid);
				continue;
			}
			*v = p->nr_burst;
			b = &p->burst[p->nr_burst++];
			memset(b, 0, sizeof(*b));
			b->stack[0] = b->stack[1] = -1;
			read_thread(p, pr, s->tid, b);
		}
		b = &p->burst[*v];
		if (b->nr < 0) {
			p->st.samples_no_thread += pr->status == 0;
			continue;
		}
		delay = (s->valid & NL_SAMPLE_TIME) && now > s->time ? now - s->time : 0;
		delay_add(p, delay);
		approx = delay > NL_PY_APPROX_NS;
		if (b->stack[approx] < 0) {
			if (array__reserve((void **)&p->stacks, &p->cap_stacks, p->nr_stacks + 1,
					   sizeof(*p->stacks)))
				continue;
			b->stack[approx] = (int32_t)p->nr_stacks;
			p->stacks[p->nr_stacks++] = (struct nl_pystack){
				.nr = (uint32_t)b->nr,
				.flags = b->flags | (approx ? NL_PYS_APPROXIMATE : 0),
			};
		}
		p->st.samples++;
		p->st.approximate += (uint64_t)approx;
		/* frames are pointed at once the batch's buffer stops moving */
		s->py = (const struct nl_pystack *)(uintptr_t)(b->stack[approx] + 1);
	}
	for (size_t i = 0; i < p->nr_burst; i++)
		for (int a = 0; a < 2; a++)
			if (p->burst[i].stack[a] >= 0)
				p->stacks[p->burst[i].stack[a]].frames = p->fbuf + p->burst[i].start;
	for (int i = 0; i < n; i++)
		if (batch[i]->py)
			batch[i]->py = &p->stacks[(uintptr_t)batch[i]->py - 1];
	p->st.ns += p->sys->now_ns() - t0;
}

void pyframes__frame_window(struct nl_pyframes *p, bool on)
{
	p->no_window = !on;
}

bool pyframes__active(const struct nl_pyframes *p)
{
	return p->st.python > 0;
}

const struct nl_pyframes_stats *pyframes__stats(struct nl_pyframes *p)
{
	uint64_t acc = 0, p50 = p->delays / 2, p99 = p->delays - p->delays / 100;
	bool have50 = false;

	p->st.delay_p50_us = p->st.delay_p99_us = 0;
	for (int k = 0; k < DELAY_BUCKETS + DELAY_LATE && p->delays; k++) {
		/* a bucket's upper edge, never above the largest delay seen */
		uint64_t edge = delay_edge_us(k) < p->st.delay_max_us ? delay_edge_us(k) : p->st.delay_max_us;

		acc += p->delay_hist[k];
		if (!have50 && acc > p50) {
			p->st.delay_p50_us = edge;
			have50 = true;
		}
		if (acc >= p99 && acc) {
			p->st.delay_p99_us = edge;
			break;
		}
	}
	return &p->st;
}
