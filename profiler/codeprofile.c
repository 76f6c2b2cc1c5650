/*
 * codeprofile.c - sites, stacks, functions, lines.  See codeprofile.h.
 *
 * Site key = symbols__key(dso, offset).  Per site and per stack the counts
 * are the same struct (struct tally); a tally keeps the few data mappings
 * it touched most in a small table (when full, the least-counted slot is
 * replaced: the top entry of a row is exact unless a row touches more
 * than TOP_SLOTS mappings evenly).
 */
#include "profiler/codeprofile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/addrspace.h"
#include "profiler/unwind.h"
#include "samplers/base/array.h"
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
};

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

struct nl_codeprofile {
	struct key_cache kcache[KEY_CACHE]; /* most frames repeat: skip the lookup */
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
	struct stack *stacks;
	uint32_t nr_stacks;
	size_t cap_stacks;
	struct nl_map stack_index;   /* hash of keys -> stack index */
	struct nl_unwinder *unwinder;   /* --call-graph dwarf stacks */
	uint8_t *dfr;                   /* deferred dwarf samples (see defer) */
	size_t dfr_len, dfr_cap;
	uint64_t chain[2 * MAX_DEPTH + 2]; /* one sample's kernel + unwound user ips */
	uint64_t scratch[2 * MAX_DEPTH + 1]; /* one sample's stack keys: native,
						PY_SEP, Python */
	struct nl_map py_index;      /* source frame id -> index into py */
	struct pysite *py;
	size_t nr_py, cap_py;
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

struct nl_codeprofile *codeprofile__new(const struct nl_symbols_options *o,
					const struct nl_source_info *info)
{
	struct nl_codeprofile *cp = calloc(1, sizeof(*cp));

	if (!cp)
		return NULL;
	for (const char *k = o->code_sort; k && *k && cp->pub.nr_sort_keys < NL_CODE_MAX_KEYS;) {
		static const char *const names[NL_CODE_KEYS] = { "sym", "dso", "srcline", "pid" };
		size_t n = strcspn(k, ",");

		for (int i = 0; i < NL_CODE_KEYS; i++)
			if (strlen(names[i]) == n && !strncmp(names[i], k, n))
				cp->pub.sort_keys[cp->pub.nr_sort_keys++] = (enum nl_code_key)i;
		k += n + (k[n] == ',');
	}
	for (int i = 0; i < cp->pub.nr_sort_keys; i++)
		cp->by_pid |= cp->pub.sort_keys[i] == NL_CODE_PID;
	cp->syms = symbols__new(o, info);
	cp->as = cp->syms ? addrspace__new(cp->syms) : NULL;
	cp->unwinder = cp->as ? unwind__new(cp->syms, cp->as, info ? info->arch : NULL) : NULL;
	if (!cp->unwinder) {
		codeprofile__free(cp);
		return NULL;
	}
	return cp;
}

void codeprofile__free(struct nl_codeprofile *cp)
{
	if (!cp)
		return;
	for (uint32_t i = 0; i < cp->nr_stacks; i++)
		free(cp->stacks[i].keys);
	free(cp->stacks);
	free(cp->sites);
	free(cp->pending);
	map__free(&cp->pending_index);
	for (size_t i = 0; i < cp->nr_py; i++) {
		free((char *)cp->py[i].loc->symbol);
		free((char *)cp->py[i].loc->frames[0].file);
		free(cp->py[i].loc);
	}
	free(cp->py);
	map__free(&cp->py_index);
	for (int i = 0; i < cp->pub.nr_stacks; i++)
		free(cp->pub.stacks[i].frames);
	free(cp->pub.stacks);
	free(cp->pub.functions);
	free(cp->pub.lines);
	free(cp->fn_t);
	free(cp->fn_best);
	free(cp->line_t);
	free(cp->row_t);
	free(cp->dfr);
	free(cp->pub.rows);
	map__free(&cp->row_index);
	map__free(&cp->site_index);
	map__free(&cp->stack_index);
	map__free(&cp->fn_index);
	map__free(&cp->line_index);
	unwind__free(cp->unwinder);
	addrspace__free(cp->as);
	symbols__free(cp->syms);
	free(cp);
}

/* --- counting ---------------------------------------------------------------- */

static void top_add(struct tally *t, uint32_t id, uint64_t n)
{
	int low = 0;

	for (int i = 0; i < TOP_SLOTS; i++) {
		if (t->map_n[i] && t->map_id[i] == id) {
			t->map_n[i] += n;
			return;
		}
		if (t->map_n[i] < t->map_n[low])
			low = i;
	}
	if (!t->map_n[low] || n >= t->map_n[low]) {
		t->map_id[low] = id;
		t->map_n[low] = n;
	}
}

struct verdict {
	enum nl_locality loc;
	bool first_touch, has_weight;
	uint64_t weight;
	uint32_t mapping;       /* 0: unknown */
};

static void tally_add(struct tally *t, const struct verdict *v)
{
	t->counts.samples++;
	if (v->loc == NL_LOC_NONE)
		return;
	t->counts.memory++;
	if (v->loc == NL_LOC_LOCAL)
		t->counts.local++;
	else if (v->loc == NL_LOC_REMOTE)
		t->counts.remote++;
	else
		t->counts.unresolved++;
	t->first_touch += v->first_touch;
	if (v->has_weight) {
		t->weight_count++;
		t->weight_sum += v->weight;
	}
	if (v->mapping)
		top_add(t, v->mapping, 1);
}

static void tally_merge(struct tally *t, const struct tally *from)
{
	counts__add(&t->counts, &from->counts);
	t->first_touch += from->first_touch;
	t->weight_count += from->weight_count;
	t->weight_sum += from->weight_sum;
	for (int i = 0; i < TOP_SLOTS; i++)
		if (from->map_n[i])
			top_add(t, from->map_id[i], from->map_n[i]);
}

static struct site *site_get(struct nl_codeprofile *cp, int pid, uint64_t key)
{
	uint64_t v, k0 = cp->by_pid ? (uint64_t)(uint32_t)pid + 1 : 0;
	struct site *s;

