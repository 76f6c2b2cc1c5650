/*
 * openmetrics.h - the metrics model (profiler/metrics.h) in Prometheus's
 * text exposition format 0.0.4 (what node_exporter's textfile collector
 * and a scrape without an OpenMetrics Accept header read) or OpenMetrics
 * 1.0 (counter families without _total, `# EOF` at the end).
 *
 * The series: numalens_samples_total, numalens_memory_samples_total
 * {locality}, numalens_lost_samples_total (counters since numalens
 * started), numalens_remote_ratio, numalens_smt_corun_ratio,
 * numalens_process_remote_exposure{pid,ppid,comm,role} (top processes plus
 * one pid="other" row per role), numalens_pages{node}, numalens_processes,
 * numalens_interval (gauges of the interval the model covers).  No
 * timestamps (the textfile collector refuses them); a gauge the model
 * cannot give is left out, never written as 0.
 *
 * Renders the model only; computes nothing.
 */
#ifndef NUMALENS_OPENMETRICS_H
#define NUMALENS_OPENMETRICS_H

#include <stddef.h>

#include "profiler/metrics.h"
#include "samplers/base/diag.h"

enum nl_expo_format {
	NL_EXPO_TEXT_004 = 0,   /* text/plain; version=0.0.4 */
	NL_EXPO_OPENMETRICS_1,  /* application/openmetrics-text; version=1.0.0 */
};

/* The Content-Type header of format. */
const char *openmetrics__content_type(enum nl_expo_format format);

/*
 * Renders m.  OUT: *text (malloc'd, NUL-terminated, the caller frees) and
 * *len.  0, or -ENOMEM with *text NULL.
 */
int openmetrics__render(const struct nl_metrics *m, enum nl_expo_format format,
			char **text, size_t *len);

/*
 * --openmetrics FILE: m in format 0.0.4, replacing path atomically
 * (samplers/base/outfile.h, world-readable for the collector).  0, or
 * -errno with err filled.
 */
int openmetrics__write_file(const char *path, const struct nl_metrics *m, struct nl_error *err);

#endif
