/*
 * smt_render.h - the HT contention section of the text and JSON reports.
 *
 * Renders the finished struct nl_smt_result that the aggregator hands on
 * (profile->smt); computes nothing itself beyond unit conversion.  The
 * notes about HT contention that could not be measured are in notes.c.
 */
#ifndef NUMALENS_SMT_RENDER_H
#define NUMALENS_SMT_RENDER_H

#include <stdio.h>

struct cJSON;
struct nl_profile;

/*
 * Writes "HT contention" (nothing when the profile has no SMT result);
 * ipc_note (the model's smt_ipc_note) says why the IPC cost is missing.
 */
void smt_render__text(FILE *out, const struct nl_profile *p, int top, const char *ipc_note);
/* The JSON "smt" section, or JSON null when there is no result.  NULL on -ENOMEM. */
struct cJSON *smt_render__json(const struct nl_profile *p, int top, const char *ipc_note);

#endif
