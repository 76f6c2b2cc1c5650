/*
 * test_callchains.c - call stacks from a perf.data built byte for byte:
 * PERF_CONTEXT_* markers switch kernel/user, return addresses are looked
 * up at pc-1, a missing DSO reads dso+0xOFF in every frame, and a sample
 * whose callchain is longer than its record is counted bad and skipped,
 * not read past (ASan would say).  Goes through analysis__run, the loop
 * the binary runs.
 */
#include <stdlib.h>
#include <string.h>

#include "../perfdata/builder.h"
#include "check.h"
#include "profiler/analysis.h"
#include "profiler/codeprofile.h"
#include "samplers/perfdata.h"

#define CTX_KERNEL ((uint64_t)-128)
#define CTX_USER   ((uint64_t)-512)

static void sample(struct fb *f, uint16_t misc, uint64_t ip, const uint64_t *chain, uint64_t nr,
		   uint64_t claimed)
{
	struct buf b = { 0 };

	put64(&b, ip);
	put32(&b, 100); put32(&b, 100);
	put64(&b, 0x7f0000001000ull);           /* ADDR */
	put64(&b, claimed);
	for (uint64_t i = 0; i < nr; i++)
		put64(&b, chain[i]);
	fb_raw(f, 9, misc, b.p, b.len);
	free(b.p);
}

static const struct nl_code_stack *find_stack(const struct nl_code_profile *p, const char *leaf,
					      uint32_t nr)
{
	for (int i = 0; i < p->nr_stacks; i++)
		if (p->stacks[i].nr_frames == nr && !strcmp(p->stacks[i].frames[0].function, leaf))
			return &p->stacks[i];
	return NULL;
}

int main(void)
{
	static const uint64_t user[] = { CTX_USER, 0x401000, 0x402005, 0x403009 };
	static const uint64_t broken[] = { CTX_USER, 0x401000, 1ull << 47 };
	static const uint64_t mixed[] = { CTX_KERNEL, 0xffffffff81000010ull, CTX_USER, 0x401000,
					  0x402005 };
	struct fb f;
	struct fb_attr *a;
	struct fb_file file;
	struct buf b = { 0 };
	struct nl_error err;
	struct nl_source *src;
	struct nl_analysis an;
	const struct nl_code_stack *st;

	fb_begin(&f, 112);
	a = fb_attr(&f, S_IP | S_TID | S_ADDR | S_CALLCHAIN);
	a->ids[0] = 1;
	a->nr_ids = 1;
	/* MMAP of a DSO that does not exist here, with the TID trailer */
	put32(&b, 100); put32(&b, 100); put64(&b, 0x400000); put64(&b, 0x10000); put64(&b, 0);
	buf_put(&b, "/nonexistent/libx.so\0\0\0\0", 24);
	put32(&b, 100); put32(&b, 100);
	fb_raw(&f, 1, 2, b.p, b.len);
	free(b.p);
	for (int i = 0; i < 3; i++)
		sample(&f, 2, 0x401000, user, 4, 4);
	/* claims 1000 entries, carries 4: longer than the record */
	sample(&f, 2, 0x401000, user, 4, 1000);
	sample(&f, 1, 0xffffffff81000010ull, mixed, 5, 5);
	/* a repeated stack counts what it counted the first time (the memo of
	   the last stack, codestacks.c): a broken frame-pointer walk twice */
	sample(&f, 2, 0x401000, broken, 3, 3);
	sample(&f, 2, 0x401000, broken, 3, 3);
	/* ... and a repeat after an MMAP (another DSO at the same range) is
	   looked up again */
	sample(&f, 2, 0x401000, user, 4, 4);
	b = (struct buf){ 0 };
	put32(&b, 100); put32(&b, 100); put64(&b, 0x400000); put64(&b, 0x10000); put64(&b, 0);
	buf_put(&b, "/nonexistent/liby.so\0\0\0\0", 24);
	put32(&b, 100); put32(&b, 100);
	fb_raw(&f, 1, 2, b.p, b.len);
	free(b.p);
	sample(&f, 2, 0x401000, user, 4, 4);
	file = fb_end(&f);

	src = perfdata__open_buffer(file.p, file.len, "callchains", &err);
	CHECK(src != NULL);
	if (!src)
		return check_done();
	CHECK(analysis__run(src, NULL, &an) == 0);
	CHECK(src->stats.bad_records >= 1);
	CHECK_EQ_U64(an.code->samples_with_callchain, 8);
	CHECK_EQ_U64(an.code->broken_stacks, 2);
	st = find_stack(an.code, "liby.so+0x1000", 3);
	CHECK(st != NULL);
	if (st) {
		CHECK_EQ_STR(st->frames[1].function, "liby.so+0x2004");
		CHECK_EQ_U64(st->c.counts.samples, 1);
	}
	/* user stack: leaf at ip, callers at pc-1 */
	st = find_stack(an.code, "libx.so+0x1000", 3);
	CHECK(st != NULL);
	if (st) {
		CHECK_EQ_STR(st->frames[1].function, "libx.so+0x2004");
		CHECK_EQ_STR(st->frames[2].function, "libx.so+0x3008");
		CHECK_EQ_U64(st->c.counts.samples, 4);
		CHECK_EQ_U64(st->c.counts.memory, 4);
	}
	/* kernel frames first, then the user part after PERF_CONTEXT_USER */
	st = find_stack(an.code, "[kernel.kallsyms]+0xffffffff81000010", 3);
	CHECK(st != NULL);
	if (st) {
		CHECK_EQ_STR(st->frames[1].function, "libx.so+0x1000");
		CHECK_EQ_STR(st->frames[2].function, "libx.so+0x2004");
	}
	/* the missing DSO: one note */
	{
		int n = 0;

		for (int i = 0; an.code->notes[i]; i++)
			n += !strncmp(an.code->notes[i], "/nonexistent/libx.so:", 21);
		CHECK_EQ_U64(n, 1);
	}
	analysis__free(&an);
	nl_source__close(src);
	free(file.p);
	return check_done();
}
