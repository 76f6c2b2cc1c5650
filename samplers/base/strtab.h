/*
 * strtab.h - interned strings: each distinct string is kept once.
 *
 * Owns: a copy of every distinct string it was given, and its id (0, 1,
 * ... in the order they came).  Mapping names, DSO paths: a trainer's 90
 * workers name the same few hundred files, so rows keep a pointer or id
 * instead of a copy each.
 *
 * Promises: the pointer strtab__intern / strtab__str returns stays valid
 * until strtab__free (strings never move); equal strings get the same id
 * and pointer; memory grows with distinct strings, never with calls.
 * A zero-initialized struct nl_strtab is empty.
 */
#ifndef NUMALENS_STRTAB_H
#define NUMALENS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "samplers/base/map.h"

struct nl_strtab {
	char **strs;            /* by id */
	uint32_t nr;
	size_t cap;
	struct nl_map index;    /* (0, hash + probe) -> id */
};

/* s's id, added when new: >= 0, or -ENOMEM (table unchanged). */
int64_t strtab__intern(struct nl_strtab *t, const char *s);
/* The string of id (< t->nr). */
static inline const char *strtab__str(const struct nl_strtab *t, uint32_t id)
{
	return t->strs[id];
}
/* Frees every string; t is empty again. */
void strtab__free(struct nl_strtab *t);

#endif
