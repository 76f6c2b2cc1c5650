/*
 * bwestimate.h - memory bandwidth per node estimated from sampled accesses,
 * for when no memory-controller counter (samplers/uncore.h) measured it:
 * each sampled load or store served by DRAM stands for `period` accesses
 * of one 64-byte line, so bytes = sum(period) x 64 per memory node, over
 * the time the samples span.
 *
 * Owns the per-node sums of one profile.  Counts only samples of a PMU
 * memory event (a data_src whose level is local or remote DRAM, and a
 * period): software events carry no data_src.  An access counts on its
 * data node (NL_SAMPLE_MEM_NODE, else its physical address's node), a
 * local one without either on its CPU's node; a remote access of unknown
 * node is counted apart (unplaced).
 *
 * Promises: bwestimate__add allocates nothing and reads only the record;
 * the result says "estimate" (nl_bandwidth.estimate) and never replaces a
 * measured one.  Does not: see cache hits, prefetches or DMA (the
 * controllers' own counters do), so it is a lower bound of the traffic.
 */
#ifndef NUMALENS_BWESTIMATE_H
#define NUMALENS_BWESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/uncore.h"

struct nl_record;
struct nl_topology;

#define NL_BWEST_LINE_BYTES 64

struct nl_bwestimate {
	const struct nl_topology *topo; /* borrowed; NULL: nothing counted */
	uint64_t first_ns, last_ns;     /* of the counted samples */
	uint64_t samples;               /* DRAM samples counted */
	uint64_t unplaced;              /* remote DRAM samples of unknown node */
	double read_lines[NL_UNCORE_MAX_PMUS];  /* by node index: period sums */
	double write_lines[NL_UNCORE_MAX_PMUS];
};

/* Starts an empty estimate over topo (borrowed, may be NULL). */
void bwestimate__init(struct nl_bwestimate *e, const struct nl_topology *topo);
/* Accounts one record (samples of DRAM accesses with a period; others ignored). */
void bwestimate__add(struct nl_bwestimate *e, const struct nl_record *rec);
/*
 * Fills *bw (OUT, zeroed first; no series: nothing to free) with the
 * estimate: measured and estimate true, means per node, peaks unknown (0).
 * Returns false, *bw untouched, when fewer than two timed DRAM samples
 * were counted (nothing to estimate from).
 */
bool bwestimate__result(const struct nl_bwestimate *e, struct nl_bandwidth *bw);

#endif
