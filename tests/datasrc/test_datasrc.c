/*
 * test_datasrc.c - profiler/datasrc.c: data_src words to locality classes,
 * the class tables, and the perf-style rendering.
 *
 * Every word is built field by field with MAKE_DSRC/FULL_DSRC from the uapi
 * header's own values and shifts: linux/perf_event.h is the independent
 * oracle here (profiler/ restates it and must not include it).  Each row
 * names the producer whose encoding it copies (kernel PEBS tables, AMD IBS,
 * Power, perf's Arm SPE decoder) and asserts class, locality, hitm, remote
 * and hops.  The real words come from ../shared/fixtures recordings, with
 * the string perf 6.12 printed for them.
 */
#include <linux/perf_event.h>

#include "check.h"
#include "profiler/datasrc.h"

#include <ctype.h>
#include <stdbool.h>

/* Level numbers newer than some installed uapi headers (Linux 6.4/6.11). */
#ifndef PERF_MEM_LVLNUM_UNC
#define PERF_MEM_LVLNUM_UNC 0x08
#endif
#ifndef PERF_MEM_LVLNUM_L2_MHB
#define PERF_MEM_LVLNUM_L2_MHB 0x05
#endif
#ifndef PERF_MEM_LVLNUM_MSC
#define PERF_MEM_LVLNUM_MSC 0x06
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define OP(x)  PERF_MEM_OP_##x
#define LV(x)  PERF_MEM_LVL_##x
#define LN(x)  PERF_MEM_LVLNUM_##x
#define SN(x)  PERF_MEM_SNOOP_##x
#define SX(x)  PERF_MEM_SNOOPX_##x
#define LK(x)  PERF_MEM_LOCK_##x
#define TLB(x) PERF_MEM_TLB_##x
#define BLK(x) PERF_MEM_BLK_##x
#define HOP(x) PERF_MEM_HOPS_##x
#define REM    PERF_MEM_REMOTE_REMOTE
#define LD     OP(LOAD)
#define ST     OP(STORE)

/* Every field of union perf_mem_data_src, shifted into place. */
#define FULL_DSRC(op, lvl, snoop, lock, dtlb, lvl_num, remote, snoopx, blk, hops) \
	((uint64_t)(op) << PERF_MEM_OP_SHIFT |                                 \
	 (uint64_t)(lvl) << PERF_MEM_LVL_SHIFT |                               \
	 (uint64_t)(snoop) << PERF_MEM_SNOOP_SHIFT |                           \
	 (uint64_t)(lock) << PERF_MEM_LOCK_SHIFT |                             \
	 (uint64_t)(dtlb) << PERF_MEM_TLB_SHIFT |                              \
	 (uint64_t)(lvl_num) << PERF_MEM_LVLNUM_SHIFT |                        \
	 (uint64_t)(remote) << PERF_MEM_REMOTE_SHIFT |                         \
	 (uint64_t)(snoopx) << PERF_MEM_SNOOPX_SHIFT |                         \
	 (uint64_t)(blk) << PERF_MEM_BLK_SHIFT |                               \
	 (uint64_t)(hops) << PERF_MEM_HOPS_SHIFT)

/* The fields that decide the class (lock, TLB and blk left 0). */
#define MAKE_DSRC(op, lvl, snoop, lvl_num, remote, snoopx, hops) \
	FULL_DSRC(op, lvl, snoop, 0, 0, lvl_num, remote, snoopx, 0, hops)

struct want {
	enum nl_mem_class cls;
	enum nl_locality loc;
	bool hitm, remote;
	int hops;               /* -1: not reported */
};

#define W(c, l, hitm, remote, hops) { NL_MEM_##c, NL_LOC_##l, hitm, remote, hops }

struct row {
	const char *what;
	uint64_t raw;
	struct want w;
};

/* ---- tables ------------------------------------------------------------- */

