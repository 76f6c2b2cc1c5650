/*
 * diag.c - single-line errors and notes on stderr.  See diag.h.
 */
#include "samplers/base/diag.h"

#include <stdarg.h>
#include <stdio.h>

static int quiet;

void diag__set_quiet(int q)
{
	quiet = q;
}

void diag__error(const char *object, const char *cause, const char *fix)
{
	if (fix && *fix)
		fprintf(stderr, "numalens: %s: %s - %s\n", object, cause, fix);
	else
		fprintf(stderr, "numalens: %s: %s\n", object, cause);
}

int diag__set(struct nl_error *e, int code, const char *fix, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->cause, sizeof(e->cause), fmt, ap);
	va_end(ap);
	snprintf(e->fix, sizeof(e->fix), "%s", fix ? fix : "");
	return code;
}

void diag__print(const char *object, const struct nl_error *e)
{
	diag__error(object, e->cause, e->fix);
}

static void vline(const char *fmt, va_list ap)
{
	fputs("numalens: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void diag__errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}

void diag__note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}
