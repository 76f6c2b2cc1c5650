/*
 * counters_render.h - the counted side of the report (profiler/nodecount.h):
 * one summary line next to the sampled remote share, a "Node counters"
 * section per process and thread, and the JSON "node_counters" object.
 *
 * Renders only what the finished profile and the source info hold; prints
 * nothing for a source without counting events (perf.data files), and a
 * "not counted here, because" line when the live source had none.
 */
#ifndef NUMALENS_COUNTERS_RENDER_H
#define NUMALENS_COUNTERS_RENDER_H

#include <stdio.h>

struct cJSON;
struct nl_report_input;

/* "Counted: node-load miss ratio ... sampled ... agree" (nothing when n/a). */
void counters_render__summary(FILE *out, const struct nl_report_input *in);
/* The "Node counters" section: total, top processes and threads. */
void counters_render__text(FILE *out, const struct nl_report_input *in, int top);
/* Adds "node_counters" to root (nothing when the source has no counters). */
void counters_render__json(struct cJSON *root, const struct nl_report_input *in);

#endif