static const struct row cache_hits[] = {
	{ "L1 hit, lvl_num", MAKE_DSRC(LD, LV(L1) | LV(HIT), SN(NONE), LN(L1), 0, 0, 0),
	  W(L1, LOCAL, false, false, -1) },
	{ "L1 hit, mem_lvl only", MAKE_DSRC(LD, LV(L1) | LV(HIT), SN(NONE), 0, 0, 0, 0),
	  W(L1, LOCAL, false, false, -1) },
	{ "L1 hit, lvl_num NA", MAKE_DSRC(LD, LV(L1) | LV(HIT), SN(NONE), LN(NA), 0, 0, 0),
	  W(L1, LOCAL, false, false, -1) },
	{ "LFB hit, lvl_num", MAKE_DSRC(LD, LV(LFB) | LV(HIT), SN(NONE), LN(LFB), 0, 0, 0),
	  W(LFB, LOCAL, false, false, -1) },
	{ "LFB hit, mem_lvl only", MAKE_DSRC(LD, LV(LFB) | LV(HIT), SN(NONE), 0, 0, 0, 0),
	  W(LFB, LOCAL, false, false, -1) },
	{ "L2 hit, lvl_num", MAKE_DSRC(LD, LV(L2) | LV(HIT), SN(NONE), LN(L2), 0, 0, 0),
	  W(L2, LOCAL, false, false, -1) },
	{ "L2 hit, mem_lvl only", MAKE_DSRC(LD, LV(L2) | LV(HIT), SN(NONE), 0, 0, 0, 0),
	  W(L2, LOCAL, false, false, -1) },
	{ "L3 hit, lvl_num", MAKE_DSRC(LD, LV(L3) | LV(HIT), SN(NONE), LN(L3), 0, 0, 0),
	  W(L3, LOCAL, false, false, -1) },
	{ "L3 hit, mem_lvl only", MAKE_DSRC(LD, LV(L3) | LV(HIT), SN(NONE), 0, 0, 0, 0),
	  W(L3, LOCAL, false, false, -1) },
	{ "PEBS 0x07 L3 hit, snoop HITM", MAKE_DSRC(LD, LV(L3) | LV(HIT), SN(HITM), LN(L3), 0, 0, 0),
	  W(L3, LOCAL, true, false, -1) },
	{ "PEBS SKL L4 hit", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(L4), 0, 0, 0),
	  W(L3, LOCAL, false, false, -1) },
	{ "Lion Cove L2 miss-handling buffer", MAKE_DSRC(LD, LV(HIT), SN(NONE), LN(L2_MHB), 0, 0, 0),
	  W(LFB, LOCAL, false, false, -1) },
	{ "Lion Cove memory-side cache", MAKE_DSRC(LD, LV(HIT), SN(NONE), LN(MSC), 0, 0, 0),
	  W(L3, LOCAL, false, false, -1) },
	{ "prefetch, L2 hit", MAKE_DSRC(OP(PFETCH), LV(L2) | LV(HIT), 0, LN(L2), 0, 0, 0),
	  W(L2, LOCAL, false, false, -1) },
	{ "exec, L1 hit", MAKE_DSRC(OP(EXEC), LV(L1) | LV(HIT), 0, LN(L1), 0, 0, 0),
	  W(L1, LOCAL, false, false, -1) },
	{ "SPE peer core: L2 + SNOOPX_PEER", MAKE_DSRC(LD, LV(L2) | LV(HIT), 0, LN(L2), 0, SX(PEER), 0),
	  W(PEER_CACHE, LOCAL, false, false, -1) },
	{ "SPE cluster: L3 + SNOOPX_PEER", MAKE_DSRC(LD, LV(L3) | LV(HIT), 0, LN(L3), 0, SX(PEER), 0),
	  W(PEER_CACHE, LOCAL, false, false, -1) },
	{ "SPE system cache: L3, snoop HIT", MAKE_DSRC(LD, LV(L3) | LV(HIT), SN(HIT), LN(L3), 0, 0, 0),
	  W(L3, LOCAL, false, false, -1) },
	{ "mem_hops 5 is not a hop level", MAKE_DSRC(LD, LV(L1) | LV(HIT), SN(NONE), LN(L1), 0, 0, 5),
	  W(L1, LOCAL, false, false, -1) },
};

static const struct row dram[] = {
	{ "PEBS 0x0c local RAM, exclusive", MAKE_DSRC(LD, LV(LOC_RAM) | LV(HIT), SN(NONE) | SN(MISS), LN(RAM), 0, 0, 0),
	  W(LOCAL_RAM, LOCAL, false, false, -1) },
	{ "PEBS 0x0a local RAM, shared", MAKE_DSRC(LD, LV(LOC_RAM) | LV(HIT), SN(HIT), LN(RAM), 0, 0, 0),
	  W(LOCAL_RAM, LOCAL, false, false, -1) },
	{ "local RAM, mem_lvl only", MAKE_DSRC(LD, LV(LOC_RAM) | LV(HIT), SN(NONE), 0, 0, 0, 0),
	  W(LOCAL_RAM, LOCAL, false, false, -1) },
	{ "PEBS SKL 0x0b RAM + remote, no hops", MAKE_DSRC(LD, LV(HIT), SN(NONE), LN(RAM), REM, 0, 0),
	  W(REMOTE_RAM, REMOTE, false, true, -1) },
	{ "RAM + remote + hops 0: same node wins", MAKE_DSRC(LD, LV(HIT), SN(NONE), LN(RAM), REM, 0, HOP(0)),
	  W(LOCAL_RAM, LOCAL, false, false, 0) },
	{ "IBS remote DRAM, hops 1", MAKE_DSRC(LD, LV(REM_RAM1) | LV(HIT), 0, LN(RAM), REM, 0, HOP(1)),
	  W(REMOTE_RAM, REMOTE, false, true, 1) },
	{ "RAM + remote, hops 1, no legacy bit", MAKE_DSRC(LD, LV(HIT), 0, LN(RAM), REM, 0, HOP(1)),
	  W(REMOTE_RAM, REMOTE, false, true, 1) },
	{ "Power remote RAM, hops 2", MAKE_DSRC(LD, LV(REM_RAM1) | LV(HIT), SN(HIT), LN(RAM), REM, 0, HOP(2)),
	  W(REMOTE_RAM, REMOTE, false, true, 2) },
	{ "Power distant RAM, hops 3", MAKE_DSRC(LD, LV(REM_RAM2) | LV(HIT), SN(HIT), LN(RAM), REM, 0, HOP(3)),
	  W(REMOTE_RAM, REMOTE, false, true, 3) },
	{ "legacy REM_RAM1 only", MAKE_DSRC(LD, LV(REM_RAM1) | LV(HIT), SN(HIT), 0, 0, 0, 0),
	  W(REMOTE_RAM, REMOTE, false, true, -1) },
	{ "legacy REM_RAM2 only", MAKE_DSRC(LD, LV(REM_RAM2) | LV(HIT), SN(NONE), 0, 0, 0, 0),
	  W(REMOTE_RAM, REMOTE, false, true, -1) },
	{ "PEBS SNB 0x0b REM_RAM1 with lvl_num L3", MAKE_DSRC(LD, LV(REM_RAM1) | LV(HIT), SN(HIT), LN(L3), REM, 0, 0),
	  W(REMOTE_RAM, REMOTE, false, true, -1) },
	{ "PEBS SNB 0x0d REM_RAM1 + RAM + remote", MAKE_DSRC(LD, LV(REM_RAM1) | LV(HIT), SN(NONE) | SN(MISS), LN(RAM), REM, 0, 0),
	  W(REMOTE_RAM, REMOTE, false, true, -1) },
	{ "legacy LOC_RAM + remote stays local (rule 1)", MAKE_DSRC(LD, LV(LOC_RAM) | LV(HIT), 0, 0, REM, 0, 0),
	  W(LOCAL_RAM, LOCAL, false, false, -1) },
	{ "SPE DRAM", MAKE_DSRC(LD, LV(LOC_RAM) | LV(HIT), SN(NONE), LN(RAM), 0, 0, 0),
	  W(LOCAL_RAM, LOCAL, false, false, -1) },
};

