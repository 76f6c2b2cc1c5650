/*
 * counters_render.c - node-loads & co. in the text and JSON reports.
 * See counters_render.h; the numbers come from profiler/nodecount.h.
 */
#include "report/counters_render.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "profiler/nodecount.h"
#include "report/report.h"

static bool has_section(const struct nl_report_input *in)
{
	return in->profile->node_counts || in->info->counter_events[0] ||
	       in->info->counters_note[0];
}

static void pct(char *buf, size_t size, double ratio)
{
	if (ratio < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", ratio * 100);
}

static const char *verdict(enum nl_agreement a)
{
	return a == NL_AGREE_YES ? "agree" : a == NL_AGREE_NO ? "disagree" : "unknown";
}

void counters_render__summary(FILE *out, const struct nl_report_input *in)
{
	const struct nl_node_counts *nc = in->profile->node_counts;
	const struct nl_node_count_row *t;
	char miss[16], sampled[16];

	if (!has_section(in))
		return;
	if (!nc) {
		fprintf(out, "Counted: %s\n", in->info->counters_note[0] ? in->info->counters_note :
			"node-loads: no counts came back");
		return;
	}
	t = &nc->total;
	pct(miss, sizeof(miss), t->miss_ratio);
	pct(sampled, sizeof(sampled), t->sampled_remote);
	fprintf(out, "Counted: node-load miss ratio %s (%" PRIu64 " remote of %" PRIu64
		" node loads, scaling %.2f); sampled remote share %s", miss, t->remote_loads,
		t->loads, t->scaling < 0 ? 0 : t->scaling, sampled);
	if (t->agreement == NL_AGREE_YES)
		fprintf(out, " - they agree within +-%.1f points\n", t->error * 100);
	else if (t->agreement == NL_AGREE_NO)
		fprintf(out, " - they DISAGREE by %.1f points (error +-%.1f): samples and "
			"counters see different accesses (first touches or sampled ops vs "
			"every load served by memory)\n",
			fabs(t->sampled_remote - t->miss_ratio) * 100, t->error * 100);
	else
		fprintf(out, " - nothing to compare\n");
}

enum row_kind { ROW_TOTAL, ROW_PROCESS, ROW_THREAD };

static void row_text(FILE *out, const struct nl_node_count_row *r, enum row_kind kind)
{
	char miss[16], smiss[16], sampled[16], scaling[16], id[16], pid[16];

	pct(miss, sizeof(miss), r->miss_ratio);
	pct(smiss, sizeof(smiss), r->store_miss_ratio);
	pct(sampled, sizeof(sampled), r->sampled_remote);
	if (r->scaling < 0)
		snprintf(scaling, sizeof(scaling), "-");
	else
		snprintf(scaling, sizeof(scaling), "%.2f", r->scaling);
	snprintf(id, sizeof(id), "%d", kind == ROW_THREAD ? r->tid : r->pid);
	snprintf(pid, sizeof(pid), "%d", r->pid);
	fprintf(out, "  %7s %7s %-16s %12" PRIu64 " %12" PRIu64 " %7s %12.0f %12" PRIu64
		" %7s %7s %8s  %s\n", kind == ROW_TOTAL ? "all" : id,
		kind == ROW_THREAD ? pid : "", kind == ROW_TOTAL ? "" : r->comm, r->loads,
		r->remote_loads, miss, r->loads_per_s, r->stores, smiss, scaling, sampled,
		verdict(r->agreement));
}

static void table(FILE *out, const struct nl_node_count_row *v, int nr, int top,
		  enum row_kind kind)
{
	fprintf(out, "  %7s %7s %-16s %12s %12s %7s %12s %12s %7s %7s %8s  %s\n",
		kind == ROW_THREAD ? "TID" : kind == ROW_PROCESS ? "PID" : "",
		kind == ROW_THREAD ? "PID" : "", kind == ROW_TOTAL ? "" : "COMM", "NODE-LOADS",
		"REMOTE", "MISS%", "LOADS/S", "STORES", "ST-MISS", "SCALING", "SAMPLED",
		"VS SAMPLES");
	for (int i = 0; i < nr && i < top; i++)
		row_text(out, &v[i], kind);
}

void counters_render__text(FILE *out, const struct nl_report_input *in, int top)
{
	const struct nl_node_counts *nc = in->profile->node_counts;

	if (!nc)
		return;
	fprintf(out, "\nNode counters: %s (%s; counted per task, scaled for multiplexing; "
		"%.1f s)\n", in->info->counter_events[0] ? in->info->counter_events : "?",
		in->info->counter_origin[0] ? in->info->counter_origin : "?", nc->wall_s);
	table(out, &nc->total, 1, 1, ROW_TOTAL);
	fprintf(out, "Top processes by remote node loads\n");
	table(out, nc->processes, nc->nr_processes, top, ROW_PROCESS);
	fprintf(out, "Top threads by remote node loads\n");
	table(out, nc->threads, nc->nr_threads, top, ROW_THREAD);
}

/* --- JSON ----------------------------------------------------------------------- */

static void add_ratio(cJSON *o, const char *key, double v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

static cJSON *row_json(const struct nl_node_count_row *r)
{
	cJSON *o = cJSON_CreateObject(), *raw = cJSON_CreateObject();

	if (r->pid >= 0) {
		cJSON_AddNumberToObject(o, "pid", r->pid);
		cJSON_AddNumberToObject(o, "tid", r->tid);
		cJSON_AddStringToObject(o, "comm", r->comm);
	}
	cJSON_AddNumberToObject(o, "loads", (double)r->loads);
	cJSON_AddNumberToObject(o, "remote_loads", (double)r->remote_loads);
	add_ratio(o, "miss_ratio", r->miss_ratio);
	cJSON_AddNumberToObject(o, "loads_per_second", r->loads_per_s);
	cJSON_AddNumberToObject(o, "remote_loads_per_second", r->remote_loads_per_s);
	if (r->has_stores) {
		cJSON_AddNumberToObject(o, "stores", (double)r->stores);
		cJSON_AddNumberToObject(o, "remote_stores", (double)r->remote_stores);
	} else {
		cJSON_AddNullToObject(o, "stores");
		cJSON_AddNullToObject(o, "remote_stores");
	}
	add_ratio(o, "store_miss_ratio", r->store_miss_ratio);
	cJSON_AddNumberToObject(raw, "loads", (double)r->raw_loads);
	cJSON_AddNumberToObject(raw, "remote_loads", (double)r->raw_remote_loads);
	cJSON_AddNumberToObject(raw, "stores", (double)r->raw_stores);
	cJSON_AddNumberToObject(raw, "remote_stores", (double)r->raw_remote_stores);
	cJSON_AddItemToObject(o, "raw", raw);
	cJSON_AddNumberToObject(o, "time_enabled_ns", (double)r->time_enabled);
	cJSON_AddNumberToObject(o, "time_running_ns", (double)r->time_running);
	add_ratio(o, "scaling", r->scaling);
	add_ratio(o, "sampled_remote_ratio", r->sampled_remote);
	cJSON_AddNumberToObject(o, "sampled_memory_samples", (double)r->sampled_n);
	add_ratio(o, "error", r->error);
	cJSON_AddStringToObject(o, "agreement", verdict(r->agreement));
	return o;
}

static cJSON *rows_json(const struct nl_node_count_row *v, int nr)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < nr; i++)
		cJSON_AddItemToArray(a, row_json(&v[i]));
	return a;
}

