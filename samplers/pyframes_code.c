/*
 * pyframes_code.c - what the frame reader reads from a target: its memory
 * (exact reads), str objects, and code objects with their line tables,
 * cached per process and re-validated (pyframes_internal.h); and the
 * strings and frame ids interned once for the profile.
 */
#include "samplers/pyframes_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "samplers/base/array.h"

/* --- target memory ---------------------------------------------------------------- */

/* Exactly len bytes at addr, or -errno (-EFAULT for a short read). */
int pyframes__read(const struct nl_pyframes *p, int pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t r;

	if (!addr)
		return -EFAULT;
	r = sys__read_memory(p->sys, pid, addr, buf, len);
	if (r < 0)
		return (int)r;
	return (size_t)r == len ? 0 : -EFAULT;
}

int pyframes__read_ptr(const struct nl_pyframes *p, int pid, uint64_t addr, uint64_t *v)
{
	*v = 0;
	return pyframes__read(p, pid, addr, v, sizeof(*v));
}


/* --- interning ---------------------------------------------------------------- */

const char *pyframes__intern(struct nl_pyframes *p, const char *s)
{
	uint64_t h = map__hash_str(s, MAP_HASH_STR_SEED), v;

	while (map__get(&p->strings, 0, h, &v)) {
		if (!strcmp(p->str[v], s))
			return p->str[v];
		h++;
	}
	if (array__reserve((void **)&p->str, &p->cap_str, p->nr_str + 1, sizeof(*p->str)))
		return NULL;
	p->str[p->nr_str] = strdup(s);
	if (!p->str[p->nr_str] || map__put(&p->strings, 0, h, p->nr_str)) {
		free(p->str[p->nr_str]);
		return NULL;
	}
	return p->str[p->nr_str++];
}

/* The id of (function, file, line); UINT32_MAX on -ENOMEM. */
uint32_t pyframes__frame_id(struct nl_pyframes *p, const char *function, const char *file, int line)
{
	uint64_t h = map__mix64(map__mix64((uintptr_t)function) ^ (uintptr_t)file) ^ (uint32_t)line, v;
	struct nl_pyframe *f;

	while (map__get(&p->frame_ids, 0, h, &v)) {
		f = &p->frame[v];
		if (f->function == function && f->file == file && f->line == line)
			return (uint32_t)v;
		h++;
	}
	if (p->nr_frame >= UINT32_MAX - 1 ||
	    array__reserve((void **)&p->frame, &p->cap_frame, p->nr_frame + 1, sizeof(*p->frame)) ||
	    map__put(&p->frame_ids, 0, h, p->nr_frame))
		return UINT32_MAX;
	f = &p->frame[p->nr_frame];
	*f = (struct nl_pyframe){ .id = (uint32_t)p->nr_frame, .line = line,
				  .function = function, .file = file };
	return (uint32_t)p->nr_frame++;
}

/* --- strings and code objects -------------------------------------------------- */

/* A str object's text (ASCII or Latin-1 compact strings; others as '?'). */
static int read_str(struct nl_pyframes *p, const struct proc *pr, uint64_t obj, char *out,
		    size_t size)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t length;
	uint32_t state;
	unsigned kind;
	uint64_t data;
	int e;

	out[0] = '\0';
	if ((e = pyframes__read(p, pr->pid, obj + l->off[NL_PY_STR_LENGTH], &length, sizeof(length))) ||
	    (e = pyframes__read(p, pr->pid, obj + l->off[NL_PY_STR_STATE], &state, sizeof(state))))
		return e;
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || length > (1u << 20))     /* not compact: not a name */
		return -EINVAL;
	data = obj + (((state >> 6) & 1) ? l->off[NL_PY_STR_ASCII_SIZE] : l->off[NL_PY_STR_COMPACT_SIZE]);
	if (length >= size)
		length = size - 1;
	if (kind == 1) {
		if ((e = pyframes__read(p, pr->pid, data, out, length)))
			return e;
		for (size_t i = 0; i < length; i++)
			if ((uint8_t)out[i] >= 0x80 || !out[i])
				out[i] = '?';
		out[length] = '\0';
		return 0;
	}
	memset(out, '?', length);
	out[length] = '\0';
	return 0;
}

