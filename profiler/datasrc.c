/*
 * datasrc.c - decodes a sample's data_src word into one locality class,
 * and renders the word the way `perf script` prints it.
 * See datasrc.h for the contract and the classification rules.
 *
 * The layout of union perf_mem_data_src and the PERF_MEM_* values are
 * restated below from the uapi header (include/uapi/linux/perf_event.h,
 * Linux 6.12, which adds LVLNUM_L2_MHB/MSC/UNC to older copies), so that
 * profiler/ never includes linux/perf_event.h.  The code reads fields only
 * through unpack() and compares values only through these names.
 *
 * Layout of this file: the ABI restated, the class table, the decoder
 * (unpack -> classify -> locality), then the perf-style formatter.
 */
#include "profiler/datasrc.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- union perf_mem_data_src, restated -------------------------------- */

enum ds_field {
	F_OP, F_LVL, F_SNOOP, F_LOCK, F_DTLB, F_LVL_NUM, F_REMOTE, F_SNOOPX,
	F_BLK, F_HOPS, F_COUNT
};

/* Bit position and width of each field (little-endian bitfield order). */
static const struct { unsigned char shift, width; } layout[F_COUNT] = {
	[F_OP]      = { 0, 5 },   /* mem_op */
	[F_LVL]     = { 5, 14 },  /* mem_lvl (legacy, deprecated in favour of
				     lvl_num + remote + snoopx) */
	[F_SNOOP]   = { 19, 5 },  /* mem_snoop */
	[F_LOCK]    = { 24, 2 },  /* mem_lock */
	[F_DTLB]    = { 26, 7 },  /* mem_dtlb */
	[F_LVL_NUM] = { 33, 4 },  /* mem_lvl_num */
	[F_REMOTE]  = { 37, 1 },  /* mem_remote */
	[F_SNOOPX]  = { 38, 2 },  /* mem_snoopx */
	[F_BLK]     = { 40, 3 },  /* mem_blk */
	[F_HOPS]    = { 43, 3 },  /* mem_hops */
};

enum { OP_NA = 0x01, OP_LOAD = 0x02, OP_STORE = 0x04, OP_PFETCH = 0x08,
       OP_EXEC = 0x10 };
enum { LVL_NA = 0x01, LVL_HIT = 0x02, LVL_MISS = 0x04, LVL_L1 = 0x08,
       LVL_LFB = 0x10, LVL_L2 = 0x20, LVL_L3 = 0x40, LVL_LOC_RAM = 0x80,
       LVL_REM_RAM1 = 0x100, LVL_REM_RAM2 = 0x200, LVL_REM_CCE1 = 0x400,
       LVL_REM_CCE2 = 0x800, LVL_IO = 0x1000, LVL_UNC = 0x2000 };
enum { SNOOP_NA = 0x01, SNOOP_NONE = 0x02, SNOOP_HIT = 0x04,
       SNOOP_MISS = 0x08, SNOOP_HITM = 0x10 };
enum { SNOOPX_FWD = 0x01, SNOOPX_PEER = 0x02 };
enum { LOCK_NA = 0x01, LOCK_LOCKED = 0x02 };
enum { TLB_HIT = 0x02, TLB_MISS = 0x04 };
enum { BLK_NA = 0x01, BLK_DATA = 0x02, BLK_ADDR = 0x04 };
enum { LVLNUM_L1 = 0x01, LVLNUM_L2 = 0x02, LVLNUM_L3 = 0x03, LVLNUM_L4 = 0x04,
       LVLNUM_L2_MHB = 0x05, LVLNUM_MSC = 0x06, /* 0x07 unassigned */
       LVLNUM_UNC = 0x08, LVLNUM_CXL = 0x09, LVLNUM_IO = 0x0a,
       LVLNUM_ANY_CACHE = 0x0b, LVLNUM_LFB = 0x0c, LVLNUM_RAM = 0x0d,
       LVLNUM_PMEM = 0x0e, LVLNUM_NA = 0x0f };
