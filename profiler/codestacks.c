/*
 * codestacks.c - the stack table of the code profile.  See
 * codeprofile_internal.h (and codeprofile.h for what stacks promise).
 *
 * Owns: turning a sample's callchain (or its copied user stack, unwound
 * by unwind.h) into site keys, the table of distinct stacks (keys leaf
 * first, one tally each), the dwarf samples deferred until their code is
 * mapped, and at finish the published stacks: frames resolved (inline
 * frames expanded, Python frames spliced in place of the evaluator's
 * activations), stacks that differ only in call lines merged, sorted by
 * remote memory samples.  The folded-stack writer is a renderer
 * (report/code_render.c) and reads only these published stacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/addrspace.h"
#include "profiler/codeprofile_internal.h"
#include "profiler/unwind.h"
#include "samplers/base/array.h"

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

/* Stack id's entry in the index (its hash, or the next free one after it). */
static uint64_t *index_slot(struct nl_codeprofile *cp, uint32_t id, uint64_t *h)
{
	uint64_t *v;

	for (*h = hash_keys(cp->stacks[id].keys, cp->stacks[id].nr);
	     (v = map__find(&cp->stack_index, 0, *h)); (*h)++)
		if (*v == id)
			return v;
	return NULL;
}

static uint64_t stack_home(uint64_t v, void *ctx)
{
	const struct stack *st = &((struct nl_codeprofile *)ctx)->stacks[v];

	return hash_keys(st->keys, st->nr);
}

/* Stack id leaves the index.  0 or -ENOMEM. */
static int index_del(struct nl_codeprofile *cp, uint32_t id)
{
	uint64_t h;

	if (!index_slot(cp, id, &h))
		return 0;
	return map__del_probed(&cp->stack_index, 0, h, stack_home, cp);
}

int codestacks__retire(struct nl_codeprofile *cp, int pid, uint32_t jit)
{
	uint64_t keys[2 * MAX_DEPTH + 2], h, *slot;

	for (uint32_t i = 0; i < cp->nr_stacks;) {
		struct stack *st = &cp->stacks[i], *to;
		uint32_t n = st->nr;
		bool change = false;
		struct tally t;

		for (uint32_t k = 0; k < n && n <= 2 * MAX_DEPTH + 2; k++) {
			keys[k] = codeprofile__retired_key(cp, pid, jit, st->keys[k]);
			change |= keys[k] != st->keys[k];
		}
		if (!change) {
			i++;
			continue;
		}
		/* out of the index and the table: the last stack takes its slot */
		if (index_del(cp, i))
			return -ENOMEM;
		t = st->t;
		free(st->keys);
		if (i != --cp->nr_stacks) {
			*st = cp->stacks[cp->nr_stacks];
			if ((slot = index_slot(cp, cp->nr_stacks, &h)))
				*slot = i;
		}
		if (!(to = stack_get(cp, keys, n)))
			return -ENOMEM;
		codeprofile__tally_merge(&to->t, &t);
	}
	cp->memo.used = false;          /* it names a stack by index */
	return 0;
}

/* Site keys of chain (a callchain: ips and context markers) of sample s
   into cp->scratch; returns how many. */