/* Decodes a 3.11+ location table (Objects/locations.md) into line ranges. */
static int decode_lines(struct code *c, const uint8_t *t, size_t len)
{
	size_t cap_end = 0, cap_line = 0, n = 0, i = 0;
	uint32_t addr = 0;
	int line = c->firstlineno;

	while (i < len) {
		uint8_t b = t[i++];
		int code = (b >> 3) & 15, ln = line;
		uint64_t v;
		unsigned shift;

		if (!(b & 0x80))
			break;          /* lost the entry boundary: stop */
		switch (code) {
		case 15:
			ln = -1;
			break;
		case 14:
		case 13:
			v = 0, shift = 0;
			while (i < len && shift < 32) {     /* svarint */
				v |= (uint64_t)(t[i] & 63) << shift;
				shift += 6;
				if (!(t[i++] & 64))
					break;
			}
			line += (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
			ln = line;
			for (int k = 0; code == 14 && k < 3; k++)   /* end line, columns */
				while (i < len && (t[i++] & 64))
					;
			break;
		case 12:
		case 11:
		case 10:
			line += code - 10;
			ln = line;
			i += 2;
			break;
		default:
			i += 1;
			break;
		}
		addr += (b & 7) + 1u;
		if (array__reserve((void **)&c->range_end, &cap_end, n + 1, sizeof(*c->range_end)) ||
		    array__reserve((void **)&c->range_line, &cap_line, n + 1, sizeof(*c->range_line)))
			return -ENOMEM;
		c->range_end[n] = addr;
		c->range_line[n] = ln;
		n++;
	}
	c->nr_ranges = (uint32_t)n;
	return 0;
}

/* The source line of code unit `unit` (-1: the frame has not started). */
int pyframes__line_of(const struct code *c, int64_t unit)
{
	uint32_t lo = 0, hi = c->nr_ranges;

	if (unit < 0)
		return c->firstlineno;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (c->range_end[mid] <= (uint64_t)unit)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= c->nr_ranges || c->range_line[lo] < 0)
		return 0;
	return c->range_line[lo];
}

/* Reads the code object at addr into c.  0 or -errno. */
static int decode_code(struct nl_pyframes *p, struct proc *pr, uint64_t addr, struct code *c)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	char name[STR_MAX], file[STR_MAX];
	uint8_t hdr[512];
	uint64_t qual, tsize;
	uint8_t *table;
	int32_t first;
	int e;

	if (l->off[NL_PY_CO_CODE_ADAPTIVE] > sizeof(hdr))
		return -EINVAL;
	if ((e = pyframes__read(p, pr->pid, addr, hdr, l->off[NL_PY_CO_CODE_ADAPTIVE])))
		return e;
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->filename = pyframes__u64_at(hdr, l->off[NL_PY_CO_FILENAME]);
	c->name = pyframes__u64_at(hdr, l->off[NL_PY_CO_NAME]);
	c->linetable = pyframes__u64_at(hdr, l->off[NL_PY_CO_LINETABLE]);
	qual = pyframes__u64_at(hdr, l->off[NL_PY_CO_QUALNAME]);
	memcpy(&first, hdr + l->off[NL_PY_CO_FIRSTLINENO], sizeof(first));
	c->firstlineno = first;
	if ((e = read_str(p, pr, qual ? qual : c->name, name, sizeof(name))) ||
	    (e = read_str(p, pr, c->filename, file, sizeof(file))))
		return e;
	c->function = pyframes__intern(p, name);
	c->file = pyframes__intern(p, file);
	if (!c->function || !c->file)
		return -ENOMEM;
	if ((e = pyframes__read_ptr(p, pr->pid, c->linetable + l->off[NL_PY_BYTES_SIZE], &tsize)))
		return e;
	if (tsize > LINETABLE_MAX)
		return -EINVAL;
	table = malloc(tsize ? tsize : 1);
	if (!table)
		return -ENOMEM;
	e = pyframes__read(p, pr->pid, c->linetable + l->off[NL_PY_BYTES_DATA], table, tsize);
	if (!e)
		e = decode_lines(c, table, tsize);
	free(table);
	if (e) {
		free(c->range_end);
		free(c->range_line);
		c->range_end = NULL;
		c->range_line = NULL;
	}
	return e;
}

