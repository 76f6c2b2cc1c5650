/*
 * text.c - the report for people: a summary line first (the remote share
 * and sample counts), then memory levels, the node matrix, top processes
 * and threads, and the notes ("not measured, and why" included).
 *
 * Promises: reads only the finished profile; returns the first write error
 * so a full disk is reported, not ignored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/exposure.h"
#include "profiler/findings.h"
#include "samplers/base/topology.h"
#include "report/counters_render.h"
#include "report/code_render.h"
#include "report/objects_render.h"
#include "report/bandwidth_render.h"
#include "report/report.h"
#include "report/smt_render.h"

static void pct(char *buf, size_t size, double ratio)
{
	if (ratio < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", ratio * 100);
}


static void header(FILE *out, const struct nl_report_input *in)
{
	const struct nl_source_info *info = in->info;
	const struct nl_topology *topo = in->profile->topology;

	bool live = !strcmp(in->source_kind, "live");

	/* numalens' own recordings name numalens where perf names its version */
	bool ours = !strncmp(info->perf_version, "numalens", 8);

	fprintf(out, "numalens %s: %s\n", in->command,
		live && info->cmdline[0] ? info->cmdline : info->path);
	if (info->hostname[0] || info->cpudesc[0])
		fprintf(out, "  %s on %s (%s)%s%s%s%s\n", live ? "profiled" : "recorded",
			info->hostname[0] ? info->hostname : "?",
			info->cpudesc[0] ? info->cpudesc : "CPU unknown",
			info->os_release[0] ? ", Linux " : "", info->os_release,
			live || !info->perf_version[0] ? "" : ours ? ", by " : ", perf ",
			live ? "" : info->perf_version);
	if (!live && ours && info->cmdline[0])
		fprintf(out, "  command: %s\n", info->cmdline);
	if (topo)
		fprintf(out, "  topology: %d node%s, %d package%s, %d CPUs online (%s)\n",
			topo->nr_nodes, topo->nr_nodes == 1 ? "" : "s",
			topology__nr_packages(topo), topology__nr_packages(topo) == 1 ? "" : "s",
			topology__nr_online_cpus(topo), topo->origin);
	for (uint32_t i = 0; i < info->nr_events; i++)
		fprintf(out, "  event %s: %" PRIu64 " samples (sample_type %s)\n",
			info->events[i].name, info->events[i].samples,
			info->events[i].sample_type_names);
}

static void summary(FILE *out, const struct nl_report_input *in)
{
	const struct nl_counts *t = &in->profile->total;
	char ratio[16];

	pct(ratio, sizeof(ratio), counts__remote_ratio(t));
	fputs("\nSummary:", out);
	/* the findings about objects and processes lead */
	for (int i = 0; i < in->profile->nr_findings; i++)
		fprintf(out, " %s\n ", in->profile->findings[i].summary);
	fprintf(out, " %s remote of resolved memory accesses: %" PRIu64 " samples, %" PRIu64
		" memory samples (%" PRIu64 " local, %" PRIu64 " remote, %" PRIu64
		" unresolved); %" PRIu64 " lost, %" PRIu64 " throttled",
		ratio, t->samples, t->memory, t->local, t->remote, t->unresolved,
		in->profile->lost, in->profile->throttles);
	if (in->profile->nr_timeline)      /* a timed sample was counted */
		fprintf(out, "; sampled over %.2f s",
			(double)(in->profile->last_sample_ns - in->profile->first_sample_ns) / 1e9);
	fputc('\n', out);
}

static void levels(FILE *out, const struct nl_report_model *m)
{
	const struct nl_profile *p = m->in.profile;

	fprintf(out, "\nMemory levels                 samples   share  mean lat  max lat\n");
	for (int c = 0; c < NL_MEM_CLASS_COUNT; c++) {
		const struct nl_weight_stats *w = &p->level_weight[c];
		char sh[16];

		if (!p->levels[c])
			continue;
		pct(sh, sizeof(sh), m->level_share[c]);
		fprintf(out, "  %-26s %9" PRIu64 " %7s", datasrc__class_label((enum nl_mem_class)c),
			p->levels[c], sh);
		if (w->count)
			fprintf(out, " %9.1f %8" PRIu64, w->mean, w->max);
		fputc('\n', out);
	}
	if (p->address_only)
		fprintf(out, "  %-26s %9" PRIu64 " %7s   (page faults: data address, no cache level)\n",
			"address only", p->address_only, "");
}