/* mem_hops: 0 = not reported; HOPS_0 is "remote core, same node". */
enum { HOPS_0 = 0x01, HOPS_1 = 0x02, HOPS_2 = 0x03, HOPS_3 = 0x04 };

#define LVL_REM_RAM (LVL_REM_RAM1 | LVL_REM_RAM2)
#define LVL_REM_CCE (LVL_REM_CCE1 | LVL_REM_CCE2)

/* One data_src word, field by field. */
struct ds {
	unsigned op, lvl, snoop, lock, dtlb, lvl_num, remote, snoopx, blk, hops;
};

static unsigned field(uint64_t raw, enum ds_field f)
{
	return (unsigned)(raw >> layout[f].shift) & ((1u << layout[f].width) - 1);
}

static struct ds unpack(uint64_t raw)
{
	return (struct ds){
		.op = field(raw, F_OP), .lvl = field(raw, F_LVL),
		.snoop = field(raw, F_SNOOP), .lock = field(raw, F_LOCK),
		.dtlb = field(raw, F_DTLB), .lvl_num = field(raw, F_LVL_NUM),
		.remote = field(raw, F_REMOTE), .snoopx = field(raw, F_SNOOPX),
		.blk = field(raw, F_BLK), .hops = field(raw, F_HOPS),
	};
}

/* ---- classes ------------------------------------------------------------ */

static const struct class_info {
	const char *name;        /* JSON identifier */
	const char *label;       /* text reports */
	enum nl_locality loc;    /* implied by the class; for by_remote classes,
				    the locality when mem_remote is clear */
	bool by_remote;          /* the class alone does not say: mem_remote does */
} classes[NL_MEM_CLASS_COUNT] = {
	[NL_MEM_NA]          = { "na", "not a memory access", NL_LOC_NONE, false },
	[NL_MEM_L1]          = { "l1", "L1 hit", NL_LOC_LOCAL, false },
	[NL_MEM_LFB]         = { "lfb", "fill buffer hit", NL_LOC_LOCAL, false },
	[NL_MEM_L2]          = { "l2", "L2 hit", NL_LOC_LOCAL, false },
	[NL_MEM_L3]          = { "l3", "L3/LLC hit", NL_LOC_LOCAL, false },
	[NL_MEM_PEER_CACHE]  = { "peer_cache", "peer cache, same node",
				 NL_LOC_LOCAL, false },
	[NL_MEM_LOCAL_RAM]   = { "local_ram", "local DRAM", NL_LOC_LOCAL, false },
	[NL_MEM_REMOTE_RAM]  = { "remote_ram", "remote DRAM", NL_LOC_REMOTE, false },
	[NL_MEM_REMOTE_CACHE] = { "remote_cache", "remote cache",
				  NL_LOC_REMOTE, false },
	[NL_MEM_REMOTE_CACHE_HITM] = { "remote_cache_hitm",
				       "remote cache, modified (HITM)",
				       NL_LOC_REMOTE, false },
	[NL_MEM_PMEM]        = { "pmem", "persistent memory", NL_LOC_LOCAL, true },
	[NL_MEM_CXL]         = { "cxl", "CXL memory", NL_LOC_LOCAL, true },
	[NL_MEM_IO]          = { "io", "I/O memory", NL_LOC_UNKNOWN, true },
	[NL_MEM_UNCACHED]    = { "uncached", "uncached memory", NL_LOC_UNKNOWN, true },
	[NL_MEM_REMOTE_UNKNOWN] = { "remote_unknown", "remote, level unknown",
				    NL_LOC_REMOTE, false },
	[NL_MEM_UNKNOWN]     = { "unknown", "level unknown", NL_LOC_UNKNOWN, false },
};

static const struct class_info *class_info(enum nl_mem_class cls)
{
	if ((unsigned)cls >= NL_MEM_CLASS_COUNT)
		return NULL;
	return &classes[cls];
}

const char *datasrc__class_name(enum nl_mem_class cls)
{
	const struct class_info *ci = class_info(cls);

	return ci ? ci->name : "invalid";
}

