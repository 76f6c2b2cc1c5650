/*
 * machine_cost.h - what a remote access costs on this machine, measured the
 * way Intel MLC does: idle load latency (a dependent pointer chase over a
 * buffer bound to one node, read from one CPU of another) and streaming
 * read bandwidth (every CPU of the source node reading a buffer bound to
 * the memory node), for every CPU node x memory node pair.
 *
 * Owns the buffers and threads of one measurement and the matrices it
 * returns.  Promises: pages are bound with mbind(MPOL_BIND) before the first
 * touch and their placement is checked with move_pages (cell.placed), so a
 * cell never silently measures memory of another node; each cell runs for a
 * bounded time; nothing is left mapped or pinned afterwards.  Timings on a
 * VM (or under TCG) are whatever that machine gives: the caller labels them.
 */
#ifndef NUMALENS_MACHINE_COST_H
#define NUMALENS_MACHINE_COST_H

#include <stdint.h>

struct nl_error;
struct nl_topology;

struct nl_cost_options {
	uint32_t size_mib;      /* buffer per cell (default 64: beyond most LLCs) */
	double seconds;         /* per cell and kind (latency, bandwidth); 0: 0.3 */
	int max_threads;        /* bandwidth threads per node; 0: every CPU of it */
};

struct nl_cost_cell {
	int cpu_node, mem_node; /* node ids */
	double latency_ns;      /* mean ns per dependent load */
	double bandwidth_gbs;   /* GB/s (1e9 bytes) of reads, all threads */
	int threads;            /* bandwidth threads used */
	double placed;          /* share of checked pages found on mem_node */
};

struct nl_machine_cost {
	int nr_cpu_nodes, nr_mem_nodes;
	int *cpu_nodes, *mem_nodes;     /* node ids, ascending */
	struct nl_cost_cell *cells;     /* nr_cpu_nodes x nr_mem_nodes, row = CPU node */
	uint32_t size_mib;
	double seconds;                 /* wall time of the whole measurement */
	/* Means over the local (same node) and remote cells; ratios remote /
	 * local, or 0 when the machine has no remote pair. */
	double local_latency_ns, remote_latency_ns, latency_ratio;
	double local_bandwidth_gbs, remote_bandwidth_gbs, bandwidth_ratio;
};

/*
 * Measures every pair of topo (nodes with online CPUs x nodes with memory).
 * OUT: *out (free with machine_cost__free).  Returns 0, or -errno with err
 * filled (no memory, mbind refused, a node without usable CPUs).
 */
int machine_cost__measure(const struct nl_topology *topo, const struct nl_cost_options *opt,
			  struct nl_machine_cost **out, struct nl_error *err);
void machine_cost__free(struct nl_machine_cost *cost);

/* The cell of (cpu_node, mem_node) ids, or NULL. */
const struct nl_cost_cell *machine_cost__cell(const struct nl_machine_cost *cost,
					      int cpu_node, int mem_node);

#endif