static const struct row remote_cache[] = {
	{ "legacy REM_CCE1, snoop HIT", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HIT), 0, 0, 0, 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "legacy REM_CCE1, HITM", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HITM), 0, 0, 0, 0),
	  W(REMOTE_CACHE_HITM, REMOTE, true, true, -1) },
	{ "legacy REM_CCE2, snoop HIT", MAKE_DSRC(LD, LV(REM_CCE2) | LV(HIT), SN(HIT), 0, 0, 0, 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "legacy REM_CCE2, HITM", MAKE_DSRC(LD, LV(REM_CCE2) | LV(HIT), SN(HITM), 0, 0, 0, 0),
	  W(REMOTE_CACHE_HITM, REMOTE, true, true, -1) },
	{ "legacy REM_CCE1 + hops 0", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HIT), 0, 0, 0, HOP(0)),
	  W(PEER_CACHE, LOCAL, false, false, 0) },
	{ "PEBS SNB 0x08 REM_CCE1 + L3 + remote", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HIT), LN(L3), REM, 0, 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "PEBS SNB 0x09 REM_CCE1 + L3 + remote, HITM", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HITM), LN(L3), REM, 0, 0),
	  W(REMOTE_CACHE_HITM, REMOTE, true, true, -1) },
	{ "PEBS SKL 0x09 L4 + remote", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(L4), REM, 0, 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "PEBS SKL 0x0c ANY_CACHE + remote, FWD", MAKE_DSRC(LD, LV(HIT), 0, LN(ANY_CACHE), REM, SX(FWD), 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "PEBS SKL 0x0d ANY_CACHE + remote, HITM", MAKE_DSRC(LD, LV(HIT), SN(HITM), LN(ANY_CACHE), REM, 0, 0),
	  W(REMOTE_CACHE_HITM, REMOTE, true, true, -1) },
	{ "IBS near CCX: ANY_CACHE + remote + hops 0", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(NA), LN(ANY_CACHE), REM, 0, HOP(0)),
	  W(PEER_CACHE, LOCAL, false, false, 0) },
	{ "IBS near CCX, HITM", MAKE_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HITM), LN(ANY_CACHE), REM, 0, HOP(0)),
	  W(PEER_CACHE, LOCAL, true, false, 0) },
	{ "IBS far CCX: ANY_CACHE + remote + hops 1", MAKE_DSRC(LD, LV(REM_CCE2) | LV(HIT), SN(NA), LN(ANY_CACHE), REM, 0, HOP(1)),
	  W(REMOTE_CACHE, REMOTE, false, true, 1) },
	{ "IBS far CCX, HITM", MAKE_DSRC(LD, LV(REM_CCE2) | LV(HIT), SN(HITM), LN(ANY_CACHE), REM, 0, HOP(1)),
	  W(REMOTE_CACHE_HITM, REMOTE, true, true, 1) },
	{ "ANY_CACHE + remote + hops 2", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(ANY_CACHE), REM, 0, HOP(2)),
	  W(REMOTE_CACHE, REMOTE, false, true, 2) },
	{ "ANY_CACHE + remote + hops 3, HITM", MAKE_DSRC(LD, LV(HIT), SN(HITM), LN(ANY_CACHE), REM, 0, HOP(3)),
	  W(REMOTE_CACHE_HITM, REMOTE, true, true, 3) },
	{ "Power L2 of another core, same node, HITM", MAKE_DSRC(LD, LV(L2) | LV(HIT), SN(HITM), LN(L2), REM, 0, HOP(0)),
	  W(PEER_CACHE, LOCAL, true, false, 0) },
	{ "Power L3 of another core, same node", MAKE_DSRC(LD, LV(L3) | LV(HIT), SN(HIT), LN(L3), REM, SX(FWD), HOP(0)),
	  W(PEER_CACHE, LOCAL, false, false, 0) },
	{ "L3 + remote + hops 2", MAKE_DSRC(LD, LV(L3) | LV(HIT), SN(HIT), LN(L3), REM, 0, HOP(2)),
	  W(REMOTE_CACHE, REMOTE, false, true, 2) },
	{ "IBS pre-Zen4 local cache: L3|REM_CCE1, ANY_CACHE, hops 0", MAKE_DSRC(LD, LV(L3) | LV(REM_CCE1) | LV(HIT), SN(HITM), LN(ANY_CACHE), 0, 0, HOP(0)),
	  W(PEER_CACHE, LOCAL, true, false, 0) },
	{ "IBS 6.1 L3|REM_CCE1, mem_lvl only: nearest wins", MAKE_DSRC(LD, LV(L3) | LV(REM_CCE1) | LV(HIT), 0, 0, 0, 0, 0),
	  W(L3, LOCAL, false, false, -1) },
	{ "ANY_CACHE without remote", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(ANY_CACHE), 0, 0, 0),
	  W(PEER_CACHE, LOCAL, false, false, -1) },
};

