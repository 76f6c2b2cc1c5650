/*
 * smt_render.c - the HT contention section.  See smt_render.h.
 */
#include "report/smt_render.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>

#include "profiler/aggregate.h"
#include "profiler/smt.h"

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static const char *comm_of(const struct nl_profile *p, int tid)
{
	for (int i = 0; i < p->nr_threads; i++)
		if (p->threads[i].tid == tid)
			return p->threads[i].comm;
	return p->smt && p->smt->cpu_wide ? "outside the target" : "?";
}

/* An IPC for a table cell ("-" without a window of that kind); static buffer ring. */
static const char *ipc_cell(double ipc, uint64_t cycles)
{
	static char buf[4][16];
	static int next;
	char *b = buf[next++ % 4];

	if (!cycles)
		return "-";
	snprintf(b, sizeof(buf[0]), "%.2f", ipc);
	return b;
}

/* smt.ipc_cost: the IPC cost of sharing, or null when not measured (ipc_note). */
static struct cJSON *ipc_json(const struct nl_smt_ipc *c)
{
	cJSON *o;

	if (!c->has_cost || !(o = cJSON_CreateObject()))
		return cJSON_CreateNull();
	cJSON_AddNumberToObject(o, "ipc_corun", c->ipc_corun);
	cJSON_AddNumberToObject(o, "ipc_alone", c->ipc_alone);
	cJSON_AddNumberToObject(o, "cost", c->cost);
	cJSON_AddNumberToObject(o, "tasks_both", c->tasks_both);
	cJSON_AddNumberToObject(o, "samples", (double)c->samples);
	cJSON_AddNumberToObject(o, "windows_corun", (double)c->windows_corun);
	cJSON_AddNumberToObject(o, "windows_alone", (double)c->windows_alone);
	cJSON_AddNumberToObject(o, "windows_mixed", (double)c->windows_mixed);
	cJSON_AddNumberToObject(o, "windows_unplaced", (double)c->windows_unplaced);
	cJSON_AddNumberToObject(o, "windows_bad", (double)c->windows_bad);
	cJSON_AddNumberToObject(o, "cycles_corun", (double)c->cycles_corun);
	cJSON_AddNumberToObject(o, "instructions_corun", (double)c->instructions_corun);
	cJSON_AddNumberToObject(o, "cycles_alone", (double)c->cycles_alone);
	cJSON_AddNumberToObject(o, "instructions_alone", (double)c->instructions_alone);
	cJSON_AddNumberToObject(o, "cycles_mixed", (double)c->cycles_mixed);
	return o;
}

/* The pair with the most co-run time among the target's own tasks, else any. */
static const struct nl_smt_pair *worst_pair(const struct nl_smt_result *r)
{
	for (int i = 0; i < r->nr_pairs; i++)
		if (!r->pairs[i].outside && r->pairs[i].corun_ns)
			return &r->pairs[i];
	return r->nr_pairs && r->pairs[0].corun_ns ? &r->pairs[0] : NULL;
}