const char *datasrc__class_label(enum nl_mem_class cls)
{
	const struct class_info *ci = class_info(cls);

	return ci ? ci->label : "invalid";
}

enum nl_locality datasrc__class_locality(enum nl_mem_class cls)
{
	const struct class_info *ci = class_info(cls);

	if (!ci)
		return NL_LOC_NONE;
	return ci->by_remote ? NL_LOC_UNKNOWN : ci->loc;
}

/* ---- decoder ------------------------------------------------------------ */

/* How a level is resolved once found (see resolve()). */
enum kind {
	K_NONE = 0,     /* no level: unknown (remote if mem_remote says so) */
	K_CACHE,        /* a cache of this core's node unless mem_remote */
	K_REMOTE_CACHE, /* legacy REM_CCE1/2: remote unless hops say same node */
	K_DRAM,         /* lvl_num RAM: local or remote by mem_remote */
	K_MEDIA,        /* class fixed; locality from mem_remote */
};

struct level {
	enum kind kind;
	enum nl_mem_class cls;
	const char *perf;       /* perf's name for the lvl_num, or NULL */
};

/* mem_lvl_num values.  0, 0x07 and NA fall back to mem_lvl. */
static const struct level lvlnums[16] = {
	[LVLNUM_L1]        = { K_CACHE, NL_MEM_L1, "L1" },
	[LVLNUM_L2]        = { K_CACHE, NL_MEM_L2, "L2" },
	[LVLNUM_L3]        = { K_CACHE, NL_MEM_L3, "L3" },
	[LVLNUM_L4]        = { K_CACHE, NL_MEM_L3, "L4" },
	[LVLNUM_L2_MHB]    = { K_CACHE, NL_MEM_LFB, "L2 MHB" },
	[LVLNUM_MSC]       = { K_CACHE, NL_MEM_L3, "Memory-side Cache" },
	[LVLNUM_UNC]       = { K_MEDIA, NL_MEM_UNCACHED, "Uncached" },
	[LVLNUM_CXL]       = { K_MEDIA, NL_MEM_CXL, "CXL" },
	[LVLNUM_IO]        = { K_MEDIA, NL_MEM_IO, "I/O" },
	[LVLNUM_ANY_CACHE] = { K_CACHE, NL_MEM_PEER_CACHE, "Any cache" },
	[LVLNUM_LFB]       = { K_CACHE, NL_MEM_LFB, "LFB/MAB" },
	[LVLNUM_RAM]       = { K_DRAM, NL_MEM_LOCAL_RAM, "RAM" },
	[LVLNUM_PMEM]      = { K_MEDIA, NL_MEM_PMEM, "PMEM" },
	[LVLNUM_NA]        = { K_NONE, NL_MEM_UNKNOWN, "N/A" },
};

/* Legacy mem_lvl bits, nearest level first: when several are set (AMD's
   "L3 or Remote Cache (1 hop)" for its own CCX), the nearest wins. */
static const struct { unsigned bits; struct level lvl; } legacy[] = {
	{ LVL_L1,      { K_CACHE, NL_MEM_L1, NULL } },
	{ LVL_LFB,     { K_CACHE, NL_MEM_LFB, NULL } },
	{ LVL_L2,      { K_CACHE, NL_MEM_L2, NULL } },
	{ LVL_L3,      { K_CACHE, NL_MEM_L3, NULL } },
	{ LVL_LOC_RAM, { K_MEDIA, NL_MEM_LOCAL_RAM, NULL } },
	{ LVL_REM_CCE, { K_REMOTE_CACHE, NL_MEM_REMOTE_CACHE, NULL } },
	{ LVL_IO,      { K_MEDIA, NL_MEM_IO, NULL } },
	{ LVL_UNC,     { K_MEDIA, NL_MEM_UNCACHED, NULL } },
};

static bool is_access(const struct ds *d)
{
	return d->op & (OP_LOAD | OP_STORE | OP_PFETCH | OP_EXEC);
}

