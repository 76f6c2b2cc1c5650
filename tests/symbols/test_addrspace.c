/*
 * test_addrspace.c - address spaces from records (profiler/addrspace.c):
 * an mmap cuts what it overlaps, FORK copies the parent's space, exec
 * empties it, a sample read before its FORK record finds the parent's
 * mapping at the final lookup, kernel and impossible addresses, and data
 * mappings named by PLACEMENT records.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "profiler/addrspace.h"
#include "profiler/symbols.h"

static struct nl_record mmap_rec(int pid, uint64_t start, uint64_t len, uint64_t pgoff,
				 const char *file)
{
	struct nl_record r = { .kind = NL_REC_MMAP };

	r.mmap.pid = r.mmap.tid = pid;
	r.mmap.start = start;
	r.mmap.len = len;
	r.mmap.pgoff = pgoff;
	r.mmap.filename = file;
	return r;
}

static struct nl_record task_rec(enum nl_record_kind kind, int pid, int ppid, bool exec)
{
	struct nl_record r = { .kind = kind };

	r.task.pid = r.task.tid = pid;
	r.task.ppid = r.task.ptid = ppid;
	r.task.exec = exec;
	r.task.comm = "x";
	return r;
}

/* dso and offset of ip in pid; returns whether a mapping held it. */
static bool where(struct nl_addrspaces *as, struct nl_symbols *s, int pid, uint64_t ip,
		  bool final, uint32_t *dso, uint64_t *off)
{
	uint64_t key;
	bool found = addrspace__code_key(as, pid, ip, false, final, &key);

	symbols__unkey(s, key, dso, off);
	return found;
}

