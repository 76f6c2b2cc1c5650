/*
 * test_unwind.c - --call-graph dwarf stacks from a perf.data built byte for
 * byte around a real stack: this test's own registers and stack, copied
 * (as the kernel does for PERF_SAMPLE_REGS_USER + STACK_USER) inside a
 * comparator that libc's qsort calls, so the stack runs through libc,
 * which Debian builds without frame pointers.  The MMAP records are this
 * process' own executable mappings.  Through analysis__run:
 *   1. MMAPs first: the stack unwinds to main, libc frames between the
 *      comparator and its caller;
 *   2. the sample before its MMAPs (perf.data writes one CPU's ring after
 *      the other): deferred, then the same stack;
 *   3. no MMAPs at all: one frame (the pc), no crash;
 *   4. the stack cut to 64 bytes: a short stack, never a read past it;
 *   5. a forked child (FORK, no MMAPs of its own) unwinds in its parent's
 *      Dwfl (one Dwfl for the image); a child that mapped another file
 *      over the code gets a Dwfl of its own, and the parent's stacks still
 *      unwind whole in the shared one.
 * x86_64 only (the register snapshot is x86_64 assembly): 77 elsewhere.
 * Under ASan its qsort interceptor (libasan) stands where libc would be.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../perfdata/builder.h"
#include "check.h"
#include "profiler/analysis.h"
#include "profiler/codeprofile.h"
#include "samplers/perfdata.h"

#if defined(__x86_64__)

#define STACK_COPY 8192
/* perf_regs x86_64 user mask: AX..SS and R8..R15 (no DS, ES, FS, GS). */
#define REGS_MASK 0xff0fffull

static uint64_t snap[8];        /* rip rsp rbp rbx r12 r13 r14 r15 */
static uint8_t stack_copy[STACK_COPY];
static uint32_t stack_len;
static int taken;

static uint64_t stack_top(uint64_t sp)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	uint64_t lo, hi, top = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2 && sp >= lo && sp < hi)
			top = hi;
	if (f)
		fclose(f);
	return top;
}

/* The copy reads the stack as the kernel does, redzones of ASan builds too:
   byte by byte and uninstrumented (memcpy would be ASan's, checked). */
__attribute__((noinline, no_sanitize_address)) static void copy_stack(uint64_t sp, uint32_t len)
{
	const volatile uint8_t *from = (const volatile uint8_t *)(uintptr_t)sp;

	for (uint32_t i = 0; i < len; i++)
		stack_copy[i] = from[i];
}

__attribute__((noinline)) void nl_unwind_snapshot(void)
{
	uint64_t top;

	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, 0(%0)\n\t"
			 "mov %%rsp, 8(%0)\n\t"
			 "mov %%rbp, 16(%0)\n\t"
			 "mov %%rbx, 24(%0)\n\t"
			 "mov %%r12, 32(%0)\n\t"
			 "mov %%r13, 40(%0)\n\t"
			 "mov %%r14, 48(%0)\n\t"
			 "mov %%r15, 56(%0)\n"
			 "1:\n\t"
			 : : "r"(snap) : "rax", "memory");
	top = stack_top(snap[1]);
	stack_len = top - snap[1] < STACK_COPY ? (uint32_t)(top - snap[1]) : STACK_COPY;
	copy_stack(snap[1], stack_len);
}

__attribute__((noinline)) int nl_unwind_cmp(const void *a, const void *b)
{
	if (!taken++)
		nl_unwind_snapshot();
	__asm__ volatile("" ::: "memory");
	return *(const int *)a - *(const int *)b;
}

__attribute__((noinline)) void nl_unwind_outer(void)
{
	int v[4] = { 3, 1, 2, 0 };

	qsort(v, 4, sizeof(v[0]), nl_unwind_cmp);
	__asm__ volatile("" ::: "memory");
}

/* The sample: IP, TID, REGS_USER (ABI_64 + 20 regs), STACK_USER, of
   process pid (the stack is this one's). */
