/*
 * resctrl.h - local vs remote memory bandwidth from Intel RDT (and AMD
 * PQoS) memory bandwidth monitoring, where the resctrl file system is
 * mounted.
 *
 * Owns the reading of RESCTRL/mon_data/mon_L3_NN/{mbm_total_bytes,
 * mbm_local_bytes} of the default monitoring group (every task not moved
 * into another group: the whole machine unless an admin made groups), the
 * per-domain byte deltas over a profile, and the map from an L3 domain to a
 * node (the CPUs whose cache/index3/id is NN; the package's first node when
 * the cache ids are not in sysfs).  mbm_local_bytes is the traffic the
 * domain's own memory served; total - local went to another node: a direct
 * local/remote bandwidth split, which the memory controllers' counters
 * (uncore.h) cannot give.
 *
 * Promises: everything goes through the nl_sys table (tests point the roots
 * at a fake tree); a counter the kernel reports "Unavailable" or that went
 * backwards adds nothing; nothing is allocated per tick.
 */
#ifndef NUMALENS_RESCTRL_H
#define NUMALENS_RESCTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sys;
struct nl_topology;

#define NL_RDT_MAX_DOMAINS 64

struct nl_rdt_domain {
	int domain;             /* NN of mon_L3_NN (the L3 cache id) */
	int node;               /* node id of its CPUs, -1 unknown */
	double total_mean;      /* bytes per second, every access to memory */
	double local_mean;      /* ... of them served by the domain's own node */
};

struct nl_rdt_result {
	bool measured;
	char why[300];          /* when not measured: the cause and the fix */
	double seconds;
	int nr_domains;
	struct nl_rdt_domain domains[NL_RDT_MAX_DOMAINS];
};

struct nl_resctrl;

/*
 * Finds the MBM files under resctrl_root ("/sys/fs/resctrl"), maps domains
 * to nodes with the cache ids under sysfs_root ("/sys") and topo, reads the
 * start values.  OUT: *out.  Returns 0, or -errno with res->why filled
 * (-ENOENT: not mounted, or no MBM events); *out NULL then.
 */
int resctrl__start(const struct nl_sys *sys, const char *resctrl_root, const char *sysfs_root,
		   const struct nl_topology *topo, struct nl_resctrl **out,
		   struct nl_rdt_result *res);
/* Reads every counter and adds what it grew by (call about once a second). */
void resctrl__tick(struct nl_resctrl *r);
/* Last read, fills *res, frees r (NULL: nothing). */
void resctrl__stop(struct nl_resctrl *r, struct nl_rdt_result *res);

#endif
