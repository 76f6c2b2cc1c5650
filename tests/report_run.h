/*
 * report_run.h - test helper: a perf.data (file or buffer) through the same
 * source -> aggregate -> JSON path the binary takes, without a process.
 */
#ifndef NUMALENS_TEST_REPORT_RUN_H
#define NUMALENS_TEST_REPORT_RUN_H

#include <cjson/cJSON.h>

#include "profiler/analysis.h"
#include "profiler/cli/pipeline.h"
#include "report/report.h"
#include "samplers/perfdata.h"

/*
 * Drains src into a JSON report (caller frees), NULL on failure: the
 * binary's own drain (analysis__run) and report input (pipeline__input).
 */
static inline cJSON *report_run__source(struct nl_source *src)
{
	struct nl_report_options opts;
	struct nl_report_input in;
	struct nl_report_model model;
	struct nl_analysis an;
	cJSON *json = NULL;

	if (analysis__run(src, NULL, &an))
		return NULL;
	pipeline__default_options(&opts);
	pipeline__input(src, &an, &opts, &in);
	if (!report_model__build(&model, &in)) {
		json = report_json__build(&model);
		report_model__free(&model);
	}
	analysis__free(&an);
	return json;
}

/* Opens path and runs it; NULL (and err filled) when it cannot be opened. */
static inline cJSON *report_run__file(const char *path, struct nl_error *err)
{
	struct nl_source *src = perfdata__open(path, err);
	cJSON *json;

	if (!src)
		return NULL;
	json = report_run__source(src);
	nl_source__close(src);
	return json;
}

static inline double json_num(const cJSON *obj, const char *path)
{
	char key[128];
	const char *dot;
	const cJSON *cur = obj;

	while (cur && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		cur = cJSON_GetObjectItemCaseSensitive(cur, key);
		path = dot + 1;
	}
	cur = cur ? cJSON_GetObjectItemCaseSensitive(cur, path) : NULL;
	return cJSON_IsNumber(cur) ? cur->valuedouble : -1;
}

#endif
