/*
 * objects.c - data objects: allocations and mappings, their first touch
 * and their readers.  See objects.h.
 *
 * State (invariants, objects_internal.h holds the structs):
 *   1. pages is the page table of first touches (objects_touch.h): one
 *      entry per (pid, page) sampled.
 *   2. stacks[] are interned call stacks (user frames, leaf first) with
 *      the pid they are resolved in; stack_index maps their hash.
 *   3. allocs[] are the allocations in arrival order; frees[] the release
 *      calls, applied at finish in time order.
 */
#include "profiler/objects.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/addrspace.h"
#include "profiler/codeprofile.h"
#include "profiler/objects_internal.h"
#include "profiler/objects_touch.h"
#include "profiler/symbols.h"
#include "profiler/unwind.h"
#include "samplers/base/array.h"
#include "samplers/base/map.h"
#include "samplers/base/topology.h"

struct nl_objects *objects__new(struct nl_codeprofile *cp, const struct nl_topology *topo,
				const struct nl_source_info *info)
{
	struct nl_objects *o = calloc(1, sizeof(*o));
	struct nl_addrspaces *as = codeprofile__addrspaces(cp);
	struct nl_symbols *syms = codeprofile__symbols(cp);

	if (!o)
		return NULL;
	o->cp = cp;
	o->as = as;
	o->syms = syms;
	o->topo = topo;
	o->nn = topo ? topo->nr_nodes : 0;
	o->res.nr_nodes = o->nn;
	objects_touch__init(&o->pages, o->nn);
	o->unwinder = as ? unwind__new(syms, as, info ? info->arch : NULL) : NULL;
	for (uint32_t i = 0; info && i < info->nr_events; i++)
		o->res.tracking |= !strncmp(info->events[i].name, "alloc:", 6);
	return o;
}

static void free_result(struct nl_objects_result *r)
{
	for (int i = 0; i < r->nr_objects; i++) {
		struct nl_data_object *ob = &r->objects[i];

		for (int k = 0; k < ob->nr_readers; k++)
			free(ob->readers[k].by_node);
		free(ob->readers);
		free(ob->pages_by_node);
		free(ob->touch_by_node);
	}
	free(r->objects);
	r->objects = NULL;
	r->nr_objects = 0;
}

void objects__free(struct nl_objects *o)
{
	if (!o)
		return;
	free_result(&o->res);
	for (size_t i = 0; i < o->nr_stacks; i++)
		free(o->stacks[i].ips);
	free(o->stacks);
	objects_touch__free(&o->pages);
	unwind__free(o->unwinder);
	free(o->allocs);
	free(o->frees);
	map__free(&o->stack_index);
	map__free(&o->parent);
	free(o);
}

/* --- adding -------------------------------------------------------------------- */

