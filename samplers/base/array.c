/*
 * array.c - capacity doubling for caller-owned arrays.  See array.h.
 */
#include "samplers/base/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_ELEMS 16

int array__reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : MIN_ELEMS;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (!elem || c > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, c * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

void array__sort_tail(void *base, size_t nr, size_t sorted, size_t elem,
		      int (*cmp)(const void *, const void *), void **scratch, size_t *cap_scratch)
{
	char *b = base, *t;
	size_t tail, i, j, k;

	if (sorted > nr)
		sorted = nr;
	tail = nr - sorted;
	if (!tail)
		return;
	if (!sorted || array__reserve(scratch, cap_scratch, tail * elem, 1)) {
		qsort(base, nr, elem, cmp);
		return;
	}
	t = *scratch;
	qsort(b + sorted * elem, tail, elem, cmp);
	if (cmp(b + (sorted - 1) * elem, b + sorted * elem) <= 0)
		return;         /* the tail comes after the prefix */
	memcpy(t, b + sorted * elem, tail * elem);
	/* from the back: the larger of the two ends, the tail's on ties */
	i = sorted;
	j = tail;
	k = nr;
	while (j) {
		if (i && cmp(b + (i - 1) * elem, t + (j - 1) * elem) > 0) {
			memcpy(b + --k * elem, b + --i * elem, elem);
		} else {
			memcpy(b + --k * elem, t + --j * elem, elem);
		}
	}
}
