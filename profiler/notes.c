/*
 * notes.c - what a report must say besides its numbers: what could not be
 * measured from this input and why, where a damaged input stopped, what was
 * lost, and what to run next.  One list, part of the report model
 * (report_model.h), so the text and JSON renderers always say the same.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "profiler/findings.h"
#include "profiler/report_model.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/topology.h"

struct note_list {
	struct nl_note *v;
	int n;
};

__attribute__((format(printf, 3, 4)))
static void add(struct note_list *l, enum nl_note_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (l->n >= NL_MAX_NOTES)
		return;
	l->v[l->n].kind = kind;
	va_start(ap, fmt);
	vsnprintf(l->v[l->n].text, sizeof(l->v[l->n].text), fmt, ap);
	va_end(ap);
	l->n++;
}

const char *notes__kind_name(enum nl_note_kind kind)
{
	switch (kind) {
	case NL_NOTE_NOT_MEASURED:
		return "not_measured";
	case NL_NOTE_DAMAGE:
		return "damage";
	case NL_NOTE_LOSS:
		return "loss";
	case NL_NOTE_ADVICE:
		return "advice";
	default:
		return "info";
	}
}

static void not_measured(struct note_list *l, const struct nl_report_input *in)
{
	const struct nl_profile *p = in->profile;
	const struct nl_source_info *info = in->info;
	bool resolved_nodes = false;

	for (int m = 1; m < NL_NODE_METHOD_COUNT; m++)
		resolved_nodes |= p->node_method[m] > 0;
	resolved_nodes |= p->node_single > 0;
	if (!p->total.memory)
		add(l, NL_NOTE_NOT_MEASURED, "memory accesses: no sample carries a data address "
		    "or data_src (record with 'perf mem record', 'perf c2c record' or 'perf record -d')");
	if (!p->samples_with_level)
		add(l, NL_NOTE_NOT_MEASURED, "cache level and remote DRAM per access: %s (needs a "
		    "PMU: Intel PEBS, AMD IBS or Arm SPE via 'perf mem record')",
		    nl_source_info__has(info, NL_SAMPLE_DATA_SRC) ? "every data_src is N/A (software events)"
						     : "no event records data_src");
	if (p->address_only)
		add(l, NL_NOTE_INFO, "%llu samples carry a data address but no cache level (page "
		    "faults: where memory was first touched); their locality comes from the page's "
		    "node, when it was resolved", (unsigned long long)p->address_only);
	if (!p->topology)
		add(l, NL_NOTE_NOT_MEASURED, "NUMA topology of the recording machine: the file has no "
		    "NUMA_TOPOLOGY header, so there is no node matrix");
	if (!nl_source_info__has(info, NL_SAMPLE_CPU) && strcmp(in->source_kind, "live"))
		add(l, NL_NOTE_NOT_MEASURED, "node of the sampling CPU: samples have no CPU field "
		    "(record with -a or --sample-cpu)");
	if (p->total.memory && !resolved_nodes)
		add(l, NL_NOTE_NOT_MEASURED, "home node of the sampled data: no physical addresses "
		    "with a memory-block map%s and no live node lookup; remote accesses are placed by "
		    "data_src only (record with --phys-data, or profile live)",
		    nl_source_info__has(info, NL_SAMPLE_PHYS_ADDR) ? " (PHYS_ADDR was recorded but is 0 or unmapped)" : "");
	if (!nl_source_info__has(info, NL_SAMPLE_WEIGHT))
		add(l, NL_NOTE_NOT_MEASURED, "access latency: samples carry no weight "
		    "(use a load-latency event, e.g. 'perf mem record')");
	if (!p->switches)
		add(l, NL_NOTE_NOT_MEASURED, "HT (SMT) contention: no context-switch records "
		    "(record with 'perf record --switch-events', or profile live)");
	if (!p->has_placement && strcmp(in->source_kind, "live"))
		add(l, NL_NOTE_NOT_MEASURED, "page placement per mapping and remote exposure: only a "
		    "live profile (numalens profile) snapshots /proc/PID/numa_maps");
	else if (!p->has_placement)
		add(l, NL_NOTE_NOT_MEASURED, "page placement per mapping and remote exposure: no "
		    "/proc/PID/numa_maps snapshot succeeded (the processes exited first)");
}

static int64_t counter_sum(const struct nl_source_stats *st, const char *prefix)
{
	int64_t sum = 0;

	for (uint32_t i = 0; i < st->nr_counters; i++)
		if (!strncmp(st->counters[i].name, prefix, strlen(prefix)))
			sum += st->counters[i].value;
	return sum;
}

/* Live sources: how the nodes of sampled data pages were found. */
static void node_resolution(struct note_list *l, const struct nl_source_stats *st)
{
	int64_t found = counter_sum(st, "node_found."), unknown = counter_sum(st, "node_unknown.");
	char why[200] = "";
	size_t used = 0;

	if (!found && !unknown)
		return;
	for (uint32_t i = 0; i < st->nr_counters && unknown; i++) {
		const char *n = st->counters[i].name;
		int w;

		if (strncmp(n, "node_unknown.", 13) || !st->counters[i].value)
			continue;
		w = snprintf(why + used, sizeof(why) - used, "%s%s %lld", used ? ", " : " (",
			     n + 13, (long long)st->counters[i].value);
		if (w > 0 && (size_t)w < sizeof(why) - used)
			used += (size_t)w;
	}
	if (used)
		snprintf(why + used, sizeof(why) - used, ")");
	add(l, NL_NOTE_INFO, "nodes of sampled data pages: %lld found live (move_pages, numa_maps, "
	    "physical address), %lld unknown%s", (long long)found, (long long)unknown, why);
}