/* User frames of a callchain (markers and kernel frames dropped) into scratch. */
static uint32_t user_frames(struct nl_objects *o, const uint64_t *chain, uint32_t nr,
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

/* Interns (pid, scratch[0..n), py).  Its id, or NO_STACK (none, or -ENOMEM). */
static uint32_t intern_stack(struct nl_objects *o, int pid, uint32_t n, bool first_is_pc,
			     const struct nl_code_loc *py)
{
	uint64_t h = map__mix64((uint64_t)(uint32_t)pid + first_is_pc) ^ (uintptr_t)py, v;
	struct stack *st;

	if (!n)
		return NO_STACK;
	for (uint32_t i = 0; i < n; i++)
		h = map__mix64(h ^ o->scratch[i]);
	while (map__get(&o->stack_index, 0, h, &v)) {
		st = &o->stacks[v];
		if (st->pid == pid && st->nr == n && st->first_is_pc == first_is_pc &&
		    st->py == py && !memcmp(st->ips, o->scratch, n * sizeof(uint64_t)))
			return (uint32_t)v;
		h++;
	}
	if (array__reserve((void **)&o->stacks, &o->cap_stacks, o->nr_stacks + 1, sizeof(*st)))
		return NO_STACK;
	st = &o->stacks[o->nr_stacks];
	memset(st, 0, sizeof(*st));
	st->ips = malloc(n * sizeof(uint64_t));
	if (!st->ips || map__put(&o->stack_index, 0, h, o->nr_stacks)) {
		free(st->ips);
		return NO_STACK;
	}
	memcpy(st->ips, o->scratch, n * sizeof(uint64_t));
	st->pid = pid;
	st->nr = n;
	st->first_is_pc = first_is_pc;
	st->py = py;
	st->native = (uint32_t)o->nr_stacks;
	return (uint32_t)o->nr_stacks++;
}

/* intern_stack() of (pid, scratch[0..n), py) with its native twin interned
   too (stack.native). */
static uint32_t intern_site(struct nl_objects *o, int pid, uint32_t n, bool first_is_pc,
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

/* The innermost of a thread's Python frames (NULL none or -ENOMEM): read
   with the sample, so the interned location is kept, not the frames. */
static const struct nl_code_loc *python_leaf(struct nl_objects *o, const struct nl_pystack *py)
{
	return py && py->nr ? codeprofile__python_loc(o->cp, &py->frames[0]) : NULL;
}

static uint32_t sample_stack(struct nl_objects *o, const struct nl_sample *s)
{
	bool pc = true;
	uint32_t n = 0;

	if ((s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain)
		n = user_frames(o, s->callchain, s->nr_callchain, &pc);
	if (!n && (s->valid & NL_SAMPLE_IP) && s->ip && s->ip < USER_TOP) {
		o->scratch[0] = s->ip;
		n = 1;
		pc = true;
	}
	return intern_site(o, s->pid, n, pc, python_leaf(o, s->py));
}

static int32_t data_node(const struct nl_objects *o, const struct nl_sample *s)
{
	if (s->valid & NL_SAMPLE_MEM_NODE)
		return s->mem_node;
	if ((s->valid & NL_SAMPLE_PHYS_ADDR) && o->topo && s->phys_addr)
		return topology__node_of_phys(o->topo, s->phys_addr);
	if (o->nn == 1)
		return o->topo->nodes[0].id;
	return -1;
}

static int cpu_node_index(const struct nl_objects *o, int cpu)
{
	int idx;

	if (!o->topo || cpu < 0)
		return o->nn;
	idx = topology__node_index(o->topo, topology__node_of_cpu(o->topo, cpu));
	return idx < 0 ? o->nn : idx;
}

static int add_sample(struct nl_objects *o, const struct nl_sample *s, enum nl_locality loc,
		      bool fault)
{
	struct nl_touch_page *p;
	int32_t node;
	uint64_t t = (s->valid & NL_SAMPLE_TIME) ? s->time : 0;
	int cpu = (s->valid & NL_SAMPLE_CPU) ? s->cpu : -1;

	if (!(s->valid & NL_SAMPLE_ADDR) || !s->addr || s->addr >= USER_TOP || s->pid < 0 ||
	    loc == NL_LOC_NONE)
		return 0;
	o->res.samples_with_addr++;
	if (!(p = objects_touch__page(&o->pages, s->pid, s->addr, s->tid, cpu)))
		return -ENOMEM;
	p->samples++;
	p->local += loc == NL_LOC_LOCAL;
	p->remote += loc == NL_LOC_REMOTE;
	objects_touch__counts(&o->pages, p)[cpu_node_index(o, cpu)]++;
	node = data_node(o, s);
	if (node >= 0)
		p->node = node;
	if (t < p->first_time) {
		p->first_time = t;
		p->first_addr = s->addr;
	}
	if (fault && t < p->fault_time) {
		p->fault_time = t;
		p->tid = s->tid;
		p->cpu = cpu;
		p->fault_stack = sample_stack(o, s);
	}
	return 0;
}

/* Whether ip of pid is code of a DSO outside the C library (as known now). */
static bool outside_libc(struct nl_objects *o, int pid, uint64_t ip)
{
	uint64_t key, off;
	uint32_t dso;

	if (ip < 4096 || ip >= USER_TOP || !addrspace__code_key(o->as, pid, ip, false, false, &key))
		return false;
	symbols__unkey(o->syms, key, &dso, &off);
	return dso != NL_DSO_UNKNOWN && !symbols__dso_absolute(o->syms, dso) &&
	       !objects__is_libc(symbols__dso_name(o->syms, dso));
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
	n = unwind__user(o->unwinder, &s, o->scratch, MAX_FRAMES);
	o->dwarf_stacks += n >= 2;
	return n;
}

static int add_alloc(struct nl_objects *o, const struct nl_alloc_event *a)
{
	bool pc;
	uint32_t n;
	struct alloc *al;

	o->res.allocations++;
	if (a->op == NL_ALLOC_MUNMAP || a->op == NL_ALLOC_FREE) {
		if (array__reserve((void **)&o->frees, &o->cap_frees, o->nr_frees + 1,
				   sizeof(*o->frees)))
			return -ENOMEM;
		o->frees[o->nr_frees] = *a;
		o->frees[o->nr_frees++].callchain = NULL;
		return 0;
	}
	if (a->op == NL_ALLOC_MREMAP || a->op == NL_ALLOC_REALLOC) {
		/* the old range ends here, the new one starts */
		struct nl_alloc_event f = *a;

		f.op = a->op == NL_ALLOC_MREMAP ? NL_ALLOC_MUNMAP : NL_ALLOC_FREE;
		f.addr = a->old_addr;
		f.len = a->old_len;
		if (a->old_addr && add_alloc(o, &f))
			return -ENOMEM;
		o->res.allocations--;
	}
	if (!a->addr || !a->len)
		return 0;
	if (array__reserve((void **)&o->allocs, &o->cap_allocs, o->nr_allocs + 1, sizeof(*al)))
		return -ENOMEM;
	n = dwarf_callers(o, a);
	if (n < 2) {
		n = user_frames(o, a->callchain, a->nr_callchain, &pc);
		n = scan_callers(o, a, n);
	}
	al = &o->allocs[o->nr_allocs++];
	al->ev = *a;
	al->ev.callchain = NULL;
	al->ev.py = NULL;       /* valid for this record only: the stack keeps it */
	al->freed = 0;
	/* a uretprobe's first frame is the return address in the caller */
	al->stack = intern_site(o, a->pid, n, false, python_leaf(o, a->py));
	return 0;
}

int objects__add(struct nl_objects *o, const struct nl_record *rec, enum nl_locality loc,
		 bool first_touch)
{
	switch (rec->kind) {
	case NL_REC_SAMPLE:
		return add_sample(o, &rec->sample, loc, first_touch);
	case NL_REC_ALLOC:
		return add_alloc(o, &rec->alloc);
	case NL_REC_FORK:
		if (rec->task.pid != rec->task.tid || rec->task.ppid == rec->task.pid)
			return 0;
		return map__put(&o->parent, 0, (uint64_t)(uint32_t)rec->task.pid,
				(uint64_t)(uint32_t)rec->task.ppid);
	default:
		return 0;
	}
}

/* --- finishing: allocations ------------------------------------------------------ */

static int alloc_cmp(const void *a, const void *b)
{
	const struct alloc *x = a, *y = b;

	if (x->ev.pid != y->ev.pid)
		return x->ev.pid < y->ev.pid ? -1 : 1;
	if (x->ev.addr != y->ev.addr)
		return x->ev.addr < y->ev.addr ? -1 : 1;
	return x->ev.time < y->ev.time ? -1 : x->ev.time > y->ev.time;
}

static int free_cmp(const void *a, const void *b)
{
	const struct nl_alloc_event *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

/* Index of the first allocation with (pid, addr) >= the key. */
static size_t lower_bound(const struct nl_objects *o, int pid, uint64_t addr)
{
	size_t lo = 0, hi = o->nr_allocs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct nl_alloc_event *e = &o->allocs[mid].ev;

		if (e->pid < pid || (e->pid == pid && e->addr < addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Releases end the allocations they cover that were live then. */
static void apply_frees(struct nl_objects *o)
{
	if (o->nr_frees)        /* qsort(NULL, 0) is undefined */
		qsort(o->frees, o->nr_frees, sizeof(*o->frees), free_cmp);
	for (size_t i = 0; i < o->nr_frees; i++) {
		const struct nl_alloc_event *f = &o->frees[i];
		uint64_t end = f->op == NL_ALLOC_FREE ? f->addr + 1 : f->addr + f->len;

		for (size_t k = lower_bound(o, f->pid, f->addr);
		     k < o->nr_allocs && o->allocs[k].ev.pid == f->pid && o->allocs[k].ev.addr < end; k++) {
			struct alloc *a = &o->allocs[k];

			if (!a->freed && a->ev.time <= f->time)
				a->freed = f->time ? f->time : 1;
		}
	}
}

/* The innermost allocation of pid covering addr at time t, or NULL. */
static const struct alloc *alloc_at(const struct nl_objects *o, int pid, uint64_t addr,
				    uint64_t t)
{
	const struct alloc *best = NULL;
	size_t k = lower_bound(o, pid, addr + 1);

	for (int n = 0; k > 0 && n < SCAN_BACK; n++) {
		const struct alloc *a = &o->allocs[--k];

		if (a->ev.pid != pid)
			break;
		if (addr < a->ev.addr + a->ev.len && a->ev.time <= t && (!a->freed || a->freed > t) &&
		    (!best || a->ev.len < best->ev.len))
			best = a;
	}
	return best;
}

static int parent_of(const struct nl_objects *o, int pid)
{
	uint64_t v;

	if (map__get(&o->parent, 0, (uint64_t)(uint32_t)pid, &v))
		return (int)v;
	return addrspace__parent(o->as, pid);
}

/*
 * A fault on a malloc chunk's header (the 16 bytes before the pointer)
 * touches the allocation that follows it.
 */
#define CHUNK_HEADER 16

/* ... in pid or the ancestors it inherited memory from. */
static const struct alloc *alloc_of(const struct nl_objects *o, int pid, uint64_t addr,
				    uint64_t t)
{
	for (int up = 0; up < 16 && pid > 0; up++) {
		const struct alloc *a = alloc_at(o, pid, addr, t);

		if (!a)
			a = alloc_at(o, pid, addr + CHUNK_HEADER, t);

		if (a)
			return a;
		pid = parent_of(o, pid);
	}
	return NULL;
}

/* The root of pid's line of processes (mappings inherited at fork keep
   their start address: one object for the whole line). */
static int line_root(const struct nl_objects *o, int pid)
{
	for (int up = 0; up < 16; up++) {
		int pp = parent_of(o, pid);

		/* up only to processes of the profile (their FORK was seen) */
		if (pp <= 0 || !map__get(&o->parent, 0, (uint64_t)(uint32_t)pp, NULL))
			break;
		pid = pp;
	}
	return pid;
}

/* --- finishing: objects ------------------------------------------------------------- */

static const char *op_name(uint8_t op)
{
	switch (op) {
	case NL_ALLOC_MMAP: return "mmap";
	case NL_ALLOC_MREMAP: return "mremap";
	case NL_ALLOC_MALLOC: return "malloc";
	case NL_ALLOC_REALLOC: return "realloc";
	case NL_ALLOC_BRK: return "brk";
	default: return "alloc";
	}
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

struct builder {
	struct nl_data_object *objs;
	size_t nr, cap;
	struct nl_map index;    /* object key hash -> index */
	struct nl_map readers;  /* (obj, pid) -> reader index within obj */
	size_t *cap_readers;    /* array__reserve capacity of each objs[].readers */
	size_t cap_cap;
	struct nl_touch_tally tally;    /* object pages and their first touchers */
};

static uint64_t str_hash(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* A regular file mapped (not memfd, shm, /dev/zero or a bracketed name). */
static bool file_mapping(const char *name)
{
	return name[0] == '/' && strncmp(name, "/memfd:", 7) && strncmp(name, "/dev/zero", 9) &&
	       strncmp(name, "/SYSV", 5) && strncmp(name, "/dev/shm/", 9);
}

/* Mappings of the kernel or of numalens itself (the uprobes' XOL page). */
static bool hidden_mapping(const char *name)
{
	return !strcmp(name, "[uprobes]") || !strcmp(name, "[vdso]") || !strcmp(name, "[vvar]") ||
	       !strcmp(name, "[vsyscall]");
}

/* The object of page entry p (its index, created when new), or -1 (none) / -ENOMEM. */
static long object_of(struct nl_objects *o, struct builder *b, const struct nl_touch_page *p)
{
	uint64_t addr = p->first_addr, start = 0, end = 0, h, *v;
	const struct alloc *a = alloc_of(o, p->pid, addr, p->first_time);
	struct nl_data_object *ob;
	uint32_t name = 0;
	int r;

	if (!a) {
		/* its mapping, or one only an ancestor's space knows */
		bool found = false;

		for (int up = 0, pid = p->pid; up < 16 && pid > 0 && !found; up++) {
			found = addrspace__data_range(o->as, pid, addr, &start, &end, &name);
			pid = parent_of(o, pid);
		}
		if (!found || hidden_mapping(addrspace__mapping_name(o->as, name)))
			return -1;
	}
	if (a)
		h = map__mix64((uint64_t)(a - o->allocs) + 1);
	else
		h = map__mix64(str_hash(addrspace__mapping_name(o->as, name),
					(uint64_t)(uint32_t)line_root(o, p->pid) << 32 ^ start));
	r = map__add(&b->index, a ? 1 : 2, h, &v);
	if (r < 0)
		return -ENOMEM;
	if (r == 0)
		return (long)*v;
	if (array__reserve((void **)&b->objs, &b->cap, b->nr + 1, sizeof(*ob)) ||
	    array__reserve((void **)&b->cap_readers, &b->cap_cap, b->nr + 1, sizeof(size_t)))
		return -ENOMEM;
	*v = b->nr;
	ob = &b->objs[b->nr];
	memset(ob, 0, sizeof(*ob));
	b->cap_readers[b->nr] = 0;
	ob->pages_by_node = calloc((size_t)o->nn + 1, sizeof(uint64_t));
	ob->touch_by_node = calloc((size_t)o->nn + 1, sizeof(double));
	if (!ob->pages_by_node || !ob->touch_by_node)
		return -ENOMEM;
	ob->remote_share = -1;
	ob->touch_pid = ob->touch_tid = ob->touch_cpu = ob->touch_node = -1;
	if (a) {
		const struct nl_object_site *s = objects__stack_site(o, a->stack);
		uint64_t ms, me;
		uint32_t mn = 0;

		ob->allocation = true;
		ob->op = op_name(a->ev.op);
		ob->pid = a->ev.pid;
		ob->tid = a->ev.tid;
		ob->start = a->ev.addr;
		ob->size = a->ev.len;
		ob->time = a->ev.time;
		ob->site = *s;
		if (addrspace__data_range(o->as, p->pid, addr, &ms, &me, &mn))
			snprintf(ob->mapping, sizeof(ob->mapping), "%s", addrspace__mapping_name(o->as, mn));
	} else {
		ob->pid = line_root(o, p->pid);
		ob->tid = -1;
		ob->start = start;
		ob->size = end - start;
		snprintf(ob->mapping, sizeof(ob->mapping), "%s", addrspace__mapping_name(o->as, name));
		/* a file's own mapping is no allocation (ld.so maps libraries itself) */
		ob->before_attach = o->res.tracking && !file_mapping(ob->mapping);
	}
	return (long)b->nr++;
}

static struct nl_object_reader *reader_of(struct nl_objects *o, struct builder *b, uint32_t obj,
					  int pid)
{
	struct nl_data_object *ob = &b->objs[obj];
	struct nl_object_reader *rd;
	uint64_t *v;
	int r = map__add(&b->readers, obj, (uint64_t)(uint32_t)pid, &v);

	if (r < 0)
		return NULL;
	if (r == 0)
		return &ob->readers[*v];
	if (array__reserve((void **)&ob->readers, &b->cap_readers[obj], (size_t)ob->nr_readers + 1,
			   sizeof(*rd)))
		return NULL;
	*v = (uint64_t)ob->nr_readers;
	rd = &ob->readers[ob->nr_readers++];
	memset(rd, 0, sizeof(*rd));
	rd->pid = pid;
	rd->by_node = calloc((size_t)o->nn + 1, sizeof(uint64_t));
	return rd->by_node ? rd : NULL;
}

/* p is first touched: its toucher gets one more page of its object. */
static int tally_touch(struct nl_objects *o, struct builder *b, const struct nl_touch_page *p)
{
	int ni = cpu_node_index(o, p->cpu);

	if (objects_touch__tally(&b->tally, p, ni, p->fault_stack == NO_STACK ? NO_STACK :
						   o->stacks[p->fault_stack].native))
		return -ENOMEM;
	b->objs[p->obj].touch_by_node[ni] += 1;
	b->objs[p->obj].first_touched++;
	return 0;
}

static int reader_cmp(const void *a, const void *b)
{
	const struct nl_object_reader *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->pid - y->pid;
}

static int object_cmp(const void *a, const void *b)
{
	const struct nl_data_object *x = a, *y = b;

	if (x->remote != y->remote)
		return x->remote > y->remote ? -1 : 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void finish_object(struct nl_objects *o, struct builder *b, uint32_t i)
{
	struct nl_data_object *ob = &b->objs[i];
	char site[260];

	if (ob->local + ob->remote)
		ob->remote_share = (double)ob->remote / (double)(ob->local + ob->remote);
	for (int n = 0; n <= o->nn && ob->first_touched; n++)
		ob->touch_by_node[n] /= (double)ob->first_touched;
	if (ob->nr_readers)
		qsort(ob->readers, (size_t)ob->nr_readers, sizeof(*ob->readers), reader_cmp);
	objects__describe(ob, ob->name, sizeof(ob->name));
	{       /* the key names the native site: a Python frame is read after
		   the call and may name the next line from one run to the next */
		struct nl_object_site native = ob->site;

		native.python.function = NULL;
		objects__site_text(site, sizeof(site), &native);
	}
	snprintf(ob->key, sizeof(ob->key), "%.150s|%.160s", ob->mapping[0] ? ob->mapping : "[anon]",
		 ob->allocation ? site : "");
}

/*
 * The Python frame of each object's top toucher (best[obj]: its index in
 * the tally, UINT32_MAX none): the one most of its pages were read with.
 * Frames are read after their sample, so a few of a loop's faults name the
 * next line; touchers are told apart by native stack for that reason.
 * Memory: one vote counter per (object, stack with a Python frame).
 */
static int vote_python(struct nl_objects *o, struct builder *b, const uint32_t *best)
{
	struct nl_map votes = { 0 };
	uint64_t *top = calloc(b->nr ? b->nr : 1, sizeof(*top)), obj, id, n, *v;
	const struct nl_touch_page *p;
	uint32_t pos = 0;
	int err = -ENOMEM;

	if (!top)
		return -ENOMEM;
	while (objects_touch__next_page(&b->tally, &pos, &obj, &p, &o->pages)) {
		const struct nl_toucher *t = best[obj] == UINT32_MAX ? NULL :
					     &b->tally.touch[best[obj]];

		if (!t || p->fault_time == UINT64_MAX || p->fault_stack == NO_STACK ||
		    !o->stacks[p->fault_stack].py || p->pid != t->pid || p->tid != t->tid ||
		    cpu_node_index(o, p->cpu) != t->node_idx ||
		    o->stacks[p->fault_stack].native != t->stack)
			continue;
		if (map__add(&votes, obj, p->fault_stack, &v) < 0)
			goto out;
		(*v)++;
	}
	pos = 0;
	while (map__next(&votes, &pos, &obj, &id, &n))
		if (n > top[obj]) {
			top[obj] = n;
			b->objs[obj].touch_site = *objects__stack_site(o, (uint32_t)id);
		}
	err = 0;
out:
	free(top);
	map__free(&votes);
	return err;
}

/* The top toucher of each object (most pages; ties: the earliest seen). */
static int pick_touchers(struct nl_objects *o, struct builder *b)
{
	uint32_t *best = malloc((b->nr ? b->nr : 1) * sizeof(*best));
	int err;

	if (!best)
		return -ENOMEM;
	memset(best, 0xff, (b->nr ? b->nr : 1) * sizeof(*best));
	for (size_t k = 0; k < b->tally.nr_touch; k++) {
		const struct nl_toucher *t = &b->tally.touch[k];
		struct nl_data_object *ob = &b->objs[t->obj];

		ob->nr_touchers++;
		if (t->pages <= ob->touch_pages)
			continue;
		best[t->obj] = (uint32_t)k;
		ob->touch_pages = t->pages;
		ob->touch_pid = t->pid;
		ob->touch_tid = t->tid;
		ob->touch_cpu = t->cpu;
		ob->touch_node = t->node_idx < o->nn ? o->topo->nodes[t->node_idx].id : -1;
		ob->touch_site = *objects__stack_site(o, t->stack);
	}
	for (size_t i = 0; i < b->nr; i++)
		if (b->objs[i].first_touched)
			b->objs[i].touch_share = (double)b->objs[i].touch_pages /
						 (double)b->objs[i].first_touched;
	err = vote_python(o, b, best);
	free(best);
	return err;
}

static int assign(struct nl_objects *o, struct builder *b)
{
	size_t row = (size_t)o->nn + 1;

	for (size_t i = 0; i < o->pages.nr; i++) {
		struct nl_touch_page *p = &o->pages.pages[i];
		const uint32_t *counts = objects_touch__counts(&o->pages, p);
		struct nl_object_reader *rd;
		struct nl_data_object *ob;
		long obj = object_of(o, b, p);
		int r;

		if (obj == -ENOMEM)
			return -ENOMEM;
		if (obj < 0) {
			o->res.unattributed += p->samples;
			p->obj = UINT32_MAX;
			continue;
		}
		p->obj = (uint32_t)obj;
		ob = &b->objs[obj];
		ob->samples += p->samples;
		ob->local += p->local;
		ob->remote += p->remote;
		if (!(rd = reader_of(o, b, (uint32_t)obj, p->pid)))
			return -ENOMEM;
		rd->samples += p->samples;
		rd->local += p->local;
		rd->remote += p->remote;
		for (size_t n = 0; n < row; n++)
			rd->by_node[n] += counts[n];
		/* one page of the object, whatever number of processes map it */
		r = objects_touch__object_page(&b->tally, &o->pages, (uint32_t)obj, i);
		if (r < 0)
			return -ENOMEM;
		ob->pages += (uint64_t)r;
	}
	/* each object page's earliest entry: its node and its first touch */
	{
		uint32_t pos = 0;
		uint64_t obj;
		const struct nl_touch_page *p;

		while (objects_touch__next_page(&b->tally, &pos, &obj, &p, &o->pages)) {
			int ni = o->topo && p->node >= 0 ? topology__node_index(o->topo, p->node) : -1;

			b->objs[obj].pages_by_node[ni >= 0 ? ni : o->nn]++;
			if (p->fault_time != UINT64_MAX && tally_touch(o, b, p))
				return -ENOMEM;
		}
	}
	return 0;
}

const struct nl_objects_result *objects__finish(struct nl_objects *o)
{
	struct builder b = { 0 };
	int e;

	free_result(&o->res);
	if (o->nr_allocs)       /* qsort(NULL, 0) is undefined */
		qsort(o->allocs, o->nr_allocs, sizeof(*o->allocs), alloc_cmp);
	apply_frees(o);
	e = assign(o, &b);
	if (!e)
		e = pick_touchers(o, &b);
	if (!e) {
		for (size_t i = 0; i < b.nr; i++)
			finish_object(o, &b, (uint32_t)i);
		if (b.nr)
			qsort(b.objs, b.nr, sizeof(*b.objs), object_cmp);
	}
	o->res.objects = b.objs;
	o->res.nr_objects = (int)b.nr;
	free(b.cap_readers);
	objects_touch__tally_free(&b.tally);
	map__free(&b.index);
	map__free(&b.readers);
	if (e) {
		free_result(&o->res);
		return NULL;
	}
	return &o->res;
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