static void matrix(FILE *out, const struct nl_profile *p)
{
	int n = p->nr_nodes;
	const struct nl_topology *topo = p->topology;

	if (!topo || !n)
		return;
	fprintf(out, "\nNode matrix: memory samples by node of the sampling CPU (rows) and home node "
		     "of the data (columns)\n%12s", "");
	for (int c = 0; c < n; c++)
		fprintf(out, " %9s%-3d", "mem ", topo->nodes[c].id);
	fprintf(out, " %14s\n", "remote,unknown");
	for (int r = 0; r <= n; r++) {
		uint64_t row = 0;

		for (int c = 0; c <= n; c++)
			row += p->node_matrix[r * (n + 1) + c];
		if (r == n && !row)
			break;
		if (r < n)
			fprintf(out, "  cpu node %-2d", topo->nodes[r].id);
		else
			fprintf(out, "  cpu unknown");
		for (int c = 0; c <= n; c++)
			fprintf(out, c < n ? " %12" PRIu64 : " %14" PRIu64,
				p->node_matrix[r * (n + 1) + c]);
		fputc('\n', out);
	}
}

/* "0:75% 1:25%" from the run-time shares; "-" when it never ran. */
static void ran_text(char *buf, size_t size, const struct nl_task_stats *t,
		     const struct nl_profile *p)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int n = 0; n < p->nr_nodes && t->ran_share; n++) {
		int w;

		if (!t->ran_by_node[n])
			continue;
		w = snprintf(buf + used, size - used, "%s%d:%.0f%%", used ? " " : "",
			     p->topology->nodes[n].id, 100.0 * t->ran_share[n]);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, size, "-");
}

/* The exposure basis in a table column (the JSON spells it out). */
static const char *basis_label(const struct nl_task_stats *t)
{
	static const char *const labels[NL_BASIS_COUNT] = {
		[NL_BASIS_NONE] = "-", [NL_BASIS_PMU] = "pmu", [NL_BASIS_REFERENCED] = "referenced",
		[NL_BASIS_HINT_FAULTS] = "faults", [NL_BASIS_PLACEMENT] = "placement",
	};

	if (t->exposure_basis == NL_BASIS_HINT_FAULTS && t->numa_balancing)
		return "hinting";
	return labels[t->exposure_basis];
}

static void tasks(FILE *out, const struct nl_profile *p, const struct nl_task_stats *v,
		  int nr, int top, bool processes)
{
	int shown = 0;

	if (!nr)
		return;
	fprintf(out, "\nTop %s by memory samples\n  %7s %7s %-16s %9s %9s %8s %9s %9s %-10s %s\n",
		processes ? "processes" : "threads", processes ? "PID" : "TID",
		processes ? "PPID" : "PID", "COMM", "SAMPLES", "MEMORY", "REMOTE", "EXPOSURE",
		"BY PLACE", "BASIS", "NODES RAN");
	for (int i = 0; i < nr && shown < top; i++) {
		const struct nl_task_stats *t = &v[i];
		char ratio[16], expo[16], place[16], ran[96], parent[16];

		if (!t->counts.samples && t->remote_exposure < 0)
			continue;
		pct(ratio, sizeof(ratio), counts__remote_ratio(&t->counts));
		pct(expo, sizeof(expo), t->remote_exposure);
		pct(place, sizeof(place), t->remote_exposure_by_placement);
		ran_text(ran, sizeof(ran), t, p);
		if (processes && t->ppid < 0)
			snprintf(parent, sizeof(parent), "-");
		else
			snprintf(parent, sizeof(parent), "%d", processes ? t->ppid : t->pid);
		fprintf(out, "  %7d %7s %-16s %9" PRIu64 " %9" PRIu64 " %8s %9s %9s %-10.10s %s\n",
			processes ? t->pid : t->tid, parent,
			t->comm[0] ? t->comm : "?", t->counts.samples, t->counts.memory, ratio,
			expo, place, basis_label(t), ran);
		shown++;
	}
}

/* Ended processes beyond NL_ENDED_KEEP: which role row holds them. */
static void ended(FILE *out, const struct nl_profile *p)
{
	for (int i = 0; i < p->nr_processes && p->nr_ended_workers; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		if (t->folded_processes)
			fprintf(out, "  (pid %d above: %u ended %s workers of ppid %d folded into one row "
				"after the first %d ended processes; each has a line in the JSON "
				"report, ended_workers)\n", t->pid, t->folded_processes,
				t->comm[0] ? t->comm : "?", t->ppid, NL_ENDED_KEEP);
	}
}

static void cpus(FILE *out, const struct nl_profile *p)
{
	fprintf(out, "\nCPUs\n  %5s %5s %9s %9s %8s\n", "CPU", "NODE", "SAMPLES", "MEMORY", "REMOTE");
	for (int i = 0; i < p->nr_cpus; i++) {
		char ratio[16];

		pct(ratio, sizeof(ratio), counts__remote_ratio(&p->cpus[i].counts));
		fprintf(out, "  %5d %5d %9" PRIu64 " %9" PRIu64 " %8s\n", p->cpus[i].cpu,
			p->cpus[i].node, p->cpus[i].counts.samples, p->cpus[i].counts.memory, ratio);
	}
}