static void damage_and_loss(struct note_list *l, const struct nl_report_input *in)
{
	const struct nl_source_stats *st = in->stats;
	const struct nl_profile *p = in->profile;

	if (st->stopped_at)
		add(l, NL_NOTE_DAMAGE, "parsing stopped at byte %llu: %s; the report covers what came before",
		    (unsigned long long)st->stopped_at, st->stop_reason);
	if (in->interrupted)
		add(l, NL_NOTE_INFO, "stopped by a signal; everything collected until then is reported");
	if (p->lost)
		add(l, NL_NOTE_LOSS, "%llu samples were lost by the kernel (%llu LOST records): "
		    "enlarge the ring buffers or lower the sampling rate",
		    (unsigned long long)p->lost, (unsigned long long)st->lost_records);
	if (p->lost_filtered)
		add(l, NL_NOTE_INFO, "%llu samples were dropped by the recording's BPF filter "
		    "(perf record --filter), on purpose", (unsigned long long)p->lost_filtered);
	if (p->throttles)
		add(l, NL_NOTE_LOSS, "sampling was throttled %llu times (unthrottled %llu): "
		    "lower the sampling rate or raise kernel.perf_event_max_sample_rate",
		    (unsigned long long)p->throttles, (unsigned long long)p->unthrottles);
	if (st->bad_records)
		add(l, NL_NOTE_LOSS, "%llu malformed records were skipped",
		    (unsigned long long)st->bad_records);
	if (st->unknown_records)
		add(l, NL_NOTE_LOSS, "%llu records of unknown types were skipped by their size",
		    (unsigned long long)st->unknown_records);
	if (st->unsupported_records)
		add(l, NL_NOTE_LOSS, "%llu records numalens cannot read (AUX trace, or "
		    "compressed data not in zstd) were skipped",
		    (unsigned long long)st->unsupported_records);
}

/* The CPU node -> memory node pair with the most remote samples. */
static bool worst_pair(const struct nl_profile *p, int *cpu_idx, int *mem_idx, uint64_t *count)
{
	int n = p->nr_nodes;

	*count = 0;
	for (int r = 0; r < n; r++)
		for (int c = 0; c < n; c++)
			if (r != c && p->node_matrix[r * (n + 1) + c] > *count) {
				*count = p->node_matrix[r * (n + 1) + c];
				*cpu_idx = r;
				*mem_idx = c;
			}
	return *count > 0;
}