void smt_render__text(FILE *out, const struct nl_profile *p, int top, const char *ipc_note)
{
	const struct nl_smt_result *r = p->smt;
	const struct nl_smt_pair *w;
	int i;

	if (!r)
		return;
	fprintf(out, "\nHT contention (%s, %" PRIu64 " context switches over %.1f s)\n",
		r->cpu_wide ? "every task of the CPUs" : "the target's own tasks",
		r->switches, secs(r->span_ns));
	if (r->cpu_wide && r->outside_tasks)
		fprintf(out, "  %d tasks outside the target ran on these CPUs (%d busy for >= half "
			"the time; %d left the tables idle); they count as busy siblings\n",
			r->outside_tasks, r->outside_busy, r->folded_outside);
	if (!r->has_smt) {
		fprintf(out, "  none possible: no core has more than one hardware thread online\n");
		return;
	}
	if (ipc_note && ipc_note[0])
		fprintf(out, "  %s\n", ipc_note);
	if (r->ipc.has_cost)
		fprintf(out, "  IPC while sharing a core %.2f vs %.2f alone (%+.0f %%), %d task%s "
			"measured both ways; windows between cycles samples: %" PRIu64 " co-run, %"
			PRIu64 " alone, %" PRIu64 " mixed (not used)\n", r->ipc.ipc_corun,
			r->ipc.ipc_alone, -r->ipc.cost * 100, r->ipc.tasks_both,
			r->ipc.tasks_both == 1 ? "" : "s", r->ipc.windows_corun, r->ipc.windows_alone,
			r->ipc.windows_mixed);
	fprintf(out, "  %d of %d busy tasks shared a core with another busy task for >= 50%% of "
		"their run time; cores ran with every thread busy for %.2f s\n",
		r->busy_shared_half, r->busy_tasks, secs(r->double_busy_ns));
	if ((w = worst_pair(r)))
		fprintf(out, "  worst pair: pid %d tid %d (%s) + pid %d tid %d (%s) on the core of "
			"CPU %d: %.0f%% of the shorter one's run time\n",
			w->pid_a, w->tid_a, comm_of(p, w->tid_a), w->pid_b, w->tid_b,
			comm_of(p, w->tid_b), w->cpu, w->ratio * 100);
	if (r->misplaced_ns)
		fprintf(out, "  misplaced: %.2f s with two busy tasks on one core while another core "
			"of the same node had every thread idle\n", secs(r->misplaced_ns));
	if (r->busy_tasks > r->cores_of_nodes_ran && r->cores_of_nodes_ran)
		fprintf(out, "  oversubscribed: %d busy tasks on %d physical cores of the nodes they "
			"ran on: run at most %d, one per core (taskset -c %s)\n", r->busy_tasks,
			r->cores_of_nodes_ran, r->cores_of_nodes_ran, r->one_per_core);
	if (r->folded_tasks)
		fprintf(out, "  %d tasks of ended processes summed with their process rows: run %.2f s, "
			"shared %.2f s; %d of their pairs beyond the %d longest: co-run %.2f s\n",
			r->folded_tasks, secs(r->folded_run_ns), secs(r->folded_shared_ns),
			r->folded_pairs, NL_SMT_KEEP_DONE, secs(r->folded_corun_ns));
	if (!r->nr_tasks || !r->tasks[0].shared_ns)
		return;
	fprintf(out, "      PID     TID COMM               RUN s   SHARED%s\n",
		r->ipc.samples ? "  IPC CO-RUN  ALONE" : "");
	for (i = 0; i < r->nr_tasks && i < top && r->tasks[i].shared_ns; i++) {
		const struct nl_smt_task *t = &r->tasks[i];

		fprintf(out, "  %7d %7d %-16.16s %7.2f %7.1f%%", t->pid, t->tid, comm_of(p, t->tid),
			secs(t->run_ns), t->shared_ratio * 100);
		if (r->ipc.samples)
			fprintf(out, "  %10s %6s", ipc_cell(t->ipc_corun, t->cycles_corun),
				ipc_cell(t->ipc_alone, t->cycles_alone));
		fputc('\n', out);
	}
}

struct cJSON *smt_render__json(const struct nl_profile *p, int top, const char *ipc_note)
{
	const struct nl_smt_result *r = p->smt;
	cJSON *o, *arr, *x;
	int i;

