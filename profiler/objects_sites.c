/*
 * objects_sites.c - the call stacks of the data objects: the callers of
 * an allocation (a DWARF unwind of its stack copy, else its callchain and
 * a scan of the copy), their interning with the thread's innermost Python
 * frame, their sharing by content when a process retires, and a stack's
 * site: its first frame outside the C library, its callers and its Python
 * frame, as text; objects and the range a finding names as the report
 * words them (objects__describe, objects__for_range).  See objects.h and
 * objects_internal.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/addrspace.h"
#include "profiler/codeprofile.h"
#include "profiler/objects_internal.h"
#include "profiler/symbols.h"
#include "profiler/unwind.h"
#include "samplers/base/array.h"

/* User frames of a callchain (markers and kernel frames dropped) into scratch. */
uint32_t objects_sites__user_frames(struct nl_objects *o, const uint64_t *chain, uint32_t nr,
				    bool *first_is_pc)
{
	bool user = true, first = true;
	uint32_t n = 0;

	*first_is_pc = true;
	for (uint32_t i = 0; i < nr && n < MAX_FRAMES; i++) {
		uint64_t ip = chain[i];

		if (ip >= CTX_MAX) {
			user = ip == (uint64_t)-512;     /* PERF_CONTEXT_USER */
			first = true;
			continue;
		}
		if (!user)
			continue;
		if (ip >= USER_TOP || ip < 4096)
			break;                           /* a broken frame-pointer walk */
		if (!n)
			*first_is_pc = first;
		o->scratch[n++] = ip;
		first = false;
	}
	return n;
}

static bool is_libc(const char *dso);

/* Whether ip of pid is code of a DSO outside the C library (as known now). */
static bool outside_libc(struct nl_objects *o, int pid, uint64_t ip)
{
	uint64_t key, off;
	uint32_t dso;

	if (ip < 4096 || ip >= USER_TOP || !addrspace__code_key(o->as, pid, ip, false, false, &key))
		return false;
	symbols__unkey(o->syms, key, &dso, &off);
	return dso != NL_DSO_UNKNOWN && !symbols__dso_absolute(o->syms, dso) &&
	       !is_libc(symbols__dso_name(o->syms, dso));
}

static uint64_t stack_word(const struct nl_alloc_event *a, uint64_t i)
{
	uint64_t w;

	memcpy(&w, a->stack + i * 8, 8);
	return w;
}

/*
 * Without a DWARF unwind (dwarf_callers: no registers, a recording of an
 * older numalens): glibc is built without frame pointers, so the frame-pointer walk of a
 * return inside malloc stops in libc.  The callers are then looked for in
 * the stack copy: the first word that is code outside libc is the return
 * into malloc's caller; above it the caller's frame (saved frame pointer,
 * return address) continues the walk while it stays inside the copy.
 * Appends to scratch[0..n); returns the new count.  A word that merely
 * looks like code can mislead the first step: the report names the site
 * as found.
 */
static uint32_t scan_callers(struct nl_objects *o, const struct nl_alloc_event *a, uint32_t n)
{
	uint64_t words = a->stack_size / 8, i, j;

	for (uint32_t k = 0; k < n; k++)
		if (outside_libc(o, a->pid, o->scratch[k]))
			return n;   /* the walk left libc by itself */
	if (!a->stack || !a->sp || n >= MAX_FRAMES)
		return n;
	for (i = 0; i < words && !outside_libc(o, a->pid, stack_word(a, i)); i++)
		;
	if (i == words)
		return n;
	o->scratch[n++] = stack_word(a, i);
	/* the caller's frame: a saved frame pointer just above, into the copy */
	for (j = i + 1; j + 1 < words; j++) {
		uint64_t fp = stack_word(a, j);

		if (fp > a->sp + j * 8 && fp < a->sp + a->stack_size &&
		    outside_libc(o, a->pid, stack_word(a, j + 1)))
			break;
	}
	while (j + 1 < words && n < MAX_FRAMES) {
		uint64_t fp = stack_word(a, j), next;

		o->scratch[n++] = stack_word(a, j + 1);
		if (fp <= a->sp + j * 8 || fp >= a->sp + a->stack_size || (fp - a->sp) % 8)
			break;
		next = (fp - a->sp) / 8;
		j = next;
	}
	return n;
}

/* Frames unwound from an allocation: libc's own (mmap, malloc's sysmalloc,
   posix_memalign: up to ~6) + the site + SITE_CALLERS callers, with room. */
