/*
 * report.h - renderers of the report model: text for people, JSON
 * ("schema": "numalens.report/1", documented in
 * report/numalens.report-1.schema.json) for machines.
 *
 * Renderers walk the model (profiler/report_model.h: the finished profile,
 * its findings, notes and rankings, and what the source said about
 * itself) and format it; they compute nothing, never reach into a source
 * and never change the model.  One JSON writer (report_json__write_doc)
 * writes every JSON document numalens produces.
 */
#ifndef NUMALENS_REPORT_H
#define NUMALENS_REPORT_H

#include <stdio.h>

#include "profiler/report_model.h"
#include "samplers/base/diag.h"

struct cJSON;
struct nl_code_profile;
struct nl_bandwidth;

#define NL_REPORT_SCHEMA "numalens.report/1"
#define NL_VERSION "0.1.0"

/* Writes the text report.  0, or -errno of the failed write. */
int report_text__write(FILE *out, const struct nl_report_model *m, int top);

/* Builds the JSON report; NULL on -ENOMEM.  Free with cJSON_Delete. */
struct cJSON *report_json__build(const struct nl_report_model *m);
/*
 * Writes the JSON report to path ("-" = stdout).  0, or -errno with err
 * filled (the cause names the failed step, e.g. "write: No space left").
 */
int report_json__write(const char *path, const struct nl_report_model *m,
		       struct nl_error *err);
/*
 * Writes any JSON document to path ("-" = stdout), printed, one trailing
 * newline.  doc NULL means building it ran out of memory.  0, or -errno
 * with err filled.
 */
int report_json__write_doc(const char *path, const struct cJSON *doc, struct nl_error *err);
/*
 * Appends doc to out as one line (JSON Lines), flushed.  0, or -errno
 * (-ENOMEM: doc NULL or printing it ran out of memory).
 */
int report_json__write_line(FILE *out, const struct cJSON *doc);

#endif
