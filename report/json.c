/*
 * json.c - the report for machines: "schema": "numalens.report/1".
 *
 * The contract is report/numalens.report-1.schema.json; a change that
 * removes or renames a key needs a new schema version.  Ratios that cannot
 * be computed are null, never 0 (0 would claim "all local").
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/exposure.h"
#include "profiler/findings.h"
#include "samplers/base/outfile.h"
#include "samplers/base/topology.h"
#include "report/counters_render.h"
#include "report/code_render.h"
#include "report/objects_render.h"
#include "report/bandwidth_render.h"
#include "report/report.h"
#include "report/smt_render.h"
#include "report/topology_render.h"

static void add_ratio(cJSON *obj, const char *key, double ratio)
{
	if (ratio < 0)
		cJSON_AddNullToObject(obj, key);
	else
		cJSON_AddNumberToObject(obj, key, ratio);
}

static void add_counts(cJSON *obj, const struct nl_counts *c)
{
	cJSON_AddNumberToObject(obj, "samples", (double)c->samples);
	cJSON_AddNumberToObject(obj, "memory_samples", (double)c->memory);
	cJSON_AddNumberToObject(obj, "local", (double)c->local);
	cJSON_AddNumberToObject(obj, "remote", (double)c->remote);
	cJSON_AddNumberToObject(obj, "unresolved", (double)c->unresolved);
	add_ratio(obj, "remote_ratio", counts__remote_ratio(c));
}

static cJSON *source_json(const struct nl_report_model *m)
{
	const struct nl_report_input *in = &m->in;
	const struct nl_source_info *info = in->info;
	cJSON *src = cJSON_CreateObject(), *events, *counters;

	cJSON_AddStringToObject(src, "kind", in->source_kind);
	cJSON_AddStringToObject(src, "file", info->path);
	cJSON_AddStringToObject(src, "hostname", info->hostname);
	cJSON_AddStringToObject(src, "os_release", info->os_release);
	cJSON_AddStringToObject(src, "arch", info->arch);
	cJSON_AddStringToObject(src, "cpudesc", info->cpudesc);
	cJSON_AddStringToObject(src, "cpuid", info->cpuid);
	cJSON_AddStringToObject(src, "perf_version", info->perf_version);
	cJSON_AddStringToObject(src, "cmdline", info->cmdline);
	if (m->target_command_known)
		cJSON_AddStringToObject(src, "target_command", m->target_command);
	else
		cJSON_AddNullToObject(src, "target_command");
	cJSON_AddNumberToObject(src, "nr_cpus_online", info->nr_cpus_online);
	cJSON_AddNumberToObject(src, "nr_cpus_avail", info->nr_cpus_avail);
	counters = cJSON_AddObjectToObject(src, "counters");
	for (uint32_t i = 0; i < in->stats->nr_counters; i++)
		cJSON_AddNumberToObject(counters, in->stats->counters[i].name,
					(double)in->stats->counters[i].value);
	events = cJSON_AddArrayToObject(src, "events");
	for (uint32_t i = 0; i < info->nr_events; i++) {
		const struct nl_event_desc *d = &info->events[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "name", d->name);
		cJSON_AddNumberToObject(e, "type", d->type);
		cJSON_AddNumberToObject(e, "config", (double)d->config);
		cJSON_AddStringToObject(e, "sample_type", d->sample_type_names);
		cJSON_AddNumberToObject(e, d->freq ? "frequency" : "period", (double)d->period);
		cJSON_AddNumberToObject(e, "samples", (double)d->samples);
		cJSON_AddItemToArray(events, e);
	}
	return src;
}

static cJSON *summary_json(const struct nl_report_input *in)
{
	const struct nl_profile *p = in->profile;
	const struct nl_source_stats *st = in->stats;
	cJSON *s = cJSON_CreateObject();

	add_counts(s, &p->total);
	cJSON_AddNumberToObject(s, "lost", (double)p->lost);
	cJSON_AddNumberToObject(s, "throttled", (double)p->throttles);
	/* the samples' window: what a rate or a comparison of two runs needs */
	if (p->nr_timeline) {      /* a timed sample was counted */
		cJSON_AddNumberToObject(s, "first_sample_ns", (double)p->first_sample_ns);
		cJSON_AddNumberToObject(s, "last_sample_ns", (double)p->last_sample_ns);
		cJSON_AddNumberToObject(s, "sampled_seconds",
					(double)(p->last_sample_ns - p->first_sample_ns) / 1e9);
	} else {
		cJSON_AddNullToObject(s, "sampled_seconds");
	}
	cJSON_AddNumberToObject(s, "records", (double)st->records);
	cJSON_AddNumberToObject(s, "bad_records", (double)st->bad_records);
	cJSON_AddNumberToObject(s, "unknown_records", (double)st->unknown_records);
	cJSON_AddNumberToObject(s, "samples_with_addr", (double)p->samples_with_addr);
	cJSON_AddNumberToObject(s, "samples_with_phys_addr", (double)p->samples_with_phys);
	cJSON_AddNumberToObject(s, "samples_with_data_src", (double)p->samples_with_data_src);
	cJSON_AddNumberToObject(s, "samples_with_level", (double)p->samples_with_level);
	cJSON_AddNumberToObject(s, "address_only_samples", (double)p->address_only);
	/* A profile stopped by -d or Ctrl-C is whole; a cut-short input is not. */
	cJSON_AddBoolToObject(s, "complete", !st->stopped_at);
	cJSON_AddBoolToObject(s, "stopped_by_signal", in->interrupted);
	return s;
}

