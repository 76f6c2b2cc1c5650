/*
 * datasrc.h - what a sample's data_src says about where the data came from.
 *
 * A pure function from the bits of union perf_mem_data_src (the uapi
 * layout, restated in datasrc.c so profiler/ never includes
 * linux/perf_event.h) to one locality class.  Rules:
 *   1. Remote DRAM only when mem_lvl_num is RAM/PMEM/CXL with mem_remote
 *      set, or the legacy REM_RAM1/REM_RAM2 bits of mem_lvl.
 *   2. A remote cache hit (REM_CCE1/2, or a cache level with mem_remote) is
 *      never remote DRAM.  With mem_hops == 0 ("remote core, same node") it is
 *      a peer-cache hit on the local node.
 *   3. Legacy encodings that only set mem_lvl decode too.
 *   4. Arm SPE marks remote accesses without a level: REMOTE_UNKNOWN.
 *   5. A memory op whose level is not available is MEM_UNKNOWN; a sample
 *      that is not a memory op at all is NA.
 */
#ifndef NUMALENS_DATASRC_H
#define NUMALENS_DATASRC_H

#include <stdbool.h>
#include <stdint.h>

enum nl_mem_class {
	NL_MEM_NA = 0,           /* not a memory operation / no data_src */
	NL_MEM_L1,
	NL_MEM_LFB,              /* line fill buffer / miss address buffer */
	NL_MEM_L2,
	NL_MEM_L3,               /* L3 or L4, local */
	NL_MEM_PEER_CACHE,       /* another core's cache on the same node */
	NL_MEM_LOCAL_RAM,
	NL_MEM_REMOTE_RAM,
	NL_MEM_REMOTE_CACHE,     /* cache on another node, clean */
	NL_MEM_REMOTE_CACHE_HITM,/* cache on another node, modified line */
	NL_MEM_PMEM,             /* persistent memory (local or remote, see remote) */
	NL_MEM_CXL,              /* CXL-attached memory */
	NL_MEM_IO,               /* I/O memory */
	NL_MEM_UNCACHED,
	NL_MEM_REMOTE_UNKNOWN,   /* remote, level not reported (Arm SPE) */
	NL_MEM_UNKNOWN,          /* memory op, level not available */
	NL_MEM_CLASS_COUNT
};

enum nl_locality {
	NL_LOC_NONE = 0,         /* not a memory access */
	NL_LOC_LOCAL,
	NL_LOC_REMOTE,
	NL_LOC_UNKNOWN,          /* a memory access of unknown locality */
};

struct nl_mem_access {
	enum nl_mem_class cls;
	enum nl_locality locality;
	bool load, store;        /* mem_op */
	bool hitm;               /* snoop hit modified (SNOOP_HITM) */
	bool remote;             /* served from another node (any level) */
	int hops;                /* mem_hops: 0 core, 1 node, 2 socket, 3 board;
				    -1 when not reported */
};

/* Decodes raw (the 64-bit data_src value).  Never fails. */
void datasrc__decode(uint64_t raw, struct nl_mem_access *out);

/* Stable lower-case identifier of a class ("remote_ram"), used in JSON. */
const char *datasrc__class_name(enum nl_mem_class cls);
/* Short human label ("remote DRAM"), used in text reports. */
const char *datasrc__class_label(enum nl_mem_class cls);
/* Locality a class implies (the decoder's rule, for renderers). */
enum nl_locality datasrc__class_locality(enum nl_mem_class cls);

#endif