#define SITE_CALLERS 4
#define ALLOC_FRAMES 16
#define NO_SITE UINT32_MAX

/* Enough frames for the site: the first one outside libc and SITE_CALLERS
   callers (all objects_sites__stack_site names; ips[0] is the pc).  Looks
   at each frame once: o->unwind_* hold the walk's progress. */
static bool site_found(void *ctx, const uint64_t *ips, uint32_t n)
{
	struct nl_objects *o = ctx;

	if (n <= 2) {           /* a walk's first call: a retried walk starts over */
		o->unwind_site = NO_SITE;
		o->unwind_checked = 0;
	}
	for (; o->unwind_site == NO_SITE && o->unwind_checked < n; o->unwind_checked++)
		if (outside_libc(o, o->unwind_pid, ips[o->unwind_checked]))
			o->unwind_site = o->unwind_checked;
	return o->unwind_site != NO_SITE && n > o->unwind_site + SITE_CALLERS;
}

/*
 * The callers of an allocation by a DWARF unwind (.eh_frame) of its stack
 * copy from its registers: right through glibc, libstdc++ and libtorch,
 * which have no frame pointers.  Fills scratch; returns the count (0 or 1:
 * nothing beyond the pc, use the other ways).
 */
static uint32_t dwarf_callers(struct nl_objects *o, const struct nl_alloc_event *a)
{
	struct nl_sample s = { 0 };
	uint32_t n;

	if (!o->unwinder || !a->stack || !a->stack_size || !a->regs || !a->regs_mask ||
	    a->stack_size > UINT32_MAX)
		return 0;
	s.valid = NL_SAMPLE_USER_STACK | NL_SAMPLE_TID;
	s.pid = a->pid;
	s.tid = a->tid;
	s.regs_mask = a->regs_mask;
	s.nr_regs_user = (uint32_t)__builtin_popcountll(a->regs_mask);
	s.regs_user = a->regs;
	s.stack_user = a->stack;
	s.stack_size = (uint32_t)a->stack_size;
	/* the site is the first frame outside libc and a few callers
	   (objects_sites__stack_site): deeper frames cost a DWARF step each
	   (most of an unwind's time in a deep Python stack) and name nothing */
	o->unwind_pid = a->pid;
	n = unwind__user_until(o->unwinder, &s, o->scratch, ALLOC_FRAMES, site_found, o);
	o->dwarf_stacks += n >= 2;
	return n;
}

uint32_t objects_sites__alloc_callers(struct nl_objects *o, const struct nl_alloc_event *a)
{
	bool pc;
	uint32_t n = dwarf_callers(o, a);

	if (n < 2) {
		n = objects_sites__user_frames(o, a->callchain, a->nr_callchain, &pc);
		n = scan_callers(o, a, n);
	}
	return n;
}

/* --- interning and sharing ------------------------------------------------------ */

/* The index hash of (pid, frames ips[0..n), py) (pid < 0: of the content alone). */
static uint64_t stack_hash(int pid, const uint64_t *ips, uint32_t n, bool first_is_pc,
			   const struct nl_code_loc *py)
{
	uint64_t h = map__mix64((uint64_t)(uint32_t)pid + first_is_pc) ^ (uintptr_t)py;

	for (uint32_t i = 0; i < n; i++)
		h = map__mix64(h ^ ips[i]);
	return h;
}

static bool same_frames(const struct stack *st, const uint64_t *ips, uint32_t n, bool first_is_pc,
			const struct nl_code_loc *py)
{
	return st->ips && st->nr == n && st->first_is_pc == first_is_pc && st->py == py &&
	       !memcmp(st->ips, ips, n * sizeof(uint64_t));
}

