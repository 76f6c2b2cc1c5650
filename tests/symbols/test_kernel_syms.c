/*
 * test_kernel_syms.c - what the symbol layer reads ahead, offline, while
 * the records are read resolves as it would at the first resolve:
 *   1. a DSO opened by the prefetch thread (symbols__prefetch_dso): a
 *      sample in this test's own executable, mapped as the recording says,
 *      names prefetch_target and its source file;
 *   2. /proc/kallsyms read in a thread of its own (symbols__prefetch_kernel):
 *      a kernel sample at a text symbol + 1 names that symbol (skipped, 77,
 *      when /proc/kallsyms is unreadable or its addresses hidden).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../perfdata/builder.h"
#include "check.h"
#include "profiler/analysis.h"
#include "profiler/codeprofile.h"
#include "samplers/perfdata.h"

/* The threads start at the first sample (by default only in a big
   recording: symbols__prefetch_start). */
static const struct nl_symbols_options prefetch_now = { .prefetch_after = 1 };

/* A text symbol whose neighbours' addresses differ from its own. */
static int pick(uint64_t *addr, char *name, size_t size)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], prev_name[256] = "", type, prev_type = 0, n[256];
	unsigned long long a, prev = 0, prev2 = 0;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, n) != 3 || strchr(line, '['))
			break;          /* modules follow the core kernel */
		if ((prev_type == 'T' || prev_type == 't') && prev > prev2 && a > prev + 1 &&
		    prev2 && strlen(prev_name) > 3 && strncmp(prev_name, "__", 2)) {
			*addr = prev;
			snprintf(name, size, "%s", prev_name);
			found = 1;
		}
		prev2 = prev;
		prev = a;
		prev_type = type;
		snprintf(prev_name, sizeof(prev_name), "%s", n);
	}
	fclose(f);
	return found && *addr;
}

__attribute__((noinline)) int prefetch_target(int x)
{
	return x * 3 + 1;
}

/* A recording of one sample in prefetch_target, this executable mapped at
   0x400000 as it is mapped here. */
static void dso_part(void)
{
	uint64_t ip = (uint64_t)(uintptr_t)&prefetch_target, lo = 0, hi = 0, off = 0;
	char exe[4096], line[4600], path[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *maps = fopen("/proc/self/maps", "re");
	struct fb f;
	struct fb_attr *at;
	struct fb_file file;
	struct buf b = { 0 };
	struct nl_error err;
	struct nl_source *src;
	struct nl_analysis an;
	int hits = 0;

	CHECK(n > 0 && maps);
	if (n <= 0 || !maps)
		return;
	exe[n] = 0;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long a, z, o;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &a, &z, &o, path) == 4 &&
		    ip >= a && ip < z) {
			lo = a, hi = z, off = o;
			break;
		}
	}
	fclose(maps);
	CHECK(hi > lo);
	fb_begin(&f, 112);
	at = fb_attr(&f, S_IP | S_TID);
	at->ids[0] = 1;
	at->nr_ids = 1;
	put32(&b, 100); put32(&b, 100); put64(&b, 0x400000); put64(&b, hi - lo); put64(&b, off);
	buf_put(&b, exe, strlen(exe) + 1);
	put_pad8(&b);
	put32(&b, 100); put32(&b, 100);         /* the sample_id (TID) trailer */
	fb_raw(&f, 1, 2, b.p, b.len);
	b.len = 0;
	put64(&b, 0x400000 + (ip - lo) + 2);
	put32(&b, 100); put32(&b, 100);
	fb_raw(&f, 9, 2 /* PERF_RECORD_MISC_USER */, b.p, b.len);
	free(b.p);
	file = fb_end(&f);
	src = perfdata__open_buffer(file.p, file.len, "dso", &err);
	CHECK(src != NULL);
	if (!src)
		return;
	CHECK(analysis__run_symbols(src, NULL, &prefetch_now, &an) == 0);
	for (int i = 0; an.code && i < an.code->nr_functions; i++) {
		const struct nl_code_function *fn = &an.code->functions[i];

		CHECK_EQ_STR(fn->name, "prefetch_target");
		CHECK(fn->file && strstr(fn->file, "test_kernel_syms.c"));
		hits++;
	}
	CHECK_EQ_U64(hits, 1);
	CHECK(prefetch_target(hits) == 4);
	analysis__free(&an);
	nl_source__close(src);
	free(file.p);
}

int main(void)
{
	struct fb f;
	struct fb_attr *at;
	struct fb_file file;
	struct buf b = { 0 }, *os;
	struct nl_error err;
	struct nl_source *src;
	struct nl_analysis an;
	struct utsname u;
	char name[256];
	uint64_t addr = 0;
	int hits = 0;

	dso_part();
	if (uname(&u) || !pick(&addr, name, sizeof(name))) {
		printf("SKIP: /proc/kallsyms unreadable or its addresses hidden (kptr_restrict)\n");
		return 77;
	}
	fb_begin(&f, 112);
	at = fb_attr(&f, S_IP | S_TID);
	at->ids[0] = 1;
	at->nr_ids = 1;
	for (int i = 0; i < 3; i++) {
		put64(&b, addr + 1);
		put32(&b, 100); put32(&b, 100);
		fb_raw(&f, 9, 1 /* PERF_RECORD_MISC_KERNEL */, b.p, b.len);
		b.len = 0;
	}
	free(b.p);
	os = fb_feature(&f, 4);         /* HEADER_OSRELEASE: this kernel */
	put_hstring(os, u.release);
	file = fb_end(&f);
	src = perfdata__open_buffer(file.p, file.len, "kernel", &err);
	CHECK(src != NULL);
	if (!src)
		return check_done();
	CHECK(analysis__run_symbols(src, NULL, &prefetch_now, &an) == 0);
	for (int i = 0; an.code && i < an.code->nr_functions; i++) {
		const struct nl_code_function *fn = &an.code->functions[i];

		if (!strcmp(fn->dso, "[kernel.kallsyms]")) {
			CHECK_EQ_STR(fn->name, name);
			CHECK(fn->resolved);
			CHECK_EQ_U64(fn->c.counts.samples, 3);
			hits++;
		}
	}
	CHECK_EQ_U64(hits, 1);
	analysis__free(&an);
	nl_source__close(src);
	free(file.p);
	return check_done();
}
