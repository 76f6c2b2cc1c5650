/*
 * codeprofile.c - sites, functions, lines, --sort rows.  See codeprofile.h;
 * the stack table is codestacks.c (codeprofile_internal.h).
 *
 * Site key = symbols__key(dso, offset).  Per site and per stack the counts
 * are the same struct (struct tally); a tally keeps the few data mappings
 * it touched most in a small table (when full, the least-counted slot is
 * replaced: the top entry of a row is exact unless a row touches more
 * than TOP_SLOTS mappings evenly).
 */
#include "profiler/codeprofile_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/addrspace.h"
#include "profiler/unwind.h"
#include "samplers/base/array.h"
#include "samplers/base/map.h"


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
	cp->prefetch_after = o->prefetch_after ? o->prefetch_after : SYMBOLS_PREFETCH_AFTER;
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
	codestacks__free(cp);
	free(cp->sites);
	free(cp->pending);
	map__free(&cp->pending_index);
	free(cp->free_pending);
	for (size_t i = 0; i < cp->nr_py; i++) {
		free((char *)cp->py[i].loc->symbol);
		free((char *)cp->py[i].loc->frames[0].file);
		free(cp->py[i].loc);
	}
	free(cp->py);
	map__free(&cp->py_index);
	for (size_t i = 0; i < cp->nr_pydsos; i++)
		free(cp->pydsos[i]);
	free(cp->pydsos);
	map__free(&cp->pydso_index);
	free(cp->pub.functions);
	free(cp->pub.lines);
	free(cp->fn_t);
	free(cp->fn_best);
	free(cp->line_t);
	free(cp->row_t);
	free(cp->pub.rows);
	map__free(&cp->row_index);
	map__free(&cp->site_index);
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


void codeprofile__tally_add(struct tally *t, const struct verdict *v)
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

void codeprofile__tally_merge(struct tally *t, const struct tally *from)
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


/* The site key of ip in pid, or a pending key when no mapping holds it yet. */
static uint64_t pending_hash(int pid, uint64_t ip)
{
	return map__mix64((uint64_t)(uint32_t)pid ^ map__mix64(ip));
}

uint64_t codeprofile__code_key(struct nl_codeprofile *cp, int pid, uint64_t ip, bool kernel)
{
	uint64_t key, h = pending_hash(pid, ip), v;
	struct key_cache *c = &cp->kcache[h & (KEY_CACHE - 1)];
	uint64_t gen = addrspace__generation(cp->as);

	if (c->used && c->ip == ip && c->pid == pid && c->kernel == kernel && c->gen == gen)
		return c->key;
	if (kernel)     /* resolved at finish: read the kernel's symbols meanwhile */
		symbols__prefetch_kernel(cp->syms);
	if (addrspace__code_key(cp->as, pid, ip, kernel, false, &key)) {
		symbols__prefetch_dso(cp->syms, (uint32_t)(key >> NL_SITE_OFF_BITS));
		*c = (struct key_cache){ .ip = ip, .key = key, .gen = gen, .pid = pid,
					 .kernel = kernel, .used = true };
		return key;
	}
	while (map__get(&cp->pending_index, 0, h, &v)) {
		if (cp->pending[v].pid == pid && cp->pending[v].ip == ip)
			return symbols__key(PENDING_DSO, v);
		h++;
	}
	if (cp->nr_free_pending) {
		v = cp->free_pending[cp->nr_free_pending - 1];
	} else {
		if (cp->nr_pending >= (1u << 30) ||
		    array__reserve((void **)&cp->pending, &cp->cap_pending, cp->nr_pending + 1,
				   sizeof(*cp->pending)))
			return key;
		v = cp->nr_pending;
	}
	if (map__put(&cp->pending_index, 0, h, v))
		return key;
	if (cp->nr_free_pending)
		cp->nr_free_pending--;
	else
		cp->nr_pending++;
	cp->pending[v] = (struct pending){ .pid = pid, .ip = ip };
	return symbols__key(PENDING_DSO, v);
}