/* Interns (pid, scratch[0..n), py).  Its id, or NO_STACK (none, or -ENOMEM). */
static uint32_t intern_stack(struct nl_objects *o, int pid, uint32_t n, bool first_is_pc,
			     const struct nl_code_loc *py)
{
	uint64_t h = stack_hash(pid, o->scratch, n, first_is_pc, py), v;
	struct stack *st;
	uint32_t id;

	if (!n)
		return NO_STACK;
	while (map__get(&o->stack_index, 0, h, &v)) {
		st = &o->stacks[v];
		if (st->pid == pid && same_frames(st, o->scratch, n, first_is_pc, py))
			return (uint32_t)v;
		h++;
	}
	if (o->nr_free_stacks) {
		id = o->free_stacks[o->nr_free_stacks - 1];
	} else {
		if (array__reserve((void **)&o->stacks, &o->cap_stacks, o->nr_stacks + 1,
				   sizeof(*st)))
			return NO_STACK;
		id = (uint32_t)o->nr_stacks;
	}
	st = &o->stacks[id];
	memset(st, 0, sizeof(*st));
	st->ips = malloc(n * sizeof(uint64_t));
	if (!st->ips || map__put(&o->stack_index, 0, h, id)) {
		free(st->ips);
		st->ips = NULL;
		return NO_STACK;
	}
	memcpy(st->ips, o->scratch, n * sizeof(uint64_t));
	st->pid = pid;
	st->nr = n;
	st->first_is_pc = first_is_pc;
	st->py = py;
	st->native = id;
	st->alias = NO_STACK;
	if (o->nr_free_stacks)
		o->nr_free_stacks--;
	else
		o->nr_stacks++;
	return id;
}

uint32_t objects_sites__intern(struct nl_objects *o, int pid, uint32_t n, bool first_is_pc,
			       const struct nl_code_loc *py)
{
	uint32_t native = intern_stack(o, pid, n, first_is_pc, NULL), id;

	if (!py || native == NO_STACK)
		return native;
	id = intern_stack(o, pid, n, first_is_pc, py);
	if (id != NO_STACK)
		o->stacks[id].native = native;
	return id;
}

const struct nl_code_loc *objects_sites__python_leaf(struct nl_objects *o,
						     const struct nl_pystack *py)
{
	return py && py->nr ? codeprofile__python_loc(o->cp, &py->frames[0]) : NULL;
}

/* A process' JIT map as a DSO name ("/tmp/perf-PID.map"): one per
   process, so sites compare such DSOs by kind, not by name. */
static bool jit_map(const char *dso)
{
	size_t n = dso ? strlen(dso) : 0;

	return n > 14 && !strncmp(dso, "/tmp/perf-", 10) && !strcmp(dso + n - 4, ".map");
}

/* s into hash h, mixed: the fields of one site chain */
static uint64_t str_hash(const char *s, uint64_t h)
{
	return map__mix64(map__hash_str(s, h));
}

/* The shared index hash of a resolved stack: its site's content (what the
   report can tell apart), JIT maps' DSO names left out. */
static uint64_t site_hash(const struct stack *st)
{
	const struct nl_object_site *s = &st->site;
	uint64_t h = map__mix64((uintptr_t)st->py ^ (uint64_t)(uint32_t)s->line << 32 ^
				(uint32_t)s->python.line);

	h = str_hash(s->function, h);
	h = str_hash(s->file, h);
	h = str_hash(jit_map(s->dso) ? NULL : s->dso, h);
	h = str_hash(s->python.function, h);
	h = str_hash(s->python.file, h);
	return str_hash(s->stack, h);
}

static bool same_site(const struct stack *x, const struct stack *y)
{
	const char *a = x->site.dso, *b = y->site.dso;

	return x->py == y->py && !objects_sites__cmp(&x->site, &y->site) &&
	       (a == b || (a && b && (!strcmp(a, b) || (jit_map(a) && jit_map(b)))));
}

/*
 * Shared by content, not by addresses: forked workers run the same code at
 * the same addresses, but a frame outside every file mapping (a JIT's code,
 * or garbage from a frame-pointer walk) is keyed by each process' own JIT
 * map, and workers that JIT the same function may place it apart; their
 * sites still read the same, so they are one stack.
 */
int objects_sites__share(struct nl_objects *o, uint32_t id)
{
	struct stack *st = &o->stacks[id];
	uint64_t h, v;

	objects_sites__stack_site(o, id);
	h = site_hash(st);
	for (; map__get(&o->stack_index, 1, h, &v); h++) {
		if (same_site(&o->stacks[v], st)) {
			st->alias = (uint32_t)v;
			return 0;
		}
	}
	if (map__put(&o->stack_index, 1, h, id))
		return -ENOMEM;
	st->shared = true;
	return 0;
}

