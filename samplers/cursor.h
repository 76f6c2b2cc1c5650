/*
 * cursor.h - a bounded reader over bytes taken from a file or a ring.
 *
 * Every read checks the bytes left first; a read that does not fit sets the
 * sticky `bad` flag and returns 0, so a parser reads a whole structure and
 * checks once at the end.  Values are little endian, as perf writes them.
 */
#ifndef NUMALENS_CURSOR_H
#define NUMALENS_CURSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct nl_cursor {
	const uint8_t *p, *end;
	bool bad;               /* sticky: one failed read spoils the structure */
};

static inline uint64_t cursor__u64(struct nl_cursor *c)
{
	uint64_t v = 0;

	if (c->bad || c->end - c->p < 8) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, 8);
	c->p += 8;
	return v;
}

static inline uint32_t cursor__u32(struct nl_cursor *c)
{
	uint32_t v = 0;

	if (c->bad || c->end - c->p < 4) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, 4);
	c->p += 4;
	return v;
}

/* Skips n bytes; n comes from the input, so it is checked before moving. */
static inline void cursor__skip(struct nl_cursor *c, uint64_t n)
{
	if (c->bad || (uint64_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	c->p += n;
}

static inline void cursor__skip_u64s(struct nl_cursor *c, uint64_t n)
{
	if (n > (uint64_t)(c->end - c->p) / 8) {
		c->bad = true;
		return;
	}
	cursor__skip(c, n * 8);
}

/* A NUL-terminated string at the cursor (not consumed); NULL marks it bad. */
static inline const char *cursor__string(struct nl_cursor *c)
{
	if (c->bad || !memchr(c->p, '\0', (size_t)(c->end - c->p))) {
		c->bad = true;
		return NULL;
	}
	return (const char *)c->p;
}

/*
 * perf's header string, "u32 len; char str[len]" (len counts the NUL
 * padding): consumed, returned NUL-terminated, or NULL marking it bad.
 */
static inline const char *cursor__header_string(struct nl_cursor *c)
{
	uint32_t len = cursor__u32(c);
	const char *s = (const char *)c->p;

	if (c->bad || len == 0 || len > (uint64_t)(c->end - c->p) || !memchr(c->p, '\0', len)) {
		c->bad = true;
		return NULL;
	}
	c->p += len;
	return s;
}

#endif
