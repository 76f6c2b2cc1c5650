/*
 * test_cli.c - the one option parser (profiler/cli/cli.c) on a test table
 * and on every command's real table: getopt-compatible spelling (-p42,
 * bundles, --name=value, unique prefixes, "--", permuted operands, the
 * operand that ends the options), --json's optional value, typed values
 * and their one-line usage errors, and the generated --help.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"

struct env {
	int pid, tid;
	double duration, points;
	const char *json, *record, *keys;
	unsigned freq;
	uint64_t period;
	bool quiet, verbose;
};

static const struct cli_option options[] = {
	CLI_OPT_PID(struct env, pid, "the process"),
	CLI_OPT_TID(struct env, tid, "the thread"),
	CLI_OPT_DURATION(struct env, duration, "how long"),
	CLI_OPT('F', "freq", "HZ", CLI_COUNT, struct env, freq, 1000, "a frequency in Hz", "freq"),
	CLI_OPT('c', "period", "N", CLI_COUNT, struct env, period, LLONG_MAX, "a period", "period"),
	CLI_OPT(0, "max-remote", "PP", CLI_POINTS, struct env, points, 0, "points", "points"),
	CLI_OPT(0, "max-exposure", "PP", CLI_POINTS, struct env, points, 0, "points", "points"),
	CLI_OPT_JSON(struct env, json, "the JSON report"),
	CLI_OPT(0, "record", "FILE", CLI_STRING, struct env, record, 0, "a file name", "keep it"),
	CLI_OPT_KEYS(0, "sort", struct env, keys, "sym,dso,srcline", "group by"),
	CLI_OPT_QUIET(struct env, quiet, "quiet"),
	CLI_OPT_VERBOSE(struct env, verbose, "verbose"),
	CLI_OPT_HELP,
	CLI_END,
};

static struct cli_command cmd = {
	.name = "test",
	.purpose = "exercise the parser",
	.usage = (const char *const[]){ "[OPTIONS] FILE...", NULL },
	.options = options,
	.examples = (const char *const[]){ "numalens test -p 1 a", NULL },
	.exit_status = "0 ok, 2 usage",
};

static struct env env;
static struct cli_operands ops;
static struct nl_error err;
static char *words[16];

/* Parses the space-separated line (argv[0] "test"); returns cli__parse's value. */
static int parse(const char *line)
{
	static char buf[512];
	int argc = 0;

	snprintf(buf, sizeof(buf), "test %s", line);
	memset(&env, 0, sizeof(env));
	memset(&err, 0, sizeof(err));
	memset(words, 0, sizeof(words));
	for (char *w = strtok(buf, " "); w && argc < 15; w = strtok(NULL, " "))
		words[argc++] = w;
	return cli__parse(&cmd, argc, words, &env, &ops, &err);
}

/* The operands, joined by spaces. */
static const char *operands(void)
{
	static char out[256];
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < ops.argc; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", ops.argv[i]);
	return out;
}

static void test_spellings(void)
{
	CHECK_EQ_U64(parse("-p 42"), 0);
	CHECK_EQ_U64(env.pid, 42);
	CHECK_EQ_U64(parse("-p42 --tid=7"), 0);
	CHECK_EQ_U64(env.pid, 42);
	CHECK_EQ_U64(env.tid, 7);
	CHECK_EQ_U64(parse("--pid 9 -d 0.25"), 0);
	CHECK_EQ_U64(env.pid, 9);
	CHECK(fabs(env.duration - 0.25) < 1e-12);
	CHECK_EQ_U64(parse("-qv"), 0);
	CHECK(env.quiet && env.verbose);
	CHECK_EQ_U64(parse("-qp 5"), 0);
	CHECK(env.quiet);
	CHECK_EQ_U64(env.pid, 5);
	CHECK_EQ_U64(parse("--verb --rec out.data"), 0);      /* unique prefixes */
	CHECK(env.verbose);
	CHECK_EQ_STR(env.record, "out.data");
	CHECK_EQ_U64(parse("-c 4294967297 -F 1000"), 0);       /* a 64-bit field */
	CHECK_EQ_U64(env.period, 4294967297ull);
	CHECK_EQ_U64(env.freq, 1000);
	CHECK_EQ_U64(parse("--max-remote 12.5"), 0);
	CHECK(fabs(env.points - 0.125) < 1e-12);
}

