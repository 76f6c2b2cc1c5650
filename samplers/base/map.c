/*
 * map.c - the two-word key -> u64 open-addressing map.  See map.h.
 *
 * Invariants:
 *   1. cap is 0 or a power of two >= MIN_CAP; nr * 2 <= cap, so a probe
 *      always ends at a free slot.
 *   2. A key sits in the first free-or-equal slot of the run starting at its
 *      home slot (linear probing); deletion shifts the run back instead of
 *      leaving tombstones, so 1. and 2. hold after every call.
 */
#include "samplers/base/map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"

#define MIN_CAP 16u
#define RUN_BITS 3      /* k1s that differ in these bits are neighbours */

/* Both words mixed (murmur3's finalizer), but for k1's low RUN_BITS: keys
 * that differ only there (8 neighbouring pages of a process) get
 * neighbouring slots, so a walk over pages (the fault and page tables)
 * reads one or two cache lines per 8 keys instead of one per key (the
 * bench's page-fault samples: 2x faster), while the runs of 8 are spread
 * over the table as before.  Keys with random low bits lose nothing. */
static uint32_t home(uint64_t k0, uint64_t k1, uint32_t cap)
{
	uint64_t h = k0 * 0x9e3779b97f4a7c15ULL ^ (k1 >> RUN_BITS);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)(h << RUN_BITS | (k1 & ((1u << RUN_BITS) - 1))) & (cap - 1);
}

/* Slot of (k0, k1), or of the free slot that ends its run. */
static uint32_t probe(const struct nl_map *m, uint64_t k0, uint64_t k1)
{
	uint32_t i = home(k0, k1, m->cap);

	while (m->slots[i].full && (m->slots[i].k0 != k0 || m->slots[i].k1 != k1))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int rehash(struct nl_map *m, uint32_t cap)
{
	struct nl_map old = *m;

	/*
	 * Written, not calloc'ed: a large calloc is fresh zero pages that the
	 * first probe maps read-only and the first insert faults again
	 * (copy-on-write of the zero page, and a TLB flush that interrupts the
	 * prefetch threads' CPU): ~6 % of a big report's CPU.  explicit_bzero,
	 * because gcc folds malloc + memset back into calloc.
	 */
	m->slots = malloc((size_t)cap * sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	explicit_bzero(m->slots, (size_t)cap * sizeof(*m->slots));
	m->cap = cap;
	for (uint32_t i = 0; i < old.cap; i++) {
		uint32_t j;

		if (!old.slots[i].full)
			continue;
		j = probe(m, old.slots[i].k0, old.slots[i].k1);
		m->slots[j] = old.slots[i];
	}
	free(old.slots);
	return 0;
}

int map__reserve(struct nl_map *m, uint32_t n)
{
	uint32_t cap = m->cap ? m->cap : MIN_CAP;

	while ((uint64_t)n * 2 > cap) {
		if (cap > UINT32_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	return cap == m->cap ? 0 : rehash(m, cap);
}

uint64_t *map__find(const struct nl_map *m, uint64_t k0, uint64_t k1)
{
	uint32_t i;

	if (!m->nr)
		return NULL;
	i = probe(m, k0, k1);
	return m->slots[i].full ? &m->slots[i].val : NULL;
}

int map__add(struct nl_map *m, uint64_t k0, uint64_t k1, uint64_t **val)
{
	uint32_t i;

	*val = NULL;
	if (m->cap) {
		i = probe(m, k0, k1);
		if (m->slots[i].full) {
			*val = &m->slots[i].val;
			return 0;
		}
	}
	/* Only a new key may grow the table. */
	if (m->nr == UINT32_MAX || map__reserve(m, m->nr + 1))
		return -ENOMEM;
	i = probe(m, k0, k1);
	m->slots[i] = (struct nl_map_slot){ .k0 = k0, .k1 = k1, .full = 1 };
	m->nr++;
	*val = &m->slots[i].val;
	return 1;
}

int map__put(struct nl_map *m, uint64_t k0, uint64_t k1, uint64_t val)
{
	uint64_t *v;
	int r = map__add(m, k0, k1, &v);

	if (r < 0)
		return r;
	*v = val;
	return 0;
}

bool map__del(struct nl_map *m, uint64_t k0, uint64_t k1)
{
	uint32_t mask = m->cap - 1, i, j;

	if (!m->nr)
		return false;
	i = probe(m, k0, k1);
	if (!m->slots[i].full)
		return false;
	/* Backward shift: move each later key of the run whose home is not in
	 * (i, j] into the hole, so no probe stops early at it. */
	for (j = (i + 1) & mask; m->slots[j].full; j = (j + 1) & mask) {
		uint32_t h = home(m->slots[j].k0, m->slots[j].k1, m->cap);

		if (((j - h) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].full = 0;
	m->nr--;
	return true;
}

int map__del_probed(struct nl_map *m, uint64_t k0, uint64_t k1,
		    uint64_t (*home)(uint64_t val, void *ctx), void *ctx)
{
	uint64_t v;

	if (!map__del(m, k0, k1))
		return 0;
	for (k1++; map__get(m, k0, k1, &v); k1++) {
		uint64_t to = home(v, ctx);

		map__del(m, k0, k1);
		while (map__get(m, k0, to, NULL))
			to++;
		if (map__put(m, k0, to, v))
			return -ENOMEM;
	}
	return 0;
}

bool map__next(const struct nl_map *m, uint32_t *pos, uint64_t *k0,
	       uint64_t *k1, uint64_t *val)
{
	for (; *pos < m->cap; ++*pos) {
		const struct nl_map_slot *s = &m->slots[*pos];

		if (!s->full)
			continue;
		if (k0)
			*k0 = s->k0;
		if (k1)
			*k1 = s->k1;
		if (val)
			*val = s->val;
		++*pos;
		return true;
	}
	return false;
}

long map__del_where(struct nl_map *m, bool (*match)(uint64_t k0, uint64_t k1, uint64_t val,
						     void *ctx),
		    void *ctx, uint64_t **keys, size_t *cap_keys)
{
	uint64_t k0, k1, v;
	uint32_t pos = 0;
	size_t nr = 0;
	int err = 0;

	while (map__next(m, &pos, &k0, &k1, &v)) {
		/* room first: an entry match tallied is always deleted */
		if (array__reserve((void **)keys, cap_keys, nr + 1, 2 * sizeof(uint64_t))) {
			err = -ENOMEM;
			break;
		}
		if (!match(k0, k1, v, ctx))
			continue;
		(*keys)[2 * nr] = k0;
		(*keys)[2 * nr++ + 1] = k1;
	}
	for (size_t i = 0; i < nr; i++)
		map__del(m, (*keys)[2 * i], (*keys)[2 * i + 1]);
	return err ? err : (long)nr;
}

void map__clear(struct nl_map *m)
{
	if (m->slots)
		memset(m->slots, 0, (size_t)m->cap * sizeof(*m->slots));
	m->nr = 0;
}

void map__free(struct nl_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
