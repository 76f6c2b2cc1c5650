/*
 * html_draw.h - the pictures of the HTML report (report/html.c): inline
 * SVG drawn from the JSON report document.  Internal to report/: html.c
 * writes the page around them.
 *
 * Each function draws one <section> when the report has its data and
 * nothing otherwise; strings go through html__escape; hover details are SVG
 * <title> elements (no JS needed).  Colours come from the page's CSS
 * classes, so light and dark schemes both read.
 */
#ifndef NUMALENS_HTML_DRAW_H
#define NUMALENS_HTML_DRAW_H

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

/* A number member of o, NAN when absent, null or not a number. */
static inline double html_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A string member of o, NULL when absent or not a string. */
static inline const char *html_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* An array member of o, NULL when absent or not an array. */
static inline const cJSON *html_array(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsArray(v) ? v : NULL;
}

/* Machine map: packages -> nodes -> cores -> hardware threads. */
void html_draw__machine_map(FILE *out, const cJSON *report);
/* CPU node x memory node heatmap of node_matrix. */
void html_draw__node_matrix(FILE *out, const cJSON *report);
/* Remote share and exposure per process, main process and workers apart. */
void html_draw__processes(FILE *out, const cJSON *report);
/* The per-second timeline, when the report has one. */
void html_draw__timeline(FILE *out, const cJSON *report);

#endif