/* mem_hops HOPS_0: "remote core, same node" - the data is on this node. */
static bool same_node(const struct ds *d)
{
	return d->hops == HOPS_0;
}

/* mem_remote set, and not overruled by hops saying "same node". */
static bool off_node(const struct ds *d)
{
	return d->remote && !same_node(d);
}

/* The named level missed (MISS without HIT): the data came from further
   out, and the word does not say where. */
static bool missed(const struct ds *d)
{
	return (d->lvl & LVL_MISS) && !(d->lvl & LVL_HIT);
}

static enum nl_mem_class remote_cache(const struct ds *d)
{
	if (same_node(d))
		return NL_MEM_PEER_CACHE;
	return d->snoop & SNOOP_HITM ? NL_MEM_REMOTE_CACHE_HITM : NL_MEM_REMOTE_CACHE;
}

static enum nl_mem_class resolve(const struct ds *d, const struct level *l)
{
	switch (l->kind) {
	case K_CACHE:
		if (d->remote)
			return remote_cache(d);
		return d->snoopx & SNOOPX_PEER ? NL_MEM_PEER_CACHE : l->cls;
	case K_REMOTE_CACHE:
		return remote_cache(d);
	case K_DRAM:
		return off_node(d) ? NL_MEM_REMOTE_RAM : NL_MEM_LOCAL_RAM;
	case K_MEDIA:
		return l->cls;
	case K_NONE:
	default:
		return off_node(d) ? NL_MEM_REMOTE_UNKNOWN : NL_MEM_UNKNOWN;
	}
}

static const struct level *legacy_level(const struct ds *d)
{
	static const struct level none = { K_NONE, NL_MEM_UNKNOWN, NULL };

	for (size_t i = 0; i < ARRAY_SIZE(legacy); i++)
		if (d->lvl & legacy[i].bits)
			return &legacy[i].lvl;
	return &none;
}

/* The rules of datasrc.h, in order; d is a memory access. */
static enum nl_mem_class classify(const struct ds *d)
{
	const struct level *l = &lvlnums[d->lvl_num];

	if (missed(d)) {
		bool hint = d->remote || (d->lvl & (LVL_REM_RAM | LVL_REM_CCE));

		return hint && !same_node(d) ? NL_MEM_REMOTE_UNKNOWN : NL_MEM_UNKNOWN;
	}
	if (d->lvl & LVL_REM_RAM)
		return NL_MEM_REMOTE_RAM;
	if (l->kind == K_NONE)
		l = legacy_level(d);
	return resolve(d, l);
}

static enum nl_locality locality(const struct ds *d, enum nl_mem_class cls)
{
	const struct class_info *ci = class_info(cls);

	if (ci->by_remote && off_node(d))
		return NL_LOC_REMOTE;
	return ci->loc;
}

void datasrc__decode(uint64_t raw, struct nl_mem_access *out)
{
	struct ds d = unpack(raw);

	memset(out, 0, sizeof(*out));
	out->cls = NL_MEM_NA;
	out->locality = NL_LOC_NONE;
	out->hops = -1;
	if (!is_access(&d))
		return;
	out->cls = classify(&d);
	out->locality = locality(&d, out->cls);
	out->load = d.op & OP_LOAD;
	out->store = d.op & OP_STORE;
	out->hitm = d.snoop & SNOOP_HITM;
	out->remote = out->locality == NL_LOC_REMOTE;
	if (d.hops >= HOPS_0 && d.hops <= HOPS_3)
		out->hops = (int)(d.hops - HOPS_0);
}

/* ---- perf script rendering ---------------------------------------------- */

/* snprintf-style appender: len counts what the full string would take. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* Names of the set bits of mask (NULL names skipped), joined by " or ".
   *printed counts names written so far, so lists can continue. */
static void put_bits(struct out *o, unsigned mask, const char *const *names,
		     size_t n, int *printed)
{
	for (size_t i = 0; i < n; i++) {
		if (!(mask & (1u << i)) || !names[i])
			continue;
		put(o, "%s%s", (*printed)++ ? " or " : "", names[i]);
	}
}