static void counters(FILE *out, const struct nl_source_stats *st)
{
	if (!st->nr_counters)
		return;
	fprintf(out, "\nSource counters\n");
	for (uint32_t i = 0; i < st->nr_counters; i++)
		fprintf(out, "  %-40s %12lld\n", st->counters[i].name,
			(long long)st->counters[i].value);
}

/* "1:16384 0:12" of a mapping's pages, most first (two nodes at most). */
static void pages_text(char *buf, size_t size, const struct nl_mapping_stats *m,
		       const struct nl_profile *p)
{
	int first = -1, second = -1;

	for (int n = 0; n < p->nr_nodes; n++) {
		if (first < 0 || m->pages_by_node[n] > m->pages_by_node[first]) {
			second = first;
			first = n;
		} else if (second < 0 || m->pages_by_node[n] > m->pages_by_node[second]) {
			second = n;
		}
	}
	if (first < 0 || !m->pages_by_node[first])
		snprintf(buf, size, "-");
	else if (second < 0 || !m->pages_by_node[second])
		snprintf(buf, size, "node %d: %" PRIu64, p->topology->nodes[first].id,
			 m->pages_by_node[first]);
	else
		snprintf(buf, size, "node %d: %" PRIu64 ", node %d: %" PRIu64,
			 p->topology->nodes[first].id, m->pages_by_node[first],
			 p->topology->nodes[second].id, m->pages_by_node[second]);
}

/* The data objects behind remote placement, as the model ranked them. */
static void mappings(FILE *out, const struct nl_report_model *m, int top)
{
	const struct nl_profile *p = m->in.profile;

	if (m->nr_mappings)
		fprintf(out, "\nMappings with the most pages away from the nodes their process ran on\n"
			     "  %7s %-16s %10s %10s %10s %-4s  %-26s %s\n", "PID", "COMM", "PAGES",
			"REMOTE", "ACCESSED", "KIND", "PAGES BY NODE", "MAPPING");
	for (int i = 0; i < m->nr_mappings && i < top; i++) {
		const struct nl_mapping_ref *r = &m->mappings[i];
		char pages[64], acc[24];

		pages_text(pages, sizeof(pages), r->map, p);
		if (r->map->has_access)
			snprintf(acc, sizeof(acc), "%.1fM", (double)r->map->accessed_bytes / (1 << 20));
		else
			snprintf(acc, sizeof(acc), "-");
		fprintf(out, "  %7d %-16s %10" PRIu64 " %10.0f %10s %-4s  %-26s %s\n", r->proc->pid,
			r->proc->comm, r->map->pages_total, r->map->remote_pages, acc,
			exposure__kind_name(r->map->kind), pages,
			r->map->name[0] ? r->map->name : "[anon]");
	}
}

static void notes(FILE *out, const struct nl_report_model *m)
{
	const struct nl_note *v = m->notes;
	int n = m->nr_notes;
	static const struct {
		enum nl_note_kind kind;
		const char *title;
	} sections[] = {
		{ NL_NOTE_ADVICE, "Advice" },
		{ NL_NOTE_NOT_MEASURED, "Not measured, and why" },
		{ NL_NOTE_DAMAGE, "Input damage" },
		{ NL_NOTE_LOSS, "Losses" },
		{ NL_NOTE_INFO, "Notes" },
	};

	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		bool titled = false;

		for (int i = 0; i < n; i++) {
			if (v[i].kind != sections[s].kind)
				continue;
			if (!titled)
				fprintf(out, "\n%s:\n", sections[s].title);
			titled = true;
			fprintf(out, "  - %s\n", v[i].text);
		}
	}
}

int report_text__write(FILE *out, const struct nl_report_model *m, int top)
{
	const struct nl_report_input *in = &m->in;
	const struct nl_profile *p = in->profile;

	header(out, in);
	summary(out, in);
	counters_render__summary(out, in);
	levels(out, m);
	matrix(out, p);
	tasks(out, p, p->processes, p->nr_processes, top, true);
	ended(out, p);
	tasks(out, p, p->threads, p->nr_threads, top, false);
	mappings(out, m, top);
	objects_render__text(out, in->objects, p->topology, top);
	smt_render__text(out, p, top, m->smt_ipc_note);
	bandwidth_render__text(out, in->bandwidth);
	counters_render__text(out, in, top);
	report_code__text(out, in->code, top);
	if (in->verbose) {
		cpus(out, p);
		counters(out, in->stats);
	}
	notes(out, m);
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