static void advice(struct note_list *l, const struct nl_report_input *in,
		   const struct nl_advice *engine, int nr_engine, const char *cmd)
{
	const struct nl_profile *p = in->profile;
	double ratio = counts__remote_ratio(&p->total);
	int r = 0, c = 0;
	uint64_t worst;
	char cpus[128];

	/* the advice engine's lines lead: objects first, then processes, HT ... */
	for (int i = 0; i < nr_engine; i++)
		add(l, NL_NOTE_ADVICE, "%s", engine[i].text);
	if (ratio >= 0.2 && p->total.local + p->total.remote >= 50) {
		add(l, NL_NOTE_ADVICE, "%.0f%% of resolved memory accesses are remote: keep each "
		    "process's threads and memory on one node (numactl --cpunodebind=N --membind=N %s), "
		    "or spread shared data over all nodes (numactl --interleave=all %s)", ratio * 100,
		    cmd, cmd);
		if (p->topology && worst_pair(p, &r, &c, &worst)) {
			cpuset__format(&p->topology->nodes[c].cpus, cpus, sizeof(cpus));
			add(l, NL_NOTE_ADVICE, "most remote traffic: CPUs of node %d reading memory of node %d "
			    "(%llu samples): run those readers next to their data (taskset -c %s %s, "
			    "or numactl --cpunodebind=%d), or first-touch the data from the readers' node",
			    p->topology->nodes[r].id, p->topology->nodes[c].id,
			    (unsigned long long)worst, cpus, cmd, p->topology->nodes[c].id);
		}
	}
}

/* Which access signal weighed the exposure, and who refused it. */
static void exposure_basis(struct note_list *l, const struct nl_profile *p,
			   const struct nl_source_stats *st)
{
	int by[NL_BASIS_COUNT] = { 0 }, denied = 0, denied_pid = 0, denied_err = 0;
	int64_t damon = -1;

	for (uint32_t i = 0; i < st->nr_counters; i++)
		if (!strcmp(st->counters[i].name, "access.damon_available"))
			damon = st->counters[i].value;

	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		if (t->remote_exposure < 0)
			continue;
		by[t->exposure_basis]++;
		if (t->access_error) {
			denied_pid = denied++ ? denied_pid : t->pid;
			denied_err = t->access_error;
		}
	}
	if (!p->has_placement)
		return;
	add(l, NL_NOTE_INFO, "remote exposure is weighted by what each process accesses: "
	    "%d process%s by PMU samples, %d by referenced bits (clear_refs + smaps), %d by page "
	    "faults on pages they already had, %d by page placement only%s; "
	    "remote_exposure_by_placement counts every resident page alike",
	    by[NL_BASIS_PMU], by[NL_BASIS_PMU] == 1 ? "" : "es", by[NL_BASIS_REFERENCED],
	    by[NL_BASIS_HINT_FAULTS], by[NL_BASIS_PLACEMENT],
	    p->has_access ? "" : " (no access signal in this input)");
	if (p->has_access)
		add(l, NL_NOTE_INFO, "access signal: referenced bits (clear_refs + smaps Referenced "
		    "per mapping, per interval; clearing perturbs page aging slightly, --no-access "
		    "turns it off); DAMON %s", damon > 0 ? "is in this kernel but numalens does not "
		    "drive it yet" : damon == 0 ? "is not in this kernel (no /sys/kernel/mm/damon/admin)"
		    : "availability not recorded");
	if (denied)
		add(l, NL_NOTE_NOT_MEASURED, "access signal of %d process%s (e.g. pid %d): %s - "
		    "their exposure is by placement only; run numalens as root or as their owner",
		    denied, denied == 1 ? "" : "es", denied_pid, strerror(-denied_err));
}

int notes__collect(const struct nl_report_input *in, const struct nl_advice *engine,
		   int nr_engine, const char *cmd, struct nl_note *notes)
{
	struct note_list l = { notes, 0 };

	damage_and_loss(&l, in);
	not_measured(&l, in);
	node_resolution(&l, in->stats);
	exposure_basis(&l, in->profile, in->stats);
	advice(&l, in, engine, nr_engine, cmd && cmd[0] ? cmd : "CMD");
	return l.n;
}
