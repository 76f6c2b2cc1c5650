/*
 * builtin_report.c - `numalens report [FILE]`: a perf.data recording in,
 * a NUMA locality report out (text on stdout, JSON with --json).  Owns
 * the command line (the option table below); the rest is pipeline.c.
 */
#include <limits.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"
#include "profiler/cli/pipeline.h"
#include "samplers/perfdata.h"

struct report_args {
	struct nl_report_options report;
};

#define ARGS struct report_args
static const struct cli_option options[] = {
	PIPELINE_OPTIONS(ARGS, report),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ARGS

const struct cli_command report_command = {
	.name = "report",
	.purpose = "NUMA locality report of a perf.data recording",
	.usage = (const char *const[]){ "[OPTIONS] [FILE]", NULL },
	.description =
		"FILE is a recording of 'perf mem record', 'perf c2c record', 'perf record -d'\n"
		"(any machine: Intel PEBS, AMD IBS, Arm SPE or software events) or of\n"
		"'numalens profile --record'; default ./perf.data, '-' reads standard input.\n"
		"The recording machine's topology comes from the file's header.\n",
	.options = options,
	.examples = (const char *const[]){
		"perf mem record -a -- sleep 10 && numalens report perf.data",
		"numalens report --json report.json sample-data/demo.perf.data",
		"numalens report --json - perf.data | jq .summary.remote_ratio",
		NULL },
	.exit_status = "0 ok, 1 error, 2 usage, 3 report written from a damaged file",
};

int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct cli_operands ops;
	struct nl_source *src;
	struct nl_error err;
	const char *path = "perf.data";
	int status;

	pipeline__default_options(&a.report);
	a.report.command = "report";
	status = cli__parse(&report_command, argc, argv, &a, &ops, &err);
	if (status)
		return status > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	pipeline__options_parsed(&a.report);
	if (ops.argc > 1) {
		diag__usage(&err, ops.argv[1], "report reads one file", "unexpected argument");
		return diag__exit(NULL, &err);
	}
	if (ops.argc)
		path = ops.argv[0];
	src = perfdata__open(path, &err);
	if (!src)
		return diag__exit(path, &err);
	status = pipeline__run(src, &a.report);
	nl_source__close(src);
	return status;
}
