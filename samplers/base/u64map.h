/*
 * u64map.h - the one small open-addressing map from a u64 key to a u64
 * value, for caches and id tables that must not allocate per lookup.
 *
 * Owns its slot array only.  Promises:
 *   1. find/put never allocate except when put grows the table (doubling,
 *      kept at most half full), so memory grows with distinct keys.
 *   2. Any key is allowed, 0 and UINT64_MAX included (the empty slot is
 *      marked by a separate bit, not by a reserved key).
 *   3. No deletion: entries live until u64map__free (caches never evict).
 */
#ifndef NUMALENS_U64MAP_H
#define NUMALENS_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

struct nl_u64map_slot {
	uint64_t key;
	uint64_t value;
	bool used;
};

struct nl_u64map {
	struct nl_u64map_slot *slots;
	uint32_t nr;            /* keys stored */
	uint32_t nr_slots;      /* power of two, 0 before the first put */
};

/* A zeroed struct nl_u64map is an empty map; nothing to initialize. */

/* Value of key in *value (OUT, may be NULL).  True when found. */
bool u64map__find(const struct nl_u64map *m, uint64_t key, uint64_t *value);
/* Sets key to value (added or replaced).  0, or -ENOMEM (map unchanged). */
int u64map__put(struct nl_u64map *m, uint64_t key, uint64_t value);
/* Frees the slots; the map is empty and usable again. */
void u64map__free(struct nl_u64map *m);
/* A well-mixed 64-bit hash (splitmix64 finalizer), for keys built from parts. */
uint64_t u64map__hash(uint64_t x);

#endif
