/*
 * topology_render.h - a finished struct nl_topology as text or JSON.
 *
 * Owns nothing: reads the topology, never changes it.  Promises the same
 * facts in both forms; the JSON object is embedded verbatim under the
 * "topology" key of the report JSON, so its shape is stable:
 *
 * {
 *   "origin": "sysfs:/",                  where the topology came from
 *   "nodes": [{                           every known node, sorted by id
 *     "id": 0, "online": true,
 *     "cpus": "0-3,8",                    cpulist as the kernel lists it
 *     "nr_cpus": 5,                       count of "cpus"
 *     "cpus_online": "0-3",               those present and online
 *     "mem_total_kb": 16384000, "mem_free_kb": 8000000   (0 = unknown)
 *   }],
 *   "distances": [[10,21],[21,10]],       rows/cols in nodes[] order; an
 *                                         unknown entry is null, the whole
 *                                         matrix null when none is known
 *   "packages": [{                        sorted by physical package id
 *     "id": 0, "cpus": "0-7,16-23",       present CPUs of the package
 *     "dies": [0],                        distinct die ids ([] unknown)
 *     "cores": [{"id": 0, "die": 0, "cpus": [0,16]}]   one per SMT group,
 *                                         by lowest CPU; id/die null unknown
 *   }],
 *   "smt": {"threads_per_core": 2,        largest sibling group, null unknown
 *           "sibling_groups": [[0,16],[1,17]]},  present CPUs, by lowest CPU
 *   "cpus_present": "0-31", "cpus_online": "0-31",
 *   "cpus_offline": "32-111",             possible CPUs not online
 *   "memory_block_size": 134217728,       bytes, 0 when no block map
 *   "memory_ranges": [{"start": 0, "end": 2147483648, "node": 0}]
 * }
 *
 * Addresses are JSON numbers (exact below 2^53, i.e. 8 PiB).
 */
#ifndef NUMALENS_TOPOLOGY_RENDER_H
#define NUMALENS_TOPOLOGY_RENDER_H

#include <stdio.h>

#include <cjson/cJSON.h>

struct nl_machine_cost;
struct nl_topology;

/*
 * Writes the topology as text: the `numactl -H` part (available nodes, per
 * node cpus/size/free, distance table) then an lstopo-like part (Package:
 * Core: PU, SMT, offline CPUs, memory blocks).  Write errors show in
 * ferror(out).  A NULL topo prints "topology: unknown".
 */
void topology_render__text(FILE *out, const struct nl_topology *topo);

/*
 * Returns the JSON object above (caller frees with cJSON_Delete), a JSON
 * null for a NULL topo, NULL on ENOMEM.
 */
cJSON *topology_render__json(const struct nl_topology *topo);

/*
 * `topology --measure`: the latency and bandwidth matrices (CPU node rows,
 * memory node columns) beside the SLIT distances, then the one line a user
 * quotes ("remote costs 2.1x latency and 0.48x bandwidth here").
 */
void topology_render__cost_text(FILE *out, const struct nl_topology *topo,
				const struct nl_machine_cost *cost);
/* The "measured" JSON object of the same; NULL on ENOMEM. */
cJSON *topology_render__cost_json(const struct nl_machine_cost *cost);

#endif
