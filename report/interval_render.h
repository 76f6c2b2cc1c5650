/*
 * interval_render.h - one interval (profiler/metrics.h) as a line of text
 * (`profile --interval`) and as one numalens.interval/1 JSON object per
 * line (`--json-lines FILE`, documented in
 * report/numalens.interval-1.schema.json).
 *
 * Renders the metrics model only; computes nothing.
 */
#ifndef NUMALENS_INTERVAL_RENDER_H
#define NUMALENS_INTERVAL_RENDER_H

#include <stdio.h>

#include "profiler/metrics.h"

struct cJSON;

#define NL_INTERVAL_SCHEMA "numalens.interval/1"

/*
 * One line: interval, time span, samples, remote share, worst process and
 * its exposure, HT co-run, lost.  0 or -errno of the failed write.
 */
int interval_text__write(FILE *out, const struct nl_metrics *m);

/* The numalens.interval/1 object of m; NULL on -ENOMEM (cJSON_Delete it). */
struct cJSON *interval_json__build(const struct nl_metrics *m);

/* m as one JSON line on out, flushed.  0 or -errno (-ENOMEM: building it). */
int interval_json__write_line(FILE *out, const struct nl_metrics *m);

#endif
