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
 * How the decoder applies them (datasrc.c, first match wins):
 *   a. NA unless mem_op has LOAD, STORE, PFETCH or EXEC (so 0 is NA).
 *   b. A level that missed (LVL_MISS without LVL_HIT: Intel "L3 miss", a
 *      store's "L1 miss", Arm SPE "LLC miss") did not supply the data:
 *      REMOTE_UNKNOWN if mem_remote or a legacy REM_* bit says remote,
 *      else MEM_UNKNOWN.
 *   c. Legacy REM_RAM1/REM_RAM2 are remote DRAM whatever mem_lvl_num says
 *      (Sandy Bridge sets REM_RAM1 with lvl_num L3).
 *   d. mem_lvl_num when it names a level (not 0, 0x07 or NA), else the
 *      mem_lvl bits, nearest level first (L1, LFB, L2, L3, local RAM,
 *      REM_CCE1/2, I/O, uncached).  L4 and the memory-side cache count as
 *      L3; the L2 miss-handling buffer as LFB.
 *   e. A cache level with mem_remote, or REM_CCE1/2, is REMOTE_CACHE
 *      (_HITM when mem_snoop has HITM), or PEER_CACHE when mem_hops is
 *      HOPS_0.  A local cache with SNOOPX_PEER, and ANY_CACHE without
 *      mem_remote, are PEER_CACHE.
 *   f. mem_hops HOPS_0 ("remote core, same node") overrules mem_remote at
 *      every level: RAM + remote + HOPS_0 is LOCAL_RAM, PMEM/CXL likewise
 *      local.  No kernel emits it for memory; the hops field is the more
 *      specific of the two.
 *   g. PMEM, CXL, I/O and uncached keep their class; locality comes from
 *      mem_remote: remote when set (and not HOPS_0), else local for PMEM
 *      and CXL (IBS, PEBS and Power set it when they know) and unknown for
 *      I/O and uncached (no producer reports it).
 *   h. No level at all (lvl and lvl_num NA or 0) with mem_remote is
 *      REMOTE_UNKNOWN: perf writes Arm SPE remote accesses so since its
 *      2025 fix "perf arm_spe: Correct memory level for remote access"
 *      (also in stable), or with no level but mem_remote for CPUs without
 *      a data-source packet.  Older perf wrote REM_CCE1 + ANY_CACHE +
 *      remote (REMOTE_CACHE by rule e), or OR-ed REM_CCE1 into an L1/L3
 *      miss (REMOTE_UNKNOWN by rule b).
 *   hops is -1 unless mem_hops is HOPS_0..HOPS_3; the legacy "1 hop" and
 *   "2 hops" of REM_RAM/REM_CCE are not hops in that sense and give -1.
 */
#ifndef NUMALENS_DATASRC_H
#define NUMALENS_DATASRC_H

#include <stdbool.h>
#include <stddef.h>
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

/* Decodes raw (the 64-bit data_src value) into *out (OUT, not NULL).
   Never fails: every bit pattern gets a class. */
void datasrc__decode(uint64_t raw, struct nl_mem_access *out);

/*
 * Renders raw as `perf script -F data_src` does (perf 6.12), e.g.
 * "|OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A", for
 * -v output and for checking decodes against perf.  Writes at most size
 * bytes including the NUL (buf may be NULL when size is 0) and returns the
 * full length, as snprintf: a return >= size means it was cut short.
 */
int datasrc__format(uint64_t raw, char *buf, size_t size);

/* Stable lower-case identifier of a class ("remote_ram"), used in JSON.
   These three give "invalid" / NL_LOC_NONE for a value out of range. */
const char *datasrc__class_name(enum nl_mem_class cls);
/* Short human label ("remote DRAM"), used in text reports. */
const char *datasrc__class_label(enum nl_mem_class cls);
/* Locality a class implies (the decoder's rule, for renderers); for PMEM,
   CXL, I/O, uncached and MEM_UNKNOWN the class alone does not say:
   NL_LOC_UNKNOWN (a decoded sample's own locality does). */
enum nl_locality datasrc__class_locality(enum nl_mem_class cls);

#endif
