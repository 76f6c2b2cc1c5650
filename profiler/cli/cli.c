/*
 * cli.c - shared option parsing.  See cli.h.
 */
#include "profiler/cli/cli.h"

#include <errno.h>
#include <stdlib.h>

#include "profiler/cli/builtin.h"
#include "samplers/base/diag.h"

long long cli__parse_positive(const char *text, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v <= 0 || v > max)
		return -1;
	return v;
}

int cli__bad_option(const char *command, const char *opt, const char *arg, const char *what)
{
	diag__errorf("%s %s: not %s - run 'numalens %s --help'", opt, arg, what, command);
	return NL_EXIT_USAGE;
}
