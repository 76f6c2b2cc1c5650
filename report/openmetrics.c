/*
 * openmetrics.c - the Prometheus text exposition of the metrics model.
 * See openmetrics.h.
 */
#include "report/openmetrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/outfile.h"

const char *openmetrics__content_type(enum nl_expo_format format)
{
	return format == NL_EXPO_OPENMETRICS_1
		       ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

/* A label value with \, " and newline escaped, as both formats want. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/*
 * HELP and TYPE of a family.  name is the sample name; an OpenMetrics
 * counter family drops its _total suffix.
 */
static void family(FILE *f, enum nl_expo_format fmt, const char *name, const char *type,
		   const char *help)
{
	size_t n = strlen(name);

	if (fmt == NL_EXPO_OPENMETRICS_1 && !strcmp(type, "counter") && n > 6 &&
	    !strcmp(name + n - 6, "_total"))
		n -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name, type);
}

static void exposure_rows(FILE *f, enum nl_expo_format fmt, const struct nl_metrics *m)
{
	bool any = false;

	for (int i = 0; i < m->nr_procs; i++)
		any |= m->procs[i].remote_exposure >= 0;
	if (!any)
		return;
	family(f, fmt, "numalens_process_remote_exposure", "gauge",
	       "Share (0-1) of a process's data pages away from the nodes it ran on, "
	       "weighted by what it accesses; top processes by memory samples and one "
	       "pid=\"other\" row per role.");
	for (int i = 0; i < m->nr_procs; i++) {
		const struct nl_metrics_proc *p = &m->procs[i];

		if (p->remote_exposure < 0)
			continue;
		if (p->pid < 0)
			fputs("numalens_process_remote_exposure{pid=\"other\",ppid=\"\",comm=\"", f);
		else if (p->ppid < 0)
			fprintf(f, "numalens_process_remote_exposure{pid=\"%d\",ppid=\"\",comm=\"", p->pid);
		else
			fprintf(f, "numalens_process_remote_exposure{pid=\"%d\",ppid=\"%d\",comm=\"",
				p->pid, p->ppid);
		label_value(f, p->comm);
		fprintf(f, "\",role=\"%s\"} %.6g\n", metrics__role_name(p->role), p->remote_exposure);
	}
}

static void pages_rows(FILE *f, enum nl_expo_format fmt, const struct nl_metrics *m)
{
	if (!m->has_pages)
		return;
	family(f, fmt, "numalens_pages", "gauge",
	       "Resident base pages of the profiled processes on each NUMA node "
	       "(latest numa_maps snapshot).");
	for (int i = 0; i <= m->nr_nodes; i++) {
		if (m->node_ids[i] < 0 && !m->pages_by_node[i])
			continue;
		if (m->node_ids[i] < 0)
			fprintf(f, "numalens_pages{node=\"unknown\"} %llu\n",
				(unsigned long long)m->pages_by_node[i]);
		else
			fprintf(f, "numalens_pages{node=\"%d\"} %llu\n", m->node_ids[i],
				(unsigned long long)m->pages_by_node[i]);
	}
}

static void render(FILE *f, const struct nl_metrics *m, enum nl_expo_format fmt)
{
	family(f, fmt, "numalens_samples_total", "counter",
	       "Samples of the profiled processes since numalens started.");
	fprintf(f, "numalens_samples_total %llu\n", (unsigned long long)m->total.samples);
	family(f, fmt, "numalens_memory_samples_total", "counter",
	       "Memory access samples by where the data was: local, remote or unresolved node.");
	fprintf(f, "numalens_memory_samples_total{locality=\"local\"} %llu\n"
		   "numalens_memory_samples_total{locality=\"remote\"} %llu\n"
		   "numalens_memory_samples_total{locality=\"unresolved\"} %llu\n",
		(unsigned long long)m->total.local, (unsigned long long)m->total.remote,
		(unsigned long long)m->total.unresolved);
	family(f, fmt, "numalens_lost_samples_total", "counter",
	       "Samples the kernel dropped (ring full) since numalens started.");
	fprintf(f, "numalens_lost_samples_total %llu\n", (unsigned long long)m->total_lost);
	if (m->remote_ratio >= 0) {
		family(f, fmt, "numalens_remote_ratio", "gauge",
		       "remote / (local + remote) memory samples in the latest interval.");
		fprintf(f, "numalens_remote_ratio %.6g\n", m->remote_ratio);
	}
	if (m->smt_corun >= 0) {
		family(f, fmt, "numalens_smt_corun_ratio", "gauge",
		       "Busy tasks that shared a physical core (SMT) at least half their run "
		       "time, over busy tasks, in the latest interval.");
		fprintf(f, "numalens_smt_corun_ratio %.6g\n", m->smt_corun);
	}
	exposure_rows(f, fmt, m);
	pages_rows(f, fmt, m);
	family(f, fmt, "numalens_processes", "gauge",
	       "Processes with samples in the latest interval.");
	fprintf(f, "numalens_processes %d\n", m->nr_processes);
	family(f, fmt, "numalens_interval", "gauge",
	       "Number of the interval the gauges describe (0: a whole profile).");
	fprintf(f, "numalens_interval %d\n", m->index);
	if (fmt == NL_EXPO_OPENMETRICS_1)
		fputs("# EOF\n", f);
}

int openmetrics__render(const struct nl_metrics *m, enum nl_expo_format format,
			char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	if (!f) {
		*text = NULL;
		return -ENOMEM;
	}
	render(f, m, format);
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

int openmetrics__write_file(const char *path, const struct nl_metrics *m, struct nl_error *err)
{
	char *text;
	size_t len;
	int ret = openmetrics__render(m, NL_EXPO_TEXT_004, &text, &len);

	if (ret)
		return diag__set(err, ret, NULL, "out of memory rendering the metrics");
	ret = outfile__replace(path, 0, text, len);
	free(text);
	if (ret)
		return diag__set(err, ret, "check the directory exists and is writable",
				 "cannot replace: %s", outfile__strerror(ret));
	return 0;
}