int objects_sites__free(struct nl_objects *o, uint32_t id)
{
	struct stack *st = &o->stacks[id];
	uint64_t h = stack_hash(st->pid, st->ips, st->nr, st->first_is_pc, st->py), v;

	for (; map__get(&o->stack_index, 0, h, &v); h++)
		if (v == id) {
			map__del(&o->stack_index, 0, h);
			break;
		}
	free(st->ips);
	st->ips = NULL;
	st->alias = NO_STACK;
	if (array__reserve((void **)&o->free_stacks, &o->cap_free_stacks, o->nr_free_stacks + 1,
			   sizeof(*o->free_stacks)))
		return -ENOMEM;
	o->free_stacks[o->nr_free_stacks++] = id;
	return 0;
}

/* --- sites ---------------------------------------------------------------------- */

static int str_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

int objects_sites__cmp(const struct nl_object_site *x, const struct nl_object_site *y)
{
	int c = str_cmp(x->function, y->function);

	if (!c)
		c = str_cmp(x->file, y->file);
	if (!c && x->line != y->line)
		c = x->line < y->line ? -1 : 1;
	if (!c)
		c = str_cmp(x->python.function, y->python.function);
	if (!c)
		c = str_cmp(x->python.file, y->python.file);
	if (!c && x->python.line != y->python.line)
		c = x->python.line < y->python.line ? -1 : 1;
	return c ? c : str_cmp(x->stack, y->stack);
}


static bool is_libc(const char *dso)
{
	const char *base = strrchr(dso, '/');

	base = base ? base + 1 : dso;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-linux", 8) || !strncmp(base, "libpthread", 10) ||
	       !strncmp(base, "libc.musl", 9);
}

static const struct nl_code_loc *frame_loc(struct nl_objects *o, const struct stack *st,
					   uint32_t i, const char **dso_name)
{
	uint64_t ip = st->ips[i], key, off;
	uint32_t dso;

	if (i || !st->first_is_pc)
		ip--;   /* a return address: look up the call */
	addrspace__code_key(o->as, st->pid, ip, false, true, &key);
	symbols__unkey(o->syms, key, &dso, &off);
	{       /* a JIT map that does not exist names nothing: [unknown], as
		   the code profile keys it once the process retired */
		uint32_t jit;

		if (dso != NL_DSO_UNKNOWN && symbols__dso_absolute(o->syms, dso) &&
		    symbols__jit_absent(o->syms, st->pid, &jit) && jit == dso)
			dso = NL_DSO_UNKNOWN;
	}
	*dso_name = symbols__dso_name(o->syms, dso);
	return symbols__resolve(o->syms, dso, off);
}

static void frame_text(char *buf, size_t size, const struct nl_code_loc *l)
{
	const struct nl_frame *f = &l->frames[0];
	const char *file = f->file ? strrchr(f->file, '/') : NULL;

	file = file ? file + 1 : f->file;
	if (file)
		snprintf(buf, size, "%s (%s:%d)", f->function, file, f->line);
	else
		snprintf(buf, size, "%s", f->function);
}

/* "build_dataset (dataset_readers.py:38)": a Python frame in a site's stack text. */
static void python_text(char *buf, size_t size, const struct nl_code_loc *py)
{
	const char *file = strrchr(py->frames[0].file, '/');

	snprintf(buf, size, "%s (%s:%d)", py->frames[0].function,
		 file ? file + 1 : py->frames[0].file, py->frames[0].line);
}

/* Fills st->site from its frames (stack_site once per stack). */
static void name_stack(struct nl_objects *o, struct stack *st)
{
	uint32_t at = 0;
	size_t used = 0;
	bool py_shown = false;
	char one[200], pytext[200] = "";

	st->resolved = true;
	if (st->py)
		python_text(pytext, sizeof(pytext), st->py);
	for (uint32_t i = 0; i < st->nr; i++) {
		const char *dso;
		const struct nl_code_loc *l = frame_loc(o, st, i, &dso);

		if (!l)
			return;     /* no site: as none */
		if (!is_libc(dso)) {
			at = i;
			break;
		}
	}
	for (uint32_t i = at; i < st->nr && i <= at + SITE_CALLERS; i++) {
		const char *dso;
		const struct nl_code_loc *l = frame_loc(o, st, i, &dso);

		if (!l)
			break;
		if (i == at) {
			st->site.function = l->frames[0].function;
			st->site.file = l->frames[0].file;
			st->site.line = l->frames[0].line;
			st->site.dso = dso;
			continue;
		}
		if (st->py && l->resolved && !strcmp(l->symbol, "_PyEval_EvalFrameDefault")) {
			if (py_shown)
				continue;
			python_text(one, sizeof(one), st->py);
			py_shown = true;
		} else {
			frame_text(one, sizeof(one), l);
			/* long C++ names: keep room for the Python frame */
			if (st->py && !py_shown &&
			    used + strlen(one) + 3 + strlen(pytext) + 3 >= sizeof(st->site.stack))
				break;
		}
		used += (size_t)snprintf(st->site.stack + used, sizeof(st->site.stack) - used,
					 "%s%s", used ? " < " : "", one);
		if (used >= sizeof(st->site.stack))
			break;
	}
	if (st->py && st->site.function) {
		st->site.python.function = st->py->frames[0].function;
		st->site.python.file = st->py->frames[0].file;
		st->site.python.line = st->py->frames[0].line;
		if (!py_shown && used < sizeof(st->site.stack))
			snprintf(st->site.stack + used, sizeof(st->site.stack) - used, "%s%s",
				 used ? " < " : "", pytext);
	}
}

