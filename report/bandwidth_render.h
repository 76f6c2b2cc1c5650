/*
 * bandwidth_render.h - the memory bandwidth section of the text and JSON
 * reports: per node, mean and peak read and write traffic from the memory
 * controllers' counters (samplers/uncore.h), or why it was not measured.
 */
#ifndef NUMALENS_BANDWIDTH_RENDER_H
#define NUMALENS_BANDWIDTH_RENDER_H

#include <stdio.h>

struct cJSON;
struct nl_bandwidth;

/* Writes the section; nothing when bw is NULL (not tried: offline reports). */
void bandwidth_render__text(FILE *out, const struct nl_bandwidth *bw);
/* The JSON "bandwidth" object, or JSON null for NULL.  NULL on -ENOMEM. */
struct cJSON *bandwidth_render__json(const struct nl_bandwidth *bw);

#endif