static void put_sample_of(struct fb *f, uint32_t len, uint32_t pid)
{
	struct buf b = { 0 };
	uint64_t regs[24] = { 0 };
	int n = 0;

	regs[6] = snap[2];      /* BP */
	regs[7] = snap[1];      /* SP */
	regs[8] = snap[0];      /* IP */
	regs[1] = snap[3];      /* BX */
	regs[10] = 0x33;        /* CS */
	regs[11] = 0x2b;        /* SS */
	regs[20] = snap[4];     /* R12..R15 */
	regs[21] = snap[5];
	regs[22] = snap[6];
	regs[23] = snap[7];
	put64(&b, snap[0]);
	put32(&b, pid); put32(&b, pid);
	put64(&b, 2);           /* PERF_SAMPLE_REGS_ABI_64 */
	for (int i = 0; i < 24; i++)
		if (REGS_MASK >> i & 1) {
			put64(&b, regs[i]);
			n++;
		}
	CHECK(n == 20);
	put64(&b, (len + 7) / 8 * 8);
	buf_put(&b, stack_copy, len);
	for (uint32_t pad = len; pad % 8; pad++)
		buf_put(&b, "", 1);
	put64(&b, len);         /* dyn_size */
	fb_raw(f, 9, 2 /* user */, b.p, b.len);
	free(b.p);
}

static void put_sample(struct fb *f, uint32_t len)
{
	put_sample_of(f, len, (uint32_t)getpid());
}

/* MMAP records of this process' executable file mappings. */
static void put_mmaps(struct fb *f)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[4200], perms[8], path[4096];
	uint64_t lo, hi, off;

	while (m && fgets(line, sizeof(line), m)) {
		struct buf b = { 0 };
		size_t len;

		path[0] = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %4095s", &lo, &hi,
			   perms, &off, path) < 4 || perms[2] != 'x' || path[0] != '/')
			continue;
		put32(&b, (uint32_t)getpid()); put32(&b, (uint32_t)getpid());
		put64(&b, lo); put64(&b, hi - lo); put64(&b, off);
		len = strlen(path) + 1;
		buf_put(&b, path, len);
		while (len++ % 8)
			buf_put(&b, "", 1);
		put32(&b, (uint32_t)getpid()); put32(&b, (uint32_t)getpid()); /* sample_id */
		fb_raw(f, 1 /* MMAP */, 2, b.p, b.len);
		free(b.p);
	}
	if (m)
		fclose(m);
}

enum order { MMAPS_FIRST, SAMPLE_FIRST, NO_MMAPS };

static struct nl_analysis *analyse(enum order order, uint32_t len, struct nl_analysis *an,
				   struct nl_source **src)
{
	static struct fb_file file;
	struct nl_error err;
	struct fb f;
	struct fb_attr *a;

	free(file.p);
	fb_begin(&f, 112);
	a = fb_attr(&f, S_IP | S_TID | S_REGS_USER | S_STACK_USER);
	a->regs_user = REGS_MASK;
	if (order == MMAPS_FIRST)
		put_mmaps(&f);
	put_sample(&f, len);
	if (order == SAMPLE_FIRST)
		put_mmaps(&f);
	file = fb_end(&f);
	*src = perfdata__open_buffer(file.p, file.len, "unwind", &err);
	CHECK(*src != NULL);
	if (!*src || analysis__run(*src, NULL, an)) {
		CHECK(0);
		return NULL;
	}
	return an;
}

static int index_of(const struct nl_code_stack *st, const char *fn)
{
	for (uint32_t i = 0; i < st->nr_frames; i++)
		if (!strcmp(st->frames[i].function, fn))
			return (int)i;
	return -1;
}

static void check_whole(enum order order, const char *what)
{
	struct nl_analysis an;
	struct nl_source *src;
	const struct nl_code_stack *st;
	int cmp, outer, mainf;

	if (!analyse(order, stack_len, &an, &src))
		return;
	CHECK_EQ_U64(an.code->samples_with_dwarf_stack, 1);
	CHECK(an.code->nr_stacks == 1);
	if (an.code->nr_stacks == 1) {
		st = &an.code->stacks[0];
		cmp = index_of(st, "nl_unwind_cmp");
		outer = index_of(st, "nl_unwind_outer");
		mainf = index_of(st, "main");
		fprintf(stderr, "%s: %u frames:", what, st->nr_frames);
		for (uint32_t i = 0; i < st->nr_frames; i++)
			fprintf(stderr, " %s", st->frames[i].function);
		fputc('\n', stderr);
		CHECK_EQ_STR(st->frames[0].function, "nl_unwind_snapshot");
		CHECK(cmp == 1);
		/* libc (qsort and its helpers) between the comparator and its caller */
		CHECK(outer > cmp + 1);
		CHECK(mainf == outer + 1);
	}
	CHECK_EQ_U64(an.code->unwind.deferred, order == SAMPLE_FIRST);
	analysis__free(&an);
	nl_source__close(src);
}

/* FORK of child from this process. */
static void put_fork(struct fb *f, uint32_t child)
{
	struct buf b = { 0 };

	put32(&b, child); put32(&b, (uint32_t)getpid());
	put32(&b, child); put32(&b, (uint32_t)getpid());
	put64(&b, 0);
	put32(&b, child); put32(&b, child);     /* sample_id */
	fb_raw(f, 7 /* FORK */, 0, b.p, b.len);
	free(b.p);
}

