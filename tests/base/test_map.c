/*
 * test_map.c - the one hash map (samplers/base/map.h) and array__reserve.
 *
 * Insert/find/overwrite/grow over many keys, keys that the old
 * `pid << 40 ^ page` tables confused, keys forced into one probe run that
 * wraps around the table end, random insert/delete checked against a
 * brute-force list, and map__del_where deleting one process' keys of many
 * (each matched entry seen once, the others all kept).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "samplers/base/array.h"
#include "samplers/base/map.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_insert_find_grow(void)
{
	struct nl_map m = { 0 };
	uint32_t caps = 0, last_cap = 0, n = 100000;
	uint64_t *v;

	CHECK(map__find(&m, 0, 0) == NULL);
	CHECK(!map__del(&m, 0, 0));
	for (uint32_t i = 0; i < n; i++) {
		CHECK(map__put(&m, i % 7, (uint64_t)i * 4096, i) == 0);
		if (m.cap != last_cap) {
			caps++;
			last_cap = m.cap;
		}
	}
	CHECK_EQ_U64(map__count(&m), n);
	CHECK(m.cap >= 2 * n && m.cap < 8 * n);
	CHECK(caps > 5);                /* it grew by doubling, not once */
	for (uint32_t i = 0; i < n; i += 997) {
		v = map__find(&m, i % 7, (uint64_t)i * 4096);
		CHECK(v && *v == i);
	}
	CHECK(map__find(&m, 1, 0) == NULL);     /* right k1, wrong k0 */
	/* An existing key is overwritten in place: no growth, no new key. */
	last_cap = m.cap;
	for (uint32_t i = 0; i < n; i++)
		map__put(&m, i % 7, (uint64_t)i * 4096, i + 1);
	CHECK_EQ_U64(m.cap, last_cap);
	CHECK_EQ_U64(map__count(&m), n);
	v = map__find(&m, 5, 5 * 4096);
	CHECK(v && *v == 6);
	CHECK(map__add(&m, 5, 5 * 4096, &v) == 0 && v && *v == 6);
	CHECK(map__add(&m, 9, 9, &v) == 1 && v && *v == 0);
	CHECK_EQ_U64(map__count(&m), n + 1);

	uint32_t pos = 0, seen = 0;
	uint64_t k0, k1, val;

	while (map__next(&m, &pos, &k0, &k1, &val))
		seen++;
	CHECK_EQ_U64(seen, n + 1);
	map__free(&m);
	CHECK(m.cap == 0 && map__find(&m, 5, 5 * 4096) == NULL);
}

/* Keys that `pid << 40 ^ page` folded together, and the extreme words. */
static void test_no_collisions(void)
{
	struct nl_map m = { 0 };
	const uint64_t big = 1ull << 52;        /* page number of a high address */
	uint64_t *v;

	/* old key of (pid 1, page 0) == old key of (pid 0, page 1 << 40) */
	CHECK(map__put(&m, 1, 0, 10) == 0);
	CHECK(map__put(&m, 0, 1ull << 40, 20) == 0);
	CHECK(map__put(&m, 0, big, 30) == 0);
	CHECK(map__put(&m, 1, big ^ (1ull << 40), 40) == 0);
	CHECK(map__put(&m, 0, 0, 50) == 0);                     /* all-zero key */
	CHECK(map__put(&m, UINT64_MAX, UINT64_MAX, 60) == 0);   /* all-ones key */
	CHECK(map__put(&m, 0, UINT64_MAX, 70) == 0);
	CHECK_EQ_U64(map__count(&m), 7);
	v = map__find(&m, 1, 0);
	CHECK(v && *v == 10);
	v = map__find(&m, 0, 1ull << 40);
	CHECK(v && *v == 20);
	v = map__find(&m, 0, big);
	CHECK(v && *v == 30);
	v = map__find(&m, 1, big ^ (1ull << 40));
	CHECK(v && *v == 40);
	v = map__find(&m, 0, 0);
	CHECK(v && *v == 50);
	v = map__find(&m, UINT64_MAX, UINT64_MAX);
	CHECK(v && *v == 60);
	v = map__find(&m, 0, UINT64_MAX);
	CHECK(v && *v == 70);
	map__free(&m);
}

/* Home slot of a key in a 16-slot table: where it lands when alone. */
static uint32_t home16(uint64_t k0, uint64_t k1)
{
	struct nl_map m = { 0 };
	uint32_t i;

	map__put(&m, k0, k1, 0);
	for (i = 0; i < m.cap && !m.slots[i].full; i++)
		;
	CHECK_EQ_U64(m.cap, 16);
	map__free(&m);
	return i;
}