/* 3.13+: f_executable may be None or another object: only code objects count. */
static bool is_code(struct nl_pyframes *p, struct proc *pr, uint64_t obj)
{
	uint64_t type, tp_name;
	char name[8];

	if (!pr->rt.layout.executable_may_not_be_code)
		return true;
	if (pyframes__read_ptr(p, pr->pid, obj + 8, &type))     /* ob_type */
		return false;
	if (pr->code_type)
		return type == pr->code_type;
	if (pyframes__read_ptr(p, pr->pid, type + 24, &tp_name) || pyframes__read(p, pr->pid, tp_name, name, 5))
		return false;
	if (memcmp(name, "code", 5))
		return false;
	pr->code_type = type;
	return true;
}

/* The cached, re-validated code at addr, decoded on first sight; NULL when unreadable. */
const struct code *pyframes__code_get(struct nl_pyframes *p, struct proc *pr, uint64_t addr, int *err)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t v, ptrs[3];
	struct code c, *have = NULL;

	*err = 0;
	if (map__get(&pr->codes, 0, addr, &v)) {
		if (p->walk_ns - pr->code[v].checked_ns < CODE_CHECK_NS)
			return &pr->code[v];
		/* one read of the pointers that name it (they sit together) */
		uint16_t f = l->off[NL_PY_CO_FILENAME], n = l->off[NL_PY_CO_NAME],
			 t = l->off[NL_PY_CO_LINETABLE];
		uint16_t lo = f < n ? (f < t ? f : t) : (n < t ? n : t);
		uint16_t hi = (f > n ? (f > t ? f : t) : (n > t ? n : t)) + 8;
		uint8_t span[64];

		have = &pr->code[v];
		if (hi - lo > (int)sizeof(span)) {
			*err = -EINVAL;
			return NULL;
		}
		if ((*err = pyframes__read(p, pr->pid, addr + lo, span, (size_t)(hi - lo))))
			return NULL;
		ptrs[0] = pyframes__u64_at(span, (uint16_t)(f - lo));
		ptrs[1] = pyframes__u64_at(span, (uint16_t)(n - lo));
		ptrs[2] = pyframes__u64_at(span, (uint16_t)(t - lo));
		if (ptrs[0] == have->filename && ptrs[1] == have->name && ptrs[2] == have->linetable) {
			have->checked_ns = p->walk_ns;
			return have;
		}
	}
	if (!is_code(p, pr, addr)) {
		*err = -EINVAL;
		return NULL;
	}
	if ((*err = decode_code(p, pr, addr, &c)))
		return NULL;
	p->st.codes++;
	c.checked_ns = p->walk_ns;
	if (have) {             /* the address was reused by another code object */
		free(have->range_end);
		free(have->range_line);
		*have = c;
		return have;
	}
	if (array__reserve((void **)&pr->code, &pr->cap_code, pr->nr_code + 1, sizeof(*pr->code)) ||
	    map__put(&pr->codes, 0, addr, pr->nr_code)) {
		free(c.range_end);
		free(c.range_line);
		*err = -ENOMEM;
		return NULL;
	}
	pr->code[pr->nr_code] = c;
	return &pr->code[pr->nr_code++];
}