	if (!r)
		return cJSON_CreateNull();
	if (!(o = cJSON_CreateObject()))
		return NULL;
	cJSON_AddBoolToObject(o, "has_smt", r->has_smt);
	cJSON_AddStringToObject(o, "view", r->cpu_wide ? "cpu_wide" : "target_tasks");
	cJSON_AddNumberToObject(o, "span_s", secs(r->span_ns));
	cJSON_AddNumberToObject(o, "switches", (double)r->switches);
	cJSON_AddNumberToObject(o, "late_switches", (double)r->late_switches);
	cJSON_AddNumberToObject(o, "bad_switches", (double)r->bad_switches);
	cJSON_AddNumberToObject(o, "reorder_window_s", secs(r->reorder_window_ns));
	cJSON_AddNumberToObject(o, "double_busy_s", secs(r->double_busy_ns));
	cJSON_AddNumberToObject(o, "misplaced_s", secs(r->misplaced_ns));
	cJSON_AddNumberToObject(o, "busy_tasks", r->busy_tasks);
	cJSON_AddNumberToObject(o, "busy_tasks_shared_half", r->busy_shared_half);
	cJSON_AddNumberToObject(o, "cores_of_nodes_ran", r->cores_of_nodes_ran);
	cJSON_AddBoolToObject(o, "oversubscribed",
			      r->cores_of_nodes_ran && r->busy_tasks > r->cores_of_nodes_ran);
	cJSON_AddStringToObject(o, "one_thread_per_core", r->one_per_core);
	cJSON_AddNumberToObject(o, "outside_tasks", r->outside_tasks);
	cJSON_AddNumberToObject(o, "outside_busy_tasks", r->outside_busy);
	cJSON_AddItemToObject(o, "ipc_cost", ipc_json(&r->ipc));
	cJSON_AddStringToObject(o, "ipc_note", ipc_note ? ipc_note : "");
	if ((x = cJSON_AddObjectToObject(o, "folded"))) {
		cJSON_AddNumberToObject(x, "tasks", r->folded_tasks);
		cJSON_AddNumberToObject(x, "run_s", secs(r->folded_run_ns));
		cJSON_AddNumberToObject(x, "shared_s", secs(r->folded_shared_ns));
		cJSON_AddNumberToObject(x, "pairs", r->folded_pairs);
		cJSON_AddNumberToObject(x, "corun_s", secs(r->folded_corun_ns));
		cJSON_AddNumberToObject(x, "outside_tasks", r->folded_outside);
	}
	arr = cJSON_AddArrayToObject(o, "tasks");
	for (i = 0; arr && i < r->nr_tasks; i++) {
		const struct nl_smt_task *t = &r->tasks[i];

		if (!(x = cJSON_CreateObject()))
			break;
		cJSON_AddNumberToObject(x, "pid", t->pid);
		cJSON_AddNumberToObject(x, "tid", t->tid);
		cJSON_AddNumberToObject(x, "run_s", secs(t->run_ns));
		cJSON_AddNumberToObject(x, "shared_s", secs(t->shared_ns));
		cJSON_AddNumberToObject(x, "shared_ratio", t->shared_ratio);
		if (r->ipc.samples) {
			if (t->cycles_corun)
				cJSON_AddNumberToObject(x, "ipc_corun", t->ipc_corun);
			else
				cJSON_AddNullToObject(x, "ipc_corun");
			if (t->cycles_alone)
				cJSON_AddNumberToObject(x, "ipc_alone", t->ipc_alone);
			else
				cJSON_AddNullToObject(x, "ipc_alone");
		}
		cJSON_AddItemToArray(arr, x);
	}
	arr = cJSON_AddArrayToObject(o, "pairs");
	for (i = 0; arr && i < r->nr_pairs && i < top; i++) {
		const struct nl_smt_pair *q = &r->pairs[i];

		if (!(x = cJSON_CreateObject()))
			break;
		cJSON_AddNumberToObject(x, "pid_a", q->pid_a);
		cJSON_AddNumberToObject(x, "tid_a", q->tid_a);
		cJSON_AddNumberToObject(x, "pid_b", q->pid_b);
		cJSON_AddNumberToObject(x, "tid_b", q->tid_b);
		cJSON_AddNumberToObject(x, "cpu", q->cpu);
		cJSON_AddNumberToObject(x, "corun_s", secs(q->corun_ns));
		cJSON_AddNumberToObject(x, "ratio", q->ratio);
		cJSON_AddBoolToObject(x, "outside", q->outside);
		cJSON_AddItemToArray(arr, x);
	}
	arr = cJSON_AddArrayToObject(o, "cores");
	for (i = 0; arr && i < r->nr_cores; i++) {
		const struct nl_smt_core *c = &r->cores[i];

		if (!(x = cJSON_CreateObject()))
			break;
		cJSON_AddNumberToObject(x, "node", c->node);
		cJSON_AddNumberToObject(x, "package", c->package);
		cJSON_AddNumberToObject(x, "core", c->core);
		cJSON_AddNumberToObject(x, "first_cpu", c->first_cpu);
		cJSON_AddNumberToObject(x, "threads", c->nr_threads);
		cJSON_AddNumberToObject(x, "busy_s", secs(c->busy_ns));
		cJSON_AddNumberToObject(x, "double_busy_s", secs(c->double_busy_ns));
		cJSON_AddItemToArray(arr, x);
	}
	return o;
}