/* Bit order of mem_op; the first set bit names the op. */
static const char *const op_names[] = { "N/A", "LOAD", "STORE", "PFETCH", "EXEC" };
static const char *const lvl_names[] = {
	NULL /* NA */, NULL /* HIT */, NULL /* MISS */, "L1", "LFB/MAB", "L2",
	"L3", "Local RAM", "Remote RAM (1 hop)", "Remote RAM (2 hops)",
	"Remote Cache (1 hop)", "Remote Cache (2 hops)", "I/O", "Uncached",
};
static const char *const hops_names[] = {
	"N/A", "core, same node", "node, same socket", "socket, same board", "board",
};
static const char *const snoop_names[] = { "N/A", "None", "Hit", "Miss", "HitM" };
static const char *const snoopx_names[] = { "Fwd", "Peer" };
static const char *const tlb_names[] = {
	"N/A", NULL /* HIT */, NULL /* MISS */, "L1", "L2", "Walker", "Fault",
};

static void put_op(struct out *o, const struct ds *d)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (d->op & (1u << i)) {
			put(o, "%s", op_names[i]);
			return;
		}
	}
	put(o, "No");
}

static void put_lvl(struct out *o, const struct ds *d)
{
	const char *hm = d->lvl & LVL_HIT ? "hit" : d->lvl & LVL_MISS ? "miss" : "";
	int printed = 0;

	if (d->lvl_num && d->lvl_num != LVLNUM_NA) {
		if (d->remote)
			put(o, "Remote ");
		if (d->hops && d->hops < ARRAY_SIZE(hops_names))
			put(o, "%s ", hops_names[d->hops]);
		else if (d->hops)
			put(o, "hops %u ", d->hops);
		if (lvlnums[d->lvl_num].perf)
			put(o, "%s %s", lvlnums[d->lvl_num].perf, hm);
		else
			put(o, "Unknown level %u %s", d->lvl_num, hm);
		return;
	}
	put_bits(o, d->lvl, lvl_names, ARRAY_SIZE(lvl_names), &printed);
	if (printed)
		put(o, " %s", hm);
	else
		put(o, "N/A");
}

static void put_snoop(struct out *o, const struct ds *d)
{
	int printed = 0;

	put_bits(o, d->snoop, snoop_names, ARRAY_SIZE(snoop_names), &printed);
	put_bits(o, d->snoopx, snoopx_names, ARRAY_SIZE(snoopx_names), &printed);
	if (!printed)
		put(o, "N/A");
}

static void put_tlb(struct out *o, const struct ds *d)
{
	int printed = 0;

	put_bits(o, d->dtlb, tlb_names, ARRAY_SIZE(tlb_names), &printed);
	if (!printed)
		put(o, "N/A");
	if (d->dtlb & TLB_HIT)
		put(o, " hit");
	if (d->dtlb & TLB_MISS)
		put(o, " miss");
}

static void put_lock_blk(struct out *o, const struct ds *d)
{
	put(o, "|LCK %s", d->lock & LOCK_NA ? "N/A" :
			  d->lock & LOCK_LOCKED ? "Yes" : "No");
	put(o, "|BLK ");
	if (!d->blk || (d->blk & BLK_NA)) {
		put(o, " N/A");
		return;
	}
	if (d->blk & BLK_DATA)
		put(o, " Data");
	if (d->blk & BLK_ADDR)
		put(o, " Addr");
}

int datasrc__format(uint64_t raw, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	struct ds d = unpack(raw);

	if (buf && size)
		buf[0] = '\0';
	put(&o, "|OP ");
	put_op(&o, &d);
	put(&o, "|LVL ");
	put_lvl(&o, &d);
	put(&o, "|SNP ");
	put_snoop(&o, &d);
	put(&o, "|TLB ");
	put_tlb(&o, &d);
	put_lock_blk(&o, &d);
	return (int)o.len;
}
