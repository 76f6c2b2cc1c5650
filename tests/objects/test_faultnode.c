/*
 * test_faultnode.c - the node of each new page as it lands, without a live
 * target: tracefs format files parsed for the fields (a fake tracefs), raw
 * tracepoint records built byte by byte and decoded by the one record
 * parser, the pfn -> node map of a fake two-node sysfs (memory blocks, read
 * through the syscall table), and the pairing: a fault with the next user
 * page allocation of the same thread from the same user IP, an order-9
 * THP, and the allocations that must not pair (another thread, another
 * entry into the kernel, a page table, too late, a second allocation).
 * The landed page then answers a sample of a process that is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "topology/sysfs_tree.h"
#include "samplers/allocprobe.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"
#include "samplers/faultnode.h"
#include "samplers/perf_record.h"
#include "samplers/placement.h"

/* As this machine's kernel (6.18) writes them. */
static const char fault_format[] =
	"name: page_fault_user\nID: 190\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:unsigned long address;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long ip;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long error_code;\toffset:24;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"address=%ps ip=%ps error_code=0x%lx\", (void *)REC->address\n";
/* Offsets moved (as another kernel could): the parser must follow them. */
static const char alloc_format[] =
	"name: mm_page_alloc\nID: 653\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:char comm_pad[8];\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:int migratetype;\toffset:20;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned long gfp_flags;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long pfn;\toffset:32;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"page=%p pfn=0x%lx order=%d\", REC->pfn\n";

#define BLOCK 0x8000000ull      /* 128 MiB memory blocks */
#define PS 4096ull

static void test_parse(void)
{
	struct nl_tp_field f;

	CHECK(faultnode__parse_field(fault_format, "address", &f) == 0);
	CHECK(f.offset == 8 && f.size == 8);
	CHECK(faultnode__parse_field(fault_format, "ip", &f) == 0);
	CHECK(f.offset == 16 && f.size == 8);
	CHECK(faultnode__parse_field(alloc_format, "pfn", &f) == 0);
	CHECK(f.offset == 32 && f.size == 8);
	CHECK(faultnode__parse_field(alloc_format, "order", &f) == 0);
	CHECK(f.offset == 16 && f.size == 4);
	CHECK(faultnode__parse_field(alloc_format, "comm_pad", &f) == 0);   /* an array */
	CHECK(f.offset == 8);
	/* "pid" is not "common_pid", "pad" not "comm_pad" */
	CHECK(faultnode__parse_field(alloc_format, "pid", &f) == -ENOENT);
	CHECK(faultnode__parse_field(alloc_format, "pad", &f) == -ENOENT && f.size == 0);
	CHECK(faultnode__parse_field("field:int x;\toffset:4;\tsize:3;\n", "x", &f) == -ENOENT);
	CHECK(faultnode__parse_field("", "x", &f) == -ENOENT);
}

static int deny_open(const char *path, int flags)
{
	(void)path;
	(void)flags;
	return -EACCES;
}

