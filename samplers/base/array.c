/*
 * array.c - capacity doubling for caller-owned arrays.  See array.h.
 */
#include "samplers/base/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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