/*
 * Eight keys (the most a 16-slot table holds) in one run that starts at
 * slot 14 and wraps to slot 5; deleting from the middle must keep every
 * other key reachable (backward shift across the end of the table).
 */
static void test_collision_run_and_delete(void)
{
	uint64_t keys[8];
	int nr = 0;

	for (uint64_t k = 0; nr < 8 && k < 1000000; k++) {
		uint32_t h = home16(k, ~k);

		if ((nr < 6 && h == 14) || (nr >= 6 && h == 15))
			keys[nr++] = k;
	}
	CHECK_EQ_U64(nr, 8);
	for (int del = 0; del < 8; del++) {
		struct nl_map m = { 0 };

		CHECK(map__reserve(&m, 8) == 0);
		CHECK_EQ_U64(m.cap, 16);
		for (int i = 0; i < 8; i++)
			CHECK(map__put(&m, keys[i], ~keys[i], (uint64_t)i) == 0);
		CHECK_EQ_U64(m.cap, 16);        /* no growth: all eight fit */
		CHECK(map__del(&m, keys[del], ~keys[del]));
		CHECK(!map__del(&m, keys[del], ~keys[del]));
		CHECK_EQ_U64(map__count(&m), 7);
		for (int i = 0; i < 8; i++) {
			uint64_t *v = map__find(&m, keys[i], ~keys[i]);

			if (i == del)
				CHECK(v == NULL);
			else
				CHECK(v && *v == (uint64_t)i);
		}
		map__free(&m);
	}
}