/* A fake tracefs under root; plan reads both tracepoints through sys. */
static void test_plan(struct nl_faultnode *fn, const struct nl_topology *topo)
{
	struct nl_ev_spec spec[2];
	struct nl_sys denied = *sys__default();
	char dir[512];
	bool mounted = true;

	put("190\n", "tracing/events/exceptions/page_fault_user/id");
	put(fault_format, "tracing/events/exceptions/page_fault_user/format");
	put("653\n", "tracing/events/kmem/mm_page_alloc/id");
	put(alloc_format, "tracing/events/kmem/mm_page_alloc/format");
	snprintf(dir, sizeof(dir), "%s/tracing", root);
	/* there already: nothing mounted */
	CHECK(allocprobe__tracefs_ready(sys__default(), dir, "events/kmem/mm_page_alloc/id",
					O_RDONLY, &mounted));
	CHECK(!mounted);
	faultnode__init(fn, topo);
	CHECK(!faultnode__active(fn));
	CHECK(faultnode__plan(sys__default(), dir, fn, spec) == 0);
	CHECK_EQ_STR(spec[0].name, NL_FAULTNODE_FAULT);
	CHECK_EQ_STR(spec[1].name, NL_FAULTNODE_ALLOC);
	CHECK(spec[0].type == PERF_TYPE_TRACEPOINT && spec[0].config == 190);
	CHECK(spec[1].type == PERF_TYPE_TRACEPOINT && spec[1].config == 653);
	CHECK(spec[1].kind == NL_EV_FAULT_TRACE && spec[1].period == 1 && !spec[1].exclude_kernel);
	CHECK(spec[1].sample_type & PERF_SAMPLE_RAW);
	CHECK(fn->pfn.offset == 32 && fn->order.offset == 16 && fn->migratetype.offset == 20);
	CHECK(fn->address.offset == 8 && fn->ip.offset == 16);
	/* only what the pairing reads: two of these per fault share the ring */
	CHECK(!(spec[1].sample_type & (PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_IP | PERF_SAMPLE_CPU |
				       PERF_SAMPLE_PERIOD)));
	CHECK(!(spec[0].sample_type & PERF_SAMPLE_CALLCHAIN));
	/* the kernel-side filter names the format's fields */
	CHECK_EQ_STR(fn->alloc_filter, "migratetype == 1 && order <= 9");
	/* not root: the error of the file that failed, fields unset */
	denied.open = deny_open;
	{
		struct nl_faultnode other;

		faultnode__init(&other, topo);
		CHECK(faultnode__plan(&denied, dir, &other, spec) == -EACCES);
		CHECK(other.pfn.size == 0);
		faultnode__free(&other);
	}
	/* a kernel without the tracepoint */
	put("x", "tracing2/README");
	snprintf(dir, sizeof(dir), "%s/tracing2", root);
	{
		struct nl_faultnode other;

		faultnode__init(&other, topo);
		CHECK(faultnode__plan(sys__default(), dir, &other, spec) == -ENOENT);
		faultnode__free(&other);
	}
}

/* --- raw records, byte by byte ------------------------------------------- */

static struct perf_event_set set;
static uint8_t buf[512];

/* The attr of one of our events, as live_attach would make it. */
static void add_layout(uint64_t sample_type, uint64_t regs, uint64_t id, int ev)
{
	struct perf_event_attr a;
	struct perf_event_layout l;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.sample_type = sample_type;
	a.sample_regs_user = regs;
	a.sample_id_all = 1;
	CHECK(perf_layout__from_attr(&l, &a, sizeof(a)) == 0);
	CHECK(perf_event_set__add(&set, &l) == ev);
	CHECK(perf_event_set__add_id(&set, id, ev) == 0);
}

static size_t put_u64(size_t at, uint64_t v)
{
	memcpy(buf + at, &v, 8);
	return at + 8;
}

/*
 * A PERF_RECORD_SAMPLE of sample_type IDENTIFIER|IP|TID|TIME|CPU|PERIOD|
 * RAW|REGS_USER(ip): raw holds nraw bytes; user_ip 0 for a kernel thread.
 */
static struct nl_record decode(uint64_t id, int tid, uint64_t time, const uint8_t *raw,
			       uint32_t nraw, uint64_t user_ip)
{
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE };
	struct nl_record r;
	size_t at = sizeof(h);
	uint32_t pt[2] = { 100, (uint32_t)tid }, cpu[2] = { 1, 0 };
	/* the kernel's size counts the padding that aligns the whole to 8 */
	uint32_t sz = (uint32_t)(((4 + nraw + 7) & ~7u) - 4);

	at = put_u64(at, id);
	at = put_u64(at, 0xffffffff81000000ull);        /* kernel ip */
	memcpy(buf + at, pt, 8);
	at += 8;
	at = put_u64(at, time);
	memcpy(buf + at, cpu, 8);
	at += 8;
	at = put_u64(at, 1);                            /* period */
	memcpy(buf + at, &sz, 4);
	memset(buf + at + 4, 0, sz);
	memcpy(buf + at + 4, raw, nraw);
	at += (4 + nraw + 7) & ~7ull;
	at = put_u64(at, user_ip ? PERF_SAMPLE_REGS_ABI_64 : PERF_SAMPLE_REGS_ABI_NONE);
	if (user_ip)
		at = put_u64(at, user_ip);
	h.size = (uint16_t)at;
	memcpy(buf, &h, sizeof(h));
	memset(&r, 0, sizeof(r));
	CHECK(perf_record__decode(&set, buf, at, &r) == 1);
	CHECK(r.kind == NL_REC_SAMPLE);
	return r;
}

