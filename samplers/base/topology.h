/*
 * topology.h - the NUMA and CPU topology of one machine.
 *
 * Owns: nodes (sparse kernel ids, CPU-less memory nodes), the node distance
 * matrix, CPUs with their package/die/core and SMT siblings, and the map from
 * memory blocks (physical address ranges) to nodes.
 *
 * Filled from one of two places, never mixed:
 *   - a sysfs root (topology__read_sysfs): the machine numalens runs on, or a
 *     copied tree such as the hwloc test tarballs;
 *   - the header of a perf.data file: samplers/perfdata.c builds it with the
 *     topology__add_* calls from NUMA_TOPOLOGY, CPU_TOPOLOGY and
 *     MEM_TOPOLOGY, so a recording is reported with the topology of the
 *     machine that made it.
 *
 * Invariants once built (topology__finish):
 *   1. nodes[] is sorted by id; ids are unique.
 *   2. distance is nr_nodes x nr_nodes, indexed by node *index*; 0 = unknown.
 *   3. cpus[] is indexed by CPU id, 0 <= id < nr_cpus; entries that the
 *      machine does not have are present=false with node = -1.
 *   4. cpu->node is derived from the nodes' cpu sets (one source of truth).
 *   5. Lookups never fail loudly: an unknown CPU, address or node gives -1.
 */
#ifndef NUMALENS_TOPOLOGY_H
#define NUMALENS_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/base/cpuset.h"

struct nl_error;
struct nl_sys;

struct nl_topology_node {
	int id;                 /* kernel node id (may be sparse: 0,8,250) */
	bool online;
	uint64_t mem_total_kb;  /* 0 when unknown or memory-less */
	uint64_t mem_free_kb;
	struct nl_cpuset cpus;  /* CPUs of the node as the kernel lists them
				   (may include offline/non-present CPUs) */
};

struct nl_topology_cpu {
	bool present;           /* the machine has this CPU id */
	bool online;
	int node;               /* node id, -1 unknown */
	int package;            /* physical_package_id, -1 unknown */
	int die;                /* die_id, -1 unknown */
	int core;               /* core_id (unique within package), -1 unknown */
	struct nl_cpuset siblings; /* SMT siblings incl. itself (thread_siblings) */
};

/* A contiguous run of memory blocks on one node. */
struct nl_memory_range {
	uint64_t start, end;    /* physical addresses [start, end) */
	int node;
};

struct nl_topology {
	char origin[512];       /* "sysfs:/", "sysfs:DIR", "perf.data:FILE" */
	int nr_nodes;
	struct nl_topology_node *nodes;
	int *distance;          /* nr_nodes * nr_nodes, by node index */
	int nr_cpus;            /* length of cpus[] (highest possible id + 1) */
	struct nl_topology_cpu *cpus;
	uint64_t memory_block_size; /* 0 when no block map is known */
	int nr_ranges;
	struct nl_memory_range *ranges; /* sorted by start, non-overlapping */
};

/* --- building ------------------------------------------------------------ */

/*
 * Returns an empty topology (origin copied), or NULL on -ENOMEM.  The add,
 * set, finish and free calls need a topology from here (or read_sysfs);
 * lookups also work on a struct filled by hand.
 */
struct nl_topology *topology__new(const char *origin);
void topology__free(struct nl_topology *topo);

/*
 * Adds (or updates) node id with its cpulist text (may be NULL) and memory.
 * Returns 0, -EINVAL on a bad cpulist, -ENOMEM.
 */
int topology__add_node(struct nl_topology *topo, int id, const char *cpulist,
		       uint64_t mem_total_kb, uint64_t mem_free_kb);
/* Sets distance[from][to] by node ids (nodes must exist).  0 or -ENOENT. */
int topology__set_distance(struct nl_topology *topo, int from, int to, int dist);
/*
 * Records a CPU's placement; any of package/die/core may be -1.  Grows
 * cpus[] as needed and marks the CPU present.  0 or -ENOMEM/-EINVAL.
 */
int topology__set_cpu(struct nl_topology *topo, int cpu, bool online,
		      int package, int die, int core);
/* Adds cpulist to the SMT sibling set of every CPU in it.  0 or -errno. */
int topology__add_siblings(struct nl_topology *topo, const char *cpulist);
/*
 * Records one "core siblings" cpulist (all CPUs of one package, as old
 * perf.data CPU_TOPOLOGY headers give them).  When no CPU got a package id
 * from topology__set_cpu, finish numbers packages 0.. in the order of the
 * distinct lists added here.  0, -EINVAL on a bad cpulist, -ENOMEM.
 */
int topology__add_package_siblings(struct nl_topology *topo, const char *cpulist);
/* Maps physical [start, end) to node.  0 or -ENOMEM. */
int topology__add_memory_range(struct nl_topology *topo, uint64_t start,
			       uint64_t end, int node);
/*
 * Establishes the invariants above: sorts, derives cpu->node, merges
 * adjacent ranges, and fills packages/cores from siblings when a source only
 * gave sibling lists.  Call after the last add; calling it again after more
 * adds (pipe-mode perf.data headers come in pieces) redoes the derivations.
 * 0 or -ENOMEM.
 * Derivations: when no topology__set_cpu call named a CPU, every CPU in a
 * node, sibling or package list becomes present and online; when no
 * topology__set_cpu call gave a package (core) id, packages are numbered
 * 0.. by package sibling list and cores 0.. (machine-wide) by SMT group.
 * A CPU whose siblings are unknown keeps an empty siblings set.  Siblings
 * known to have another package/die/core id are dropped (AMD family 15h
 * kernels list a whole compute unit, two cores, as thread siblings).
 */
int topology__finish(struct nl_topology *topo);

/*
 * Reads the topology under root ("/" for this machine): node/online,
 * node/possible, nodeN/{cpulist|cpumap, distance, meminfo, memoryM},
 * cpu/online, cpu/present, cpuN/topology/{physical_package_id, die_id,
 * core_id, thread_siblings_list}, memory/block_size_bytes.
 * Returns a finished topology, or NULL with *err (may be NULL) filled:
 * code -errno, object the path that failed, cause its strerror.
 * A machine without /sys/devices/system/node (no NUMA) yields one node 0
 * holding every online CPU.
 */
struct nl_topology *topology__read_sysfs(const char *root, struct nl_error *err);
/*
 * The same, with every open, read and directory listing through sys
 * (samplers/base/sys.h), so tests inject failures; topology__read_sysfs
 * passes sys__default().
 */
struct nl_topology *topology__read_sysfs_with(const struct nl_sys *sys,
					      const char *root, struct nl_error *err);

/*
 * --- lookups (no allocation; O(1) or O(log n) except the two counts, which
 * walk cpus[]).  Valid after topology__finish. -------------------------- */

int topology__node_of_cpu(const struct nl_topology *topo, int cpu);
/* Node of a physical address via the memory-block map, or -1. */
int topology__node_of_phys(const struct nl_topology *topo, uint64_t phys);
/* Index of node id in nodes[], or -1. */
int topology__node_index(const struct nl_topology *topo, int node_id);
/* distance by node ids, 0 when unknown. */
int topology__distance(const struct nl_topology *topo, int from, int to);
int topology__nr_packages(const struct nl_topology *topo);
/* CPUs present and online. */
int topology__nr_online_cpus(const struct nl_topology *topo);

#endif
