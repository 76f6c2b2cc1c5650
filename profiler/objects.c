/*
 * objects.c - data objects: allocations and mappings, their first touch
 * and their readers.  See objects.h.
 *
 * State (invariants):
 *   1. pages is the page table of first touches (objects_touch.h): one
 *      entry per (pid, page) sampled of a process not settled yet.
 *   2. stacks[] are interned call stacks (user frames, leaf first, and
 *      the thread's innermost Python frame) with the pid they are resolved
 *      in; stack_index maps (0, hash of pid, frames and Python frame) to
 *      them, and (1, hash of frames and Python frame) to the shared ones.
 *      free_stacks[] are ids of freed slots, reused by the next intern.
 *   3. allocs[] are the allocations; frees[] the release calls, applied in
 *      time order (prepare_allocs) when objects are assigned.
 *   4. b holds the objects assigned so far, their readers and their pages
 *      (b.tally.kept).  A process is settled into it when it retires
 *      (NL_REC_RETIRE: its samples were all sent) and every other one at
 *      finish, by the same steps, so retiring changes no figure.
 * Call stacks and their sites: objects_sites.c.
 * Retiring (settle_stacks): an ended process's stacks are resolved then;
 * one whose site reads as a shared stack's (objects_sites__share) is freed
 * and its users take the shared id, else it becomes shared.  Forked workers running the
 * same code so keep one stack each, not one per worker.
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
#include "samplers/base/sys.h"
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
	o->ended_keep = NL_OBJECTS_ENDED_KEEP;
	objects_touch__init(&o->pages, o->nn);
	o->unwinder = as ? unwind__new(syms, as, info ? info->arch : NULL) : NULL;
	for (uint32_t i = 0; info && i < info->nr_events; i++)
		o->res.tracking |= !strncmp(info->events[i].name, "alloc:", 6);
	return o;
}

void objects__set_ended_keep(struct nl_objects *o, int keep)
{
	o->ended_keep = keep < 0 ? 0 : keep;
}

/* What an object owns (not the object). */
static void free_object(struct nl_data_object *ob)
{
	for (int k = 0; k < ob->nr_readers; k++)
		free(ob->readers[k].by_node);
	free(ob->readers);
	free(ob->pages_by_node);
	free(ob->touch_by_node);
}

static void free_result(struct nl_objects_result *r)
{
	for (int i = 0; i < r->nr_objects; i++)
		free_object(&r->objects[i]);
	free(r->objects);
	r->objects = NULL;
	r->nr_objects = 0;
}

/* The builder's maps and what finish did not hand over. */
static void builder_free(struct builder *b)
{
	struct nl_objects_result r = { .objects = b->objs, .nr_objects = (int)b->nr };

	free_result(&r);
	free(b->cap_readers);
	free(b->keys);
	free(b->free_objs);
	objects_touch__tally_free(&b->tally);
	map__free(&b->votes);
	map__free(&b->index);
	map__free(&b->readers);
	memset(b, 0, sizeof(*b));
}

void objects__free(struct nl_objects *o)
{
	if (!o)
		return;
	free_result(&o->res);
	for (size_t i = 0; i < o->nr_stacks; i++)
		free(o->stacks[i].ips);
	free(o->stacks);
	free(o->free_stacks);
	objects_touch__free(&o->pages);
	builder_free(&o->b);
	for (size_t i = 0; i < o->nr_closed; i++)
		free_object(&o->closed[i]);
	free(o->closed);
	unwind__free(o->unwinder);
	objects_fold__free(o);
	free(o->allocs);
	free(o->frees);
	free(o->live_next);
	map__free(&o->stack_index);
	map__free(&o->parent);
	free(o);
}

/* --- adding -------------------------------------------------------------------- */

