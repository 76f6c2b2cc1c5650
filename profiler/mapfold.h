/*
 * mapfold.h - keeps each process's mapping rows few.
 *
 * A PyTorch worker maps ~500 files and ranges, and a DataLoader without
 * persistent workers starts thousands of workers in a long profile: a row
 * per mapping per process would make the report, and numalens' memory,
 * grow with everything every worker ever mapped.  A fold keeps every row
 * that carries an access signal (page-fault samples, referenced bytes) and
 * the MAPFOLD_KEEP largest of the rest by resident pages, and sums the
 * others into one row per kind, named "[N other data mappings]" or
 * "[N other code mappings]", with folded = N and no address range.
 *
 * Promises:
 *   1. Every exposure figure is the same after a fold: a folded row has no
 *      signal, so it weighs nothing where signals weigh, and where resident
 *      pages weigh, remote pages are linear in the pages by node it sums.
 *   2. Rows keep their order by start; folded rows come first (start 0,
 *      end 0: no address falls in them).
 *   3. Folding twice is folding once.
 * Does not: free the process row, or touch fault samples not attributed yet.
 *
 * Role fold (mapfold__merge_process): an ended process beyond NL_ENDED_KEEP
 * (aggregate.h) is summed into the row of its role (same ppid and comm):
 * counts, latency, PMU samples and every mapping row into role rows
 * (folded = rows summed): a row without a signal by kind and name (no
 * address range; the process's own fold rows go into "[other data|code
 * mappings]"), a row with a signal by its range too (see role_row).  Sums
 * are kept whole, so the profile's totals, the pages by node, faults and
 * referenced bytes over all processes are the same with or without the
 * role fold, and a role of alike workers has their exposure.  What a role
 * row loses is each worker's own exposure and object findings (findings
 * skip folded rows); the aggregator keeps a line per worker (pid, ppid,
 * samples).  The role's rows grow with distinct mapping names, not workers.
 */
#ifndef NUMALENS_MAPFOLD_H
#define NUMALENS_MAPFOLD_H

#include "profiler/aggregate.h"
#include "samplers/base/strtab.h"

#define MAPFOLD_KEEP 8
/* Rows a role (mapfold__merge_process) holds before rows with a signal
   sum by kind and name alone. */
#define MAPFOLD_ROLE_ROWS 1024

/* Folds proc's rows (sorted by start) in place; fold rows' names are kept
   in names.  0 or -ENOMEM (unchanged). */
int mapfold__fold(struct nl_task_stats *proc, int nr_nodes, struct nl_strtab *names);

/* Sums proc (an ended process, rows final) into role; proc is unchanged
   and still the caller's.  0 or -ENOMEM (role may hold part of proc's
   rows: the caller drops the process as it would have anyway). */
int mapfold__merge_process(struct nl_task_stats *role, int *role_cap,
			   const struct nl_task_stats *proc, int nr_nodes,
			   struct nl_strtab *names);

#endif