/* Random puts and deletes on a small key space against a plain list. */
static void test_random_against_list(void)
{
	enum { SPACE = 512, OPS = 200000 };
	static uint64_t ref[SPACE];
	static uint8_t present[SPACE];
	struct nl_map m = { 0 };
	int bad = 0;
	uint32_t nr = 0;

	for (int op = 0; op < OPS; op++) {
		uint64_t r = next_rand();
		uint32_t k = (uint32_t)(r % SPACE);
		/* k0 and k1 differ only in high bits: a hash-hostile pattern */
		uint64_t k0 = (uint64_t)(k & 7) << 61, k1 = (uint64_t)(k >> 3) << 56;

		if ((r >> 32) % 3) {
			if (map__put(&m, k0, k1, r))
				bad++;
			nr += !present[k];
			present[k] = 1;
			ref[k] = r;
		} else {
			if (map__del(&m, k0, k1) != (bool)present[k])
				bad++;
			nr -= present[k];
			present[k] = 0;
		}
		if (op % 1000 == 0) {
			for (uint32_t i = 0; i < SPACE; i++) {
				uint64_t *v = map__find(&m, (uint64_t)(i & 7) << 61,
							(uint64_t)(i >> 3) << 56);

				bad += present[i] ? !v || *v != ref[i] : v != NULL;
			}
		}
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(map__count(&m), nr);
	map__free(&m);
}

static void test_array(void)
{
	int *a = NULL;
	size_t cap = 0;

	CHECK(array__reserve((void **)&a, &cap, 0, sizeof(*a)) == 0 && !a);
	CHECK(array__reserve((void **)&a, &cap, 1, sizeof(*a)) == 0);
	CHECK_EQ_U64(cap, 16);
	for (int i = 0; i < 1000; i++) {
		CHECK(array__reserve((void **)&a, &cap, (size_t)i + 1, sizeof(*a)) == 0);
		a[i] = i;
	}
	CHECK_EQ_U64(cap, 1024);
	CHECK(a[999] == 999 && a[0] == 0);
	/* overflow: refused, array unchanged */
	int *before = a;
	CHECK(array__reserve((void **)&a, &cap, SIZE_MAX / 2, sizeof(*a)) == -ENOMEM);
	CHECK(a == before && cap == 1024);
	free(a);
}

/*
 * Neighbouring pages are neighbouring slots (map.c's RUN_BITS): 8 pages
 * that differ only in their low 3 bits sit in 8 consecutive slots (mod
 * cap) of a big table, so a walk over pages reads few cache lines.  A
 * hash of the whole key scatters them (this fails).
 */
static void test_neighbour_pages_share_lines(void)
{
	struct nl_map m = { 0 };
	int together = 0;

	CHECK(map__reserve(&m, 1u << 16) == 0);
	for (uint64_t base = 0x7f0000000ull; base < 0x7f0000000ull + 64 * 8; base += 8) {
		uint32_t first = 0, near = 1;

		for (uint64_t p = base; p < base + 8; p++)
			CHECK(map__put(&m, 4242, p, p) == 0);
		for (uint64_t p = base; p < base + 8; p++) {
			const char *v = (const char *)map__find(&m, 4242, p);
			uint32_t at = (uint32_t)((size_t)(v - (const char *)m.slots) /
						 sizeof(struct nl_map_slot));
			if (p == base)
				first = at;
			else if (((at - first) & (m.cap - 1)) != p - base)
				near = 0;
		}
		together += near;
	}
	/* a run may be displaced by an earlier one that took its slots */
	CHECK(together >= 56);
	map__free(&m);
}

/* Values 10, 11, 12 hash alike (home 100) and were probed to keys 100,
   101, 102, value 20 lives at its own 103: deleting 100 moves 11 and 12
   back so a probe from 100 finds them, and leaves 20 where it is. */
static uint64_t home_of(uint64_t val, void *ctx)
{
	(void)ctx;
	return val < 20 ? 100 : 103;
}

static bool probe_finds(struct nl_map *m, uint64_t from, uint64_t want)
{
	uint64_t v;

	for (uint64_t k = from; map__get(m, 0, k, &v); k++)
		if (v == want)
			return true;
	return false;
}

static void test_del_probed(void)
{
	struct nl_map m = { 0 };

	CHECK(!map__put(&m, 0, 100, 10) && !map__put(&m, 0, 101, 11) &&
	      !map__put(&m, 0, 102, 12) && !map__put(&m, 0, 103, 20));
	CHECK_EQ_U64(map__del_probed(&m, 0, 100, home_of, NULL), 0);
	CHECK_EQ_U64(map__count(&m), 3);
	CHECK(!probe_finds(&m, 100, 10));
	CHECK(probe_finds(&m, 100, 11));
	CHECK(probe_finds(&m, 100, 12));
	CHECK(probe_finds(&m, 103, 20));
	/* a key not there: nothing moves */
	CHECK_EQ_U64(map__del_probed(&m, 0, 500, home_of, NULL), 0);
	CHECK_EQ_U64(map__count(&m), 3);
	map__free(&m);
}

struct del_ctx {
	uint64_t pid, seen, val_sum;
};

static bool of_pid(uint64_t k0, uint64_t k1, uint64_t val, void *ctx)
{
	struct del_ctx *c = ctx;

	(void)k1;
	if (k0 != c->pid)
		return false;
	c->seen++;
	c->val_sum += val;
	return true;
}

/* 8 processes x 5000 pages, then process 3's pages deleted while walking */
static void test_del_where(void)
{
	struct nl_map m = { 0 };
	struct del_ctx c = { 3, 0, 0 };
	uint64_t *keys = NULL, want_sum = 0;
	size_t cap = 0;
	int missing = 0, left = 0;

	for (uint64_t pid = 0; pid < 8; pid++)
		for (uint64_t page = 0; page < 5000; page++) {
			CHECK(map__put(&m, pid, page * 7 + pid, pid * 100000 + page) == 0);
			if (pid == 3)
				want_sum += pid * 100000 + page;
		}
	CHECK_EQ_U64(map__del_where(&m, of_pid, &c, &keys, &cap), 5000);
	CHECK_EQ_U64(c.seen, 5000);
	CHECK_EQ_U64(c.val_sum, want_sum);
	CHECK_EQ_U64(map__count(&m), 7 * 5000);
	for (uint64_t pid = 0; pid < 8; pid++)
		for (uint64_t page = 0; page < 5000; page++) {
			const uint64_t *v = map__find(&m, pid, page * 7 + pid);

			if (pid == 3)
				left += v != NULL;
			else
				missing += !v || *v != pid * 100000 + page;
		}
	CHECK_EQ_U64(left, 0);
	CHECK_EQ_U64(missing, 0);
	c = (struct del_ctx){ 3, 0, 0 };
	CHECK_EQ_U64(map__del_where(&m, of_pid, &c, &keys, &cap), 0);     /* none left */
	free(keys);
	map__free(&m);
}

int main(void)
{
	test_del_probed();
	test_del_where();
	test_insert_find_grow();
	test_no_collisions();
	test_collision_run_and_delete();
	test_random_against_list();
	test_array();
	test_neighbour_pages_share_lines();
	return check_done();
}
