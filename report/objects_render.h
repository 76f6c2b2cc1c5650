/*
 * objects_render.h - the data objects (profiler/objects.h) as text and JSON.
 *
 * Owns the "Data objects" table and the report's "objects" array.  Reads
 * the finished result only; computes nothing beyond formatting.
 */
#ifndef NUMALENS_OBJECTS_RENDER_H
#define NUMALENS_OBJECTS_RENDER_H

#include <stdio.h>

struct cJSON;
struct nl_objects_result;
struct nl_topology;

/* The table: top rows, most remote samples first.  Nothing when r is NULL
   or holds no object. */
void objects_render__text(FILE *out, const struct nl_objects_result *r,
			  const struct nl_topology *topo, int top);

/* Adds "objects" (an array, empty when r is NULL) to root. */
void objects_render__json(struct cJSON *root, const struct nl_objects_result *r,
			  const struct nl_topology *topo);

#endif