static uint64_t pending_home(uint64_t v, void *ctx)
{
	const struct pending *p = &((struct nl_codeprofile *)ctx)->pending[v];

	return pending_hash(p->pid, p->ip);
}

/* Entry i leaves the index and its slot is free.  0 or -ENOMEM. */
static int free_pending(struct nl_codeprofile *cp, uint32_t i)
{
	uint64_t h = pending_hash(cp->pending[i].pid, cp->pending[i].ip), v;

	for (; map__get(&cp->pending_index, 0, h, &v) && v != i; h++)
		;
	if (map__del_probed(&cp->pending_index, 0, h, pending_home, cp) ||
	    array__reserve((void **)&cp->free_pending, &cp->cap_free_pending,
			   cp->nr_free_pending + 1, sizeof(*cp->free_pending)))
		return -ENOMEM;
	cp->pending[i].freed = true;
	cp->free_pending[cp->nr_free_pending++] = i;
	return 0;
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

uint64_t codeprofile__retired_key(struct nl_codeprofile *cp, int pid, uint32_t jit, uint64_t key)
{
	uint64_t mask = (1ull << NL_SITE_OFF_BITS) - 1;

	if (key >> NL_SITE_OFF_BITS == PENDING_DSO && cp->pending[key & mask].pid == pid &&
	    !cp->pending[key & mask].freed)
		key = final_key(cp, key);
	if (jit != NL_DSO_UNKNOWN && key >> NL_SITE_OFF_BITS == jit)
		key = symbols__key(NL_DSO_UNKNOWN, key & mask);
	return key;
}

/* pid's sites whose key changes at its retirement join the site of the key
   they become; the last site takes each freed slot.  0 or -ENOMEM. */
static int retire_sites(struct nl_codeprofile *cp, int pid, uint32_t jit)
{
	for (uint32_t i = 0; i < cp->nr_sites;) {
		struct site *s = &cp->sites[i];
		uint64_t key = codeprofile__retired_key(cp, pid, jit, s->key), k0;
		struct tally t;
		int32_t spid;
		struct site *to;

		if (key == s->key) {
			i++;
			continue;
		}
		t = s->t;
		spid = s->pid;
		k0 = cp->by_pid ? (uint64_t)(uint32_t)spid + 1 : 0;
		map__del(&cp->site_index, k0, s->key);
		if (i != --cp->nr_sites) {
			struct site *last = &cp->sites[cp->nr_sites];

			*s = *last;
			*map__find(&cp->site_index, cp->by_pid ? (uint64_t)(uint32_t)s->pid + 1 : 0,
				   s->key) = i;
		}
		if (!(to = site_get(cp, spid, key)))
			return -ENOMEM;
		codeprofile__tally_merge(&to->t, &t);
	}
	cp->leaf.used = false;          /* it names a site by index */
	return 0;
}

int codeprofile__retire(struct nl_codeprofile *cp, int pid)
{
	uint32_t jit = NL_DSO_UNKNOWN;

	/* a deferred dwarf sample may still need pid's space at its replay */
	if (pid <= 0 || cp->dfr_len)
		return 0;
	if (!symbols__jit_absent(cp->syms, pid, &jit))
		jit = NL_DSO_UNKNOWN;
	if (retire_sites(cp, pid, jit) || codestacks__retire(cp, pid, jit))
		return -ENOMEM;
	/* no key names pid's pending entries now */
	for (uint32_t i = 0; i < cp->nr_pending; i++)
		if (cp->pending[i].pid == pid && !cp->pending[i].freed && free_pending(cp, i))
			return -ENOMEM;
	for (uint32_t k = 0; k < KEY_CACHE; k++)        /* may name pid's JIT DSO */
		if (cp->kcache[k].pid == pid)
			cp->kcache[k].used = false;
	if (jit != NL_DSO_UNKNOWN)
		symbols__jit_forget(cp->syms, pid);
	return addrspace__retire(cp->as, pid);
}

/* Kernel code: by the sample's cpumode, or by the address when unknown. */
bool codeprofile__is_kernel(const struct nl_sample *s, uint64_t ip)
{
	if (s->cpumode == NL_CPUMODE_UNKNOWN)
		return ip >= (1ull << 47);
	return s->cpumode == NL_CPUMODE_KERNEL;
}


/* The interned PY_DSO_PREFIX name of file (one string per file, so rows
   group by pointer); NULL on -ENOMEM. */
static const char *py_dso(struct nl_codeprofile *cp, const char *file)
{
	const size_t skip = sizeof(PY_DSO_PREFIX) - 1;
	uint64_t h = map__hash_str(file, MAP_HASH_STR_SEED), v;
	char *name;

	for (; map__get(&cp->pydso_index, 0, h, &v); h++)
		if (!strcmp(cp->pydsos[v] + skip, file))
			return cp->pydsos[v];
	if (array__reserve((void **)&cp->pydsos, &cp->cap_pydsos, cp->nr_pydsos + 1,
			   sizeof(*cp->pydsos)) ||
	    asprintf(&name, PY_DSO_PREFIX "%s", file) < 0)
		return NULL;
	if (map__put(&cp->pydso_index, 0, h, cp->nr_pydsos)) {
		free(name);
		return NULL;
	}
	cp->pydsos[cp->nr_pydsos++] = name;
	return name;
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
		cp->py[cp->nr_py].dso = l->frames[0].file ? py_dso(cp, l->frames[0].file) : NULL;
		if (!l->symbol || !cp->py[cp->nr_py].dso ||
		    map__put(&cp->py_index, 0, f->id, cp->nr_py)) {
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

const struct nl_code_loc *codeprofile__python_loc(struct nl_codeprofile *cp,
						  const struct nl_pyframe *f)
{
	uint64_t k = py_key(cp, f, false);

	return k == PY_SEP ? NULL : cp->py[(k & ((1ull << NL_SITE_OFF_BITS) - 1)) >> 1].loc;
}

static bool is_py_key(uint64_t key)
{
	return key >> NL_SITE_OFF_BITS == PY_DSO && key != PY_SEP;
}

/* The stack keys of s's Python frames into out[MAX_DEPTH + 1]: PY_SEP,
   then the frames.  Returns their count. */
static uint32_t py_keys(struct nl_codeprofile *cp, const struct nl_pystack *py, uint64_t *out)
{
	uint32_t n = 0;

	out[n++] = PY_SEP;
	for (uint32_t i = 0; i < py->nr && i < MAX_DEPTH; i++) {
		uint64_t k = py_key(cp, &py->frames[i], true);

		if (k == PY_SEP)
			break;
		out[n++] = k;
	}
	return n;
}

/* addrspace__data_mapping, through the last sample's mapping. */
static uint32_t data_mapping(struct nl_codeprofile *cp, int32_t pid, uint64_t addr, uint64_t gen)
{
	struct data_memo *d = &cp->data;
	uint64_t start, end;
	uint32_t name;

	if (d->used && d->pid == pid && d->gen == gen && addr - d->start < d->end - d->start)
		return d->name;
	if (!addrspace__data_range(cp->as, pid, addr, &start, &end, &name))
		return 0;
	*d = (struct data_memo){ .used = true, .pid = pid, .gen = gen, .start = start,
				 .end = end, .name = name };
	return name;
}

static int add_sample(struct nl_codeprofile *cp, const struct nl_sample *s,
		      enum nl_locality loc, bool first_touch)
{
	struct verdict v = { .loc = loc, .first_touch = first_touch };
	const struct nl_pystack *py;
	struct site *site;
	uint64_t leaf, gen;
	uint32_t n = 0, nr_py = 0;
	bool kernel;

	if (!(s->valid & NL_SAMPLE_IP))
		return 0;
	if (++cp->pub.samples_with_ip == cp->prefetch_after)
		symbols__prefetch_start(cp->syms);
	v.has_weight = loc != NL_LOC_NONE && (s->valid & NL_SAMPLE_WEIGHT) && s->weight;
	v.weight = s->weight;
	gen = addrspace__generation(cp->as);
	if (loc != NL_LOC_NONE && (s->valid & NL_SAMPLE_ADDR) && s->addr)
		v.mapping = data_mapping(cp, s->pid, s->addr, gen);
	kernel = codeprofile__is_kernel(s, s->ip);
	if (cp->leaf.used && cp->leaf.ip == s->ip && cp->leaf.pid == s->pid &&
	    cp->leaf.kernel == kernel && cp->leaf.gen == gen) {
		leaf = cp->leaf.key;
		site = &cp->sites[cp->leaf.site];
	} else {
		leaf = codeprofile__code_key(cp, s->pid, s->ip, kernel);
		site = site_get(cp, s->pid, leaf);
		if (!site)
			return -ENOMEM;
		cp->leaf = (struct leaf_memo){ .used = true, .kernel = kernel, .pid = s->pid,
					       .gen = gen, .ip = s->ip, .key = leaf,
					       .site = (uint32_t)(site - cp->sites) };
	}
	codeprofile__tally_add(&site->t, &v);
	py = s->py && s->py->nr ? s->py : NULL;
	if (py) {       /* the innermost Python line, a site of its own */
		uint64_t k = py_key(cp, &py->frames[0], false);

		cp->pub.python_samples++;
		cp->pub.python_approximate += !!(py->flags & NL_PYS_APPROXIMATE);
		if (k != PY_SEP) {
			if (!(site = site_get(cp, s->pid, k)))
				return -ENOMEM;
			codeprofile__tally_add(&site->t, &v);
		}
	}
	if (py)
		nr_py = py_keys(cp, py, cp->pykeys);
	/* --call-graph dwarf stacks are unwound (perhaps later) */
	if (s->valid & NL_SAMPLE_USER_STACK)
		return codestacks__add_dwarf(cp, s, &v, cp->pykeys, nr_py);
	if (!py && (s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain)
		return codestacks__count_chain(cp, s, &v);
	if ((s->valid & NL_SAMPLE_CALLCHAIN) && s->nr_callchain) {
		n = codestacks__chain_keys(cp, s, s->callchain, s->nr_callchain);
		if (n)
			cp->pub.samples_with_callchain++;
	}
	/* without a native stack, the Python frames stand above the sampled pc */
	if (py && !n)
		cp->scratch[n++] = leaf;
	if (nr_py)
		memcpy(cp->scratch + n, cp->pykeys, (size_t)nr_py * sizeof(cp->pykeys[0]));
	n += nr_py;
	return n ? codestacks__count(cp, cp->scratch, n, &v) : 0;
}

int codeprofile__add(struct nl_codeprofile *cp, const struct nl_record *rec,
		     enum nl_locality loc, bool first_touch)
{
	if (rec->kind == NL_REC_SAMPLE)
		return add_sample(cp, &rec->sample, loc, first_touch);
	if (rec->kind == NL_REC_ROUND && cp->dfr_len)
		return codestacks__replay(cp, false);
	return addrspace__record(cp->as, rec);
}

/* --- results ------------------------------------------------------------------ */

void codeprofile__publish(const struct nl_codeprofile *cp, const struct tally *t,
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
int codeprofile__by_weight(const struct nl_code_counts *a, const struct nl_code_counts *b)
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
	int r = codeprofile__by_weight(&x->c, &y->c);

	return r ? r : strcmp(x->name, y->name);
}

static int line_cmp(const void *a, const void *b)
{
	const struct nl_code_line *x = a, *y = b;
	int r = codeprofile__by_weight(&x->c, &y->c);

	if (r)
		return r;
	r = strcmp(x->file, y->file);
	return r ? r : x->line - y->line;
}

static int row_cmp(const void *a, const void *b)
{
	const struct nl_code_row *x = a, *y = b;
	int r = codeprofile__by_weight(&x->c, &y->c);

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

/* The DSO name of a site: its Python file's (py_dso) or its ELF object's. */
static const char *site_dso(const struct nl_codeprofile *cp, const struct site *site,
			    const struct nl_code_loc *l)
{
	if (is_py_key(site->key))
		return cp->py[(site->key & ((1ull << NL_SITE_OFF_BITS) - 1)) >> 1].dso;
	return symbols__dso_name(cp->syms, l->dso);
}

static int fold_site(struct nl_codeprofile *cp, const struct site *site,
		     const struct nl_code_loc *l)
{
	struct nl_code_profile *p = &cp->pub;
	const struct nl_frame *in = &l->frames[0];
	const char *dso = site_dso(cp, site, l);
	uint64_t fkey = map__mix64((uintptr_t)l->symbol) ^ l->dso ^ (uintptr_t)dso;
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
		p->functions[r].dso = dso;
		p->functions[r].resolved = l->resolved;
		p->functions[r].python = l->dso == PY_DSO;
	}
	/* The function's line: that of its hottest site. */
	if (l->frames[l->nr_frames - 1].file && site->t.counts.samples > cp->fn_best[r]) {
		cp->fn_best[r] = site->t.counts.samples;
		p->functions[r].file = l->frames[l->nr_frames - 1].file;
		p->functions[r].line = l->frames[l->nr_frames - 1].line;
	}
	codeprofile__tally_merge(&cp->fn_t[r], &site->t);
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
		p->lines[r].dso = dso;
		p->lines[r].python = l->dso == PY_DSO;
	}
	codeprofile__tally_merge(&cp->line_t[r], &site->t);
	return 0;
}

/* The --sort row of a site: its key fields only, so rows group by them. */
static int sort_row(struct nl_codeprofile *cp, const struct site *site,
		    const struct nl_code_loc *l)
{
	struct nl_code_profile *p = &cp->pub;
	struct nl_code_row row = { .pid = -1, .python = l->dso == PY_DSO };
	const struct nl_frame *in = &l->frames[0];
	uint64_t key = row.python;
	bool is_new;
	int64_t r;

	for (int i = 0; i < p->nr_sort_keys; i++) {
		switch (p->sort_keys[i]) {
		case NL_CODE_SYM:
			row.symbol = l->symbol;
			row.dso = site_dso(cp, site, l);
			break;
		case NL_CODE_DSO:
			row.dso = site_dso(cp, site, l);
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
	codeprofile__tally_merge(&cp->row_t[r], &site->t);
	return 0;
}

/* The resolved location of a stack key (a Python frame's own, or symbols'). */
const struct nl_code_loc *codeprofile__key_loc(struct nl_codeprofile *cp, uint64_t key)
{
	uint32_t dso;
	uint64_t off;

	if (is_py_key(key))
		return cp->py[(key & ((1ull << NL_SITE_OFF_BITS) - 1)) >> 1].loc;
	symbols__unkey(cp->syms, final_key(cp, key), &dso, &off);
	return symbols__resolve(cp->syms, dso, off);
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


const struct nl_code_profile *codeprofile__finish(struct nl_codeprofile *cp)
{
	struct nl_code_profile *p = &cp->pub;
	uint32_t nr_sites;

	if (cp->dfr_len && codestacks__replay(cp, true))
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
		codeprofile__tally_merge(&to->t, &cp->sites[i].t);
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
			l = codeprofile__key_loc(cp, site->key);
			if (fold_site(cp, site, l) || (p->nr_sort_keys && sort_row(cp, site, l)))
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
		codeprofile__publish(cp, &cp->fn_t[i], &p->functions[i].c);
	for (int i = 0; i < p->nr_lines; i++)
		codeprofile__publish(cp, &cp->line_t[i], &p->lines[i].c);
	for (int i = 0; i < p->nr_rows; i++)
		codeprofile__publish(cp, &cp->row_t[i], &p->rows[i].c);
	if (p->nr_rows)
		qsort(p->rows, (size_t)p->nr_rows, sizeof(*p->rows), row_cmp);
	if (p->nr_functions)
		qsort(p->functions, (size_t)p->nr_functions, sizeof(*p->functions), fn_cmp);
	if (p->nr_lines)
		qsort(p->lines, (size_t)p->nr_lines, sizeof(*p->lines), line_cmp);
	if (codestacks__finish(cp))
		return NULL;
	python_note(cp);
	codestacks__unwind_note(cp);
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
