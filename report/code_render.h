/*
 * code_render.h - renders the code profile (profiler/codeprofile.h):
 * "Top functions by remote memory samples", "Top source lines", call
 * stacks (JSON), folded stacks for flame graphs (--folded FILE).
 *
 * Reads only the finished struct nl_code_profile; computes nothing but
 * shares and means of the counts it is given.  text.c and json.c call in
 * with one line each, so the main renderers stay the owners of the layout.
 */
#ifndef NUMALENS_CODE_RENDER_H
#define NUMALENS_CODE_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "profiler/codeprofile.h"

struct cJSON;

/* Text sections (functions, lines, top stacks, symbol notes); p may be NULL
   (nothing written).  top: rows per table. */
void report_code__text(FILE *out, const struct nl_code_profile *p, int top);

/* Adds "functions", "lines", "stacks", "symbols" to root (p NULL: nothing).
   timings: numalens' own CPU figures too (symbols.dso_load_cpu_s) - a live
   profile's; a report of a file stays the same document run after run. */
void report_code__json(struct cJSON *root, const struct nl_code_profile *p, bool timings);

/*
 * Writes folded stacks, root first ("main;work;read_loop 42"), weighted by
 * remote memory samples, or by memory samples (then samples) when there
 * are none; OUT *weighted_by names the weight.  0 or -errno.
 */
int report_code__folded(const char *path, const struct nl_code_profile *p,
			const char **weighted_by);

#endif