static void test_json_value(void)
{
	CHECK_EQ_U64(parse("--json"), 0);
	CHECK_EQ_STR(env.json, "-");
	CHECK_EQ_U64(parse("--json -"), 0);
	CHECK_EQ_STR(env.json, "-");
	CHECK_EQ_U64(parse("--json r.json a"), 0);
	CHECK_EQ_STR(env.json, "r.json");
	CHECK_EQ_STR(operands(), "a");
	CHECK_EQ_U64(parse("--json -q a"), 0);                /* an option is no FILE */
	CHECK_EQ_STR(env.json, "-");
	CHECK(env.quiet);
	CHECK_EQ_U64(parse("--json="), 0);
	CHECK_EQ_STR(env.json, "-");
	CHECK_EQ_U64(parse("--json=-q"), 0);                  /* "=" always takes it */
	CHECK_EQ_STR(env.json, "-q");
}

static void test_operands(void)
{
	CHECK_EQ_U64(parse("a -p 1 b --json x.json c"), 0);  /* permuted, in order */
	CHECK_EQ_STR(operands(), "a b c");
	CHECK_EQ_U64(env.pid, 1);
	CHECK_EQ_STR(env.json, "x.json");
	CHECK(ops.argv[ops.argc] == NULL);
	CHECK_EQ_U64(parse("-q -- -p 3 -"), 0);
	CHECK_EQ_STR(operands(), "-p 3 -");
	CHECK_EQ_U64(env.pid, 0);
	CHECK_EQ_U64(parse("-"), 0);
	CHECK_EQ_STR(operands(), "-");
	cmd.operands_end_options = true;                      /* profile ... CMD ARGS */
	CHECK_EQ_U64(parse("-q sh -c -p"), 0);
	CHECK_EQ_STR(operands(), "sh -c -p");
	CHECK_EQ_U64(env.pid, 0);
	CHECK(ops.argv[ops.argc] == NULL);
	CHECK_EQ_U64(parse("-p 4 -- true"), 0);
	CHECK_EQ_STR(operands(), "true");
	cmd.operands_end_options = false;
}

/* One usage error: status 2, the object and cause given, a fix. */
static void expect_usage(const char *line, const char *object, const char *cause)
{
	int r = parse(line);

	CHECK_EQ_U64(r, (uint64_t)-EINVAL);
	CHECK_EQ_U64(err.status, NL_EXIT_USAGE);
	CHECK_EQ_STR(err.object, object);
	CHECK_EQ_STR(err.cause, cause);
	CHECK_EQ_STR(err.fix, "run 'numalens test --help'");
}

static void test_errors(void)
{
	expect_usage("-p abc", "-p abc", "not a process id");
	expect_usage("--pid=0", "--pid 0", "not a process id");
	expect_usage("-p -1", "-p -1", "not a process id");
	expect_usage("-t 2147483648", "-t 2147483648", "not a thread id");
	expect_usage("-d 0", "-d 0", "not a number of seconds");
	expect_usage("-d nan", "-d nan", "not a number of seconds");
	expect_usage("-d 1s", "-d 1s", "not a number of seconds");
	expect_usage("-F 1001", "-F 1001", "not a frequency in Hz");
	expect_usage("--max-remote 101", "--max-remote 101", "not points");
	expect_usage("-p", "-p", "missing a process id");
	expect_usage("--record", "--record", "missing a file name");
	expect_usage("--record=", "--record", "missing a file name");
	expect_usage("--quiet=1", "--quiet", "takes no value");
	expect_usage("--bogus", "test", "unknown option '--bogus'");
	expect_usage("--bogus=1", "test", "unknown option '--bogus'");
	expect_usage("-x", "test", "unknown option '-x'");
	expect_usage("-qx", "test", "unknown option '-x'");
	expect_usage("--max 5", "test", "ambiguous option '--max'");
	/* keys: each one of the choices, none twice or empty, whole words only */
	expect_usage("--sort pid", "--sort pid", "not a list of sym,dso,srcline");
	expect_usage("--sort sym,sym", "--sort sym,sym", "not a list of sym,dso,srcline");
	expect_usage("--sort sym,", "--sort sym,", "not a list of sym,dso,srcline");
	expect_usage("--sort sy", "--sort sy", "not a list of sym,dso,srcline");
	expect_usage("--sort symx", "--sort symx", "not a list of sym,dso,srcline");
	expect_usage("--sort=", "--sort", "missing a list of sym,dso,srcline");
	CHECK(parse("--sort srcline,sym") == 0 && env.keys && !strcmp(env.keys, "srcline,sym"));
}