/*
 * The stack's site: its first frame outside the C library, and its Python
 * frame, which stands in the stack text for the first evaluator frame (the
 * code rows splice Python frames there too, codestacks.c); the evaluator's
 * outer activations are dropped (their Python frames were not kept), and
 * without one shown the Python frame comes last.
 */
const struct nl_object_site *objects_sites__stack_site(struct nl_objects *o, uint32_t id)
{
	static const struct nl_object_site none;
	struct stack *st;

	if (id == NO_STACK || id >= o->nr_stacks)
		return &none;
	st = &o->stacks[id];
	if (st->resolved)
		return &st->site;
	if (st->alloc) {
		struct objects_clock c = objects_internal__clock(o);

		name_stack(o, st);
		objects_internal__charge(o, c);
	} else {
		name_stack(o, st);
	}
	return &st->site;
}

void objects__site_text(char *buf, size_t size, const struct nl_object_site *s)
{
	const char *file = s->file ? strrchr(s->file, '/') : NULL;
	char py[200] = "";

	file = file ? file + 1 : s->file;
	if (s->python.function) {
		const char *pf = strrchr(s->python.file, '/');

		snprintf(py, sizeof(py), " (%s:%d %s)", pf ? pf + 1 : s->python.file,
			 s->python.line, s->python.function);
	}
	if (!s->function)
		snprintf(buf, size, "an unknown site");
	else if (file)
		snprintf(buf, size, "%s (%s:%d)%s", s->function, file, s->line, py);
	else
		snprintf(buf, size, "%s%s", s->function, py);
}

static void bytes_text(char *buf, size_t size, uint64_t bytes)
{
	if (bytes >= 10ull << 30)
		snprintf(buf, size, "%" PRIu64 " GiB", (uint64_t)((bytes + (1ull << 29)) >> 30));
	else if (bytes >= 1ull << 20)
		snprintf(buf, size, "%" PRIu64 " MiB", (bytes + (1 << 19)) >> 20);
	else
		snprintf(buf, size, "%" PRIu64 " KiB", (bytes + 512) >> 10);
}

void objects__describe(const struct nl_data_object *ob, char *buf, size_t size)
{
	char sz[32], site[260];

	bytes_text(sz, sizeof(sz), ob->size);
	if (ob->allocation) {
		objects__site_text(site, sizeof(site), &ob->site);
		snprintf(buf, size, "%s allocation (%s) at %s", sz, ob->op, site);
	} else {
		snprintf(buf, size, "%s mapping %s%s", sz, ob->mapping[0] ? ob->mapping : "[anon]",
			 ob->before_attach ? " (allocated before numalens attached)" : "");
	}
}

const struct nl_data_object *objects__for_range(const struct nl_objects_result *r,
						uint64_t start, uint64_t end,
						char *label, size_t size)
{
	const struct nl_data_object *best = NULL;
	char what[300];

	for (int i = 0; r && i < r->nr_objects; i++) {
		const struct nl_data_object *ob = &r->objects[i];

		if (ob->start < end && ob->start + ob->size > start &&
		    (!best || ob->samples > best->samples))
			best = ob;
	}
	if (!best)
		return NULL;
	objects__describe(best, what, sizeof(what));
	if (best->touch_pages) {
		char site[260];

		objects__site_text(site, sizeof(site), &best->touch_site);
		snprintf(label, size, "%s, first touched by pid %d on node %d at %s for %.0f %% of "
			 "its pages,", what, best->touch_pid, best->touch_node, site,
			 best->touch_share * 100);
	} else {
		snprintf(label, size, "%s", what);
	}
	return best;
}
