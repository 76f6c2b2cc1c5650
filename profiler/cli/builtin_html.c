/*
 * builtin_html.c - `numalens html REPORT.json [-o FILE]`: a saved JSON
 * report (a CI artifact, an old report) as the self-contained HTML page of
 * report/html.c.  Owns the command line; reading is the one file slurp,
 * drawing is html.c.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "report/html.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"

struct html_args {
	const char *output;     /* -o FILE, "-" = stdout */
};

#define ARGS struct html_args
static const struct cli_option options[] = {
	CLI_OPT('o', "output", "FILE", CLI_STRING, ARGS, output, 0, "a file name",
		"write the page to FILE (default: standard output, - too)"),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ARGS

const struct cli_command html_command = {
	.name = "html",
	.purpose = "render a saved JSON report as one self-contained HTML page",
	.usage = (const char *const[]){ "[OPTIONS] REPORT.json", NULL },
	.description =
		"REPORT.json is the output of 'numalens report --json' or 'numalens profile\n"
		"--json' (schema numalens.report/1, any version of it: sections a report does\n"
		"not have are left out).  The page needs no network: CSS, SVG pictures and\n"
		"its small script are inline.  'report --html FILE' and 'profile --html FILE'\n"
		"write the same page directly.\n",
	.options = options,
	.examples = (const char *const[]){
		"numalens html -o report.html report.json",
		"numalens report --json r.json perf.data && numalens html r.json > r.html",
		NULL },
	.exit_status = "0 ok, 1 error (unreadable, other schema, write failed), 2 usage",
};

/* A report larger than this is not one numalens wrote. */
#define REPORT_MAX (1ul << 30)

int cmd_html(int argc, char **argv)
{
	struct html_args a = { .output = "-" };
	struct cli_operands ops;
	struct nl_error err;
	cJSON *root;
	char *text;
	size_t len;
	int status, e;

	status = cli__parse(&html_command, argc, argv, &a, &ops, &err);
	if (status)
		return status > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	if (ops.argc != 1) {
		diag__usage(&err, ops.argc ? ops.argv[1] : "REPORT.json",
			    "run 'numalens html --help'",
			    ops.argc ? "html reads one report" : "no report given");
		return diag__exit(NULL, &err);
	}
	e = sys__read_file(sys__default(), ops.argv[0], REPORT_MAX, &text, &len);
	if (e) {
		diag__set(&err, e, "give the path of a 'numalens ... --json' output",
			  "cannot open: %s", strerror(-e));
		return diag__exit(ops.argv[0], &err);
	}
	root = cJSON_Parse(text);
	free(text);
	if (!root) {
		diag__set(&err, -EINVAL, "give the output of 'numalens report --json'",
			  "not valid JSON");
		return diag__exit(ops.argv[0], &err);
	}
	e = html__write_file(a.output, root, &err);
	cJSON_Delete(root);
	if (e)
		return diag__exit(e == -EINVAL ? ops.argv[0] : a.output, &err);
	return NL_EXIT_OK;
}
