/*
 * report.h - renderers of a finished profile: text for people, JSON
 * ("schema": "numalens.report/1", documented in
 * report/numalens.report-1.schema.json) for machines.
 *
 * Renderers read only the finished aggregate (struct nl_profile) and what
 * the source said about itself (info, stats); they never reach into a
 * source or change the profile.  Both renderers print the same notes,
 * collected once by report__notes().
 */
#ifndef NUMALENS_REPORT_H
#define NUMALENS_REPORT_H

#include <stdio.h>

#include "profiler/aggregate.h"
#include "samplers/base/diag.h"
#include "samplers/sample.h"

struct cJSON;
struct nl_code_profile;
struct nl_bandwidth;

#define NL_REPORT_SCHEMA "numalens.report/1"
#define NL_VERSION "0.1.0"

struct nl_report_input {
	const struct nl_profile *profile;
	const struct nl_source_info *info;
	const struct nl_source_stats *stats;
	const char *command;            /* "report", "profile" */
	const char *source_kind;        /* "perf.data", "live" */
	bool interrupted;               /* stopped by a signal or -d */
	bool verbose;                   /* text: per-CPU rows, source counters */
	const struct nl_code_profile *code; /* functions, lines, stacks; NULL none */
	/* memory-controller bandwidth (samplers/uncore.h), NULL when not tried */
	const struct nl_bandwidth *bandwidth;
};

enum nl_note_kind {
	NL_NOTE_NOT_MEASURED,   /* a quantity the input cannot give, and why */
	NL_NOTE_DAMAGE,         /* where and why parsing stopped */
	NL_NOTE_LOSS,           /* lost, throttled, malformed records */
	NL_NOTE_ADVICE,         /* what to run next */
	NL_NOTE_INFO,
};

struct nl_note {
	enum nl_note_kind kind;
	char text[320];
};

#define NL_MAX_NOTES 24

/* Fills notes (at most NL_MAX_NOTES); returns how many. */
int report__notes(const struct nl_report_input *in, struct nl_note *notes);
/* "not_measured", "damage", ... */
const char *report__note_kind_name(enum nl_note_kind kind);

/* Writes the text report.  0, or -errno of the failed write. */
int report_text__write(FILE *out, const struct nl_report_input *in, int top);

/* Builds the JSON report; NULL on -ENOMEM.  Free with cJSON_Delete. */
struct cJSON *report_json__build(const struct nl_report_input *in);
/*
 * Writes the JSON report to path ("-" = stdout).  0, or -errno with err
 * filled (the cause names the failed step, e.g. "write: No space left").
 */
int report_json__write(const char *path, const struct nl_report_input *in,
		       struct nl_error *err);

#endif