/* page_fault_user's 32 bytes (fault_format). */
static struct nl_record fault(int tid, uint64_t time, uint64_t addr, uint64_t ip)
{
	uint8_t raw[32] = { 0 };

	memcpy(raw + 8, &addr, 8);
	memcpy(raw + 16, &ip, 8);
	return decode(190, tid, time, raw, sizeof(raw), ip);
}

/* mm_page_alloc's 40 bytes (alloc_format's moved offsets). */
static struct nl_record alloc(int tid, uint64_t time, uint64_t pfn, uint32_t order, int mt,
			      uint64_t user_ip)
{
	uint8_t raw[40] = { 0 };

	memcpy(raw + 16, &order, 4);
	memcpy(raw + 20, &mt, 4);
	memcpy(raw + 32, &pfn, 8);
	return decode(653, tid, time, raw, sizeof(raw), user_ip);
}

static void test_pairing(struct nl_faultnode *fn)
{
	const uint64_t ip = 0x401136, node1_pfn = (2 * BLOCK + 5 * PS) / PS;
	struct nl_faultnode_page pg;
	struct nl_record r;

	perf_event_set__init(&set);
	add_layout(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
		   PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER,
		   1ull << 8, 190, 0);
	add_layout(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
		   PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER,
		   1ull << 8, 653, 1);
	perf_event_set__finish(&set);
	CHECK(!faultnode__bind(fn, 2, "page-faults"));
	CHECK(faultnode__bind(fn, 0, NL_FAULTNODE_FAULT));
	CHECK(faultnode__bind(fn, 1, NL_FAULTNODE_ALLOC));
	CHECK(faultnode__active(fn));

	/* a fault, then its page: node 1, the 4 KiB page of the address */
	r = fault(10, 1000, 0x7f0000001234ull, ip);
	CHECK(r.sample.raw_size == 36 && r.sample.event == 0);
	CHECK(faultnode__owns(fn, &r.sample));
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	/* a page table for it first (unmovable): not the page */
	r = alloc(10, 1100, 7, 0, 0, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	CHECK_EQ_U64(fn->stats.not_user, 1);
	/* another thread's page does not land this thread's fault */
	r = alloc(11, 1150, node1_pfn, 0, 1, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	r = alloc(10, 1200, node1_pfn, 0, 1, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 1);
	CHECK(pg.pid == 100 && pg.addr == 0x7f0000001000ull && pg.len == PS && pg.node == 1);
	/* one page per fault: the next allocation is not its */
	r = alloc(10, 1300, node1_pfn + 1, 0, 1, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);

	/* a fault that allocated nothing (the page was there), then read()
	   into a new buffer: another user IP, not paired */
	r = fault(10, 2000, 0x7f0000009000ull, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	r = alloc(10, 2100, 5, 0, 1, 0x7ffff7e9a1c2ull);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	/* nor from a kernel thread (no user registers) */
	r = alloc(10, 2150, 5, 0, 1, 0);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	/* too late for it */
	r = alloc(10, 2000 + NL_FAULTNODE_WINDOW_NS + 1, 5, 0, 1, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);

	/* a THP: order 9 covers the aligned 2 MiB around the address, node 0 */
	r = fault(12, 3000, 0x7f0000345678ull, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	r = alloc(12, 3100, 512, 9, 1, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 1);
	CHECK(pg.addr == 0x7f0000200000ull && pg.len == 2ull << 20 && pg.node == 0);

	/* a pfn beyond the memory blocks: no node */
	r = fault(12, 4000, 0x7f0000400000ull, ip);
	faultnode__sample(fn, &r.sample, &pg);
	r = alloc(12, 4100, 100 * BLOCK / PS, 0, 1, ip);
	CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	CHECK_EQ_U64(fn->stats.no_node, 1);

	/* a raw record too short for its fields: counted, skipped */
	{
		uint8_t raw[12] = { 0 };

		r = decode(653, 12, 5000, raw, sizeof(raw), ip);
		CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	}
	CHECK_EQ_U64(fn->stats.faults, 4);
	CHECK_EQ_U64(fn->stats.allocs, 10);
	CHECK_EQ_U64(fn->stats.landed, 2);
	CHECK_EQ_U64(fn->stats.unpaired, 5);
	CHECK_EQ_U64(fn->stats.bad, 1);

	/* the filter goes on the allocation event only */
	CHECK(faultnode__filter(fn, 1) == fn->alloc_filter && !faultnode__filter(fn, 0));
	/* a thread's pending fault is freed at its exit: its page, allocated
	   after (a reused tid), does not land the dead thread's fault */
	{
		uint32_t before = map__count(&fn->pending);

		r = fault(13, 6000, 0x7f0000500000ull, ip);
		faultnode__sample(fn, &r.sample, &pg);
		CHECK(map__count(&fn->pending) == before + 3);
		faultnode__forget(fn, 13);
		CHECK(map__count(&fn->pending) == before);
		r = alloc(13, 6100, node1_pfn, 0, 1, ip);
		CHECK(faultnode__sample(fn, &r.sample, &pg) == 0);
	}
	perf_event_set__free(&set);
}

static long gone(int pid, unsigned long count, void **pages, const int *nodes, int *status,
		 int flags)
{
	(void)pid; (void)count; (void)pages; (void)nodes; (void)status; (void)flags;
	return -ESRCH;
}

/* The landed page answers a sample of an exited process; another does not. */
static void test_landed(const struct nl_topology *topo)
{
	struct nl_sys sys = *sys__default();
	struct nl_placement *pl;
	struct nl_sample a, b, *batch[2] = { &a, &b };

	sys.move_pages = gone;
	pl = placement__new(&sys, topo);
	CHECK(pl != NULL);
	if (!pl)
		return;
	placement__page_landed(pl, 100, 0x7f0000200000ull, 2ull << 20, 1);
	memset(&a, 0, sizeof(a));
	a.valid = NL_SAMPLE_ADDR | NL_SAMPLE_TID;
	a.pid = a.tid = 100;
	a.addr = 0x7f00003ff010ull;     /* the THP's last base page */
	b = a;
	b.addr = 0x7f0000400010ull;     /* past it */
	placement__resolve(pl, batch, 2);
	CHECK((a.valid & NL_SAMPLE_MEM_NODE) && a.mem_node == 1);
	CHECK(a.mem_node_method == NL_NODE_PAGE_ALLOC);
	CHECK(!(b.valid & NL_SAMPLE_MEM_NODE));
	CHECK_EQ_U64(placement__node_stats(pl)->unresolved[NL_UNRES_GONE], 1);
	CHECK_EQ_U64(placement__node_stats(pl)->pages_landed, 512);
	placement__free(pl);
}

int main(void)
{
	struct nl_topology *topo;
	struct nl_faultnode fn;

	fresh_root();
	/* two nodes of two 128 MiB blocks each */
	put("0-1\n", "sys/devices/system/node/possible");
	put("0-1\n", "sys/devices/system/node/online");
	put("0\n", "sys/devices/system/node/node0/cpulist");
	put("1\n", "sys/devices/system/node/node1/cpulist");
	put("10 20\n", "sys/devices/system/node/node0/distance");
	put("20 10\n", "sys/devices/system/node/node1/distance");
	put("8000000\n", "sys/devices/system/memory/block_size_bytes");
	for (int b = 0; b < 4; b++)
		put("", "sys/devices/system/node/node%d/memory%d", b / 2, b);
	put("0-1\n", "sys/devices/system/cpu/online");
	put("0-1\n", "sys/devices/system/cpu/present");
	topo = topology__read_sysfs_with(sys__default(), root, NULL);
	CHECK(topo != NULL);
	if (!topo)
		return check_done();
	CHECK_EQ_U64(topo->memory_block_size, BLOCK);
	test_parse();
	test_plan(&fn, topo);
	test_pairing(&fn);
	faultnode__free(&fn);
	test_landed(topo);
	topology__free(topo);
	remove_root();
	return check_done();
}
