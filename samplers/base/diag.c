/*
 * diag.c - the error type, single-line errors and notes on stderr.  See diag.h.
 */
#include "samplers/base/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static int quiet;

void diag__set_quiet(int q)
{
	quiet = q;
}

static void vset(struct nl_error *e, int code, int status, const char *fix, const char *fmt,
		 va_list ap)
{
	e->code = code;
	e->status = status;
	e->object[0] = '\0';
	vsnprintf(e->cause, sizeof(e->cause), fmt, ap);
	snprintf(e->fix, sizeof(e->fix), "%s", fix ? fix : "");
}

int diag__set(struct nl_error *e, int code, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, code, NL_EXIT_ERROR, fix, fmt, ap);
	va_end(ap);
	return code;
}

int diag__set_object(struct nl_error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->object, sizeof(e->object), fmt, ap);
	va_end(ap);
	return e->code;
}

int diag__usage(struct nl_error *e, const char *object, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, -EINVAL, NL_EXIT_USAGE, fix, fmt, ap);
	va_end(ap);
	if (object)
		diag__set_object(e, "%s", object);
	return -EINVAL;
}

int diag__exit(const char *object, const struct nl_error *e)
{
	const char *obj = e->object[0] ? e->object : object;

	fputs("numalens: ", stderr);
	if (obj && *obj)
		fprintf(stderr, "%s: ", obj);
	fputs(e->cause, stderr);
	if (e->fix[0])
		fprintf(stderr, " - %s", e->fix);
	fputc('\n', stderr);
	return e->status ? e->status : NL_EXIT_ERROR;
}

void diag__note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("numalens: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
