/*
 * builtin_report.c - `numalens report [FILE]`: a perf.data recording in,
 * a NUMA locality report out (text on stdout, JSON with --json).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"
#include "profiler/cli/pipeline.h"
#include "samplers/perfdata.h"

static const char usage_text[] =
	"numalens report - NUMA locality report of a perf.data recording\n"
	"\n"
	"USAGE: numalens report [OPTIONS] [FILE]\n"
	"\n"
	"FILE is a recording of 'perf mem record', 'perf c2c record', 'perf record -d'\n"
	"(any machine: Intel PEBS, AMD IBS, Arm SPE or software events) or of\n"
	"'numalens profile --record'; default ./perf.data, '-' reads standard input.\n"
	"The recording machine's topology comes from the file's header.\n"
	"\n"
	"OPTIONS:\n"
	"  --json FILE    also write the JSON report (schema numalens.report/1); - = stdout\n"
	"  --top N        rows in the process and thread tables (default 10)\n"
	"  -q, --quiet    no text report (with --json FILE)\n"
	"  -v, --verbose  per-CPU rows and every source counter in the text report\n"
	"  -h, --help     this help\n"
	"\n"
	"EXAMPLES:\n"
	"  perf mem record -a -- sleep 10 && numalens report perf.data\n"
	"  numalens report --json report.json sample-data/demo.perf.data\n"
	"  numalens report --json - perf.data | jq .summary.remote_ratio\n"
	"\n"
	"EXIT STATUS: 0 ok, 1 error, 2 usage, 3 report written from a damaged file\n";

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nl_report_options opts;
	struct nl_source *src;
	struct nl_error err;
	const char *path = "perf.data";
	int c, status;

	pipeline__default_options(&opts);
	opts.command = "report";
	optind = 1;
	while ((c = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json_path = optarg;
			break;
		case 't':
			opts.top = (int)cli__parse_positive(optarg, INT_MAX);
			if (opts.top < 0)
				return cli__bad_option("report", "--top", optarg, "a positive number");
			break;
		case 'q':
			opts.text = false;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return NL_EXIT_OK;
		default:
			fputs("run 'numalens report --help' for the options\n", stderr);
			return NL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		diag__errorf("%s: unexpected argument - report reads one file", argv[optind]);
		return NL_EXIT_USAGE;
	}
	src = perfdata__open(path, &err);
	if (!src) {
		diag__print(path, &err);
		return NL_EXIT_ERROR;
	}
	status = pipeline__run(src, &opts);
	nl_source__close(src);
	return status;
}
