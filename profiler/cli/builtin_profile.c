/*
 * builtin_profile.c - `numalens profile -p PID | -t TID | -- CMD ARGS`:
 * profile a running process tree, one thread, or a command, live, and
 * report it like `numalens report` does (text, --json), optionally keeping
 * the recording (--record FILE, readable by `numalens report`).
 *
 * Owns only the command line and the signals: the source is
 * samplers/live.c, the report is profiler/pipeline.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"
#include "profiler/cli/pipeline.h"
#include "samplers/live.h"

static const char usage_text[] =
	"numalens profile - profile a running process tree or a command, live\n"
	"\n"
	"USAGE: numalens profile [OPTIONS] -p PID\n"
	"       numalens profile [OPTIONS] -t TID\n"
	"       numalens profile [OPTIONS] -- COMMAND [ARGS...]\n"
	"\n"
	"-p follows the whole tree: every thread of PID, every descendant process\n"
	"(also those forked before attach) and whatever they start later.  With a\n"
	"COMMAND, the events are armed before it execs; numalens exits with its\n"
	"status.  The profile ends with -d, Ctrl-C/SIGTERM, or when the target ends.\n"
	"Without a hardware PMU numalens samples page faults (first touch) and\n"
	"cpu-clock, and resolves data nodes with move_pages while the target lives.\n"
	"\n"
	"OPTIONS:\n"
	"  -p, --pid PID       profile process PID and all its descendants\n"
	"  -t, --tid TID       profile one thread (and the tasks it creates)\n"
	"  -d, --duration SEC  stop after SEC seconds (fractions allowed)\n"
	"  -F, --freq HZ       sampling frequency of cpu-clock and PMU events (default 1000)\n"
	"  -c, --period N      sampling period instead of a frequency\n"
	"      --ldlat CYCLES  load latency threshold of PEBS/IBS load sampling (default 30)\n"
	"      --json FILE     also write the JSON report (schema numalens.report/1); - = stdout\n"
	"      --record FILE   keep the recording as a perf.data ('numalens report FILE')\n"
	"      --counters-only count node-loads, node-load-misses, node-stores and\n"
	"                      node-store-misses per task, sample nothing (like perf stat)\n"
	"      --top N         rows in the process and thread tables (default 10)\n"
	"  -q, --quiet         no text report and no notes (with --json FILE)\n"
	"  -v, --verbose       per-CPU rows and every source counter in the text report\n"
	"  -h, --help          this help\n"
	"\n"
	"EXAMPLES:\n"
	"  numalens profile -p $(pidof mysqld) -d 30\n"
	"  numalens profile --json report.json -- ./stream 4\n"
	"  numalens profile -d 10 --record app.perf.data -p 4242 && numalens report app.perf.data\n"
	"\n"
	"EXIT STATUS: 0 ok (with a COMMAND: its status), 1 error, 2 usage\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* A positive integer option up to max; -1 when it is not one. */
struct profile_args {
	struct nl_live_options live;
	struct nl_report_options report;
	char cmdline[1024];
};

static void join_cmdline(struct profile_args *a, int argc, char **argv)
{
	size_t used = (size_t)snprintf(a->cmdline, sizeof(a->cmdline), "numalens");

	for (int i = 0; i < argc && used < sizeof(a->cmdline); i++)
		used += (size_t)snprintf(a->cmdline + used, sizeof(a->cmdline) - used,
					 " %s", argv[i]);
	a->live.cmdline = a->cmdline;
}

/* One option; returns -1 to go on, else an exit status. */
static int take_option(struct profile_args *a, int c, const char *arg)
{
	long long v;
	char *end;

	switch (c) {
	case 'p':
	case 't':
		if ((v = cli__parse_positive(arg, INT_MAX)) < 0)
			return cli__bad_option("profile", c == 'p' ? "-p" : "-t", arg, "a process id");
		*(c == 'p' ? &a->live.pid : &a->live.tid) = (int)v;
		return -1;
	case 'd':
		errno = 0;
		a->live.duration = strtod(arg, &end);
		if (errno || *end || !(a->live.duration > 0) || !isfinite(a->live.duration))
			return cli__bad_option("profile", "-d", arg, "a number of seconds");
		return -1;
	case 'F':
		if ((v = cli__parse_positive(arg, 10000000)) < 0)
			return cli__bad_option("profile", "-F", arg, "a frequency in Hz");
		a->live.freq = (unsigned)v;
		return -1;
	case 'c':
		if ((v = cli__parse_positive(arg, LLONG_MAX)) < 0)
			return cli__bad_option("profile", "-c", arg, "a positive period");
		a->live.period = (uint64_t)v;
		return -1;
	case 'L':
		if ((v = cli__parse_positive(arg, 65535)) < 0)
			return cli__bad_option("profile", "--ldlat", arg, "a number of cycles");
		a->live.ldlat = (unsigned)v;
		return -1;
	case 'j':
		a->report.json_path = arg;
		return -1;
	case 'r':
		a->live.record_path = arg;
		return -1;
	case 'N':
		a->live.counters_only = true;
		return -1;
	case 'T':
		if ((v = cli__parse_positive(arg, INT_MAX)) < 0)
			return cli__bad_option("profile", "--top", arg, "a positive number");
		a->report.top = (int)v;
		return -1;
	case 'q':
		a->report.text = false;
		diag__set_quiet(1);
		return -1;
	case 'v':
		a->live.verbose = true;
		a->report.verbose = true;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return NL_EXIT_OK;
	default:
		fputs("run 'numalens profile --help' for the options\n", stderr);
		return NL_EXIT_USAGE;
	}
}

static int parse_args(struct profile_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "tid", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "freq", required_argument, NULL, 'F' },
		{ "period", required_argument, NULL, 'c' },
		{ "ldlat", required_argument, NULL, 'L' },
		{ "json", required_argument, NULL, 'j' },
		{ "record", required_argument, NULL, 'r' },
		{ "counters-only", no_argument, NULL, 'N' },
		{ "top", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:t:d:F:c:qvh", longopts, NULL)) != -1)
		if ((status = take_option(a, c, optarg)) >= 0)
			return status;
	if (optind < argc)
		a->live.argv = argv + optind;
	if (!!a->live.pid + !!a->live.tid + !!a->live.argv != 1) {
		diag__errorf("profile: give one target - -p PID, -t TID or -- COMMAND "
			     "(see 'numalens profile --help')");
		return NL_EXIT_USAGE;
	}
	return -1;
}

/* The report's status, or the command's in launch mode. */
static int final_status(struct nl_source *src, int report_status, const char *record)
{
	int rec = live__end_record(src);
	int child = live__exit_status(src);

	if (rec) {
		diag__error(record, strerror(-rec), "free space there or record elsewhere");
		report_status = NL_EXIT_ERROR;
	}
	if (report_status != NL_EXIT_OK || child < 0)
		return report_status;
	return child;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a;
	struct nl_live_error err;
	struct nl_source *src;
	int status;

	memset(&a, 0, sizeof(a));
	pipeline__default_options(&a.report);
	a.report.command = "profile";
	status = parse_args(&a, argc, argv);
	if (status >= 0)
		return status;
	join_cmdline(&a, argc, argv);
	install_signals();
	a.live.stop = &stop_requested;
	a.report.stop = &stop_requested;
	if (live__open(&a.live, &src, &err)) {
		diag__print(err.object, &err.e);
		return NL_EXIT_ERROR;
	}
	status = pipeline__run(src, &a.report);
	status = final_status(src, status, a.live.record_path);
	nl_source__close(src);
	return status;
}
