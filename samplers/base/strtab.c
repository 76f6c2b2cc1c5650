/*
 * strtab.c - interned strings.  See strtab.h.
 */
#include "samplers/base/strtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"

int64_t strtab__intern(struct nl_strtab *t, const char *s)
{
	uint64_t h = map__hash_str(s, MAP_HASH_STR_SEED), v;   /* collisions probe */
	char *copy;

	while (map__get(&t->index, 0, h, &v)) {
		if (!strcmp(t->strs[v], s))
			return (int64_t)v;
		h++;
	}
	if (array__reserve((void **)&t->strs, &t->cap, (size_t)t->nr + 1, sizeof(*t->strs)) ||
	    !(copy = strdup(s)))
		return -ENOMEM;
	if (map__put(&t->index, 0, h, t->nr)) {
		free(copy);
		return -ENOMEM;
	}
	t->strs[t->nr] = copy;
	return t->nr++;
}

void strtab__free(struct nl_strtab *t)
{
	for (uint32_t i = 0; i < t->nr; i++)
		free(t->strs[i]);
	free(t->strs);
	map__free(&t->index);
	memset(t, 0, sizeof(*t));
}