static const struct row media[] = {
	{ "PEBS SKL 0x08 PMEM, local", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(PMEM), 0, 0, 0),
	  W(PMEM, LOCAL, false, false, -1) },
	{ "PEBS SKL 0x09 PMEM, remote", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(PMEM), REM, 0, 0),
	  W(PMEM, REMOTE, false, true, -1) },
	{ "IBS PMEM, remote hops 1", MAKE_DSRC(LD, 0, SN(NA), LN(PMEM), REM, 0, HOP(1)),
	  W(PMEM, REMOTE, false, true, 1) },
	{ "PMEM, remote hops 2", MAKE_DSRC(LD, LV(HIT), SN(HIT), LN(PMEM), REM, 0, HOP(2)),
	  W(PMEM, REMOTE, false, true, 2) },
	{ "PMEM + remote + hops 0: same node", MAKE_DSRC(LD, LV(HIT), 0, LN(PMEM), REM, 0, HOP(0)),
	  W(PMEM, LOCAL, false, false, 0) },
	{ "IBS CXL, local", MAKE_DSRC(LD, 0, SN(NA), LN(CXL), 0, 0, 0),
	  W(CXL, LOCAL, false, false, -1) },
	{ "IBS CXL, remote hops 1", MAKE_DSRC(LD, 0, SN(NA), LN(CXL), REM, 0, HOP(1)),
	  W(CXL, REMOTE, false, true, 1) },
	{ "PEBS 0x0e I/O (mem_lvl, lvl_num NA)", MAKE_DSRC(LD, LV(IO) | LV(HIT), SN(NONE), LN(NA), 0, 0, 0),
	  W(IO, UNKNOWN, false, false, -1) },
	{ "IBS I/O, lvl_num IO", MAKE_DSRC(LD, LV(IO) | LV(HIT), SN(NA), LN(IO), 0, 0, 0),
	  W(IO, UNKNOWN, false, false, -1) },
	{ "I/O, remote hops 1", MAKE_DSRC(LD, LV(IO) | LV(HIT), 0, LN(IO), REM, 0, HOP(1)),
	  W(IO, REMOTE, false, true, 1) },
	{ "PEBS 0x0f uncached (mem_lvl, lvl_num NA)", MAKE_DSRC(LD, LV(UNC) | LV(HIT), SN(NONE), LN(NA), 0, 0, 0),
	  W(UNCACHED, UNKNOWN, false, false, -1) },
	{ "IBS uncached, lvl_num UNC", MAKE_DSRC(LD, LV(UNC) | LV(HIT), SN(NA), LN(UNC), 0, 0, 0),
	  W(UNCACHED, UNKNOWN, false, false, -1) },
	{ "store, uncached, mem_lvl only", MAKE_DSRC(ST, LV(UNC) | LV(HIT), 0, 0, 0, 0, 0),
	  W(UNCACHED, UNKNOWN, false, false, -1) },
};