uint32_t codestacks__chain_keys(struct nl_codeprofile *cp, const struct nl_sample *s,
				const uint64_t *chain, uint32_t nr)
{
	bool kernel = codeprofile__is_kernel(s, s->ip), first = true;
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
		cp->scratch[n++] = codeprofile__code_key(cp, s->pid, first ? ip : ip - 1, kernel);
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
		       const struct verdict *v, const uint64_t *py, uint32_t nr_py)
{
	uint32_t nr = dwarf_chain(cp, s), n;
	const uint64_t *chain = cp->chain;
	struct stack *st;

	if (nr)
		cp->pub.samples_with_dwarf_stack++;
	else if ((s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain)
		chain = s->callchain, nr = s->nr_callchain;
	n = nr ? codestacks__chain_keys(cp, s, chain, nr) : 0;
	if (n)
		cp->pub.samples_with_callchain++;
	/* the Python frames after the native ones: build_stack splices them
	   in place of the evaluator's activations */
	if (nr_py && !n)
		cp->scratch[n++] = codeprofile__code_key(cp, s->pid, s->ip,
							 codeprofile__is_kernel(s, s->ip));
	if (nr_py)
		memcpy(cp->scratch + n, py, (size_t)nr_py * sizeof(*py));
	n += nr_py;
	if (!n)
		return 0;
	st = stack_get(cp, cp->scratch, n);
	if (!st)
		return -ENOMEM;
	codeprofile__tally_add(&st->t, v);
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
	uint32_t nr_py;         /* Python keys after the stack bytes (s.py is
				   gone by the replay) */
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* True when s was kept for later. */
static bool defer(struct nl_codeprofile *cp, const struct nl_sample *s, const struct verdict *v,
		  const uint64_t *py, uint32_t nr_py)
{
	size_t chain = (s->valid & NL_SAMPLE_CALLCHAIN) ? (size_t)s->nr_callchain * 8 : 0;
	size_t size = sizeof(struct deferred) + chain + (size_t)s->nr_regs_user * 8 +
		      pad8(s->stack_size) + (size_t)nr_py * 8;
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
	d->s.py = NULL;         /* valid until the next batch only (pyframes.h) */
	d->size = (uint32_t)size;
	d->nr_py = nr_py;
	p = (uint8_t *)(d + 1);
	if (chain)
		memcpy(p, s->callchain, chain);
	memcpy(p + chain, s->regs_user, (size_t)s->nr_regs_user * 8);    /* USER_STACK: */
	memcpy(p + chain + (size_t)s->nr_regs_user * 8, s->stack_user, s->stack_size); /* both set */
	if (nr_py)
		memcpy(p + chain + (size_t)s->nr_regs_user * 8 + pad8(s->stack_size), py,
		       (size_t)nr_py * 8);
	cp->dfr_len += size;
	cp->pub.unwind.deferred++;
	return true;
}

/* Unwinds the deferred samples whose pc is now known (all when final). */
int codestacks__replay(struct nl_codeprofile *cp, bool final)
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
			const uint8_t *py = p + chain + (size_t)d->s.nr_regs_user * 8 +
					    pad8(d->s.stack_size);

			err = dwarf_stack(cp, &d->s, &d->v, (const uint64_t *)(const void *)py,
					  d->nr_py);
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

static int stack_cmp(const void *a, const void *b)
{
	const struct nl_code_stack *x = a, *y = b;

	return codeprofile__by_weight(&x->c, &y->c);
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

		if (push_frames(out, cap, codeprofile__key_loc(cp, key), true))
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
		const struct nl_code_loc *l = codeprofile__key_loc(cp, st->keys[i]);

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
	codeprofile__publish(cp, &st->t, &out->c);
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
				codeprofile__tally_merge(&cp->stacks[v].t, &cp->stacks[i].t);
				codeprofile__publish(cp, &cp->stacks[v].t, &p->stacks[v].c);
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


/* Why dwarf stacks are short, when they are. */
void codestacks__unwind_note(struct nl_codeprofile *cp)
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

int codestacks__count(struct nl_codeprofile *cp, const uint64_t *keys, uint32_t n,
		      const struct verdict *v)
{
	struct stack *st = stack_get(cp, keys, n);

	if (!st)
		return -ENOMEM;
	codeprofile__tally_add(&st->t, v);
	return 0;
}

int codestacks__count_chain(struct nl_codeprofile *cp, const struct nl_sample *s,
			    const struct verdict *v)
{
	struct stack_memo *m = &cp->memo;
	bool kernel = codeprofile__is_kernel(s, s->ip);
	uint64_t gen = addrspace__generation(cp->as);
	uint64_t truncated = cp->pub.truncated_stacks, broken = cp->pub.broken_stacks;
	struct stack *st;
	uint32_t n;

	if (m->used && m->pid == s->pid && m->gen == gen && m->kernel == kernel &&
	    m->nr == s->nr_callchain &&
	    !memcmp(m->chain, s->callchain, (size_t)m->nr * sizeof(*m->chain))) {
		cp->pub.truncated_stacks += m->truncated;
		cp->pub.broken_stacks += m->broken;
		if (m->stack == UINT32_MAX)
			return 0;
		cp->pub.samples_with_callchain++;
		codeprofile__tally_add(&cp->stacks[m->stack].t, v);
		return 0;
	}
	m->used = false;
	n = codestacks__chain_keys(cp, s, s->callchain, s->nr_callchain);
	st = n ? stack_get(cp, cp->scratch, n) : NULL;
	if (n && !st)
		return -ENOMEM;
	if (n) {
		cp->pub.samples_with_callchain++;
		codeprofile__tally_add(&st->t, v);
	}
	if (s->nr_callchain <= sizeof(m->chain) / sizeof(*m->chain)) {
		*m = (struct stack_memo){ .used = true, .kernel = kernel, .pid = s->pid, .gen = gen,
					  .nr = s->nr_callchain,
					  .stack = n ? (uint32_t)(st - cp->stacks) : UINT32_MAX,
					  .truncated = (uint32_t)(cp->pub.truncated_stacks - truncated),
					  .broken = (uint32_t)(cp->pub.broken_stacks - broken) };
		memcpy(m->chain, s->callchain, (size_t)m->nr * sizeof(*m->chain));
	}
	return 0;
}

int codestacks__add_dwarf(struct nl_codeprofile *cp, const struct nl_sample *s,
			  const struct verdict *v, const uint64_t *py, uint32_t nr_py)
{
	if (!unwind__pc_known(cp->unwinder, s) && defer(cp, s, v, py, nr_py))
		return 0;
	return dwarf_stack(cp, s, v, py, nr_py);
}

int codestacks__finish(struct nl_codeprofile *cp)
{
	struct nl_code_profile *p = &cp->pub;

	if (!cp->nr_stacks)
		return 0;
	p->stacks = calloc(cp->nr_stacks, sizeof(*p->stacks));
	if (!p->stacks)
		return -ENOMEM;
	for (uint32_t i = 0; i < cp->nr_stacks; i++) {
		if (build_stack(cp, &cp->stacks[i], &p->stacks[i])) {
			p->nr_stacks = (int)i + 1;
			return -ENOMEM;
		}
	}
	p->nr_stacks = (int)cp->nr_stacks;
	if (merge_stacks(cp))
		return -ENOMEM;
	qsort(p->stacks, (size_t)p->nr_stacks, sizeof(*p->stacks), stack_cmp);
	return 0;
}

void codestacks__free(struct nl_codeprofile *cp)
{
	for (uint32_t i = 0; i < cp->nr_stacks; i++)
		free(cp->stacks[i].keys);
	free(cp->stacks);
	for (int i = 0; i < cp->pub.nr_stacks; i++)
		free(cp->pub.stacks[i].frames);
	free(cp->pub.stacks);
	free(cp->dfr);
	map__free(&cp->stack_index);
}
