/*
 * cpuset.c - growable id bitmaps and cpulist parsing/formatting.
 * See cpuset.h for the contract.
 */
#include "samplers/base/cpuset.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"

/* No real machine has more: bounds a malformed "0-999999999" range. */
#define CPUSET_MAX_ID (1 << 20)

/* Makes words words usable, the new ones zero.  0 or -ENOMEM (unchanged). */
static int widen(struct nl_cpuset *set, int words)
{
	if (words <= set->nr_words)
		return 0;
	if (array__reserve((void **)&set->bits, &set->cap_words, (size_t)words,
			   sizeof(*set->bits)))
		return -ENOMEM;
	memset(set->bits + set->nr_words, 0,
	       (size_t)(words - set->nr_words) * sizeof(*set->bits));
	set->nr_words = words;
	return 0;
}

int cpuset__add(struct nl_cpuset *set, int id)
{
	int err;

	if (id < 0 || id >= CPUSET_MAX_ID)
		return -EINVAL;
	err = widen(set, id / 64 + 1);
	if (err)
		return err;
	set->bits[id / 64] |= 1ull << (id % 64);
	return 0;
}

bool cpuset__has(const struct nl_cpuset *set, int id)
{
	if (id < 0 || id / 64 >= set->nr_words)
		return false;
	return set->bits[id / 64] >> (id % 64) & 1;
}

int cpuset__count(const struct nl_cpuset *set)
{
	int n = 0;

	for (int i = 0; i < set->nr_words; i++)
		n += __builtin_popcountll(set->bits[i]);
	return n;
}

int cpuset__next(const struct nl_cpuset *set, int from)
{
	if (from < 0)
		from = 0;
	for (int w = from / 64; w < set->nr_words; w++) {
		uint64_t word = set->bits[w];

		if (w == from / 64)
			word &= ~0ull << (from % 64);
		if (word)
			return w * 64 + __builtin_ctzll(word);
	}
	return -1;
}

int cpuset__last(const struct nl_cpuset *set)
{
	for (int w = set->nr_words - 1; w >= 0; w--)
		if (set->bits[w])
			return w * 64 + 63 - __builtin_clzll(set->bits[w]);
	return -1;
}

void cpuset__free(struct nl_cpuset *set)
{
	free(set->bits);
	set->bits = NULL;
	set->nr_words = 0;
	set->cap_words = 0;
}

int cpuset__copy(struct nl_cpuset *dst, const struct nl_cpuset *src)
{
	cpuset__free(dst);
	if (widen(dst, src->nr_words))
		return -ENOMEM;
	if (src->nr_words)
		memcpy(dst->bits, src->bits, (size_t)src->nr_words * sizeof(uint64_t));
	return 0;
}

bool cpuset__equal(const struct nl_cpuset *a, const struct nl_cpuset *b)
{
	int n = a->nr_words > b->nr_words ? a->nr_words : b->nr_words;

	for (int i = 0; i < n; i++) {
		uint64_t x = i < a->nr_words ? a->bits[i] : 0;
		uint64_t y = i < b->nr_words ? b->bits[i] : 0;

		if (x != y)
			return false;
	}
	return true;
}

static int parse_id(const char **p, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	v = strtol(*p, &end, 10);
	if (errno || v < 0 || v >= CPUSET_MAX_ID)
		return -EINVAL;
	*p = end;
	*out = (int)v;
	return 0;
}

int cpuset__parse_list(struct nl_cpuset *set, const char *text)
{
	const char *p = text;

	while (*p && *p != '\n') {
		int lo, hi, err;

		if (parse_id(&p, &lo))
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_id(&p, &hi) || hi < lo)
				return -EINVAL;
		}
		for (int id = lo; id <= hi; id++) {
			err = cpuset__add(set, id);
			if (err)
				return err;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return 0;
}

int cpuset__parse_mask(struct nl_cpuset *set, const char *text)
{
	size_t len = strcspn(text, "\n");
	int bit = 0;

	/* Least significant nibble is last: walk the text backwards. */
	for (size_t i = len; i-- > 0;) {
		char c = text[i];
		int v;

		if (c == ',')
			continue;
		if (!isxdigit((unsigned char)c))
			return -EINVAL;
		v = isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10;
		for (int b = 0; b < 4; b++, bit++)
			if (v >> b & 1 && cpuset__add(set, bit))
				return -EINVAL;
	}
	return 0;
}

char *cpuset__format(const struct nl_cpuset *set, char *buf, size_t size)
{
	size_t used = 0;
	int id = cpuset__next(set, 0);

	if (size == 0)
		return buf;
	buf[0] = '\0';
	while (id >= 0) {
		int end = id;
		int n;

		while (cpuset__has(set, end + 1))
			end++;
		n = end > id ? snprintf(buf + used, size - used, "%s%d-%d",
					used ? "," : "", id, end)
			     : snprintf(buf + used, size - used, "%s%d",
					used ? "," : "", id);
		if (n < 0 || (size_t)n >= size - used) {
			if (size >= 4)
				strcpy(buf + size - 4, "...");
			return buf;
		}
		used += (size_t)n;
		id = cpuset__next(set, end + 1);
	}
	return buf;
}