static uint32_t sample_stack(struct nl_objects *o, const struct nl_sample *s)
{
	bool pc = true;
	uint32_t n = 0;

	if ((s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain)
		n = objects_sites__user_frames(o, s->callchain, s->nr_callchain, &pc);
	if (!n && (s->valid & NL_SAMPLE_IP) && s->ip && s->ip < USER_TOP) {
		o->scratch[0] = s->ip;
		n = 1;
		pc = true;
	}
	return objects_sites__intern(o, s->pid, n, pc, objects_sites__python_leaf(o, s->py));
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

static int add_alloc(struct nl_objects *o, const struct nl_alloc_event *a)
{
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
	n = objects_sites__alloc_callers(o, a);
	al = &o->allocs[o->nr_allocs++];
	al->ev = *a;
	al->ev.callchain = NULL;
	al->ev.py = NULL;       /* valid for this record only: the stack keeps it */
	al->freed = 0;
	/* a uretprobe's first frame is the return address in the caller */
	al->stack = objects_sites__intern(o, a->pid, n, false,
					  objects_sites__python_leaf(o, a->py));
	if (al->stack != NO_STACK)
		o->stacks[al->stack].alloc = o->stacks[o->stacks[al->stack].native].alloc = true;
	return 0;
}

static int retire(struct nl_objects *o, int pid);

struct objects_clock objects_internal__clock(const struct nl_objects *o)
{
	struct nl_symbols_stats st;
	struct objects_clock c = { sys__thread_cpu_ns(), 0 };

	symbols__stats(o->syms, &st);
	c.load = st.load_cpu_ns;
	return c;
}

void objects_internal__charge(struct nl_objects *o, struct objects_clock c)
{
	struct objects_clock now = objects_internal__clock(o);
	uint64_t load = now.load - c.load, cpu = now.cpu - c.cpu;

	/* a DSO's load is timed inside the span: never more than all of it */
	o->alloc_load_ns += load < cpu ? load : cpu;
	o->alloc_cpu_ns += load < cpu ? cpu - load : 0;
}

int objects__add(struct nl_objects *o, const struct nl_record *rec, enum nl_locality loc,
		 bool first_touch)
{
	switch (rec->kind) {
	case NL_REC_SAMPLE:
		return add_sample(o, &rec->sample, loc, first_touch);
	case NL_REC_ALLOC: {
		struct objects_clock c = objects_internal__clock(o);
		int err = add_alloc(o, &rec->alloc);

		objects_internal__charge(o, c);
		return err;
	}
	case NL_REC_RETIRE:
		return retire(o, rec->task.pid);
	case NL_REC_FORK:
		if (rec->task.pid != rec->task.tid || rec->task.ppid == rec->task.pid)
			return 0;
		return map__put(&o->parent, 0, (uint64_t)(uint32_t)rec->task.pid,
				(uint64_t)(uint32_t)rec->task.ppid);
	default:
		return 0;
	}
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
	const struct alloc *a = objects_allocs__of(o, p->pid, addr, p->first_time);
	struct nl_data_object *ob;
	uint32_t name = 0;
	size_t slot;
	int r;

	if (!a) {
		/* its mapping, or one only an ancestor's space knows */
		bool found = false;

		for (int up = 0, pid = p->pid; up < 16 && pid > 0 && !found; up++) {
			found = addrspace__data_range(o->as, pid, addr, &start, &end, &name);
			pid = objects_allocs__parent(o, pid);
		}
		if (!found || hidden_mapping(addrspace__mapping_name(o->as, name)))
			return -1;
	}
	if (a)          /* by content: allocs[] is sorted again as more come */
		h = map__mix64(map__mix64((uint64_t)(uint32_t)a->ev.pid << 32 ^ a->ev.addr) ^
			       a->ev.time) ^ a->ev.len;
	else
		h = map__mix64(map__hash_str(addrspace__mapping_name(o->as, name),
					(uint64_t)(uint32_t)objects_allocs__line_root(o, p->pid) << 32 ^ start));
	r = map__add(&b->index, a ? 1 : 2, h, &v);
	if (r < 0)
		return -ENOMEM;
	if (r == 0)
		return (long)*v;
	if (b->nr_free_objs) {
		slot = b->free_objs[--b->nr_free_objs];
	} else {
		if (array__reserve((void **)&b->objs, &b->cap, b->nr + 1, sizeof(*ob)) ||
		    array__reserve((void **)&b->cap_readers, &b->cap_cap, b->nr + 1,
				   sizeof(size_t)) ||
		    array__reserve((void **)&b->keys, &b->cap_keys, b->nr + 1, sizeof(*b->keys))) {
			map__del(&b->index, a ? 1 : 2, h);
			return -ENOMEM;
		}
		slot = b->nr++;
	}
	*v = slot;
	ob = &b->objs[slot];
	memset(ob, 0, sizeof(*ob));
	b->cap_readers[slot] = 0;
	b->keys[slot] = (struct obj_key){ a ? 1 : 2, h };
	ob->pages_by_node = calloc((size_t)o->nn + 1, sizeof(uint64_t));
	ob->touch_by_node = calloc((size_t)o->nn + 1, sizeof(double));
	if (!ob->pages_by_node || !ob->touch_by_node)
		return -ENOMEM;
	ob->remote_share = -1;
	ob->touch_pid = ob->touch_tid = ob->touch_cpu = ob->touch_node = -1;
	if (a) {
		const struct nl_object_site *s = objects_sites__stack_site(o, a->stack);
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
		ob->pid = objects_allocs__line_root(o, p->pid);
		ob->tid = -1;
		ob->start = start;
		ob->size = end - start;
		snprintf(ob->mapping, sizeof(ob->mapping), "%s", addrspace__mapping_name(o->as, name));
		/* a file's own mapping is no allocation (ld.so maps libraries itself) */
		ob->before_attach = o->res.tracking && !file_mapping(ob->mapping);
	}
	return (long)slot;
}


/* p is first touched: its toucher (told apart by native stack) gets one
   more page of its object, and a vote for p's Python frame if it has one. */
static int tally_touch(struct nl_objects *o, struct builder *b, const struct nl_touch_page *p)
{
	int ni = cpu_node_index(o, p->cpu);
	const struct stack *st = p->fault_stack == NO_STACK ? NULL : &o->stacks[p->fault_stack];
	long k = objects_touch__tally(&b->tally, p, ni, st ? st->native : NO_STACK);
	uint64_t *v;

	if (k < 0 || (st && st->py && map__add(&b->votes, (uint64_t)k, p->fault_stack, &v) < 0))
		return -ENOMEM;
	if (st && st->py)
		(*v)++;
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
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* the rest: an order that does not depend on the order of assignment */
	if (strcmp(x->key, y->key))
		return strcmp(x->key, y->key);
	return x->pid < y->pid ? -1 : x->pid > y->pid;
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
	ob->reader_processes = 0;
	for (int k = 0; k < ob->nr_readers; k++)
		ob->reader_processes += ob->readers[k].processes;
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

/* Whether toucher t comes before ob's top toucher so far: more pages, ties
   the lower pid, tid, CPU, then site (not the order they were tallied in). */
static bool touches_more(struct nl_objects *o, const struct nl_toucher *t,
			 const struct nl_data_object *ob)
{
	if (t->pages != ob->touch_pages || !ob->touch_pages)
		return t->pages > ob->touch_pages;
	if (t->pid != ob->touch_pid)
		return t->pid < ob->touch_pid;
	if (t->tid != ob->touch_tid)
		return t->tid < ob->touch_tid;
	if (t->cpu != ob->touch_cpu)
		return t->cpu < ob->touch_cpu;
	return objects_sites__cmp(objects_sites__stack_site(o, t->stack), &ob->touch_site) < 0;
}

/*
 * The top toucher of each object, and its site's Python frame: the one
 * most of its pages were touched with (b->votes; ties by content).  Frames
 * are read after their sample, so a few of a loop's faults name the next
 * line; touchers are told apart by native stack for that reason.
 * 0 or -ENOMEM.
 */
static int pick_touchers(struct nl_objects *o, struct builder *b)
{
	uint32_t *best = malloc((b->nr ? b->nr : 1) * sizeof(*best));
	uint64_t *top = calloc(b->nr ? b->nr : 1, sizeof(*top)), k, id, n;
	uint32_t pos = 0;

	if (!best || !top) {
		free(best);
		free(top);
		return -ENOMEM;
	}
	memset(best, 0xff, (b->nr ? b->nr : 1) * sizeof(*best));
	for (k = 0; k < b->tally.nr_touch; k++) {
		const struct nl_toucher *t = &b->tally.touch[k];
		struct nl_data_object *ob = &b->objs[t->obj];

		ob->nr_touchers++;
		if (!touches_more(o, t, ob))
			continue;
		best[t->obj] = (uint32_t)k;
		ob->touch_pages = t->pages;
		ob->touch_pid = t->pid;
		ob->touch_tid = t->tid;
		ob->touch_cpu = t->cpu;
		ob->touch_node = t->node_idx < o->nn ? o->topo->nodes[t->node_idx].id : -1;
		ob->touch_site = *objects_sites__stack_site(o, t->stack);
	}
	while (map__next(&b->votes, &pos, &k, &id, &n)) {
		uint32_t obj = b->tally.touch[k].obj;
		const struct nl_object_site *s = objects_sites__stack_site(o, (uint32_t)id);

		if (best[obj] != k || n < top[obj] ||
		    (n == top[obj] && objects_sites__cmp(s, &b->objs[obj].touch_site) >= 0))
			continue;
		top[obj] = n;
		b->objs[obj].touch_site = *s;
	}
	for (size_t i = 0; i < b->nr; i++)
		if (b->objs[i].first_touched)
			b->objs[i].touch_share = (double)b->objs[i].touch_pages /
						 (double)b->objs[i].first_touched;
	free(best);
	free(top);
	return 0;
}

/*
 * Settles the page entries of pid (every one when pid < 0) into o->b: each
 * to its object (now: pid's samples were all sent), its counts to the
 * object and the reader, its page to the object's pages; then drops them
 * from the page table.  0 or -ENOMEM.
 */
static int settle_pages(struct nl_objects *o, int pid)
{
	struct builder *b = &o->b;
	size_t row = (size_t)o->nn + 1;

	if (pid < 0 && o->pages.nr < UINT32_MAX / 4)   /* sized once, a hint */
		map__reserve(&b->tally.obj_page, map__count(&b->tally.obj_page) + (uint32_t)o->pages.nr);
	for (size_t i = 0; i < o->pages.nr; i++) {
		struct nl_touch_page *p = &o->pages.pages[i];
		const uint32_t *counts = objects_touch__counts(&o->pages, p);
		struct nl_object_reader *rd;
		struct nl_data_object *ob;
		long obj;
		int r;

		if (pid >= 0 && p->pid != pid)
			continue;
		obj = object_of(o, b, p);
		if (obj == -ENOMEM)
			return -ENOMEM;
		if (obj < 0) {
			o->res.unattributed += p->samples;
			continue;
		}
		ob = &b->objs[obj];
		ob->samples += p->samples;
		ob->local += p->local;
		ob->remote += p->remote;
		if (!(rd = objects_fold__reader(o, b, (uint32_t)obj, p->pid, pid >= 0)))
			return -ENOMEM;
		rd->samples += p->samples;
		rd->local += p->local;
		rd->remote += p->remote;
		for (size_t n = 0; n < row; n++)
			rd->by_node[n] += counts[n];
		/* one page of the object, whatever number of processes map it */
		r = objects_touch__settle(&b->tally, p, (uint32_t)obj);
		if (r < 0)
			return -ENOMEM;
		ob->pages += (uint64_t)r;
	}
	objects_touch__drop(&o->pages, pid);
	return 0;
}

/* Stack id with its alias, if it has one. */
static uint32_t unalias(const struct nl_objects *o, uint32_t id)
{
	return id != NO_STACK && o->stacks[id].alias != NO_STACK ? o->stacks[id].alias : id;
}

/*
 * Resolves pid's stacks (its address space is final); each one with the
 * content of a shared stack (frames, Python frame, site) is replaced by it
 * in pid's page entries, allocations and Python stacks' native ids and
 * freed, the others become shared.  Call after prepare_allocs.  0 or
 * -ENOMEM.
 */
static int settle_stacks(struct nl_objects *o, int pid)
{
	size_t nr_alias = 0, k;

	for (size_t i = 0; i < o->nr_stacks; i++) {
		struct stack *st = &o->stacks[i];

		if (!st->ips || st->shared || st->pid != pid)
			continue;
		if (objects_sites__share(o, (uint32_t)i))
			return -ENOMEM;
		nr_alias += st->alias != NO_STACK;
	}
	if (!nr_alias)
		return 0;
	for (size_t i = 0; i < o->pages.nr; i++)
		if (o->pages.pages[i].pid == pid)
			o->pages.pages[i].fault_stack = unalias(o, o->pages.pages[i].fault_stack);
	for (k = objects_allocs__lower_bound(o, pid, 0);
	     k < o->nr_allocs && o->allocs[k].ev.pid == pid; k++)
		o->allocs[k].stack = unalias(o, o->allocs[k].stack);
	for (size_t i = 0; i < o->nr_stacks; i++)
		if (o->stacks[i].ips && o->stacks[i].pid == pid && o->stacks[i].shared)
			o->stacks[i].native = unalias(o, o->stacks[i].native);
	for (size_t i = 0; i < o->nr_stacks; i++)
		if (o->stacks[i].alias != NO_STACK && o->stacks[i].ips &&
		    objects_sites__free(o, (uint32_t)i))
			return -ENOMEM;
	return 0;
}

/* An object page (its first entry) counts: its node and its first touch. */
static int tally_page(struct nl_objects *o, struct builder *b, const struct nl_touch_page *p)
{
	int ni = o->topo && p->node >= 0 ? topology__node_index(o->topo, p->node) : -1;

	b->objs[p->obj].pages_by_node[ni >= 0 ? ni : o->nn]++;
	if (p->fault_time != UINT64_MAX && tally_touch(o, b, p))
		return -ENOMEM;
	return 0;
}

static bool has_children(const struct nl_objects *o, int pid)
{
	uint64_t child, ppid;
	uint32_t pos = 0;

	while (map__next(&o->parent, &pos, NULL, &child, &ppid))
		if (ppid == (uint64_t)(uint32_t)pid)
			return true;
	return false;
}

/* Finished closed object ob (moved) joins closed[]: kept while fewer than
   ended_keep are, else it or the last of them in the report's order is
   dropped (counted).  0 or -ENOMEM (ob freed). */
static int keep_closed(struct nl_objects *o, struct nl_data_object *ob)
{
	size_t worst = 0;

	if (o->nr_closed < (size_t)o->ended_keep) {
		if (array__reserve((void **)&o->closed, &o->cap_closed, o->nr_closed + 1,
				   sizeof(*o->closed))) {
			free_object(ob);
			return -ENOMEM;
		}
		o->closed[o->nr_closed++] = *ob;
		return 0;
	}
	for (size_t i = 1; i < o->nr_closed; i++)
		if (object_cmp(&o->closed[i], &o->closed[worst]) > 0)
			worst = i;
	if (o->nr_closed && object_cmp(ob, &o->closed[worst]) < 0) {
		struct nl_data_object out = o->closed[worst];

		o->closed[worst] = *ob;
		*ob = out;
	}
	o->res.ended_dropped++;
	o->res.ended_dropped_samples += ob->samples;
	{
		int e = objects_fold__add(o, ob);

		free_object(ob);
		return e;
	}
}

/*
 * pid's objects are closed (their pages tallied, the only touchers now):
 * each is finished as objects__finish would, moved to closed[] and its
 * slot, index and reader keys freed for the objects to come.  0 or -ENOMEM.
 */
static int move_closed(struct nl_objects *o, int pid)
{
	struct builder *b = &o->b;
	int e = pick_touchers(o, b);

	b->tally.nr_touch = 0;
	map__clear(&b->tally.touch_index);
	map__clear(&b->votes);
	for (size_t i = 0; !e && i < b->nr; i++) {
		struct nl_data_object *ob = &b->objs[i];

		if (!ob->pages_by_node || ob->pid != pid)
			continue;
		finish_object(o, b, (uint32_t)i);
		objects_fold__forget_readers(b, (uint32_t)i);
		map__del(&b->index, b->keys[i].kind, b->keys[i].hash);
		if (array__reserve((void **)&b->free_objs, &b->cap_free_objs,
				   b->nr_free_objs + 1, sizeof(*b->free_objs)))
			e = -ENOMEM;
		else
			b->free_objs[b->nr_free_objs++] = (uint32_t)i;
		if (keep_closed(o, ob))
			e = -ENOMEM;
		memset(ob, 0, sizeof(*ob));
	}
	return e;
}

/*
 * pid ended, its pages are settled and no process of the profile was
 * forked from it: only pid and its descendants have pages in the objects
 * it owns (an allocation of its, a mapping of its line) and it has none,
 * so their pages are tallied now and leave b.tally.kept; its allocations,
 * releases and FORK have no use left.  0 or -ENOMEM.
 */
static int close_process(struct nl_objects *o, int pid)
{
	struct nl_touch_tally *ty = &o->b.tally;
	size_t w = 0, k, end;

	for (k = 0; k < ty->nr_kept; k++) {
		const struct nl_touch_page *p = &ty->kept[k];

		if (o->b.objs[p->obj].pid == pid) {
			if (tally_page(o, &o->b, p))
				return -ENOMEM;
			map__del(&ty->obj_page, p->obj, p->page);
			continue;
		}
		if (w != k) {
			ty->kept[w] = *p;
			*map__find(&ty->obj_page, p->obj, p->page) = w;
		}
		w++;
	}
	ty->nr_kept = w;
	k = objects_allocs__lower_bound(o, pid, 0);
	for (end = k; end < o->nr_allocs && o->allocs[end].ev.pid == pid; end++)
		;
	if (end > k) {          /* memmove(NULL, ...) is undefined, even of 0 */
		memmove(&o->allocs[k], &o->allocs[end], (o->nr_allocs - end) * sizeof(*o->allocs));
		o->nr_allocs -= end - k;
	}
	for (k = w = 0; k < o->nr_frees; k++)
		if (o->frees[k].pid != pid)
			o->frees[w++] = o->frees[k];
	o->nr_frees = w;
	o->prepared_allocs = o->nr_allocs;      /* still sorted, frees applied */
	o->prepared_frees = o->nr_frees;
	map__del(&o->parent, 0, (uint64_t)(uint32_t)pid);
	return move_closed(o, pid);
}

/* NL_REC_RETIRE: pid ended and its records were all sent. */
static int retire(struct nl_objects *o, int pid)
{
	if (pid < 0)
		return 0;
	objects_allocs__prepare(o);
	if (settle_stacks(o, pid) || settle_pages(o, pid))
		return -ENOMEM;
	return has_children(o, pid) ? 0 : close_process(o, pid);
}

void objects__kept(const struct nl_objects *o, struct nl_objects_kept *k)
{
	memset(k, 0, sizeof(*k));
	k->stacks = o->nr_stacks - o->nr_free_stacks;
	for (size_t i = 0; i < o->b.nr; i++)
		if (o->b.objs[i].pages_by_node) {
			k->open_objects++;
			k->readers += (size_t)o->b.objs[i].nr_readers;
		}
	k->closed = o->nr_closed;
	k->pages = o->pages.nr;
	k->object_pages = o->b.tally.nr_kept;
	k->allocs = o->nr_allocs;
	k->frees = o->nr_frees;
}

const struct nl_objects_result *objects__finish(struct nl_objects *o)
{
	struct builder *b = &o->b;
	int e;

	free_result(&o->res);
	objects_allocs__prepare(o);
	e = settle_pages(o, -1);
	for (size_t k = 0; !e && k < b->tally.nr_kept; k++)
		e = tally_page(o, b, &b->tally.kept[k]);
	if (!e)
		e = pick_touchers(o, b);
	if (!e) {
		size_t w = 0;

		/* the open objects, then the closed ones kept (finished) */
		for (size_t i = 0; i < b->nr; i++)
			if (b->objs[i].pages_by_node) {
				finish_object(o, b, (uint32_t)i);
				b->objs[w++] = b->objs[i];
			}
		b->nr = w;
		if (o->nr_closed && array__reserve((void **)&b->objs, &b->cap,
						   b->nr + o->nr_closed, sizeof(*b->objs)))
			e = -ENOMEM;
		if (!e && o->nr_closed) {
			memcpy(&b->objs[b->nr], o->closed, o->nr_closed * sizeof(*o->closed));
			b->nr += o->nr_closed;
			o->nr_closed = 0;
		}
		if (b->nr)
			qsort(b->objs, b->nr, sizeof(*b->objs), object_cmp);
	}
	o->res.objects = b->objs;
	o->res.nr_objects = (int)b->nr;
	objects_fold__finish(o);
	o->res.alloc_cpu_s = (double)o->alloc_cpu_ns / 1e9;
	o->res.alloc_load_cpu_s = (double)o->alloc_load_ns / 1e9;
	b->objs = NULL;
	b->nr = b->cap = 0;
	builder_free(b);
	if (e) {
		free_result(&o->res);
		return NULL;
	}
	return &o->res;
}
