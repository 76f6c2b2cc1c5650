/*
 * interval_render.c - the interval line and the numalens.interval/1 JSON
 * line.  See interval_render.h.
 */
#include "report/interval_render.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

/* "37.2%", or "-" when the ratio is unknown (< 0). */
static const char *pct(double r, char *buf, size_t size)
{
	if (r < 0)
		return "-";
	snprintf(buf, size, "%.1f%%", 100 * r);
	return buf;
}

int interval_text__write(FILE *out, const struct nl_metrics *m)
{
	char rr[16], ex[16], ht[16], worst[64] = "-";

	if (m->worst >= 0) {
		const struct nl_metrics_proc *w = &m->procs[m->worst];

		snprintf(worst, sizeof(worst), "%d %.20s (%s)", w->pid, w->comm,
			 metrics__role_name(w->role));
	}
	if (fprintf(out, "[%4d] %7.1f-%.1fs  samples %llu  remote %s  worst %s exposure %s  "
		    "HT co-run %s  lost %llu\n", m->index, m->start, m->end,
		    (unsigned long long)m->counts.samples, pct(m->remote_ratio, rr, sizeof(rr)),
		    worst, m->worst >= 0 ? pct(m->procs[m->worst].remote_exposure, ex, sizeof(ex)) : "-",
		    pct(m->smt_corun, ht, sizeof(ht)), (unsigned long long)m->lost) < 0 ||
	    fflush(out))
		return errno ? -errno : -EIO;
	return 0;
}

static void add_ratio(cJSON *o, const char *name, double r)
{
	if (r < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, r);
}

static void add_counts(cJSON *o, const struct nl_counts *c)
{
	cJSON_AddNumberToObject(o, "samples", (double)c->samples);
	cJSON_AddNumberToObject(o, "memory_samples", (double)c->memory);
	cJSON_AddNumberToObject(o, "local", (double)c->local);
	cJSON_AddNumberToObject(o, "remote", (double)c->remote);
	cJSON_AddNumberToObject(o, "unresolved", (double)c->unresolved);
}

static cJSON *proc_json(const struct nl_metrics_proc *p)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	if (p->pid < 0)
		cJSON_AddNullToObject(o, "pid");
	else
		cJSON_AddNumberToObject(o, "pid", p->pid);
	if (p->ppid < 0)
		cJSON_AddNullToObject(o, "ppid");
	else
		cJSON_AddNumberToObject(o, "ppid", p->ppid);
	cJSON_AddStringToObject(o, "comm", p->comm);
	cJSON_AddStringToObject(o, "role", metrics__role_name(p->role));
	cJSON_AddNumberToObject(o, "processes", p->nr_merged);
	add_counts(o, &p->counts);
	add_ratio(o, "remote_exposure", p->remote_exposure);
	return o;
}

cJSON *interval_json__build(const struct nl_metrics *m)
{
	cJSON *o = cJSON_CreateObject(), *a, *t, *x;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "schema", NL_INTERVAL_SCHEMA);
	cJSON_AddNumberToObject(o, "interval", m->index);
	cJSON_AddNumberToObject(o, "start_s", m->start);
	cJSON_AddNumberToObject(o, "end_s", m->end);
	add_counts(o, &m->counts);
	cJSON_AddNumberToObject(o, "lost", (double)m->lost);
	cJSON_AddNumberToObject(o, "throttles", (double)m->throttles);
	add_ratio(o, "remote_ratio", m->remote_ratio);
	add_ratio(o, "smt_corun_ratio", m->smt_corun);
	cJSON_AddNumberToObject(o, "processes_sampled", m->nr_processes);
	if (m->worst >= 0)
		cJSON_AddItemToObject(o, "worst_process", proc_json(&m->procs[m->worst]));
	else
		cJSON_AddNullToObject(o, "worst_process");
	a = cJSON_AddArrayToObject(o, "processes");
	for (int i = 0; a && i < m->nr_procs; i++)
		cJSON_AddItemToArray(a, proc_json(&m->procs[i]));
	if (m->has_pages) {
		a = cJSON_AddArrayToObject(o, "pages_by_node");
		for (int i = 0; a && i <= m->nr_nodes; i++) {
			if (i == m->nr_nodes && !m->pages_by_node[i])
				break;
			x = cJSON_CreateObject();
			if (!x)
				break;
			if (m->node_ids[i] < 0)
				cJSON_AddNullToObject(x, "node");
			else
				cJSON_AddNumberToObject(x, "node", m->node_ids[i]);
			cJSON_AddNumberToObject(x, "pages", (double)m->pages_by_node[i]);
			cJSON_AddItemToArray(a, x);
		}
	} else {
		cJSON_AddNullToObject(o, "pages_by_node");
	}
	t = cJSON_AddObjectToObject(o, "totals");
	if (t) {
		add_counts(t, &m->total);
		cJSON_AddNumberToObject(t, "lost", (double)m->total_lost);
	}
	return o;
}

int interval_json__write_line(FILE *out, const struct nl_metrics *m)
{
	cJSON *doc = interval_json__build(m);
	int ret = report_json__write_line(out, doc);

	cJSON_Delete(doc);
	return ret;
}
