/*
 * objects_sites.c - the data objects' sites: a stack's first frame outside
 * the C library, its callers and its Python frame, as text.  See objects.h
 * and objects_internal.h.
 */
#include "profiler/objects_internal.h"

#include <stdio.h>
#include <string.h>

#include "profiler/addrspace.h"

bool objects__is_libc(const char *dso)
{
	const char *base = strrchr(dso, '/');

	base = base ? base + 1 : dso;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-linux", 8) || !strncmp(base, "libpthread", 10) ||
	       !strncmp(base, "libc.musl", 9);
}

static const struct nl_code_loc *frame_loc(struct nl_objects *o, const struct stack *st,
					   uint32_t i, const char **dso_name)
{
	uint64_t ip = st->ips[i], key, off;
	uint32_t dso;

	if (i || !st->first_is_pc)
		ip--;   /* a return address: look up the call */
	addrspace__code_key(o->as, st->pid, ip, false, true, &key);
	symbols__unkey(o->syms, key, &dso, &off);
	*dso_name = symbols__dso_name(o->syms, dso);
	return symbols__resolve(o->syms, dso, off);
}

static void frame_text(char *buf, size_t size, const struct nl_code_loc *l)
{
	const struct nl_frame *f = &l->frames[0];
	const char *file = f->file ? strrchr(f->file, '/') : NULL;

	file = file ? file + 1 : f->file;
	if (file)
		snprintf(buf, size, "%s (%s:%d)", f->function, file, f->line);
	else
		snprintf(buf, size, "%s", f->function);
}

/* "build_dataset (dataset_readers.py:38)": a Python frame in a site's stack text. */
static void python_text(char *buf, size_t size, const struct nl_code_loc *py)
{
	const char *file = strrchr(py->frames[0].file, '/');

	snprintf(buf, size, "%s (%s:%d)", py->frames[0].function,
		 file ? file + 1 : py->frames[0].file, py->frames[0].line);
}

/*
 * The stack's site: its first frame outside the C library, and its Python
 * frame, which stands in the stack text for the first evaluator frame (the
 * code rows splice Python frames there too, codestacks.c); the evaluator's
 * outer activations are dropped (their Python frames were not kept), and
 * without one shown the Python frame comes last.
 */
const struct nl_object_site *objects__stack_site(struct nl_objects *o, uint32_t id)
{
	static const struct nl_object_site none;
	struct stack *st;
	uint32_t at = 0;
	size_t used = 0;
	bool py_shown = false;
	char one[200], pytext[200] = "";

	if (id == NO_STACK || id >= o->nr_stacks)
		return &none;
	st = &o->stacks[id];
	if (st->resolved)
		return &st->site;
	st->resolved = true;
	if (st->py)
		python_text(pytext, sizeof(pytext), st->py);
	for (uint32_t i = 0; i < st->nr; i++) {
		const char *dso;
		const struct nl_code_loc *l = frame_loc(o, st, i, &dso);

		if (!l)
			return &none;
		if (!objects__is_libc(dso)) {
			at = i;
			break;
		}
	}
	for (uint32_t i = at; i < st->nr && i < at + 5; i++) {
		const char *dso;
		const struct nl_code_loc *l = frame_loc(o, st, i, &dso);

		if (!l)
			break;
		if (i == at) {
			st->site.function = l->frames[0].function;
			st->site.file = l->frames[0].file;
			st->site.line = l->frames[0].line;
			st->site.dso = dso;
			continue;
		}
		if (st->py && l->resolved && !strcmp(l->symbol, "_PyEval_EvalFrameDefault")) {
			if (py_shown)
				continue;
			python_text(one, sizeof(one), st->py);
			py_shown = true;
		} else {
			frame_text(one, sizeof(one), l);
			/* long C++ names: keep room for the Python frame */
			if (st->py && !py_shown &&
			    used + strlen(one) + 3 + strlen(pytext) + 3 >= sizeof(st->site.stack))
				break;
		}
		used += (size_t)snprintf(st->site.stack + used, sizeof(st->site.stack) - used,
					 "%s%s", used ? " < " : "", one);
		if (used >= sizeof(st->site.stack))
			break;
	}
	if (st->py && st->site.function) {
		st->site.python.function = st->py->frames[0].function;
		st->site.python.file = st->py->frames[0].file;
		st->site.python.line = st->py->frames[0].line;
		if (!py_shown && used < sizeof(st->site.stack))
			snprintf(st->site.stack + used, sizeof(st->site.stack) - used, "%s%s",
				 used ? " < " : "", pytext);
	}
	return &st->site;
}

void objects__site_text(char *buf, size_t size, const struct nl_object_site *s)
{
	const char *file = s->file ? strrchr(s->file, '/') : NULL;
	char py[200] = "";

	file = file ? file + 1 : s->file;
	if (s->python.function) {
		const char *pf = strrchr(s->python.file, '/');

		snprintf(py, sizeof(py), " (%s:%d %s)", pf ? pf + 1 : s->python.file,
			 s->python.line, s->python.function);
	}
	if (!s->function)
		snprintf(buf, size, "an unknown site");
	else if (file)
		snprintf(buf, size, "%s (%s:%d)%s", s->function, file, s->line, py);
	else
		snprintf(buf, size, "%s%s", s->function, py);
}
