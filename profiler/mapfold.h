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
 */
#ifndef NUMALENS_MAPFOLD_H
#define NUMALENS_MAPFOLD_H

#include "profiler/aggregate.h"
#include "samplers/base/strtab.h"

#define MAPFOLD_KEEP 8

/* Folds proc's rows (sorted by start) in place; fold rows' names are kept
   in names.  0 or -ENOMEM (unchanged). */
int mapfold__fold(struct nl_task_stats *proc, int nr_nodes, struct nl_strtab *names);

#endif