static cJSON *levels_json(const struct nl_profile *p)
{
	cJSON *levels = cJSON_CreateObject();

	for (int c = 0; c < NL_MEM_CLASS_COUNT; c++)
		cJSON_AddNumberToObject(levels, datasrc__class_name((enum nl_mem_class)c),
					(double)p->levels[c]);
	return levels;
}

static cJSON *latency_json(const struct nl_profile *p)
{
	cJSON *lat = cJSON_CreateObject();

	for (int c = 0; c < NL_MEM_CLASS_COUNT; c++) {
		const struct nl_weight_stats *w = &p->level_weight[c];
		cJSON *o;

		if (!w->count)
			continue;
		o = cJSON_AddObjectToObject(lat, datasrc__class_name((enum nl_mem_class)c));
		cJSON_AddNumberToObject(o, "count", (double)w->count);
		cJSON_AddNumberToObject(o, "mean", w->mean);
		cJSON_AddNumberToObject(o, "min", (double)w->min);
		cJSON_AddNumberToObject(o, "max", (double)w->max);
	}
	return lat;
}

static cJSON *node_ids(const struct nl_profile *p)
{
	cJSON *ids = cJSON_CreateArray();

	for (int i = 0; i < p->nr_nodes; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateNumber(p->topology->nodes[i].id));
	return ids;
}

static cJSON *matrix_json(const struct nl_profile *p)
{
	int n = p->nr_nodes;
	cJSON *m = cJSON_CreateObject(), *rows, *unknown_mem, *unknown_cpu, *method;
	static const char *const method_names[NL_NODE_METHOD_COUNT] = {
		"none", "phys_addr", "move_pages", "numa_maps", "page_alloc",
	};

	cJSON_AddItemToObject(m, "cpu_nodes", node_ids(p));
	cJSON_AddItemToObject(m, "mem_nodes", node_ids(p));
	rows = cJSON_AddArrayToObject(m, "counts");
	unknown_mem = cJSON_AddArrayToObject(m, "remote_node_unknown");
	for (int r = 0; r < n; r++) {
		cJSON *row = cJSON_CreateArray();

		for (int c = 0; c < n; c++)
			cJSON_AddItemToArray(row, cJSON_CreateNumber((double)p->node_matrix[r * (n + 1) + c]));
		cJSON_AddItemToArray(rows, row);
		cJSON_AddItemToArray(unknown_mem, cJSON_CreateNumber((double)p->node_matrix[r * (n + 1) + n]));
	}
	unknown_cpu = cJSON_AddArrayToObject(m, "cpu_node_unknown");
	for (int c = 0; c <= n && n; c++)
		cJSON_AddItemToArray(unknown_cpu, cJSON_CreateNumber((double)p->node_matrix[n * (n + 1) + c]));
	method = cJSON_AddObjectToObject(m, "home_node_from");
	for (int i = 1; i < NL_NODE_METHOD_COUNT; i++)
		cJSON_AddNumberToObject(method, method_names[i], (double)p->node_method[i]);
	cJSON_AddNumberToObject(method, "data_src", (double)p->node_from_datasrc);
	cJSON_AddNumberToObject(method, "single_node", (double)p->node_single);
	return m;
}

