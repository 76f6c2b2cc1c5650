/*
 * addrspace.c - mapping lists per process.  See addrspace.h.
 */
#include "profiler/addrspace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/symbols.h"
#include "samplers/base/map.h"
#include "samplers/base/strtab.h"

/* Linux x86-64/arm64: user addresses stay below this; kernel ones above. */
#define USER_TOP (1ull << 47)

struct mapping {
	uint64_t start, end, pgoff;
	uint32_t dso;           /* NL_DSO_UNKNOWN: anonymous, [heap] ... */
	uint32_t name;          /* mapping name id */
};

struct space {
	int pid;
	int ppid;               /* from FORK, -1 unknown */
	int image;              /* addrspace__image(): own pid, or the image
				   of the parent it was copied from */
	bool retired;           /* addrspace__retire(): freed when childless */
	struct mapping *maps;   /* sorted by start, non-overlapping */
	uint32_t nr, cap;
};

struct nl_addrspaces {
	struct nl_symbols *syms;
	struct space *spaces;
	uint32_t nr, cap;
	struct nl_map by_pid;        /* pid -> space index */
	struct nl_strtab names;         /* mapping names; id 0 = "[unknown]" */
	uint64_t generation;            /* bumped by every change */
	int last_pid;                   /* lookups come in runs of one process */
	int32_t last_space;
};

struct nl_addrspaces *addrspace__new(struct nl_symbols *syms)
{
	struct nl_addrspaces *as = calloc(1, sizeof(*as));

	if (!as)
		return NULL;
	as->syms = syms;
	as->last_space = -1;
	if (strtab__intern(&as->names, "[unknown]") != 0) {
		addrspace__free(as);
		return NULL;
	}
	return as;
}

void addrspace__free(struct nl_addrspaces *as)
{
	if (!as)
		return;
	for (uint32_t i = 0; i < as->nr; i++)
		free(as->spaces[i].maps);
	free(as->spaces);
	strtab__free(&as->names);
	map__free(&as->by_pid);
	free(as);
}

/* The name's id; 0 ("[unknown]") when it cannot be kept. */
static uint32_t name_id(struct nl_addrspaces *as, const char *name)
{
	int64_t id = strtab__intern(&as->names, name);

	return id > 0 ? (uint32_t)id : 0;
}

const char *addrspace__mapping_name(const struct nl_addrspaces *as, uint32_t id)
{
	return strtab__str(&as->names, id < as->names.nr ? id : 0);
}

static struct space *find_space(struct nl_addrspaces *as, int pid)
{
	uint64_t v;

	if (as->last_space >= 0 && as->last_pid == pid)
		return &as->spaces[as->last_space];
	if (!map__get(&as->by_pid, 0, (uint64_t)(uint32_t)pid, &v))
		return NULL;
	as->last_pid = pid;
	as->last_space = (int32_t)v;
	return &as->spaces[v];
}

static struct space *get_space(struct nl_addrspaces *as, int pid)
{
	struct space *sp = find_space(as, pid);

	if (sp)
		return sp;
	if (as->nr == as->cap) {
		uint32_t cap = as->cap ? as->cap * 2 : 64;
		struct space *v = realloc(as->spaces, cap * sizeof(*v));

		if (!v)
			return NULL;
		as->spaces = v;
		as->cap = cap;
	}
	if (map__put(&as->by_pid, 0, (uint64_t)(uint32_t)pid, as->nr))
		return NULL;
	sp = &as->spaces[as->nr++];
	memset(sp, 0, sizeof(*sp));
	sp->pid = pid;
	sp->ppid = -1;
	sp->image = pid;
	as->last_space = -1;
	return sp;
}