int main(void)
{
	struct nl_symbols_options o = { 0 };
	struct nl_symbols *s = symbols__new(&o, NULL);
	struct nl_addrspaces *as = addrspace__new(s);
	struct nl_record r;
	uint32_t dso, libc, prog;
	uint64_t off, key;

	CHECK(s && as);
	r = mmap_rec(10, 0x400000, 0x10000, 0x1000, "/usr/bin/prog");
	CHECK(!addrspace__record(as, &r));
	r = mmap_rec(10, 0x7f0000000000, 0x200000, 0x28000, "/usr/lib/libc.so.6");
	CHECK(!addrspace__record(as, &r));
	CHECK(where(as, s, 10, 0x400123, false, &prog, &off));
	CHECK_EQ_U64(off, 0x1123);
	CHECK(!strcmp(symbols__dso_name(s, prog), "/usr/bin/prog"));
	CHECK(where(as, s, 10, 0x7f0000000010, false, &libc, &off));
	CHECK_EQ_U64(off, 0x28010);
	/* An mmap in the middle of libc's range cuts it in three. */
	r = mmap_rec(10, 0x7f0000100000, 0x1000, 0, "/usr/lib/libx.so");
	CHECK(!addrspace__record(as, &r));
	CHECK(where(as, s, 10, 0x7f0000100010, false, &dso, &off));
	CHECK(dso != libc && off == 0x10);
	CHECK(where(as, s, 10, 0x7f0000101010, false, &dso, &off));
	CHECK(dso == libc && off == 0x28000 + 0x101010);
	/* One DSO for every process mapping the same file. */
	r = mmap_rec(11, 0x7e0000000000, 0x1000, 0, "/usr/lib/libc.so.6");
	CHECK(!addrspace__record(as, &r));
	CHECK(where(as, s, 11, 0x7e0000000000, false, &dso, &off) && dso == libc);
	/* FORK copies, exec empties. */
	r = task_rec(NL_REC_FORK, 12, 10, false);
	CHECK(!addrspace__record(as, &r));
	CHECK(where(as, s, 12, 0x400123, false, &dso, &off) && dso == prog);
	r = task_rec(NL_REC_COMM, 12, -1, true);
	CHECK(!addrspace__record(as, &r));
	CHECK(!where(as, s, 12, 0x400123, false, &dso, &off));
	/* Outside every mapping: the JIT map's turf; without the file, [unknown]. */
	CHECK_EQ_STR(symbols__dso_name(s, dso), "/tmp/perf-12.map");
	CHECK_EQ_U64(symbols__resolve(s, dso, off)->dso, NL_DSO_UNKNOWN);
	/* A child whose own MMAP came before its FORK record keeps it and
	   inherits the parent's mappings it does not overlap. */
	r = mmap_rec(13, 0x500000, 0x1000, 0, "/usr/lib/late.so");
	CHECK(!addrspace__record(as, &r));
	r = task_rec(NL_REC_FORK, 13, 10, false);
	CHECK(!addrspace__record(as, &r));
	CHECK(where(as, s, 13, 0x400123, false, &dso, &off) && dso == prog && off == 0x1123);
	CHECK(where(as, s, 13, 0x500010, false, &dso, &off) &&
	      !strcmp(symbols__dso_name(s, dso), "/usr/lib/late.so"));
	/* A child whose placement (no DSO) came first, over the parent's code
	   (a recording replays start placement before the data): the code
	   still resolves, through the FORK and at the final lookup. */
	{
		struct nl_record p = { .kind = NL_REC_PLACEMENT };

		p.placement.pid = 14;
		p.placement.start = 0x400000;
		p.placement.end = 0x402000;
		p.placement.name = "/usr/bin/prog";
		CHECK(!addrspace__record(as, &p));
		CHECK(!where(as, s, 14, 0x400123, false, &dso, &off));
		r = task_rec(NL_REC_FORK, 14, 10, false);
		CHECK(!addrspace__record(as, &r));
		CHECK(where(as, s, 14, 0x400123, false, &dso, &off) && dso == prog && off == 0x1123);
	}
	/* Kernel addresses, and user addresses no code can have. */
	CHECK(addrspace__code_key(as, 10, 0xffffffff81000010ull, true, false, &key));
	symbols__unkey(s, key, &dso, &off);
	CHECK(dso == NL_DSO_KERNEL && off == 0xffffffff81000010ull);
	CHECK(addrspace__code_key(as, 10, 0xffff800000000000ull, false, false, &key));
	CHECK_EQ_U64(key >> NL_SITE_OFF_BITS, NL_DSO_UNKNOWN);
	/* Data mappings: MMAP names, PLACEMENT fills the gaps only. */
	{
		struct nl_record p = { .kind = NL_REC_PLACEMENT };

		p.placement.pid = 10;
		p.placement.start = 0x600000;
		p.placement.end = 0x700000;
		p.placement.name = "[heap]";
		CHECK(!addrspace__record(as, &p));
		p.placement.start = 0x400000;
		p.placement.end = 0x410000;
		p.placement.name = "not-this";
		CHECK(!addrspace__record(as, &p));
	}
	CHECK(!strcmp(addrspace__mapping_name(as, addrspace__data_mapping(as, 10, 0x600010)), "[heap]"));
	CHECK(!strcmp(addrspace__mapping_name(as, addrspace__data_mapping(as, 10, 0x400010)), "/usr/bin/prog"));
	CHECK(!strcmp(addrspace__mapping_name(as, addrspace__data_mapping(as, 10, 0x900000)), "[unknown]"));
	/* Missing DSO: dso+0xOFF and one note, however many addresses. */
	{
		const struct nl_code_loc *l = symbols__resolve(s, prog, 0x1123);
		const char *const *notes;
		int n = 0;

		CHECK(l && !l->resolved && !strcmp(l->symbol, "prog+0x1123"));
		CHECK(symbols__resolve(s, prog, 0x1123) == l);
		CHECK(symbols__resolve(s, prog, 0x2000) != NULL);
		for (notes = symbols__notes(s); *notes; notes++)
			n += !strncmp(*notes, "/usr/bin/prog:", 14);
		CHECK_EQ_U64(n, 1);
	}
	addrspace__free(as);
	symbols__free(s);
	return check_done();
}
