/*
 * test_kernel_syms.c - a recording of the running kernel names its kernel
 * addresses from /proc/kallsyms, read in a thread of its own while the
 * records are read (symbols__prefetch_kernel), the same as read at the
 * first resolve: a kernel sample at a text symbol + 1 names that symbol.
 * Skipped (77) when /proc/kallsyms is unreadable or its addresses hidden.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "../perfdata/builder.h"
#include "check.h"
#include "profiler/analysis.h"
#include "profiler/codeprofile.h"
#include "samplers/perfdata.h"

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
	CHECK(analysis__run(src, NULL, &an) == 0);
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