static cJSON *nodes_ran_json(const struct nl_task_stats *t, const struct nl_profile *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (int n = 0; n < p->nr_nodes && t->ran_share; n++) {
		cJSON *o;

		if (!t->ran_by_node[n])
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "node", p->topology->nodes[n].id);
		cJSON_AddNumberToObject(o, "share", t->ran_share[n]);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *mappings_json(const struct nl_task_stats *t, const struct nl_profile *p)
{
	cJSON *arr = cJSON_CreateArray();
	char hex[32];

	for (int i = 0; i < t->nr_mappings; i++) {
		const struct nl_mapping_stats *m = &t->mappings[i];
		cJSON *o = cJSON_CreateObject(), *pages;

		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)m->start);
		cJSON_AddStringToObject(o, "start", hex);
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)m->end);
		cJSON_AddStringToObject(o, "end", hex);
		cJSON_AddStringToObject(o, "name", m->name);
		cJSON_AddNumberToObject(o, "pages", (double)m->pages_total);
		cJSON_AddStringToObject(o, "kind", exposure__kind_name(m->kind));
		if (m->has_access)
			cJSON_AddNumberToObject(o, "accessed_bytes", (double)m->accessed_bytes);
		else
			cJSON_AddNullToObject(o, "accessed_bytes");
		cJSON_AddNumberToObject(o, "access_intervals", m->access_intervals);
		cJSON_AddNumberToObject(o, "fault_samples", (double)m->faults);
		cJSON_AddNumberToObject(o, "access_faults", (double)m->access_faults);
		if (m->folded)
			cJSON_AddNumberToObject(o, "folded_mappings", m->folded);
		if (m->remote_pages >= 0)
			cJSON_AddNumberToObject(o, "remote_pages", m->remote_pages);
		else
			cJSON_AddNullToObject(o, "remote_pages");
		pages = cJSON_AddObjectToObject(o, "pages_by_node");
		for (int n = 0; n <= p->nr_nodes; n++) {
			char key[16];

			if (!m->pages_by_node[n])
				continue;
			if (n < p->nr_nodes)
				snprintf(key, sizeof(key), "%d", p->topology->nodes[n].id);
			else
				snprintf(key, sizeof(key), "unknown");
			cJSON_AddNumberToObject(pages, key, (double)m->pages_by_node[n]);
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *task_json(const struct nl_task_stats *t, const struct nl_profile *p,
			bool process)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", t->pid);
	if (process) {
		if (t->ppid >= 0)
			cJSON_AddNumberToObject(o, "ppid", t->ppid);
		else
			cJSON_AddNullToObject(o, "ppid");
	} else {
		cJSON_AddNumberToObject(o, "tid", t->tid);
	}
	cJSON_AddStringToObject(o, "comm", t->comm);
	add_counts(o, &t->counts);
	if (t->weight.count)
		cJSON_AddNumberToObject(o, "mean_latency", t->weight.mean);
	cJSON_AddNumberToObject(o, "address_only_samples", (double)t->address_only);
	cJSON_AddItemToObject(o, "nodes_ran", nodes_ran_json(t, p));
	cJSON_AddStringToObject(o, "nodes_ran_basis", t->ran_in_ns ? "runtime" : "samples");
	add_ratio(o, "remote_exposure", t->remote_exposure);
	add_ratio(o, "remote_exposure_by_placement", t->remote_exposure_by_placement);
	add_ratio(o, "remote_exposure_code", t->remote_exposure_code);
	cJSON_AddStringToObject(o, "exposure_basis", exposure__basis_name(t));
	if (t->access_error)
		cJSON_AddStringToObject(o, "access_error", strerror(-t->access_error));
	cJSON_AddNumberToObject(o, "accessed_bytes", (double)t->accessed_bytes);
	cJSON_AddNumberToObject(o, "access_faults", (double)t->access_faults);
	if (process && t->folded_processes)
		cJSON_AddNumberToObject(o, "folded_processes", t->folded_processes);
	if (process) {
		cJSON_AddNumberToObject(o, "threads", t->nr_threads);
		cJSON_AddItemToObject(o, "mappings", mappings_json(t, p));
	}
	return o;
}

static cJSON *tasks_json(const struct nl_task_stats *v, int nr, const struct nl_profile *p,
			 bool process)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < nr; i++)
		if (v[i].counts.samples || v[i].nr_mappings || v[i].remote_exposure >= 0)
			cJSON_AddItemToArray(arr, task_json(&v[i], p, process));
	return arr;
}