	if (map__get(&cp->site_index, k0, key, &v))
		return &cp->sites[v];
	if (array__reserve((void **)&cp->sites, &cp->cap_sites, cp->nr_sites + 1, sizeof(*cp->sites)) ||
	    map__put(&cp->site_index, k0, key, cp->nr_sites))
		return NULL;
	s = &cp->sites[cp->nr_sites++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->pid = cp->by_pid ? pid : -1;
	return s;
}

static uint64_t hash_keys(const uint64_t *k, uint32_t n)
{
	uint64_t h = n;

	for (uint32_t i = 0; i < n; i++)
		h = map__mix64(h ^ k[i]);
	return h;
}

static struct stack *stack_get(struct nl_codeprofile *cp, const uint64_t *keys, uint32_t n)
{
	uint64_t h = hash_keys(keys, n), v;
	struct stack *st;

	while (map__get(&cp->stack_index, 0, h, &v)) {
		st = &cp->stacks[v];
		if (st->nr == n && !memcmp(st->keys, keys, n * sizeof(*keys)))
			return st;
		h++;    /* a different stack with the same hash: next key */
	}
	if (array__reserve((void **)&cp->stacks, &cp->cap_stacks, cp->nr_stacks + 1, sizeof(*cp->stacks)))
		return NULL;
	st = &cp->stacks[cp->nr_stacks];
	memset(st, 0, sizeof(*st));
	st->keys = malloc(n * sizeof(*keys));
	if (!st->keys || map__put(&cp->stack_index, 0, h, cp->nr_stacks)) {
		free(st->keys);
		return NULL;
	}
	memcpy(st->keys, keys, n * sizeof(*keys));
	st->nr = n;
	cp->nr_stacks++;
	return st;
}

/* The site key of ip in pid, or a pending key when no mapping holds it yet. */
static uint64_t code_key(struct nl_codeprofile *cp, int pid, uint64_t ip, bool kernel)
{
	uint64_t key, h = map__mix64((uint64_t)(uint32_t)pid ^ map__mix64(ip)), v;
	struct key_cache *c = &cp->kcache[h & (KEY_CACHE - 1)];
	uint64_t gen = addrspace__generation(cp->as);

	if (c->used && c->ip == ip && c->pid == pid && c->kernel == kernel && c->gen == gen)
		return c->key;
	if (addrspace__code_key(cp->as, pid, ip, kernel, false, &key)) {
		*c = (struct key_cache){ .ip = ip, .key = key, .gen = gen, .pid = pid,
					 .kernel = kernel, .used = true };
		return key;
	}
	while (map__get(&cp->pending_index, 0, h, &v)) {
		if (cp->pending[v].pid == pid && cp->pending[v].ip == ip)
			return symbols__key(PENDING_DSO, v);
		h++;
	}
	if (cp->nr_pending >= (1u << 30) ||
	    array__reserve((void **)&cp->pending, &cp->cap_pending, cp->nr_pending + 1, sizeof(*cp->pending)) ||
	    map__put(&cp->pending_index, 0, h, cp->nr_pending))
		return key;
	cp->pending[cp->nr_pending].pid = pid;
	cp->pending[cp->nr_pending].ip = ip;
	return symbols__key(PENDING_DSO, cp->nr_pending++);
}

/* A pending key's final site key (others unchanged). */
static uint64_t final_key(struct nl_codeprofile *cp, uint64_t key)
{
	const struct pending *p;

	if (key >> NL_SITE_OFF_BITS != PENDING_DSO)
		return key;
	p = &cp->pending[key & ((1ull << NL_SITE_OFF_BITS) - 1)];
	addrspace__code_key(cp->as, p->pid, p->ip, false, true, &key);
	return key;
}

/* Kernel code: by the sample's cpumode, or by the address when unknown. */
static bool is_kernel(const struct nl_sample *s, uint64_t ip)
{
	if (s->cpumode == NL_CPUMODE_UNKNOWN)
		return ip >= (1ull << 47);
	return s->cpumode == NL_CPUMODE_KERNEL;
}

/* Site keys of chain (a callchain: ips and context markers) of sample s
   into cp->scratch; returns how many. */
static uint32_t chain_keys(struct nl_codeprofile *cp, const struct nl_sample *s,
			   const uint64_t *chain, uint32_t nr)
{
	bool kernel = is_kernel(s, s->ip), first = true;
	uint32_t n = 0;

	for (uint32_t i = 0; i < nr; i++) {
		uint64_t ip = chain[i];

		if (ip >= CTX_MAX) {
			if (ip == CTX_KERNEL || ip == CTX_GUEST_KERNEL || ip == CTX_HV)
				kernel = true;
			else if (ip == CTX_USER || ip == CTX_GUEST_USER)
				kernel = false;
			/* Each context starts at the interrupted pc itself (the
			   sample's, or user space's at the trap): not a return. */
			first = true;
			continue;
		}
		if (n == MAX_DEPTH) {
			cp->pub.truncated_stacks++;
			break;
		}
		/* Past a user address no code can have, a frame-pointer walk
		   (through code built without them) reads garbage: end there. */
		if (!kernel && (ip >= (1ull << 47) || ip < 4096)) {
			cp->scratch[n++] = symbols__key(NL_DSO_UNKNOWN, 0);
			cp->pub.broken_stacks++;
			break;
		}
		/* A return address points after the call: look up the call itself. */
		cp->scratch[n++] = code_key(cp, s->pid, first ? ip : ip - 1, kernel);
		first = false;
	}
	return n;
}

/*
 * A --call-graph dwarf sample's stack as one callchain in cp->chain: the
 * kernel part of its callchain (perf records one, without user frames),
 * then PERF_CONTEXT_USER and the user frames libdw unwound from the copied
 * stack.  Returns the entries, 0 when no user frame unwound.
 */
static uint32_t dwarf_chain(struct nl_codeprofile *cp, const struct nl_sample *s)
{
	uint32_t n = 0, user;

	for (uint32_t i = 0; (s->valid & NL_SAMPLE_CALLCHAIN) && i < s->nr_callchain &&
	     n < MAX_DEPTH; i++) {
		if (s->callchain[i] == CTX_USER || s->callchain[i] == CTX_GUEST_USER)
			break;
		cp->chain[n++] = s->callchain[i];
	}
	user = unwind__user(cp->unwinder, s, cp->chain + n + 1, MAX_DEPTH);
	if (!user)
		return 0;
	cp->chain[n] = CTX_USER;
	return n + 1 + user;
}

/*
 * Unwinds s (a --call-graph dwarf sample) and counts its stack; when no
 * user frame comes out, the callchain as recorded (if any) stands.
 */
static int dwarf_stack(struct nl_codeprofile *cp, const struct nl_sample *s,
		       const struct verdict *v)
{
	uint32_t nr = dwarf_chain(cp, s), n;
	const uint64_t *chain = cp->chain;
	struct stack *st;

	if (nr)
		cp->pub.samples_with_dwarf_stack++;
	else if ((s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain)
		chain = s->callchain, nr = s->nr_callchain;
	n = nr ? chain_keys(cp, s, chain, nr) : 0;
	if (!n)
		return 0;
	cp->pub.samples_with_callchain++;
	st = stack_get(cp, cp->scratch, n);
	if (!st)
		return -ENOMEM;
	tally_add(&st->t, v);
	return 0;
}

/*
 * Deferred dwarf samples: perf.data holds one CPU's ring after another, so
 * a process' samples can precede its exec and MMAP records (a program that
 * moved to another CPU after it started).  Such a sample (its pc in no
 * known mapping) is copied whole into cp->dfr and unwound at the next
 * round (NL_REC_ROUND) that knows its mapping, or at finish.  The copies
 * (user stack bytes included) live only there and are dropped once
 * unwound; past DEFER_MAX bytes samples are unwound at once (counted).
 */
#define DEFER_MAX (256u << 20)

struct deferred {
	struct verdict v;
	struct nl_sample s;     /* pointers rebuilt from the bytes that follow */
	uint32_t size;          /* of the entry, header included, 8-aligned */
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* True when s was kept for later. */
static bool defer(struct nl_codeprofile *cp, const struct nl_sample *s, const struct verdict *v)
{
	size_t chain = (s->valid & NL_SAMPLE_CALLCHAIN) ? (size_t)s->nr_callchain * 8 : 0;
	size_t size = sizeof(struct deferred) + chain + (size_t)s->nr_regs_user * 8 +
		      pad8(s->stack_size);
	struct deferred *d;
	uint8_t *p;

	size = pad8(size);
	if (cp->dfr_len + size > DEFER_MAX ||
	    array__reserve((void **)&cp->dfr, &cp->dfr_cap, cp->dfr_len + size, 1)) {
		cp->pub.unwind.deferred_overflow++;
		return false;
	}
	d = (struct deferred *)(void *)(cp->dfr + cp->dfr_len);
	d->v = *v;
	d->s = *s;
	d->size = (uint32_t)size;
	p = (uint8_t *)(d + 1);
	if (chain)
		memcpy(p, s->callchain, chain);
	memcpy(p + chain, s->regs_user, (size_t)s->nr_regs_user * 8);    /* USER_STACK: */
	memcpy(p + chain + (size_t)s->nr_regs_user * 8, s->stack_user, s->stack_size); /* both set */
	cp->dfr_len += size;
	cp->pub.unwind.deferred++;
	return true;
}

/* Unwinds the deferred samples whose pc is now known (all when final). */
static int replay(struct nl_codeprofile *cp, bool final)
{
	size_t in = 0, out = 0;
	int err = 0;

	while (in < cp->dfr_len) {
		struct deferred *d = (struct deferred *)(void *)(cp->dfr + in);
		uint32_t size = d->size;
		const uint8_t *p = (const uint8_t *)(d + 1);
		size_t chain = (d->s.valid & NL_SAMPLE_CALLCHAIN) ? (size_t)d->s.nr_callchain * 8 : 0;

		d->s.callchain = (const uint64_t *)(const void *)p;
		d->s.regs_user = p + chain;
		d->s.stack_user = p + chain + (size_t)d->s.nr_regs_user * 8;
		if (!err && (final || unwind__pc_known(cp->unwinder, &d->s))) {
			err = dwarf_stack(cp, &d->s, &d->v);
		} else {
			if (out != in)
				memmove(cp->dfr + out, d, size);
			out += size;
		}
		in += size;
	}
	cp->dfr_len = out;
	if (!out) {
		free(cp->dfr);
		cp->dfr = NULL;
		cp->dfr_cap = 0;
	}
	return err;
}

/* The site key of a Python frame (its entry flag kept); PY_SEP on -ENOMEM. */
static uint64_t py_key(struct nl_codeprofile *cp, const struct nl_pyframe *f, bool entry)
{
	uint64_t v;
	struct nl_code_loc *l;

	if (!map__get(&cp->py_index, 0, f->id, &v)) {
		if (cp->nr_py >= (1ull << 40) ||
		    array__reserve((void **)&cp->py, &cp->cap_py, cp->nr_py + 1, sizeof(*cp->py)))
			return PY_SEP;
		l = calloc(1, sizeof(*l) + sizeof(l->frames[0]));
		if (!l)
			return PY_SEP;
		l->dso = PY_DSO;
		l->symbol = strdup(f->function);
		l->resolved = true;
		l->nr_frames = 1;
		l->frames[0].function = l->symbol;
		l->frames[0].file = strdup(f->file);
		l->frames[0].line = f->line;
		if (!l->symbol || !l->frames[0].file || map__put(&cp->py_index, 0, f->id, cp->nr_py)) {
			free((char *)l->symbol);
			free((char *)l->frames[0].file);
			free(l);
			return PY_SEP;
		}
		cp->py[cp->nr_py].loc = l;
		v = cp->nr_py++;
	}
	return symbols__key(PY_DSO, v << 1 | (entry && (f->flags & NL_PYF_ENTRY)));
}

static bool is_py_key(uint64_t key)
{
	return key >> NL_SITE_OFF_BITS == PY_DSO && key != PY_SEP;
}

/* Appends s's Python frames to the n stack keys in scratch: PY_SEP, then
   the frames.  Returns the new count. */
static uint32_t py_keys(struct nl_codeprofile *cp, const struct nl_pystack *py, uint32_t n)
{
	cp->scratch[n++] = PY_SEP;
	for (uint32_t i = 0; i < py->nr && i < MAX_DEPTH; i++) {
		uint64_t k = py_key(cp, &py->frames[i], true);

		if (k == PY_SEP)
			break;
		cp->scratch[n++] = k;
	}
	return n;
}

static int add_sample(struct nl_codeprofile *cp, const struct nl_sample *s,
		      enum nl_locality loc, bool first_touch)
{
	struct verdict v = { .loc = loc, .first_touch = first_touch };
	const struct nl_pystack *py;
	struct site *site;
	uint64_t leaf;
	uint32_t n = 0;

	if (!(s->valid & NL_SAMPLE_IP))
		return 0;
	cp->pub.samples_with_ip++;
	v.has_weight = loc != NL_LOC_NONE && (s->valid & NL_SAMPLE_WEIGHT) && s->weight;
	v.weight = s->weight;
	if (loc != NL_LOC_NONE && (s->valid & NL_SAMPLE_ADDR) && s->addr)
		v.mapping = addrspace__data_mapping(cp->as, s->pid, s->addr);
	leaf = code_key(cp, s->pid, s->ip, is_kernel(s, s->ip));
	site = site_get(cp, s->pid, leaf);
	if (!site)
		return -ENOMEM;
	tally_add(&site->t, &v);
	py = s->py && s->py->nr ? s->py : NULL;
	if (py) {       /* the innermost Python line, a site of its own */
		uint64_t k = py_key(cp, &py->frames[0], false);

		cp->pub.python_samples++;
		cp->pub.python_approximate += !!(py->flags & NL_PYS_APPROXIMATE);
		if (k != PY_SEP) {
			if (!(site = site_get(cp, s->pid, k)))
				return -ENOMEM;
			tally_add(&site->t, &v);
		}
	}
	/* --call-graph dwarf stacks are unwound (perhaps later): without their
	   Python frames for now */
	if (s->valid & NL_SAMPLE_USER_STACK) {
		if (!unwind__pc_known(cp->unwinder, s) && defer(cp, s, &v))
			return 0;
		return dwarf_stack(cp, s, &v);
	}
	if ((s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain) {
		n = chain_keys(cp, s, s->callchain, s->nr_callchain);
		if (n)
			cp->pub.samples_with_callchain++;
	}
	/* without a native stack, the Python frames stand above the sampled pc */
	if (py && !n)
		cp->scratch[n++] = leaf;
	if (py)
		n = py_keys(cp, py, n);
	if (n) {
		struct stack *st = stack_get(cp, cp->scratch, n);

		if (!st)
			return -ENOMEM;
		tally_add(&st->t, &v);
	}
	return 0;
}

int codeprofile__add(struct nl_codeprofile *cp, const struct nl_record *rec,
		     enum nl_locality loc, bool first_touch)
{
	if (rec->kind == NL_REC_SAMPLE)
		return add_sample(cp, &rec->sample, loc, first_touch);
	if (rec->kind == NL_REC_ROUND && cp->dfr_len)
		return replay(cp, false);
	return addrspace__record(cp->as, rec);
}

/* --- results ------------------------------------------------------------------ */

static void publish(const struct nl_codeprofile *cp, const struct tally *t,
		    struct nl_code_counts *c)
{
	int best = -1;

	c->counts = t->counts;
	c->first_touch = t->first_touch;
	c->weight_count = t->weight_count;
	c->weight_sum = t->weight_sum;
	for (int i = 0; i < TOP_SLOTS; i++)
		if (t->map_n[i] && (best < 0 || t->map_n[i] > t->map_n[best]))
			best = i;
	c->top_mapping = best >= 0 ? addrspace__mapping_name(cp->as, t->map_id[best]) : NULL;
	c->top_mapping_samples = best >= 0 ? t->map_n[best] : 0;
}

/* Rows by remote memory samples, then memory samples, then samples. */
static int by_weight(const struct nl_code_counts *a, const struct nl_code_counts *b)
{
	if (a->counts.remote != b->counts.remote)
		return a->counts.remote > b->counts.remote ? -1 : 1;
	if (a->counts.memory != b->counts.memory)
		return a->counts.memory > b->counts.memory ? -1 : 1;
	if (a->counts.samples != b->counts.samples)
		return a->counts.samples > b->counts.samples ? -1 : 1;
	return 0;
}

static int fn_cmp(const void *a, const void *b)
{
	const struct nl_code_function *x = a, *y = b;
	int r = by_weight(&x->c, &y->c);

	return r ? r : strcmp(x->name, y->name);
}

static int line_cmp(const void *a, const void *b)
{
	const struct nl_code_line *x = a, *y = b;
	int r = by_weight(&x->c, &y->c);

	if (r)
		return r;
	r = strcmp(x->file, y->file);
	return r ? r : x->line - y->line;
}

static int row_cmp(const void *a, const void *b)
{
	const struct nl_code_row *x = a, *y = b;
	int r = by_weight(&x->c, &y->c);

	if (r || x->pid != y->pid)
		return r ? r : x->pid - y->pid;
	if (x->symbol != y->symbol)
		return strcmp(x->symbol ? x->symbol : "", y->symbol ? y->symbol : "");
	if (x->dso != y->dso)
		return strcmp(x->dso ? x->dso : "", y->dso ? y->dso : "");
	if (x->file != y->file)
		return strcmp(x->file ? x->file : "", y->file ? y->file : "");
	return x->line - y->line;
}

static int stack_cmp(const void *a, const void *b)
{
	const struct nl_code_stack *x = a, *y = b;

	return by_weight(&x->c, &y->c);
}

/* Row index for key in index (added with add() when new); -1 on -ENOMEM. */
static int64_t row_of(struct nl_map *index, uint64_t key, int *nr, bool *is_new)
{
	uint64_t v;

	*is_new = false;
	if (map__get(index, 0, key, &v))
		return (int64_t)v;
	if (map__put(index, 0, key, (uint64_t)*nr))
		return -1;
	*is_new = true;
	return (*nr)++;
}

static int fold_site(struct nl_codeprofile *cp, const struct site *site,
		     const struct nl_code_loc *l)
{
	struct nl_code_profile *p = &cp->pub;
	const struct nl_frame *in = &l->frames[0];
	uint64_t fkey = map__mix64((uintptr_t)l->symbol) ^ l->dso;
	bool is_new;
	int64_t r;

	if (!l->resolved)
		p->unresolved_samples += site->t.counts.samples;
	r = row_of(&cp->fn_index, fkey, &p->nr_functions, &is_new);
	if (r < 0 || array__reserve((void **)&p->functions, &cp->cap_fn, (size_t)p->nr_functions,
			  sizeof(*p->functions)))
		return -ENOMEM;
	if (is_new) {
		struct tally *t = realloc(cp->fn_t, (size_t)p->nr_functions * sizeof(*t));
		uint64_t *best = realloc(cp->fn_best, (size_t)p->nr_functions * sizeof(*best));

		if (t)
			cp->fn_t = t;
		if (best)
			cp->fn_best = best;
		if (!t || !best)
			return -ENOMEM;
		memset(&t[r], 0, sizeof(*t));
		best[r] = 0;
		memset(&p->functions[r], 0, sizeof(p->functions[r]));
		p->functions[r].name = l->symbol;
		p->functions[r].dso = l->dso == PY_DSO ? "python" : symbols__dso_name(cp->syms, l->dso);
		p->functions[r].resolved = l->resolved;
		p->functions[r].python = l->dso == PY_DSO;
	}
	/* The function's line: that of its hottest site. */
	if (l->frames[l->nr_frames - 1].file && site->t.counts.samples > cp->fn_best[r]) {
		cp->fn_best[r] = site->t.counts.samples;
		p->functions[r].file = l->frames[l->nr_frames - 1].file;
		p->functions[r].line = l->frames[l->nr_frames - 1].line;
	}
	tally_merge(&cp->fn_t[r], &site->t);
	if (!in->file)
		return 0;
	fkey = map__mix64(map__mix64((uintptr_t)in->file) ^ (uint64_t)in->line) ^
	       (uintptr_t)in->function;
	r = row_of(&cp->line_index, fkey, &p->nr_lines, &is_new);
	if (r < 0 || array__reserve((void **)&p->lines, &cp->cap_lines, (size_t)p->nr_lines,
			  sizeof(*p->lines)))
		return -ENOMEM;
	if (is_new) {
		struct tally *t = realloc(cp->line_t, (size_t)p->nr_lines * sizeof(*t));

		if (!t)
			return -ENOMEM;
		cp->line_t = t;
		memset(&t[r], 0, sizeof(*t));
		p->lines[r].file = in->file;
		p->lines[r].line = in->line;
		p->lines[r].function = in->function;
		p->lines[r].inlined = in->inlined;
		p->lines[r].inlined_into = in->inlined ? l->symbol : NULL;
		p->lines[r].dso = l->dso == PY_DSO ? "python" : symbols__dso_name(cp->syms, l->dso);
		p->lines[r].python = l->dso == PY_DSO;
	}
	tally_merge(&cp->line_t[r], &site->t);
	return 0;
}

/* The --sort row of a site: its key fields only, so rows group by them. */
static int sort_row(struct nl_codeprofile *cp, const struct site *site,
		    const struct nl_code_loc *l)
{
	struct nl_code_profile *p = &cp->pub;
	struct nl_code_row row = { .pid = -1 };
	const struct nl_frame *in = &l->frames[0];
	uint64_t key = 0;
	bool is_new;
	int64_t r;

	for (int i = 0; i < p->nr_sort_keys; i++) {
		switch (p->sort_keys[i]) {
		case NL_CODE_SYM:
			row.symbol = l->symbol;
			row.dso = symbols__dso_name(cp->syms, l->dso);
			break;
		case NL_CODE_DSO:
			row.dso = symbols__dso_name(cp->syms, l->dso);
			break;
		case NL_CODE_SRCLINE:
			row.file = in->file;
			row.line = in->file ? in->line : 0;
			break;
		default:
			row.pid = site->pid;
			break;
		}
	}
	/* Names are interned (symbols.h): pointers identify them. */
	key = map__mix64(key ^ (uintptr_t)row.symbol);
	key = map__mix64(key ^ (uintptr_t)row.dso);
	key = map__mix64(key ^ (uintptr_t)row.file);
	key = map__mix64(key ^ (uint64_t)(uint32_t)row.line);
	key = map__mix64(key ^ (uint64_t)(uint32_t)row.pid);
	r = row_of(&cp->row_index, key, &p->nr_rows, &is_new);
	if (r < 0 || array__reserve((void **)&p->rows, &cp->cap_rows, (size_t)p->nr_rows,
				    sizeof(*p->rows)))
		return -ENOMEM;
	if (is_new) {
		struct tally *t = realloc(cp->row_t, (size_t)p->nr_rows * sizeof(*t));

		if (!t)
			return -ENOMEM;
		cp->row_t = t;
		memset(&t[r], 0, sizeof(*t));
		p->rows[r] = row;
	}
	tally_merge(&cp->row_t[r], &site->t);
	return 0;
}

/* The resolved location of a stack key (a Python frame's own, or symbols'). */
static const struct nl_code_loc *key_loc(struct nl_codeprofile *cp, uint64_t key)
{
	uint32_t dso;
	uint64_t off;

	if (is_py_key(key))
		return cp->py[(key & ((1ull << NL_SITE_OFF_BITS) - 1)) >> 1].loc;
	symbols__unkey(cp->syms, final_key(cp, key), &dso, &off);
	return symbols__resolve(cp->syms, dso, off);
}

static int push_frames(struct nl_code_stack *out, size_t *cap, const struct nl_code_loc *l,
		       bool python)
{
	if (array__reserve((void **)&out->frames, cap, out->nr_frames + l->nr_frames,
			   sizeof(*out->frames)))
		return -ENOMEM;
	for (uint32_t f = 0; f < l->nr_frames; f++)
		out->frames[out->nr_frames++] = (struct nl_code_frame_ref){
			.function = l->frames[f].function, .file = l->frames[f].file,
			.line = l->frames[f].line, .inlined = l->frames[f].inlined, .python = python,
		};
	return 0;
}

/* Python keys [*at, end) up to the end of one evaluator activation (an
   entry frame) into out; *at moves past them. */
static int push_activation(struct nl_codeprofile *cp, const struct stack *st, uint32_t *at,
			   struct nl_code_stack *out, size_t *cap)
{
	while (*at < st->nr) {
		uint64_t key = st->keys[(*at)++];

		if (push_frames(out, cap, key_loc(cp, key), true))
			return -ENOMEM;
		if (key & 1)    /* NL_PYF_ENTRY: the activation's outermost frame */
			break;
	}
	return 0;
}

static int build_stack(struct nl_codeprofile *cp, const struct stack *st,
		       struct nl_code_stack *out)
{
	uint32_t sep = st->nr, py;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < st->nr; i++)
		if (st->keys[i] == PY_SEP) {
			sep = i;
			break;
		}
	py = sep + 1;
	for (uint32_t i = 0; i < sep; i++) {
		const struct nl_code_loc *l = key_loc(cp, st->keys[i]);

		if (!l)
			return -ENOMEM;
		/* an evaluator activation: its Python frames instead */
		if (py < st->nr && l->nr_frames == 1 && l->resolved &&
		    !strcmp(l->symbol, "_PyEval_EvalFrameDefault")) {
			if (push_activation(cp, st, &py, out, &cap))
				return -ENOMEM;
			continue;
		}
		if (push_frames(out, &cap, l, false))
			return -ENOMEM;
	}
	while (py < st->nr)     /* the activations the native frames did not reach */
		if (push_activation(cp, st, &py, out, &cap))
			return -ENOMEM;
	publish(cp, &st->t, &out->c);
	return 0;
}

static bool same_functions(const struct nl_code_stack *a, const struct nl_code_stack *b)
{
	if (a->nr_frames != b->nr_frames)
		return false;
	for (uint32_t i = 0; i < a->nr_frames; i++)
		if (a->frames[i].function != b->frames[i].function ||   /* interned */
		    a->frames[i].inlined != b->frames[i].inlined)
			return false;
	return true;
}

/*
 * Stacks that differ only in where inside the same functions the calls
 * were (a recursive sort calling itself from two lines, a loop calling
 * from two places) are one stack to a reader, as in perf's -g by symbol:
 * merged into the first one (cp->stacks[i] and pub.stacks[i] correspond
 * until here), whose file:line frames stay.
 */
static int merge_stacks(struct nl_codeprofile *cp)
{
	struct nl_code_profile *p = &cp->pub;
	struct nl_map index = { 0 };
	int out = 0;

	for (int i = 0; i < p->nr_stacks; i++) {
		struct nl_code_stack *st = &p->stacks[i];
		uint64_t h = st->nr_frames, v;
		bool merged = false;

		for (uint32_t f = 0; f < st->nr_frames; f++)
			h = map__mix64(h ^ (uintptr_t)st->frames[f].function);
		while (map__get(&index, 0, h, &v)) {
			if (same_functions(&p->stacks[v], st)) {
				tally_merge(&cp->stacks[v].t, &cp->stacks[i].t);
				publish(cp, &cp->stacks[v].t, &p->stacks[v].c);
				free(st->frames);
				merged = true;
				break;
			}
			h++;
		}
		if (merged)
			continue;
		if (map__put(&index, 0, h, (uint64_t)out)) {
			map__free(&index);
			return -ENOMEM;
		}
		if (out != i) {
			p->stacks[out] = *st;
			cp->stacks[out].t = cp->stacks[i].t;
		}
		out++;
	}
	for (int i = out; i < p->nr_stacks; i++)
		p->stacks[i].frames = NULL;
	p->nr_stacks = out;
	map__free(&index);
	return 0;
}

/* CPython before 3.12 runs every Python function in one C function. */
static void python_note(struct nl_codeprofile *cp)
{
	if (cp->pub.python_samples)     /* read from the interpreter: not opaque */
		return;
	for (int i = 0; i < cp->pub.nr_functions; i++) {
		const char *dso = strrchr(cp->pub.functions[i].dso, '/');

		dso = dso ? dso + 1 : cp->pub.functions[i].dso;
		if (!strncmp(dso, "libpython3.", 11))
			dso += 3;
		if (!strncmp(dso, "python3.", 8) && dso[8] == '1' && dso[9] >= '0' && dso[9] <= '1' &&
		    (dso[10] == '.' || dso[10] == 0)) {
			symbols__note(cp->syms, "%s: Python %.4s frames are opaque (all Python code runs in "
				      "_PyEval_EvalFrameDefault) and none were read - profile it live without "
				      "--no-python-frames (numalens reads CPython 3.11+ frames; the python.* "
				      "counters say why not), or run Python >= 3.12 with -X perf", dso, dso + 6);
			return;
		}
	}
}

/* Why dwarf stacks are short, when they are. */
static void unwind_note(struct nl_codeprofile *cp)
{
	struct nl_unwind_stats *u = &cp->pub.unwind;
	uint64_t deferred = u->deferred, overflow = u->deferred_overflow;

	unwind__stats(cp->unwinder, u);
	u->deferred = deferred;
	u->deferred_overflow = overflow;
	if (!cp->pub.samples_with_dwarf_stack && !u->stacks)
		return;
	if (u->arch_unsupported)
		symbols__note(cp->syms, "user stacks (--call-graph dwarf) of this architecture "
			      "are not unwound (x86_64, aarch64 are) - record with --call-graph fp");
	else if (u->single_frame * 4 > u->stacks)
		symbols__note(cp->syms, "%" PRIu64 " of %" PRIu64 " user stacks (--call-graph dwarf) "
			      "stopped at their first frame (its code file was not found or not "
			      "the recorded one) - give the files with --symfs", u->single_frame,
			      u->stacks);
}

const struct nl_code_profile *codeprofile__finish(struct nl_codeprofile *cp)
{
	struct nl_code_profile *p = &cp->pub;
	uint32_t nr_sites;

	if (cp->dfr_len && replay(cp, true))
		return NULL;
	nr_sites = cp->nr_sites;

	/* Pending sites join their final site (which may be new). */
	for (uint32_t i = 0; i < nr_sites; i++) {
		uint64_t key = final_key(cp, cp->sites[i].key);
		struct site *to;

		if (key == cp->sites[i].key)
			continue;
		to = site_get(cp, cp->sites[i].pid, key);
		if (!to)
			return NULL;
		tally_merge(&to->t, &cp->sites[i].t);
		memset(&cp->sites[i].t, 0, sizeof(cp->sites[i].t));
	}
	for (uint32_t i = 0; i < cp->nr_sites; i++) {
		const struct site *site = &cp->sites[i];
		const struct nl_code_loc *l;
		uint32_t dso;
		uint64_t off;

		if (site->key >> NL_SITE_OFF_BITS == PENDING_DSO || !site->t.counts.samples)
			continue;
		if (is_py_key(site->key)) {     /* counted again: not in the totals */
			if (fold_site(cp, site, key_loc(cp, site->key)))
				return NULL;
			continue;
		}
		symbols__unkey(cp->syms, site->key, &dso, &off);
		l = symbols__resolve(cp->syms, dso, off);
		if (!l || fold_site(cp, site, l) || (p->nr_sort_keys && sort_row(cp, site, l)))
			return NULL;
		p->memory_total += site->t.counts.memory;
		p->remote_total += site->t.counts.remote;
	}
	for (int i = 0; i < p->nr_functions; i++)
		publish(cp, &cp->fn_t[i], &p->functions[i].c);
	for (int i = 0; i < p->nr_lines; i++)
		publish(cp, &cp->line_t[i], &p->lines[i].c);
	for (int i = 0; i < p->nr_rows; i++)
		publish(cp, &cp->row_t[i], &p->rows[i].c);
	if (p->nr_rows)
		qsort(p->rows, (size_t)p->nr_rows, sizeof(*p->rows), row_cmp);
	if (p->nr_functions)
		qsort(p->functions, (size_t)p->nr_functions, sizeof(*p->functions), fn_cmp);
	if (p->nr_lines)
		qsort(p->lines, (size_t)p->nr_lines, sizeof(*p->lines), line_cmp);
	if (cp->nr_stacks) {
		p->stacks = calloc(cp->nr_stacks, sizeof(*p->stacks));
		if (!p->stacks)
			return NULL;
		for (uint32_t i = 0; i < cp->nr_stacks; i++) {
			if (build_stack(cp, &cp->stacks[i], &p->stacks[i])) {
				p->nr_stacks = (int)i + 1;
				return NULL;
			}
		}
		p->nr_stacks = (int)cp->nr_stacks;
		if (merge_stacks(cp))
			return NULL;
		qsort(p->stacks, (size_t)p->nr_stacks, sizeof(*p->stacks), stack_cmp);
	}
	python_note(cp);
	unwind_note(cp);
	symbols__stats(cp->syms, &p->symbols);
	p->notes = symbols__notes(cp->syms);
	return p;
}

struct nl_addrspaces *codeprofile__addrspaces(struct nl_codeprofile *cp)
{
	return cp->as;
}

struct nl_symbols *codeprofile__symbols(struct nl_codeprofile *cp)
{
	return cp->syms;
}
