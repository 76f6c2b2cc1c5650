/*
 * cpuset.h - growable bitmaps of CPU (or node) ids, and the kernel's cpulist
 * text form ("0-3,8,10-11").
 *
 * Owns: the bit storage of one set.  Promises: ids are >= 0; a set grows on
 * insert; parsing rejects malformed text instead of guessing.  Used by the
 * topology readers (sysfs, perf.data headers) and by the renderers.
 */
#ifndef NUMALENS_CPUSET_H
#define NUMALENS_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_cpuset {
	uint64_t *bits;         /* NULL while empty */
	int nr_words;           /* words in use (all zero past them) */
	size_t cap_words;       /* words allocated (array__reserve) */
};

/* Adds id to set.  Returns 0 or -ENOMEM (set unchanged) / -EINVAL (id < 0). */
int cpuset__add(struct nl_cpuset *set, int id);
bool cpuset__has(const struct nl_cpuset *set, int id);
int cpuset__count(const struct nl_cpuset *set);
/* Highest id in the set, or -1 when empty. */
int cpuset__last(const struct nl_cpuset *set);
/* Smallest id >= from, or -1.  Iterate with for (c = next(s,0); c >= 0; c = next(s,c+1)). */
int cpuset__next(const struct nl_cpuset *set, int from);
void cpuset__free(struct nl_cpuset *set);
/* Copies src into dst (dst freed first).  0 or -ENOMEM. */
int cpuset__copy(struct nl_cpuset *dst, const struct nl_cpuset *src);
bool cpuset__equal(const struct nl_cpuset *a, const struct nl_cpuset *b);

/*
 * Adds every id of a cpulist ("0-3,8", trailing newline allowed, "" is
 * empty) to set.  Returns 0, or -EINVAL on malformed text (set may hold the
 * ids parsed before the error).
 */
int cpuset__parse_list(struct nl_cpuset *set, const char *text);

/*
 * Adds the ids of a hex cpumask ("00000000,0000ff0f", as in old sysfs
 * cpumap files).  Returns 0 or -EINVAL.
 */
int cpuset__parse_mask(struct nl_cpuset *set, const char *text);

/*
 * Writes set as a cpulist into buf (always NUL-terminated, truncated with
 * "..." if buf is short).  Returns buf.
 */
char *cpuset__format(const struct nl_cpuset *set, char *buf, size_t size);

#endif