static char *help_of(const struct cli_command *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	cli__help(c, f);
	fclose(f);
	return text;
}

/* The help of the test table: generated from the rows, every row shown. */
static void test_help(void)
{
	char *text = help_of(&cmd);

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK(!strncmp(text, "numalens test - exercise the parser\n", 36));
	CHECK(strstr(text, "\nUSAGE: numalens test [OPTIONS] FILE...\n") != NULL);
	CHECK(strstr(text, "\n  -p, --pid PID ") != NULL);
	CHECK(strstr(text, "\n      --json [FILE] ") != NULL);
	CHECK(strstr(text, "\n  -h, --help ") != NULL);
	CHECK(strstr(text, "\nEXAMPLES:\n  numalens test -p 1 a\n") != NULL);
	CHECK(strstr(text, "\nEXIT STATUS: 0 ok, 2 usage\n") != NULL);
	free(text);
	CHECK_EQ_U64(parse("-q --help --bogus"), 1);          /* help wins, then stops */
}

/*
 * Every real command's table is complete (the man page generator relies
 * on it): purpose, usage, examples, exit status; every row named, with
 * help, a value name for options with values and a `what` for their
 * errors, a field of the size its type stores; no letter or name twice; -h/--help in every command; the help
 * names every row and no line is wider than 80 columns.
 */
static void test_real_tables(void)
{
	const struct cli_command *all[] = { &report_command, &profile_command, &topology_command,
					    &diff_command, &html_command, &serve_command };

	for (size_t c = 0; c < sizeof(all) / sizeof(all[0]); c++) {
		const struct cli_command *k = all[c];
		char *text = help_of(k);
		bool has_help = false;

		CHECK(k->name && k->purpose && k->usage && k->usage[0] && k->examples &&
		      k->examples[0] && k->exit_status);
		for (const struct cli_option *o = k->options; o->name; o++) {
			char row[80];

			CHECK(o->help && *o->help);
			CHECK(o->type == CLI_HELP || o->type == CLI_FLAG || (o->arg && o->what));
			has_help |= o->type == CLI_HELP && o->letter == 'h';
			/* the field fits the value the row's type stores */
			CHECK(o->type != CLI_FLAG || o->size == sizeof(bool));
			CHECK(o->type != CLI_STRING || o->size == sizeof(char *));
			CHECK(o->type != CLI_KEYS || (o->size == sizeof(char *) && o->choices));
			CHECK(o->type != CLI_STRINGS || o->size == sizeof(struct cli_strings));
			CHECK(o->type != CLI_ID || o->size == sizeof(int));
			CHECK((o->type != CLI_SECONDS && o->type != CLI_POINTS) ||
			      o->size == sizeof(double));
			CHECK(o->type != CLI_COUNT || o->max > 0);
			CHECK(o->type != CLI_COUNT || o->size >= sizeof(uint64_t) ||
			      o->max <= (1ll << (8 * o->size - 1)) - 1);
			for (const struct cli_option *q = o + 1; q->name; q++) {
				CHECK(strcmp(o->name, q->name) != 0);
				CHECK(!o->letter || o->letter != q->letter);
			}
			snprintf(row, sizeof(row), " --%s", o->name);
			CHECK(text && strstr(text, row));
		}
		CHECK(has_help);
		for (char *line = text, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
			bool fits = nl - line <= 80 || !strncmp(line, "  numalens ", 11); /* examples */

			if (!fits)
				fprintf(stderr, "%s --help: line over 80 columns: %.*s\n", k->name,
					(int)(nl - line), line);
			CHECK(fits);
		}
		free(text);
	}
}

int main(void)
{
	test_spellings();
	test_json_value();
	test_operands();
	test_errors();
	test_help();
	test_real_tables();
	return check_done();
}