/* Ended processes folded into role rows (aggregate.h NL_ENDED_KEEP). */
static cJSON *ended_json(const struct nl_profile *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < p->nr_ended_workers; i++) {
		const struct nl_ended_worker *w = &p->ended_workers[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "pid", w->pid);
		if (w->ppid >= 0)
			cJSON_AddNumberToObject(o, "ppid", w->ppid);
		else
			cJSON_AddNullToObject(o, "ppid");
		cJSON_AddNumberToObject(o, "role_pid", w->role_pid);
		cJSON_AddNumberToObject(o, "threads", w->threads);
		cJSON_AddNumberToObject(o, "samples", (double)w->samples);
		cJSON_AddNumberToObject(o, "memory_samples", (double)w->memory);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* Per timeline entry (aggregate.h): its first second, its length, its counts. */
static cJSON *timeline_json(const struct nl_profile *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; arr && i < p->nr_timeline; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddNumberToObject(o, "second", (double)i * p->timeline_step);
		cJSON_AddNumberToObject(o, "seconds", p->timeline_step);
		add_counts(o, &p->timeline[i]);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *cpus_json(const struct nl_profile *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < p->nr_cpus; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "cpu", p->cpus[i].cpu);
		if (p->cpus[i].node >= 0)
			cJSON_AddNumberToObject(o, "node", p->cpus[i].node);
		else
			cJSON_AddNullToObject(o, "node");
		add_counts(o, &p->cpus[i].counts);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *notes_json(const struct nl_report_model *m)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < m->nr_notes; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "kind", notes__kind_name(m->notes[i].kind));
		cJSON_AddStringToObject(o, "text", m->notes[i].text);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *findings_json(const struct nl_report_model *m)
{
	const struct nl_profile *p = m->in.profile;
	cJSON *arr = cJSON_CreateArray();
	char hex[32];

	for (int i = 0; i < p->nr_findings; i++) {
		const struct nl_finding *f = &p->findings[i];
		cJSON *o = cJSON_CreateObject(), *readers;
		int adv = -1;

		/* what to run is the advice engine's: the first advice answering it */
		for (int k = 0; k < m->nr_advice && adv < 0; k++)
			adv = m->advice[k].finding == i ? k : -1;
		cJSON_AddStringToObject(o, "kind", findings__kind_name(f->kind));
		cJSON_AddStringToObject(o, "summary", f->summary);
		cJSON_AddStringToObject(o, "advice", adv >= 0 ? m->advice[adv].text : "");
		if (adv >= 0)
			cJSON_AddNumberToObject(o, "advice_index", adv);
		else
			cJSON_AddNullToObject(o, "advice_index");
		if (f->parent >= 0)
			cJSON_AddNumberToObject(o, "parent", f->parent);
		else
			cJSON_AddNullToObject(o, "parent");
		cJSON_AddNumberToObject(o, "readers_count", f->nr_readers);
		cJSON_AddNumberToObject(o, "group_size", f->nr_group);
		readers = cJSON_AddArrayToObject(o, "readers");
		for (int r = 0; r < f->nr_readers && r < NL_FINDING_MAX_READERS; r++)
			cJSON_AddItemToArray(readers, cJSON_CreateNumber(f->readers[r]));
		if (f->kind == NL_FINDING_SHARED_OBJECT) {
			cJSON *m = cJSON_AddObjectToObject(o, "mapping");

			snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f->start);
			cJSON_AddStringToObject(m, "start", hex);
			snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f->end);
			cJSON_AddStringToObject(m, "end", hex);
			cJSON_AddStringToObject(m, "name", f->name);
			cJSON_AddNumberToObject(m, "bytes", (double)(f->end - f->start));
			cJSON_AddNumberToObject(o, "home_share", f->home_share);
		}
		cJSON_AddNumberToObject(o, "home_node", f->home_node);
		cJSON_AddNumberToObject(o, "run_node", f->run_node);
		add_ratio(o, "exposure", f->exposure);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *advice_json(const struct nl_report_model *m)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; arr && i < m->nr_advice; i++) {
		const struct nl_advice *a = &m->advice[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "kind", advice__kind_name(a->kind));
		cJSON_AddStringToObject(o, "why", a->why);
		cJSON_AddStringToObject(o, "command", a->command);
		cJSON_AddStringToObject(o, "expected_effect", a->expected_effect);
		cJSON_AddStringToObject(o, "confidence", advice__confidence_name(a->confidence));
		cJSON_AddStringToObject(o, "text", a->text);
		if (a->finding >= 0)
			cJSON_AddNumberToObject(o, "finding", a->finding);
		else
			cJSON_AddNullToObject(o, "finding");
		if (a->object[0])
			cJSON_AddStringToObject(o, "object", a->object);
		else
			cJSON_AddNullToObject(o, "object");
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *parse_json(const struct nl_source_stats *st)
{
	cJSON *o = cJSON_CreateObject();

	if (st->stopped_at) {
		cJSON_AddNumberToObject(o, "stopped_at", (double)st->stopped_at);
		cJSON_AddStringToObject(o, "reason", st->stop_reason);
	} else {
		cJSON_AddNullToObject(o, "stopped_at");
		cJSON_AddNullToObject(o, "reason");
	}
	return o;
}

struct cJSON *report_json__build(const struct nl_report_model *m)
{
	const struct nl_report_input *in = &m->in;
	const struct nl_profile *p = in->profile;
	cJSON *root = cJSON_CreateObject(), *gen;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "schema", NL_REPORT_SCHEMA);
	gen = cJSON_AddObjectToObject(root, "generator");
	cJSON_AddStringToObject(gen, "name", "numalens");
	cJSON_AddStringToObject(gen, "version", NL_VERSION);
	cJSON_AddStringToObject(gen, "command", in->command);
	cJSON_AddItemToObject(root, "source", source_json(m));
	cJSON_AddItemToObject(root, "summary", summary_json(in));
	cJSON_AddItemToObject(root, "levels", levels_json(p));
	cJSON_AddItemToObject(root, "latency", latency_json(p));
	if (p->topology && p->nr_nodes)
		cJSON_AddItemToObject(root, "node_matrix", matrix_json(p));
	else
		cJSON_AddNullToObject(root, "node_matrix");
	cJSON_AddItemToObject(root, "processes", tasks_json(p->processes, p->nr_processes, p, true));
	cJSON_AddItemToObject(root, "threads", tasks_json(p->threads, p->nr_threads, p, false));
	cJSON_AddItemToObject(root, "ended_workers", ended_json(p));
	cJSON_AddItemToObject(root, "cpus", cpus_json(p));
	cJSON_AddItemToObject(root, "smt", smt_render__json(p, 10, m->smt_ipc_note));
	cJSON_AddItemToObject(root, "timeline", timeline_json(p));
	cJSON_AddItemToObject(root, "bandwidth", bandwidth_render__json(in->bandwidth));
	if (p->topology)
		cJSON_AddItemToObject(root, "topology", topology_render__json(p->topology));
	else
		cJSON_AddNullToObject(root, "topology");
	report_code__json(root, in->code, !strcmp(in->source_kind, "live"));
	objects_render__json(root, in->objects, p->topology);
	cJSON_AddItemToObject(root, "findings", findings_json(m));
	cJSON_AddItemToObject(root, "advice", advice_json(m));
	cJSON_AddItemToObject(root, "notes", notes_json(m));
	cJSON_AddItemToObject(root, "parse", parse_json(in->stats));
	counters_render__json(root, in);
	return root;
}

