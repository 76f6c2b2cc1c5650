/*
 * test_array.c - array__sort_tail (samplers/base/array.h): a sorted prefix
 * with an unsorted tail comes out as qsort would give it, over random
 * sizes and keys with many ties; ties keep the prefix's element first; a
 * tail after the prefix, an empty prefix or tail, and a prefix claimed
 * longer than the array all work.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "samplers/base/array.h"

struct item { uint32_t key, tag; };

static int by_key(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int by_key_tag(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->tag < y->tag ? -1 : x->tag > y->tag);
}

static uint64_t rng = 88172645463325252ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

int main(void)
{
	void *scratch = NULL;
	size_t cap = 0;
	int bad_order = 0, bad_ties = 0, bad_set = 0;

	for (int round = 0; round < 2000; round++) {
		size_t nr = next() % 300, sorted = nr ? next() % (nr + 1) : 0;
		uint32_t range = 1 + next() % 50;
		struct item a[300], want[300];

		/* tag: the position before sorting, so ties show where they came from */
		for (size_t i = 0; i < nr; i++)
			a[i] = (struct item){ next() % range, (uint32_t)i };
		if (sorted) {
			qsort(a, sorted, sizeof(*a), by_key_tag);
			for (size_t i = 0; i < sorted; i++)
				a[i].tag = (uint32_t)i;         /* prefix tags below the tail's */
		}
		memcpy(want, a, nr * sizeof(*a));
		qsort(want, nr, sizeof(*want), by_key_tag);
		array__sort_tail(a, nr, sorted, sizeof(*a), by_key, &scratch, &cap);
		for (size_t i = 0; i + 1 < nr; i++) {
			bad_order += a[i].key > a[i + 1].key;
			/* a prefix element before any tail element of the same key */
			bad_ties += a[i].key == a[i + 1].key && a[i].tag >= sorted && a[i + 1].tag < sorted;
		}
		/* the same elements: sorted by (key, tag) they match */
		qsort(a, nr, sizeof(*a), by_key_tag);
		bad_set += nr && memcmp(a, want, nr * sizeof(*a)) != 0;
	}
	CHECK_EQ_U64(bad_order, 0);
	CHECK_EQ_U64(bad_ties, 0);
	CHECK_EQ_U64(bad_set, 0);

	/* a tail after the prefix stays; a prefix longer than the array is the array */
	{
		struct item a[4] = { { 1, 0 }, { 2, 1 }, { 4, 2 }, { 3, 3 } };

		array__sort_tail(a, 4, 2, sizeof(*a), by_key, &scratch, &cap);
		CHECK(a[0].key == 1 && a[1].key == 2 && a[2].key == 3 && a[3].key == 4);
		array__sort_tail(a, 4, 9, sizeof(*a), by_key, &scratch, &cap);
		CHECK(a[2].key == 3);
	}
	free(scratch);
	return check_done();
}
