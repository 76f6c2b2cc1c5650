/*
 * map.h - the one hash table: a two-word key -> u64 value map.
 *
 * Owns: the slots of one open-addressing table (linear probing, at most half
 * full).  Every table in numalens is one of these: perf sample ids -> event,
 * (pid, page) -> node, tid -> task index, (tid, cpu) -> run-time cell.
 *
 * Keys are two u64 words (k0, k1) compared whole, so a (pid, page number)
 * pair cannot collide with another whatever the address; a one-word key
 * passes k0 = 0.  Every key value is valid (no reserved "empty" key).
 * Keys whose k1 differ only in the low 3 bits (neighbouring pages of one
 * process) get neighbouring slots: a walk over pages stays in few cache
 * lines.  A slot holds its own occupancy flag: one line read per probe.
 *
 * Promises: map__find never allocates; map__put / map__add allocate only
 * when a NEW key needs the table to double, so memory grows with distinct
 * keys, never with lookups.  A pointer returned by find/add stays valid until
 * the next put/add/del/reserve/free of the same map.  Iteration order is the
 * slot order: stable while the map is not changed, otherwise unspecified.
 * Does not: lock, shrink, or keep insertion order (callers that need an
 * order keep their own array and map keys to its indexes).
 *
 * A zero-initialized struct nl_map is an empty map.
 */
#ifndef NUMALENS_MAP_H
#define NUMALENS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 32 bytes: two slots a cache line, and a probe reads one line. */
struct nl_map_slot {
	uint64_t k0, k1;        /* the key */
	uint64_t val;
	uint64_t full;          /* 1: the slot holds a key (beside it, not in a
				   flag array of its own: one cache miss a probe) */
};

struct nl_map {
	struct nl_map_slot *slots;      /* cap entries; NULL while empty */
	uint32_t cap;                   /* 0 or a power of two */
	uint32_t nr;                    /* keys held, <= cap / 2 */
};

/* The value of (k0, k1), or NULL when absent.  Never allocates. */
uint64_t *map__find(const struct nl_map *m, uint64_t k0, uint64_t k1);

/* map__find for a value: true with *val (OUT, may be NULL) when present. */
static inline bool map__get(const struct nl_map *m, uint64_t k0, uint64_t k1, uint64_t *val)
{
	const uint64_t *v = map__find(m, k0, k1);

	if (v && val)
		*val = *v;
	return v != 0;
}

/*
 * Finds (k0, k1) or inserts it with value 0.
 * OUT: *val points at the value.  Returns 1 when the key was added, 0 when it
 * was there, -ENOMEM (map unchanged, *val NULL) when the table could not grow.
 */
int map__add(struct nl_map *m, uint64_t k0, uint64_t k1, uint64_t **val);

/* Inserts or overwrites.  0 or -ENOMEM (map unchanged). */
int map__put(struct nl_map *m, uint64_t k0, uint64_t k1, uint64_t val);

/* Removes (k0, k1).  True when it was there.  Never allocates. */
bool map__del(struct nl_map *m, uint64_t k0, uint64_t k1);

/*
 * For callers that probe keys themselves (k1, k1 + 1, ... for values whose
 * hashes collide): removes (k0, k1) and moves each entry probed past it
 * back to the first free key from its own hash (home(val, ctx)), so no
 * lookup stops early at the gap.  0 or -ENOMEM (an entry could not be put
 * back).
 */
int map__del_probed(struct nl_map *m, uint64_t k0, uint64_t k1,
		    uint64_t (*home)(uint64_t val, void *ctx), void *ctx);

/* Makes room for n keys without growing again.  0 or -ENOMEM (unchanged). */
int map__reserve(struct nl_map *m, uint32_t n);

/*
 * A 64-bit mixer (splitmix64's finalizer) for callers that fold a longer
 * key (a string, a call stack, several fields) into one word before it
 * becomes a map key: every input bit reaches every output bit.
 */
static inline uint64_t map__mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* FNV-1a's start, for map__hash_str's first string. */
#define MAP_HASH_STR_SEED 1469598103934665603ull

/*
 * The one string hash: FNV-1a over s's bytes, continued from h
 * (MAP_HASH_STR_SEED for a key's first string; NULL adds nothing).  Keys
 * that interned strings collide on are probed by their callers (h + 1...).
 */
static inline uint64_t map__hash_str(const char *s, uint64_t h)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static inline uint32_t map__count(const struct nl_map *m)
{
	return m->nr;
}

/*
 * Walks the keys: start with *pos = 0; each call returns the next slot's key
 * and value (OUT: k0, k1, val; any may be NULL) and false after the last.
 */
bool map__next(const struct nl_map *m, uint32_t *pos, uint64_t *k0,
	       uint64_t *k1, uint64_t *val);

/*
 * Deletes the entries match(k0, k1, val, ctx) says true of.  match sees
 * each entry once, so it may tally what it drops; the deletes come after
 * the walk (a delete moves slots under map__next), their keys held in
 * *keys (the caller's scratch, *cap_keys pairs, grown as needed).  Returns
 * how many it deleted, or -ENOMEM when *keys could not grow: the walk
 * stopped there (before match saw the entry), and what was matched before
 * it is deleted.
 */
long map__del_where(struct nl_map *m, bool (*match)(uint64_t k0, uint64_t k1, uint64_t val,
						     void *ctx),
		    void *ctx, uint64_t **keys, size_t *cap_keys);

/* Empties the map and keeps its slots (a cache that starts over at the
   same size: no regrowth, no rehash).  Never allocates. */
void map__clear(struct nl_map *m);

/* Frees the slots; the map is empty (and reusable) afterwards. */
void map__free(struct nl_map *m);

#endif
