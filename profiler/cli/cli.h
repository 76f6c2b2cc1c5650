/*
 * cli.h - the one option parser: every command describes itself in one
 * table (struct cli_command: purpose, usage, examples, options) and
 * cli__parse() reads its argv from that table, so
 *   1. an option means the same in every command: -p PID, -t TID,
 *      -d SECONDS, --json [FILE] (- = stdout), -q, -v, -h/--help are rows
 *      made by the same CLI_OPT_* macros;
 *   2. --help is generated from the table (cli__help), so the text and a
 *      later man page cannot drift from what the parser accepts;
 *   3. a bad value is one error line naming the option and the fix, and
 *      exit status 2 (diag__exit of the error cli__parse fills).
 *
 * Accepted syntax, as getopt_long: -p 42, -p42, bundled flags (-qv), --pid
 * 42, --pid=42, a unique prefix of a long name (--max-remote 5), and "--"
 * to end the options.  An option whose value is optional (--json) takes the
 * next word only when that is "-" or does not start with '-'; "--json=F"
 * always works.  "-" alone is an operand (standard input/output).
 *
 * Values are stored into the command's own struct (`env`, holding the
 * defaults) at the offset each row names; the parser allocates nothing.
 * A new option is one row in its command's table, e.g. a flag:
 *   CLI_OPT(0, "counters-only", NULL, CLI_FLAG, ARGS, live.counters_only, 0, NULL,
 *           "count events, take no samples"),
 * and tests/cli/test_cli.c checks every table is complete (help, value
 * name, error wording, no letter or name twice).
 */
#ifndef NUMALENS_CLI_H
#define NUMALENS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct nl_error;

enum cli_type {
	CLI_HELP,       /* -h/--help: print the help, exit 0 */
	CLI_FLAG,       /* bool, set to true */
	CLI_STRING,     /* const char *, not empty */
	CLI_ID,         /* int: a process or thread id, 1..INT_MAX */
	CLI_COUNT,      /* unsigned integer 1..max, into an int, unsigned or uint64_t */
	CLI_SECONDS,    /* double > 0, finite (fractions allowed) */
	CLI_POINTS,     /* percentage points 0..100, stored as a fraction (double) */
	CLI_STRINGS,    /* a repeatable string: appended to a struct cli_strings */
	CLI_KEYS,       /* const char *: comma-separated keys, each one of the
			   row's choices ("sym,pid" of "sym,dso,srcline,pid") */
};

#define CLI_MAX_STRINGS 16

/* The values of a repeatable option, in the order given (not copied). */
struct cli_strings {
	const char *v[CLI_MAX_STRINGS];
	int n;
};

struct cli_option {
	char letter;            /* short option, 0 for long only */
	const char *name;       /* long option without "--" */
	const char *arg;        /* value's name in the help ("PID"), NULL: no value */
	enum cli_type type;
	bool optional;          /* value may be left out: then `implicit` */
	const char *implicit;   /* CLI_STRING value when left out ("-") */
	size_t offset, size;    /* where in env, and its size (CLI_FIELD) */
	long long max;          /* CLI_COUNT: the largest value */
	const char *what;       /* the value in an error: "not a process id" */
	const char *help;       /* one line for --help and the man page */
	const char *choices;    /* CLI_KEYS: the keys allowed, comma-separated */
};

struct cli_command {
	const char *name;               /* "profile" */
	const char *purpose;            /* one line, after "numalens NAME - " */
	const char *const *usage;       /* synopsis lines after "numalens NAME ", NULL-ended */
	const char *description;        /* paragraphs between USAGE and OPTIONS, or NULL */
	const struct cli_option *options; /* ended by CLI_END */
	const char *const *examples;    /* shell lines, NULL-ended */
	const char *exit_status;        /* after "EXIT STATUS: " */
	/* Options end at the first operand (profile ... -- CMD ARGS: what
	   follows belongs to the command); otherwise operands and options mix. */
	bool operands_end_options;
};

/* Where a value goes: env type T, member m. */
#define CLI_FIELD(T, m) offsetof(T, m), sizeof(((T *)0)->m)

/* The options every command spells the same way; help is the command's. */
#define CLI_OPT_PID(T, m, help) \
	{ 'p', "pid", "PID", CLI_ID, false, NULL, CLI_FIELD(T, m), 0, "a process id", help, NULL }
#define CLI_OPT_TID(T, m, help) \
	{ 't', "tid", "TID", CLI_ID, false, NULL, CLI_FIELD(T, m), 0, "a thread id", help, NULL }
#define CLI_OPT_DURATION(T, m, help) \
	{ 'd', "duration", "SECONDS", CLI_SECONDS, false, NULL, CLI_FIELD(T, m), 0, \
	  "a number of seconds", help, NULL }
#define CLI_OPT_JSON(T, m, help) \
	{ 0, "json", "FILE", CLI_STRING, true, "-", CLI_FIELD(T, m), 0, "a file name", help, NULL }
#define CLI_OPT_QUIET(T, m, help) \
	{ 'q', "quiet", NULL, CLI_FLAG, false, NULL, CLI_FIELD(T, m), 0, NULL, help, NULL }
#define CLI_OPT_VERBOSE(T, m, help) \
	{ 'v', "verbose", NULL, CLI_FLAG, false, NULL, CLI_FIELD(T, m), 0, NULL, help, NULL }
#define CLI_OPT_HELP \
	{ 'h', "help", NULL, CLI_HELP, false, NULL, 0, 0, 0, NULL, "show this help", NULL }
/* A command's own option: a flag, a string, or a number of the given type. */
#define CLI_OPT(letter, name, arg, type, T, m, max, what, help) \
	{ letter, name, arg, type, false, NULL, CLI_FIELD(T, m), max, what, help, NULL }
/* A list of keys from choices, e.g. --sort sym,pid. */
#define CLI_OPT_KEYS(letter, name, T, m, choices, help) \
	{ letter, name, "KEYS", CLI_KEYS, false, NULL, CLI_FIELD(T, m), 0, \
	  "a list of " choices, help, choices }
#define CLI_END { 0, NULL, NULL, CLI_HELP, false, NULL, 0, 0, 0, NULL, NULL, NULL }

/* The operands cli__parse() left, in order; argv[argc] is NULL. */
struct cli_operands {
	int argc;
	char **argv;
};

/*
 * Parses argv[1..argc) (argv[0] is the command's name) by cmd's table into
 * env.  May reorder argv (options first), as getopt does.  OUT: *ops.
 * Returns 0: parsed, operands in *ops;
 *         1: --help was given and printed on stdout (exit 0);
 *        -EINVAL: a usage error, err filled (status NL_EXIT_USAGE) for
 *         `return diag__exit(NULL, err)`.
 */
int cli__parse(const struct cli_command *cmd, int argc, char **argv, void *env,
	       struct cli_operands *ops, struct nl_error *err);

/*
 * Writes cmd's help: "numalens NAME - purpose", USAGE, the description,
 * OPTIONS (one row per table entry), EXAMPLES, EXIT STATUS.
 */
void cli__help(const struct cli_command *cmd, FILE *out);

#endif
