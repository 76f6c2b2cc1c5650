/*
 * report_run.h - test helper: a perf.data (file or buffer) through the same
 * source -> aggregate -> JSON path the binary takes, without a process.
 */
#ifndef NUMALENS_TEST_REPORT_RUN_H
#define NUMALENS_TEST_REPORT_RUN_H

#include <cjson/cJSON.h>

#include "profiler/aggregate.h"
#include "report/report.h"
#include "samplers/perfdata.h"

/* Drains src into a JSON report (caller frees), NULL on failure. */
static inline cJSON *report_run__source(struct nl_source *src)
{
	struct nl_aggregate *agg = aggregate__new(src->info.topology);
	struct nl_record rec;
	struct nl_report_input in = { 0 };
	cJSON *json = NULL;

	if (!agg)
		return NULL;
	while (nl_source__next(src, &rec) > 0)
		if (aggregate__add(agg, &rec))
			goto out;
	in.profile = aggregate__finish(agg);
	if (!in.profile)
		goto out;
	in.info = &src->info;
	in.stats = &src->stats;
	in.command = "report";
	in.source_kind = src->ops->name;
	json = report_json__build(&in);
out:
	aggregate__free(agg);
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