void counters_render__json(struct cJSON *root, const struct nl_report_input *in)
{
	const struct nl_node_counts *nc = in->profile->node_counts;
	cJSON *o, *events;

	if (!has_section(in))
		return;
	o = cJSON_CreateObject();
	events = cJSON_CreateArray();
	cJSON_AddBoolToObject(o, "available", nc != NULL);
	if (in->info->counters_note[0])
		cJSON_AddStringToObject(o, "note", in->info->counters_note);
	else
		cJSON_AddNullToObject(o, "note");
	for (const char *p = in->info->counter_events; *p;) {
		size_t n = strcspn(p, ",");
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		cJSON_AddItemToArray(events, cJSON_CreateString(name));
		p += n + (p[n] == ',');
	}
	cJSON_AddItemToObject(o, "events", events);
	cJSON_AddStringToObject(o, "origin", in->info->counter_origin);
	if (nc) {
		cJSON_AddNumberToObject(o, "wall_seconds", nc->wall_s);
		cJSON_AddItemToObject(o, "total", row_json(&nc->total));
		cJSON_AddItemToObject(o, "processes", rows_json(nc->processes, nc->nr_processes));
		cJSON_AddItemToObject(o, "threads", rows_json(nc->threads, nc->nr_threads));
	}
	cJSON_AddItemToObject(root, "node_counters", o);
}
