/*
 * report_model.c - the report model built once.  See report_model.h.
 */
#include "profiler/report_model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/smt.h"

static int by_remote_pages(const void *a, const void *b)
{
	const struct nl_mapping_ref *x = a, *y = b;

	/* the data objects first: they are the allocations to fix */
	if (x->map->kind != y->map->kind)
		return x->map->kind == NL_MAP_DATA ? -1 : 1;
	if (x->map->remote_pages != y->map->remote_pages)
		return x->map->remote_pages < y->map->remote_pages ? 1 : -1;
	if (x->proc->pid != y->proc->pid)
		return x->proc->pid < y->proc->pid ? -1 : 1;
	return x->map->start < y->map->start ? -1 : x->map->start > y->map->start;
}

/* The mappings behind remote placement, data before code, most remote pages first. */
static int rank_mappings(struct nl_report_model *m)
{
	const struct nl_profile *p = m->in.profile;
	int cap = 0;

	for (int i = 0; i < p->nr_processes; i++)
		cap += p->processes[i].nr_mappings;
	if (!cap)
		return 0;
	m->mappings = calloc((size_t)cap, sizeof(*m->mappings));
	if (!m->mappings)
		return -ENOMEM;
	for (int i = 0; i < p->nr_processes; i++)
		for (int k = 0; k < p->processes[i].nr_mappings; k++)
			if (p->processes[i].mappings[k].remote_pages >= 1)
				m->mappings[m->nr_mappings++] = (struct nl_mapping_ref){
					&p->processes[i], &p->processes[i].mappings[k] };
	qsort(m->mappings, (size_t)m->nr_mappings, sizeof(*m->mappings), by_remote_pages);
	return 0;
}

/* Why the HT section has no IPC cost of sharing. */
static void ipc_note(struct nl_report_model *m)
{
	const struct nl_source_info *info = m->in.info;

	const struct nl_smt_ipc *ipc;

	if (!m->in.profile->smt)
		return;
	ipc = &m->in.profile->smt->ipc;
	if (ipc->has_cost)
		return;         /* measured: the section shows it */
	if (ipc->samples)
		snprintf(m->smt_ipc_note, sizeof(m->smt_ipc_note),
			 "IPC cost not measured: no task had both co-run and alone windows (%" PRIu64
			 " co-run, %" PRIu64 " alone, %" PRIu64 " mixed, %" PRIu64 " unplaced of %"
			 PRIu64 " cycles samples)", ipc->windows_corun, ipc->windows_alone,
			 ipc->windows_mixed, ipc->windows_unplaced, ipc->samples);
	else if (info->cpu_pmu == NL_PMU_ABSENT)
		snprintf(m->smt_ipc_note, sizeof(m->smt_ipc_note),
			 "IPC cost not measured (no PMU): instructions and cycles need hardware "
			 "counters, which this machine does not expose");
	else if (info->cpu_pmu == NL_PMU_PRESENT)
		snprintf(m->smt_ipc_note, sizeof(m->smt_ipc_note),
			 "IPC cost not measured: no cycles and instructions samples arrived (the "
			 "cycles group could not be opened on the target: see the notes)");
	else
		snprintf(m->smt_ipc_note, sizeof(m->smt_ipc_note),
			 "IPC cost not measured: the recording has no cycles samples reading their "
			 "group's instructions (perf record -e '{cycles,instructions}:S' "
			 "--switch-events)");
}

int report_model__build(struct nl_report_model *m, const struct nl_report_input *in)
{
	memset(m, 0, sizeof(*m));
	m->in = *in;
	m->target_command_known =
		advice__target_command(in->info->target_cmdline, in->info->target_cmdline_len,
				       in->info->cmdline, m->target_command, sizeof(m->target_command));
	m->nr_advice = advice__compute(in, m->target_command, m->target_command_known, m->advice);
	m->nr_notes = notes__collect(in, m->advice, m->nr_advice, m->target_command, m->notes);
	ipc_note(m);
	for (int c = 0; c < NL_MEM_CLASS_COUNT; c++)
		m->level_share[c] = in->profile->total.samples
				    ? (double)in->profile->levels[c] / (double)in->profile->total.samples : -1;
	if (rank_mappings(m)) {
		report_model__free(m);
		return -ENOMEM;
	}
	return 0;
}

void report_model__free(struct nl_report_model *m)
{
	free(m->mappings);
	m->mappings = NULL;
	m->nr_mappings = 0;
}
