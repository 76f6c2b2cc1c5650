/*
 * exposure.h - how much of what a process accesses sits on nodes other than
 * the ones its threads ran on.
 *
 * Owns the weighing: each mapping's remote share (its pages per node against
 * the task's run time per node) weighted by the best access signal the task
 * has, most trusted first: PMU memory samples; referenced bytes per mapping
 * (clear_refs + smaps); page faults on pages the process already had (NUMA
 * hinting faults when balancing is on); else resident pages, all alike.
 * Data mappings and code mappings are weighed apart: code does not dilute
 * data.  The placement-only figure over every page stays beside it
 * (remote_exposure_by_placement, computed by the aggregator).
 *
 * Why referenced bits rank above hinting faults here: the kernel never
 * hints copy-on-write pages shared after fork (change_prot_numa skips
 * them), so a dataset forked to DataLoader workers gets no hinting fault in
 * any worker; weighting by faults would miss exactly the shared data.
 *
 * Does not: allocate, or read anything but the aggregate.
 */
#ifndef NUMALENS_EXPOSURE_H
#define NUMALENS_EXPOSURE_H

#include "profiler/aggregate.h"

/*
 * Per mapping of process proc: kind (data/code) and access_faults; sums the
 * process's accessed data bytes and access faults.  Call once per process,
 * after its mappings' remote_pages are known.
 */
void exposure__prepare(struct nl_task_stats *proc);
/*
 * Sets t's remote_exposure, remote_exposure_code and exposure_basis from
 * proc's mappings (t is proc itself or one of its threads) and t's run
 * time by node.
 */
void exposure__derive(struct nl_task_stats *t, const struct nl_task_stats *proc, int nr_nodes);
/* The data/code kind of a mapping from its name and permissions. */
enum nl_mapping_kind exposure__kind(const struct nl_mapping_stats *m);
/* "pmu_samples", "referenced_bits", "numa_hinting_faults", "page_refaults",
   "placement" or "none": the JSON exposure_basis of t. */
const char *exposure__basis_name(const struct nl_task_stats *t);
/* "data" or "code". */
const char *exposure__kind_name(enum nl_mapping_kind kind);

#endif