static int reserve(struct space *sp, uint32_t need)
{
	uint32_t cap = sp->cap ? sp->cap : 16;
	struct mapping *v;

	if (need <= sp->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	v = realloc(sp->maps, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sp->maps = v;
	sp->cap = cap;
	return 0;
}

/* First mapping with end > addr. */
static uint32_t lower_bound(const struct space *sp, uint64_t addr)
{
	uint32_t lo = 0, hi = sp->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sp->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct mapping *lookup(const struct space *sp, uint64_t addr)
{
	uint32_t i = sp ? lower_bound(sp, addr) : 0;

	if (!sp || i >= sp->nr || sp->maps[i].start > addr)
		return NULL;
	return &sp->maps[i];
}

/* Inserts m, cutting what it overlaps (an mmap replaces what it covers). */
static int insert(struct space *sp, const struct mapping *m)
{
	uint32_t i = lower_bound(sp, m->start), j = i;
	struct mapping left, right;
	bool has_left = false, has_right = false;

	if (reserve(sp, sp->nr + 2))
		return -ENOMEM;
	while (j < sp->nr && sp->maps[j].start < m->end)
		j++;
	/* maps[i..j) overlap m: keep the part before m and the part after. */
	if (i < j && sp->maps[i].start < m->start) {
		left = sp->maps[i];
		left.end = m->start;
		has_left = true;
	}
	if (i < j && sp->maps[j - 1].end > m->end) {
		right = sp->maps[j - 1];
		right.pgoff += m->end - right.start;
		right.start = m->end;
		has_right = true;
	}
	{
		uint32_t add = 1 + has_left + has_right;

		memmove(&sp->maps[i + add], &sp->maps[j], (sp->nr - j) * sizeof(*sp->maps));
		sp->nr = sp->nr - (j - i) + add;
		if (has_left)
			sp->maps[i++] = left;
		sp->maps[i++] = *m;
		if (has_right)
			sp->maps[i] = right;
	}
	return 0;
}

static int add_mmap(struct nl_addrspaces *as, const struct nl_mmap_event *e)
{
	struct space *sp;
	struct mapping m;

	if (!e->len || e->start + e->len < e->start)
		return 0;
	sp = get_space(as, e->pid);
	if (!sp)
		return -ENOMEM;
	m.start = e->start;
	m.end = e->start + e->len;
	m.pgoff = e->pgoff;
	m.dso = symbols__dso_of_mapping(as->syms, e->pid, e);
	m.name = name_id(as, e->filename && e->filename[0] ? e->filename : "//anon");
	return insert(sp, &m);
}

static int add_placement(struct nl_addrspaces *as, const struct nl_placement_event *e)
{
	struct space *sp;
	struct mapping m;

	if (e->end <= e->start)
		return 0;
	sp = get_space(as, e->pid);
	if (!sp)
		return -ENOMEM;
	if (lookup(sp, e->start))
		return 0;    /* an MMAP record named it already */
	{
		uint32_t i = lower_bound(sp, e->start);

		if (i < sp->nr && sp->maps[i].start < e->end)
			return 0;
	}
	m.start = e->start;
	m.end = e->end;
	m.pgoff = 0;
	m.dso = NL_DSO_UNKNOWN;
	m.name = name_id(as, e->name && e->name[0] ? e->name : "[anon]");
	return insert(sp, &m);
}

static int fork_space(struct nl_addrspaces *as, const struct nl_task_event *t)
{
	struct space *child, *parent;
	uint64_t v;

	if (t->pid == t->ppid || t->ppid < 0)
		return 0;       /* a new thread shares its process' space */
	child = get_space(as, t->pid);
	if (!child)
		return -ENOMEM;
	if (child->retired) {   /* the pid reused: a new process */
		child->retired = false;
		child->nr = 0;
		child->image = child->pid;
	}
	child->ppid = t->ppid;
	if (!map__get(&as->by_pid, 0, (uint64_t)(uint32_t)t->ppid, &v))
		return 0;
	parent = &as->spaces[v];
	if (!parent->nr || child == parent)
		return 0;
	child->image = parent->image;
	if (!child->nr) {
		if (reserve(child, parent->nr))
			return -ENOMEM;
		memcpy(child->maps, parent->maps, parent->nr * sizeof(*parent->maps));
		child->nr = parent->nr;
		return 0;
	}
	/* The child's own records may have come first (its MMAPs from another
	   CPU's ring, or its placement, which a recording replays before the
	   data): keep them, and inherit every parent mapping they do not
	   overlap, so the code it forked with still resolves. */
	for (uint32_t i = 0; i < parent->nr; i++) {
		struct mapping m = parent->maps[i];
		const struct mapping *have = lookup(child, m.start);
		uint32_t j = lower_bound(child, m.start);
		bool overlaps = have || (j < child->nr && child->maps[j].start < m.end);

		/* a placement range (no DSO) gives way to the parent's code mapping;
		   the child's own MMAPs (with a DSO) stay */
		if (overlaps && (m.dso == NL_DSO_UNKNOWN || (have && have->dso != NL_DSO_UNKNOWN)))
			continue;
		if (insert(child, &m))
			return -ENOMEM;
		parent = &as->spaces[v];
	}
	return 0;
}

/* Whether a space other than pid's own was forked from pid. */
static bool has_child(const struct nl_addrspaces *as, int pid)
{
	for (uint32_t i = 0; i < as->nr; i++)
		if (as->spaces[i].ppid == pid && as->spaces[i].pid != pid)
			return true;
	return false;
}

/* Frees space sp: the last one takes its slot. */
static void drop_space(struct nl_addrspaces *as, struct space *sp)
{
	uint32_t i = (uint32_t)(sp - as->spaces);

	map__del(&as->by_pid, 0, (uint64_t)(uint32_t)sp->pid);
	free(sp->maps);
	if (i != --as->nr) {
		*sp = as->spaces[as->nr];
		*map__find(&as->by_pid, 0, (uint64_t)(uint32_t)sp->pid) = i;
	}
	as->last_space = -1;
}

int addrspace__retire(struct nl_addrspaces *as, int pid)
{
	struct space *sp = find_space(as, pid);
	int freed = 0;

	if (sp)
		sp->retired = true;
	while (sp && sp->retired && !has_child(as, sp->pid)) {
		int ppid = sp->ppid;

		drop_space(as, sp);
		freed++;
		sp = ppid > 0 ? find_space(as, ppid) : NULL;
	}
	if (freed)
		as->generation++;       /* cached lookups may name a freed space */
	return freed;
}

uint32_t addrspace__count(const struct nl_addrspaces *as)
{
	return as->nr;
}

uint64_t addrspace__generation(const struct nl_addrspaces *as)
{
	return as->generation;
}

int addrspace__record(struct nl_addrspaces *as, const struct nl_record *rec)
{
	struct space *sp;

	if (rec->kind == NL_REC_MMAP || rec->kind == NL_REC_FORK || rec->kind == NL_REC_COMM ||
	    rec->kind == NL_REC_PLACEMENT)
		as->generation++;
	switch (rec->kind) {
	case NL_REC_MMAP:
		return add_mmap(as, &rec->mmap);
	case NL_REC_FORK:
		return fork_space(as, &rec->task);
	case NL_REC_COMM:
		if (rec->task.exec && (sp = find_space(as, rec->task.pid))) {
			sp->nr = 0;
			sp->image = sp->pid;
		}
		return 0;
	case NL_REC_PLACEMENT:
		return add_placement(as, &rec->placement);
	default:
		return 0;
	}
}

bool addrspace__code_key(struct nl_addrspaces *as, int pid, uint64_t ip, bool kernel,
			 bool final, uint64_t *key)
{
	const struct space *sp;
	const struct mapping *m, *own;

	if (kernel) {
		*key = symbols__key(NL_DSO_KERNEL, ip);
		return true;
	}
	/* A user address this high is a broken frame-pointer walk, not code. */
	if (ip >= USER_TOP) {
		*key = symbols__key(NL_DSO_UNKNOWN, 0);
		return true;
	}
	sp = find_space(as, pid);
	own = m = lookup(sp, ip);
	/* A range known only from placement (no DSO) names no code: the
	   forked-from parent's mapping may, once its FORK has been read. */
	if (m && m->dso == NL_DSO_UNKNOWN)
		m = NULL;
	/* Ancestors, a few generations up (a FORK record read late). */
	for (int up = 0; final && !m && sp && sp->ppid > 0 && up < 8; up++) {
		sp = find_space(as, sp->ppid);
		m = lookup(sp, ip);
		if (m && m->dso == NL_DSO_UNKNOWN)
			m = NULL;
	}
	if (m) {
		*key = symbols__key(m->dso, ip - m->start + m->pgoff);
		return true;
	}
	/* anonymous code (a JIT) or nothing: decided at the end */
	*key = symbols__key(symbols__jit_dso(as->syms, pid), ip);
	return final && own != NULL;
}

bool addrspace__code_mapping(struct nl_addrspaces *as, int pid, uint64_t ip,
			     struct nl_code_mapping *out)
{
	const struct mapping *m = ip < USER_TOP ? lookup(find_space(as, pid), ip) : NULL;

	if (!m || m->dso == NL_DSO_UNKNOWN)
		return false;
	out->start = m->start;
	out->end = m->end;
	out->pgoff = m->pgoff;
	out->dso = m->dso;
	return true;
}

uint32_t addrspace__data_mapping(struct nl_addrspaces *as, int pid, uint64_t addr)
{
	const struct mapping *m = lookup(find_space(as, pid), addr);

	return m ? m->name : 0;
}

bool addrspace__data_range(struct nl_addrspaces *as, int pid, uint64_t addr,
			   uint64_t *start, uint64_t *end, uint32_t *name)
{
	const struct mapping *m = lookup(find_space(as, pid), addr);

	if (!m)
		return false;
	*start = m->start;
	*end = m->end;
	*name = m->name;
	return true;
}

int addrspace__image(struct nl_addrspaces *as, int pid)
{
	const struct space *sp = find_space(as, pid);

	return sp ? sp->image : pid;
}

int addrspace__parent(struct nl_addrspaces *as, int pid)
{
	const struct space *sp = find_space(as, pid);

	return sp ? sp->ppid : -1;
}
