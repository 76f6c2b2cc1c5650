/*
 * pipeline.h - source -> aggregator -> renderers, shared by every command
 * that produces a report (report FILE, profile -p PID, profile -- CMD).
 *
 * Owns the rendering dispatch and the output files; the drain is
 * profiler/analysis.h (analysis__run), the source the caller's (it opens
 * and closes it).  Promises: whatever the source delivered before
 * an error or an interruption is reported; a damaged input still yields a
 * report and a note; output write errors (disk full, /dev/full) are one
 * error line and a non-zero status.
 */
#ifndef NUMALENS_PIPELINE_H
#define NUMALENS_PIPELINE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>

#include "profiler/cli/cli.h"
#include "profiler/codeprofile.h"
#include "profiler/symbols.h"

struct nl_analysis;
struct nl_analysis_tap;
struct nl_report_input;
struct nl_bandwidth;
struct nl_source;

struct nl_report_options {
	const char *json_path;  /* NULL: no JSON; "-": stdout */
	const char *html_path;  /* --html FILE: the HTML page (report/html.h); "-": stdout */
	bool text;              /* text report on stdout (off when JSON is on stdout) */
	int top;                /* rows in per-process/thread tables */
	bool verbose;           /* text: per-CPU rows and every source counter */
	const char *command;    /* "report", "profile": named in the output */
	bool quiet;             /* -q: no text report, no notes (pipeline__options_parsed) */
	const char *folded_path; /* --folded FILE: folded stacks, NULL none */
	struct nl_symbols_options symbols; /* --symfs, --force-jit-maps (live
					      and same_kernel: analysis.c sets them) */
	/* Set asynchronously (SIGINT/SIGTERM) to stop draining; may be NULL. */
	volatile sig_atomic_t *stop;
	/* Called once the source is drained, before rendering (profile stops its
	   bandwidth monitor there and fills bandwidth); may be NULL. */
	void (*drained)(void *ctx);
	void *drained_ctx;
	const struct nl_bandwidth *bandwidth;   /* rendered when not NULL */
	/* Sees every record of the drain (profile --interval, the status
	   line: profiler/cli/live_outputs.h); may be NULL. */
	const struct nl_analysis_tap *tap;
};

/* Sets the defaults: text on, top 10, no JSON. */
void pipeline__default_options(struct nl_report_options *opts);

/*
 * The option rows of every command that writes a report (report, profile),
 * for its cli.h table: T is the command's env type, m its struct
 * nl_report_options member.  Call pipeline__options_parsed() after
 * cli__parse().
 */
#define PIPELINE_OPTIONS(T, m)                                                          \
	CLI_OPT_JSON(T, m.json_path,                                                    \
		     "also write the JSON report (schema numalens.report/1); - or none = stdout"), \
	CLI_OPT(0, "html", "FILE", CLI_STRING, T, m.html_path, 0, "a file name",       \
		"also write the report as one self-contained HTML page (- = stdout)"), \
	CLI_OPT(0, "top", "N", CLI_COUNT, T, m.top, INT_MAX, "a positive number",       \
		"rows in the process, thread, function and line tables (default 10)"),  \
	CLI_OPT(0, "folded", "FILE", CLI_STRING, T, m.folded_path, 0, "a file name",   \
		"write folded call stacks (a;b;c COUNT) weighted by remote memory samples"), \
	CLI_OPT_KEYS(0, "sort", T, m.symbols.code_sort, NL_CODE_SORT_KEYS,              \
		     "group the code table by KEYS (comma-separated: sym, dso, srcline, pid), as perf report --sort does"), \
	CLI_OPT(0, "symfs", "DIR", CLI_STRING, T, m.symbols.symfs, 0, "a directory",    \
		"look up the recorded DSOs under DIR (files from another machine)"),    \
	CLI_OPT(0, "force-jit-maps", NULL, CLI_FLAG, T, m.symbols.force_jit_maps, 0,   \
		NULL, "read /tmp/perf-PID.map files whatever their owner"),             \
	CLI_OPT_QUIET(T, m.quiet, "no text report and no notes (with --json FILE)"),    \
	CLI_OPT_VERBOSE(T, m.verbose, "per-CPU rows and every source counter in the text report")

/* Applies what the parsed options imply: -q turns the text and the notes off. */
void pipeline__options_parsed(struct nl_report_options *opts);

/*
 * Fills *in (OUT) with what the renderers read: an's profile, src's info
 * and stats, opts' command and verbosity.  Pointers into src and an: valid
 * while both are.
 */
void pipeline__input(const struct nl_source *src, struct nl_analysis *an,
		     const struct nl_report_options *opts, struct nl_report_input *in);

/*
 * Drains src into an aggregate and renders it.  Returns an NL_EXIT_* status
 * (enum nl_exit, samplers/base/diag.h): OK, ERROR (nothing could be reported, or an output
 * could not be written), PARTIAL (a report was written from a damaged or
 * interrupted source, with a note saying where it stopped).
 */
int pipeline__run(struct nl_source *src, const struct nl_report_options *opts);

#endif