static const struct row arm_spe[] = {
	{ "SPE remote: lvl NA, lvl_num NA (perf 2025+)", MAKE_DSRC(LD, LV(NA), 0, LN(NA), REM, SX(PEER), 0),
	  W(REMOTE_UNKNOWN, REMOTE, false, true, -1) },
	{ "SPE remote, no level at all", MAKE_DSRC(LD, 0, 0, 0, REM, 0, 0),
	  W(REMOTE_UNKNOWN, REMOTE, false, true, -1) },
	{ "SPE remote, LLC miss", MAKE_DSRC(LD, LV(L3) | LV(MISS), 0, 0, REM, 0, 0),
	  W(REMOTE_UNKNOWN, REMOTE, false, true, -1) },
	{ "SPE store, remote, no level", MAKE_DSRC(ST, 0, 0, 0, REM, 0, 0),
	  W(REMOTE_UNKNOWN, REMOTE, false, true, -1) },
	{ "older SPE remote: REM_CCE1 + ANY_CACHE + remote", MAKE_DSRC(LD, LV(REM_CCE1), 0, LN(ANY_CACHE), REM, SX(PEER), 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "older SPE: LLC miss | REM_CCE1", MAKE_DSRC(LD, LV(L3) | LV(MISS) | LV(REM_CCE1), 0, 0, 0, 0, 0),
	  W(REMOTE_UNKNOWN, REMOTE, false, true, -1) },
	{ "older SPE: L1 miss | REM_CCE1", MAKE_DSRC(LD, LV(L1) | LV(MISS) | LV(REM_CCE1), 0, 0, 0, 0, 0),
	  W(REMOTE_UNKNOWN, REMOTE, false, true, -1) },
	{ "older SPE: REM_CCE1 alone", MAKE_DSRC(LD, LV(REM_CCE1), 0, 0, 0, 0, 0),
	  W(REMOTE_CACHE, REMOTE, false, true, -1) },
	{ "SPE store: no level", MAKE_DSRC(ST, LV(NA), SN(NA), LN(NA), 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ "SPE L1 miss, no LLC information", MAKE_DSRC(LD, LV(L1) | LV(MISS), 0, 0, 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
};

static const struct row unknown[] = {
	{ "data_src 0", 0, W(NA, NONE, false, false, -1) },
	{ "PERF_MEM_NA with LVLNUM_NA",
	  FULL_DSRC(OP(NA), LV(NA), SN(NA), LK(NA), TLB(NA), LN(NA), 0, 0, 0, 0),
	  W(NA, NONE, false, false, -1) },
	{ "op 0 with a level", MAKE_DSRC(0, LV(L1) | LV(HIT), SN(NONE), LN(L1), 0, 0, 0),
	  W(NA, NONE, false, false, -1) },
	{ "op NA with a remote level", MAKE_DSRC(OP(NA), LV(HIT), SN(HITM), LN(RAM), REM, 0, HOP(1)),
	  W(NA, NONE, false, false, -1) },
	{ "load, level NA", MAKE_DSRC(LD, LV(NA), SN(NA), LN(NA), 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ "load, no level fields", MAKE_DSRC(LD, 0, 0, 0, 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ "load, HIT only, lvl_num 0x07 unassigned", MAKE_DSRC(LD, LV(HIT), 0, 0x07, 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ "load, remote + hops 0, no level", MAKE_DSRC(LD, 0, 0, 0, REM, 0, HOP(0)),
	  W(UNKNOWN, UNKNOWN, false, false, 0) },
	{ "PEBS 0x00 L3 miss, level unknown", MAKE_DSRC(LD, LV(MISS), SN(NA), LN(L3), 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ "Lion Cove 0x0f L3 miss, snoop HITM", MAKE_DSRC(LD, LV(MISS) | LV(L3), SN(HITM), LN(L3), 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, true, false, -1) },
	{ "precise store, L1 miss", MAKE_DSRC(ST, LV(L1) | LV(MISS), SN(NA), 0, 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ "IBS store, level NA", MAKE_DSRC(ST, LV(NA), SN(NA), LN(NA), 0, 0, 0),
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
};

/*
 * Words from real recordings.  raw is the value perf printed; built is the
 * same word from its fields (so the field reading is checked too).  perf
 * is what `perf script` (6.12) printed for it; rows marked derived were not
 * in the printed excerpt, their string follows perf's rules.
 */
struct real {
	const char *file;
	uint64_t raw, built;
	const char *perf;
	struct want w;
};

#define IBS "lob_epyc-9254-zen4_amd-ibs-op_c2c-ring"
#define SKX "quipper_skx-8173m-2s_pebs-ldlat-load-latency_weight-struct"
#define IBS_DERIVED IBS " (derived)"
#define TLB_L1L2_HIT (TLB(L1) | TLB(L2) | TLB(HIT))

static const struct real reals[] = {
	{ IBS, 0x1e05080021,
	  FULL_DSRC(OP(NA), LV(NA), SN(NA), LK(NA), TLB(NA), LN(NA), 0, 0, 0, 0),
	  "|OP N/A|LVL N/A|SNP N/A|TLB N/A|LCK N/A|BLK  N/A",
	  W(NA, NONE, false, false, -1) },
	{ IBS, 0x229080144,
	  FULL_DSRC(ST, LV(L1) | LV(HIT), SN(NA), LK(NA), TLB(L1) | TLB(HIT), LN(L1), 0, 0, 0, 0),
	  "|OP STORE|LVL L1 hit|SNP N/A|TLB L1 hit|LCK N/A|BLK  N/A",
	  W(L1, LOCAL, false, false, -1) },
	{ IBS, 0x1a29081042,
	  FULL_DSRC(LD, LV(LOC_RAM) | LV(HIT), SN(NA), LK(NA), TLB(L1) | TLB(HIT), LN(RAM), 0, 0, 0, 0),
	  "|OP LOAD|LVL RAM hit|SNP N/A|TLB L1 hit|LCK N/A|BLK  N/A",
	  W(LOCAL_RAM, LOCAL, false, false, -1) },
	{ IBS, 0x429080444,
	  FULL_DSRC(ST, LV(L2) | LV(HIT), SN(NA), LK(NA), TLB(L1) | TLB(HIT), LN(L2), 0, 0, 0, 0),
	  "|OP STORE|LVL L2 hit|SNP N/A|TLB L1 hit|LCK N/A|BLK  N/A",
	  W(L2, LOCAL, false, false, -1) },
	{ IBS_DERIVED, 0x83629088042,
	  FULL_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(NA), LK(NA), TLB(L1) | TLB(HIT), LN(ANY_CACHE), REM, 0, 0, HOP(0)),
	  "|OP LOAD|LVL Remote core, same node Any cache hit|SNP N/A|TLB L1 hit|LCK N/A|BLK  N/A",
	  W(PEER_CACHE, LOCAL, false, false, 0) },
	{ IBS_DERIVED, 0x83629808042,
	  FULL_DSRC(LD, LV(REM_CCE1) | LV(HIT), SN(HITM), LK(NA), TLB(L1) | TLB(HIT), LN(ANY_CACHE), REM, 0, 0, HOP(0)),
	  "|OP LOAD|LVL Remote core, same node Any cache hit|SNP HitM|TLB L1 hit|LCK N/A|BLK  N/A",
	  W(PEER_CACHE, LOCAL, true, false, 0) },
	{ IBS_DERIVED, 0x205080142,
	  FULL_DSRC(LD, LV(L1) | LV(HIT), SN(NA), LK(NA), TLB(NA), LN(L1), 0, 0, 0, 0),
	  "|OP LOAD|LVL L1 hit|SNP N/A|TLB N/A|LCK N/A|BLK  N/A",
	  W(L1, LOCAL, false, false, -1) },
	{ IBS_DERIVED, 0x1e49080024,
	  FULL_DSRC(ST, LV(NA), SN(NA), LK(NA), TLB(L2) | TLB(HIT), LN(NA), 0, 0, 0, 0),
	  "|OP STORE|LVL N/A|SNP N/A|TLB L2 hit|LCK N/A|BLK  N/A",
	  W(UNKNOWN, UNKNOWN, false, false, -1) },
	{ SKX, 0x11868100242,
	  FULL_DSRC(LD, LV(LFB) | LV(HIT), SN(NONE), 0, TLB_L1L2_HIT, LN(LFB), 0, 0, BLK(NA), 0),
	  "|OP LOAD|LVL LFB/MAB hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A",
	  W(LFB, LOCAL, false, false, -1) },
	{ SKX, 0x10268100142,
	  FULL_DSRC(LD, LV(L1) | LV(HIT), SN(NONE), 0, TLB_L1L2_HIT, LN(L1), 0, 0, BLK(NA), 0),
	  "|OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A",
	  W(L1, LOCAL, false, false, -1) },
	{ SKX, 0x10468100442,
	  FULL_DSRC(LD, LV(L2) | LV(HIT), SN(NONE), 0, TLB_L1L2_HIT, LN(L2), 0, 0, BLK(NA), 0),
	  "|OP LOAD|LVL L2 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A",
	  W(L2, LOCAL, false, false, -1) },
	{ SKX, 0x10650100842,
	  FULL_DSRC(LD, LV(L3) | LV(HIT), SN(NONE), 0, TLB(L2) | TLB(MISS), LN(L3), 0, 0, BLK(NA), 0),
	  "|OP LOAD|LVL L3 hit|SNP None|TLB L2 miss|LCK No|BLK  N/A",
	  W(L3, LOCAL, false, false, -1) },
	{ SKX, 0x10668100842,
	  FULL_DSRC(LD, LV(L3) | LV(HIT), SN(NONE), 0, TLB_L1L2_HIT, LN(L3), 0, 0, BLK(NA), 0),
	  "|OP LOAD|LVL L3 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A",
	  W(L3, LOCAL, false, false, -1) },
	{ SKX, 0x1026a100142,
	  FULL_DSRC(LD, LV(L1) | LV(HIT), SN(NONE), LK(LOCKED), TLB_L1L2_HIT, LN(L1), 0, 0, BLK(NA), 0),
	  "|OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK Yes|BLK  N/A",
	  W(L1, LOCAL, false, false, -1) },
};

/* Renderings of synthetic words, following perf's rules. */
static const struct { uint64_t raw; const char *perf; } renders[] = {
	{ 0, "|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A" },
	{ MAKE_DSRC(LD, LV(L3) | LV(REM_CCE1) | LV(HIT), SN(HITM), 0, 0, 0, 0),
	  "|OP LOAD|LVL L3 or Remote Cache (1 hop) hit|SNP HitM|TLB N/A|LCK No|BLK  N/A" },
	{ MAKE_DSRC(LD, LV(REM_RAM1) | LV(HIT), SN(NONE), LN(RAM), REM, 0, HOP(1)),
	  "|OP LOAD|LVL Remote node, same socket RAM hit|SNP None|TLB N/A|LCK No|BLK  N/A" },
	{ MAKE_DSRC(LD, 0, 0, LN(PMEM), REM, 0, HOP(3)),
	  "|OP LOAD|LVL Remote board PMEM |SNP N/A|TLB N/A|LCK No|BLK  N/A" },
	{ MAKE_DSRC(LD, LV(MISS), SN(NA), LN(L3), 0, 0, 0),
	  "|OP LOAD|LVL L3 miss|SNP N/A|TLB N/A|LCK No|BLK  N/A" },
	{ MAKE_DSRC(OP(PFETCH), LV(HIT), SN(HIT), LN(ANY_CACHE), REM, SX(FWD), 0),
	  "|OP PFETCH|LVL Remote Any cache hit|SNP Hit or Fwd|TLB N/A|LCK No|BLK  N/A" },
	{ FULL_DSRC(OP(EXEC), LV(UNC) | LV(HIT), SN(NONE), LK(NA), TLB(WK) | TLB(MISS), 0x07, 0, 0, BLK(DATA) | BLK(ADDR), 0),
	  "|OP EXEC|LVL Unknown level 7 hit|SNP None|TLB Walker miss|LCK N/A|BLK  Data Addr" },
};

/* ---- checks ------------------------------------------------------------- */

static void check_decode(const char *what, uint64_t raw, const struct want *w)
{
	int failed = check_failed;
	unsigned op = (unsigned)(raw >> PERF_MEM_OP_SHIFT) & 0x1f;
	struct nl_mem_access a;

	memset(&a, 0x5a, sizeof(a));      /* decode must write every field */
	datasrc__decode(raw, &a);
	CHECK_EQ_U64(a.cls, w->cls);
	CHECK_EQ_U64(a.locality, w->loc);
	CHECK_EQ_U64(a.hitm, w->hitm);
	CHECK_EQ_U64(a.remote, w->remote);
	CHECK_EQ_U64((int64_t)a.hops, (int64_t)w->hops);
	CHECK_EQ_U64(a.load, w->cls != NL_MEM_NA && (op & OP(LOAD)));
	CHECK_EQ_U64(a.store, w->cls != NL_MEM_NA && (op & OP(STORE)));
	if (check_failed != failed)
		fprintf(stderr, "  in \"%s\" (data_src %#" PRIx64 ": %s, want %s)\n",
			what, raw, datasrc__class_name(a.cls),
			datasrc__class_name(w->cls));
}

/* Properties every decode has, whatever the word; false names the first
   one broken in *why. */
static bool invariants_hold(uint64_t raw, const char **why)
{
	unsigned lvl = (unsigned)(raw >> PERF_MEM_LVL_SHIFT) & 0x3fff;
	unsigned lvl_num = (unsigned)(raw >> PERF_MEM_LVLNUM_SHIFT) & 0xf;
	struct nl_mem_access a;
	enum nl_locality implied;

	datasrc__decode(raw, &a);
	implied = datasrc__class_locality(a.cls);
	*why = "remote != (locality == REMOTE)";
	if (a.remote != (a.locality == NL_LOC_REMOTE))
		return false;
	*why = "NA and locality NONE disagree";
	if ((a.cls == NL_MEM_NA) != (a.locality == NL_LOC_NONE))
		return false;
	*why = "locality differs from the one the class implies";
	if (implied != NL_LOC_UNKNOWN && implied != a.locality)
		return false;
	*why = "hops out of -1..3";
	if (a.hops < -1 || a.hops > 3)
		return false;
	/* A remote cache (REM_CCE) is never remote DRAM unless a DRAM field
	   (REM_RAM1/2, lvl_num RAM) says so too. */
	*why = "REM_CCE decoded as remote DRAM";
	return !((lvl & (LV(REM_CCE1) | LV(REM_CCE2))) &&
		 !(lvl & (LV(REM_RAM1) | LV(REM_RAM2))) &&
		 lvl_num != LN(RAM) && a.cls == NL_MEM_REMOTE_RAM);
}

static void check_invariants(uint64_t raw)
{
	const char *why;
	bool ok = invariants_hold(raw, &why);

	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  data_src %#" PRIx64 ": %s\n", raw, why);
}

static void check_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		check_decode(rows[i].what, rows[i].raw, &rows[i].w);
		check_invariants(rows[i].raw);
	}
}

static void check_format(uint64_t raw, const char *want)
{
	char buf[256];
	int n = datasrc__format(raw, buf, sizeof(buf));

	CHECK_EQ_STR(buf, want);
	CHECK_EQ_U64(n, strlen(want));
}

static void check_reals(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(reals); i++) {
		const struct real *r = &reals[i];

		CHECK_EQ_U64(r->built, r->raw);
		check_decode(r->file, r->raw, &r->w);
		check_invariants(r->raw);
		check_format(r->raw, r->perf);
	}
	for (size_t i = 0; i < ARRAY_SIZE(renders); i++)
		check_format(renders[i].raw, renders[i].perf);
}

/* A short buffer gets a NUL-terminated prefix; the full length returns. */
static void check_format_truncation(void)
{
	const struct real *r = &reals[ARRAY_SIZE(reals) - 1];
	size_t full = strlen(r->perf);
	char small[10];

	memset(small, 'x', sizeof(small));
	CHECK_EQ_U64(datasrc__format(r->raw, small, sizeof(small)), full);
	CHECK_EQ_U64(strlen(small), sizeof(small) - 1);
	CHECK(!strncmp(small, r->perf, sizeof(small) - 1));
	CHECK_EQ_U64(datasrc__format(r->raw, NULL, 0), full);
}

/* JSON identifiers are an interface: spelled out here, not derived. */
static const struct {
	enum nl_mem_class cls;
	const char *name;
	enum nl_locality loc;
} class_table[NL_MEM_CLASS_COUNT] = {
	{ NL_MEM_NA, "na", NL_LOC_NONE },
	{ NL_MEM_L1, "l1", NL_LOC_LOCAL },
	{ NL_MEM_LFB, "lfb", NL_LOC_LOCAL },
	{ NL_MEM_L2, "l2", NL_LOC_LOCAL },
	{ NL_MEM_L3, "l3", NL_LOC_LOCAL },
	{ NL_MEM_PEER_CACHE, "peer_cache", NL_LOC_LOCAL },
	{ NL_MEM_LOCAL_RAM, "local_ram", NL_LOC_LOCAL },
	{ NL_MEM_REMOTE_RAM, "remote_ram", NL_LOC_REMOTE },
	{ NL_MEM_REMOTE_CACHE, "remote_cache", NL_LOC_REMOTE },
	{ NL_MEM_REMOTE_CACHE_HITM, "remote_cache_hitm", NL_LOC_REMOTE },
	{ NL_MEM_PMEM, "pmem", NL_LOC_UNKNOWN },
	{ NL_MEM_CXL, "cxl", NL_LOC_UNKNOWN },
	{ NL_MEM_IO, "io", NL_LOC_UNKNOWN },
	{ NL_MEM_UNCACHED, "uncached", NL_LOC_UNKNOWN },
	{ NL_MEM_REMOTE_UNKNOWN, "remote_unknown", NL_LOC_REMOTE },
	{ NL_MEM_UNKNOWN, "unknown", NL_LOC_UNKNOWN },
};

static void check_class_tables(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(class_table); i++) {
		enum nl_mem_class c = class_table[i].cls;
		const char *label = datasrc__class_label(c);

		CHECK_EQ_STR(datasrc__class_name(c), class_table[i].name);
		CHECK_EQ_U64(datasrc__class_locality(c), class_table[i].loc);
		CHECK(label && *label && strcmp(label, "invalid"));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(label, datasrc__class_label(class_table[j].cls)));
	}
	CHECK_EQ_STR(datasrc__class_name(NL_MEM_CLASS_COUNT), "invalid");
	CHECK_EQ_STR(datasrc__class_label((enum nl_mem_class)-1), "invalid");
	CHECK_EQ_U64(datasrc__class_locality(NL_MEM_CLASS_COUNT), NL_LOC_NONE);
}

/* Every value of the fields that drive classification decodes sanely
   (op and mem_lvl sampled, lvl_num, remote and hops all). */
static void check_exhaustive(void)
{
	unsigned long bad = 0;
	const char *why;

	for (unsigned op = 0; op < 32; op += 3)
		for (unsigned lvl = 0; lvl < (1u << 14); lvl += 7)
			for (unsigned n = 0; n < 16; n++)
				for (unsigned rh = 0; rh < 16; rh++) {
					uint64_t raw = MAKE_DSRC(op, lvl, SN(HITM), n,
								 rh & 1, 0, rh >> 1);

					if (!invariants_hold(raw, &why) && !bad++)
						fprintf(stderr, "  data_src %#" PRIx64 ": %s\n",
							raw, why);
				}
	CHECK_EQ_U64(bad, 0);
}

int main(void)
{
	check_rows(cache_hits, ARRAY_SIZE(cache_hits));
	check_rows(dram, ARRAY_SIZE(dram));
	check_rows(remote_cache, ARRAY_SIZE(remote_cache));
	check_rows(media, ARRAY_SIZE(media));
	check_rows(arm_spe, ARRAY_SIZE(arm_spe));
	check_rows(unknown, ARRAY_SIZE(unknown));
	check_reals();
	check_format_truncation();
	check_class_tables();
	check_exhaustive();
	return check_done();
}