static int write_all(FILE *f, const char *text)
{
	size_t len = strlen(text);

	if (fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF || fflush(f))
		return errno ? -errno : -EIO;
	return 0;
}

int report_json__write_doc(const char *path, const struct cJSON *doc, struct nl_error *err)
{
	char *text = doc ? cJSON_Print(doc) : NULL;
	bool to_stdout = !strcmp(path, "-");
	FILE *f;
	int ret;

	if (!text)
		return diag__set(err, -ENOMEM, NULL, "out of memory building the JSON document");
	errno = 0;
	f = to_stdout ? stdout : outfile__fopen(path, 0);
	if (!f) {
		ret = diag__set(err, -errno, "check the directory exists and is writable",
				"cannot create: %s", strerror(errno));
		free(text);
		return ret;
	}
	ret = write_all(f, text);
	if (!to_stdout && fclose(f) && !ret)
		ret = errno ? -errno : -EIO;
	free(text);
	if (ret)
		return diag__set(err, ret, "free space on the target or choose another --json path",
				 "write: %s", strerror(-ret));
	return 0;
}

int report_json__write_line(FILE *out, const struct cJSON *doc)
{
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
	int ret;

	if (!text)
		return -ENOMEM;
	errno = 0;
	ret = write_all(out, text);
	free(text);
	return ret;
}

int report_json__write(const char *path, const struct nl_report_model *m,
		       struct nl_error *err)
{
	cJSON *root = report_json__build(m);
	int ret = report_json__write_doc(path, root, err);

	cJSON_Delete(root);
	return ret;
}
