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

/* The fix of a cause whose module gave none, so every line has one. */
static const char *default_fix(int code)
{
	switch (-code) {
	case ENOMEM:
		return "free memory or raise the limit (ulimit -v), then run it again";
	case EACCES:
	case EPERM:
		return "check the permissions, or run as root";
	case ENOENT:
		return "check the path";
	case ENOSPC:
		return "free space there or write elsewhere";
	case EMFILE:
	case ENFILE:
		return "raise the open-file limit with 'ulimit -n'";
	case ESRCH:
		return "check the process id with 'ps -e'";
	case EIO:
		return "check the device and the kernel log (dmesg)";
	default:
		return NULL;
	}
}

int diag__exit(const char *object, const struct nl_error *e)
{
	const char *obj = e->object[0] ? e->object : object;
	const char *fix = e->fix[0] ? e->fix : default_fix(e->code);

	fputs("numalens: ", stderr);
	if (obj && *obj)
		fprintf(stderr, "%s: ", obj);
	fputs(e->cause, stderr);
	if (fix)
		fprintf(stderr, " - %s", fix);
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
