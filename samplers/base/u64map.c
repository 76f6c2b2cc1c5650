/*
 * u64map.c - open addressing with linear probing.  See u64map.h.
 */
#include "samplers/base/u64map.h"

#include <errno.h>
#include <stdlib.h>

uint64_t u64map__hash(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint32_t slot_of(uint64_t key, uint32_t nr_slots)
{
	return (uint32_t)u64map__hash(key) & (nr_slots - 1);
}

bool u64map__find(const struct nl_u64map *m, uint64_t key, uint64_t *value)
{
	if (!m->nr_slots)
		return false;
	for (uint32_t s = slot_of(key, m->nr_slots); m->slots[s].used;
	     s = (s + 1) & (m->nr_slots - 1)) {
		if (m->slots[s].key == key) {
			if (value)
				*value = m->slots[s].value;
			return true;
		}
	}
	return false;
}

static void insert(struct nl_u64map_slot *slots, uint32_t nr_slots, uint64_t key,
		   uint64_t value)
{
	uint32_t s = slot_of(key, nr_slots);

	while (slots[s].used && slots[s].key != key)
		s = (s + 1) & (nr_slots - 1);
	slots[s].used = true;
	slots[s].key = key;
	slots[s].value = value;
}

static int grow(struct nl_u64map *m)
{
	uint32_t n = m->nr_slots ? m->nr_slots * 2 : 64;
	struct nl_u64map_slot *slots;

	if (n < m->nr_slots)
		return -ENOMEM;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->nr_slots; i++)
		if (m->slots[i].used)
			insert(slots, n, m->slots[i].key, m->slots[i].value);
	free(m->slots);
	m->slots = slots;
	m->nr_slots = n;
	return 0;
}

int u64map__put(struct nl_u64map *m, uint64_t key, uint64_t value)
{
	if (m->nr_slots) {
		for (uint32_t s = slot_of(key, m->nr_slots); m->slots[s].used;
		     s = (s + 1) & (m->nr_slots - 1)) {
			if (m->slots[s].key == key) {
				m->slots[s].value = value;
				return 0;
			}
		}
	}
	if ((uint64_t)(m->nr + 1) * 2 > m->nr_slots && grow(m))
		return -ENOMEM;
	insert(m->slots, m->nr_slots, key, value);
	m->nr++;
	return 0;
}

void u64map__free(struct nl_u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->nr = m->nr_slots = 0;
}
