/*
 * live_outputs.h - what `profile` (and `serve`) print while the profile
 * runs: the status line (progress.h), one line per interval on stdout,
 * --json-lines FILE (numalens.interval/1), --openmetrics FILE (rewritten
 * atomically at each interval), and, for serve, each interval's metrics
 * handed to a publisher.
 *
 * Owns the intervals (profiler/interval.h) and the output files; is one
 * observer of the drain (its tap goes into nl_report_options.tap).
 * Promises: output errors are kept (the first one) and returned by
 * live_outputs__finish(), never printed mid-profile; the status line is
 * erased before any interval line and before finish returns.
 */
#ifndef NUMALENS_LIVE_OUTPUTS_H
#define NUMALENS_LIVE_OUTPUTS_H

#include <stdbool.h>

#include "profiler/analysis.h"
#include "profiler/metrics.h"
#include "samplers/base/diag.h"

struct nl_source;
struct nl_live_outputs;

struct nl_live_outputs_options {
	double interval;         /* --interval SEC; 0: one interval, the whole profile */
	const char *json_lines;  /* --json-lines FILE ("-": stdout), NULL none */
	const char *openmetrics; /* --openmetrics FILE, NULL none */
	bool lines;              /* interval lines on stdout (with --interval) */
	bool status;             /* the status line on stderr (a terminal, no -q) */
	double duration;         /* -d, for the status line; 0 open-ended */
	int top;                 /* processes with series of their own */
	/* serve: called with every interval's metrics; may be NULL */
	void (*publish)(void *ctx, const struct nl_metrics *m);
	void *publish_ctx;
	const struct nl_metrics *continue_from; /* serve: totals so far, NULL none */
	bool append;             /* serve's later sessions: --json-lines appended to */
	uint64_t origin_ns;      /* the interval grid's origin (live__start_ns), 0 now */
};

/* The rows of profile's option table for these (T: env type, m: member). */
#define LIVE_OUTPUTS_OPTIONS(T, m)                                                      \
	CLI_OPT(0, "interval", "SECONDS", CLI_SECONDS, T, m.interval, 0, "a number of seconds", \
		"also print one line per interval while profiling (samples, remote share, " \
		"worst process and its exposure, HT co-run, lost)"),                     \
	CLI_OPT(0, "json-lines", "FILE", CLI_STRING, T, m.json_lines, 0, "a file name", \
		"write one numalens.interval/1 JSON object per interval, one per line"), \
	CLI_OPT(0, "openmetrics", "FILE", CLI_STRING, T, m.openmetrics, 0, "a file name", \
		"write the metrics in Prometheus text format 0.0.4, replaced atomically at " \
		"each interval (e.g. for node_exporter's textfile collector)")

/*
 * Opens the outputs o asks for, over src (borrowed, until free).  OUT:
 * *out.  0, or -errno with err filled (a --json-lines file that cannot be
 * created) and *out NULL.
 */
int live_outputs__open(const struct nl_live_outputs_options *o, const struct nl_source *src,
		       struct nl_live_outputs **out, struct nl_error *err);

/* The drain observer; valid until free. */
const struct nl_analysis_tap *live_outputs__tap(struct nl_live_outputs *lo);

/*
 * The drain ended: emits the last interval (when the tap's end did not
 * already: the source's end), erases the status line.  OUT:
 * *last (may be NULL) gets the last interval's totals and number.  0, or the
 * first output error of the run (-errno) with err filled (its object the
 * file).
 */
int live_outputs__finish(struct nl_live_outputs *lo, struct nl_metrics *last,
			 struct nl_error *err);

/* Closes the files and frees lo (NULL fine). */
void live_outputs__free(struct nl_live_outputs *lo);

#endif