/* child maps path (NULL: the same file, shift bytes further in) over the
   executable mapping that holds the sampled pc. */
static void put_mmap_over_pc(struct fb *f, uint32_t child, const char *path, uint64_t shift)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[4200], own[4096];
	uint64_t lo, hi, off;

	while (m && fgets(line, sizeof(line), m)) {
		struct buf b = { 0 };
		size_t len;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %4095s", &lo, &hi,
			   &off, own) != 4 || snap[0] < lo || snap[0] >= hi)
			continue;
		if (!path)
			path = own;
		put32(&b, child); put32(&b, child);
		put64(&b, lo); put64(&b, hi - lo); put64(&b, path == own ? off + shift : 0);
		len = strlen(path) + 1;
		buf_put(&b, path, len);
		while (len++ % 8)
			buf_put(&b, "", 1);
		put32(&b, child); put32(&b, child);
		fb_raw(f, 1 /* MMAP */, 2, b.p, b.len);
		free(b.p);
	}
	if (m)
		fclose(m);
}

/* 5.: parent, child (forked), parent, other (forked, then mapped libc
   over the code), parent, shifted (forked, then mapped its own file one
   page further in over the code: the same DSO at another bias), parent. */
static void check_image(void)
{
	static struct fb_file file;
	uint32_t child = 4000000, other = 4000001, shifted = 4000002;
	struct nl_analysis an;
	struct nl_source *src;
	struct nl_error err;
	struct fb f;
	struct fb_attr *a;
	int whole = 0;

	fb_begin(&f, 112);
	a = fb_attr(&f, S_IP | S_TID | S_REGS_USER | S_STACK_USER);
	a->regs_user = REGS_MASK;
	put_mmaps(&f);
	put_fork(&f, child);
	put_fork(&f, other);
	put_fork(&f, shifted);
	put_mmap_over_pc(&f, other, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	put_mmap_over_pc(&f, shifted, NULL, 4096);
	put_sample(&f, stack_len);
	put_sample_of(&f, stack_len, child);
	put_sample(&f, stack_len);
	put_sample_of(&f, stack_len, other);
	put_sample(&f, stack_len);
	put_sample_of(&f, stack_len, shifted);
	put_sample(&f, stack_len);
	file = fb_end(&f);
	src = perfdata__open_buffer(file.p, file.len, "unwind", &err);
	CHECK(src != NULL);
	if (!src || analysis__run(src, NULL, &an)) {
		CHECK(0);
		free(file.p);
		return;
	}
	for (int i = 0; i < an.code->nr_stacks; i++)
		if (index_of(&an.code->stacks[i], "main") > 0)
			whole++;
	/* the parent's three and the child's stacks are one stack, to main */
	CHECK(whole >= 1);
	CHECK_EQ_U64(an.code->samples_with_dwarf_stack, 7);
	CHECK_EQ_U64(an.code->unwind.own_layout, 2);
	/* the image's Dwfl, other's and shifted's: never rebuilt, never dropped */
	CHECK_EQ_U64(an.code->unwind.dwfls, 3);
	CHECK_EQ_U64(an.code->unwind.processes_dropped, 0);
	CHECK(an.code->unwind.frames >= 5 * 4);
	analysis__free(&an);
	nl_source__close(src);
	free(file.p);
}

int main(void)
{
	struct nl_analysis an;
	struct nl_source *src;

	nl_unwind_outer();
	CHECK(taken && stack_len > 256);
	check_whole(MMAPS_FIRST, "mmaps first");
	check_whole(SAMPLE_FIRST, "sample first");
	/* no mapping ever: the pc alone */
	if (analyse(NO_MMAPS, stack_len, &an, &src)) {
		CHECK(an.code->nr_stacks == 1 && an.code->stacks[0].nr_frames == 1);
		CHECK_EQ_U64(an.code->unwind.single_frame, 1);
		analysis__free(&an);
		nl_source__close(src);
	}
	check_image();
	/* 64 bytes of stack: a stack that ends early, read within its copy */
	if (analyse(MMAPS_FIRST, 64, &an, &src)) {
		CHECK(an.code->nr_stacks == 1 && an.code->stacks[0].nr_frames < 4);
		analysis__free(&an);
		nl_source__close(src);
	}
	return check_done();
}

#else
int main(void)
{
	fprintf(stderr, "skip: the register snapshot is x86_64 assembly\n");
	return 77;
}
#endif
