/*
 * test_pysplice - the join of Python and native frames (profiler/
 * codeprofile.c): a sample whose native stack runs through two evaluator
 * activations gets each activation's Python frames in place of its
 * _PyEval_EvalFrameDefault frame (an activation ends at an NL_PYF_ENTRY
 * frame), the activations the native stack does not reach go above its
 * outermost frame, the innermost Python frame is a function and line row
 * of the dso "[python] FILE", and the totals do not count it twice; under
 * --sort dso its samples are a row of that dso too (python, not in the
 * totals), apart from the program's own.  The native frames are
 * this program's own functions (one is named _PyEval_EvalFrameDefault),
 * mapped from /proc/self/maps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "profiler/codeprofile.h"

#define CTX_USER ((uint64_t)-512)

__attribute__((noinline)) void native_leaf(void) { __asm__ volatile(""); }
__attribute__((noinline)) void _PyEval_EvalFrameDefault(void) { native_leaf(); __asm__ volatile(""); }
__attribute__((noinline)) void native_middle(void) { _PyEval_EvalFrameDefault(); __asm__ volatile(""); }
__attribute__((noinline)) int main_outer(void) { native_middle(); return 0; }

/* The executable mapping of this program: OUT start, len, pgoff, path. */
static int own_text(uint64_t *start, uint64_t *len, uint64_t *pgoff, char *path, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024], exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int found = 0;

	if (!f || n <= 0)
		return -1;
	exe[n] = '\0';
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e, o;
		char perms[8], name[512] = "";

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %511s", &s, &e, perms, &o, name) >= 4 &&
		    perms[2] == 'x' && !strcmp(name, exe)) {
			*start = s;
			*len = e - s;
			*pgoff = o;
			snprintf(path, size, "%s", exe);
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

static const struct nl_code_function *fn(const struct nl_code_profile *p, const char *name)
{
	for (int i = 0; i < p->nr_functions; i++)
		if (!strcmp(p->functions[i].name, name))
			return &p->functions[i];
	return NULL;
}

int main(void)
{
	struct nl_pyframe py[5] = {
		{ .id = 1, .line = 10, .function = "inner", .file = "/t/train.py" },
		{ .id = 2, .line = 20, .function = "Dataset.__getitem__", .file = "/t/data.py",
		  .flags = NL_PYF_ENTRY },
		{ .id = 3, .line = 30, .function = "fetch", .file = "/t/loader.py" },
		{ .id = 4, .line = 40, .function = "worker_loop", .file = "/t/loader.py",
		  .flags = NL_PYF_ENTRY },
		{ .id = 5, .line = 57, .function = "<module>", .file = "/t/train.py",
		  .flags = NL_PYF_ENTRY },
	};
	struct nl_pystack stack = { .nr = 5, .frames = py };
	const char *want[] = { "native_leaf", "inner", "Dataset.__getitem__", "native_middle",
			       "fetch", "worker_loop", "main_outer", "<module>" };
	struct nl_symbols_options o = { .code_sort = "dso" };
	struct nl_record mm = { .kind = NL_REC_MMAP }, rec = { .kind = NL_REC_SAMPLE };
	uint64_t chain[6], start, len, pgoff;
	char path[512];
	struct nl_codeprofile *cp;
	const struct nl_code_profile *p;
	const struct nl_code_stack *st = NULL;
	const struct nl_code_function *f;

	if (own_text(&start, &len, &pgoff, path, sizeof(path)))
		check_skip("cannot find this program's text mapping");
	main_outer();
	cp = codeprofile__new(&o, NULL);
	mm.mmap = (struct nl_mmap_event){ .pid = 7, .tid = 7, .start = start, .len = len,
					  .pgoff = pgoff, .prot = 5, .filename = path };
	CHECK(!codeprofile__add(cp, &mm, NL_LOC_NONE, false));
	/* return addresses point after their calls: +1 stays inside each function */
	chain[0] = CTX_USER;
	chain[1] = (uint64_t)(uintptr_t)native_leaf;
	chain[2] = (uint64_t)(uintptr_t)_PyEval_EvalFrameDefault + 2;
	chain[3] = (uint64_t)(uintptr_t)native_middle + 2;
	chain[4] = (uint64_t)(uintptr_t)_PyEval_EvalFrameDefault + 2;
	chain[5] = (uint64_t)(uintptr_t)main_outer + 2;
	rec.sample = (struct nl_sample){
		.valid = NL_SAMPLE_IP | NL_SAMPLE_TID | NL_SAMPLE_CALLCHAIN | NL_SAMPLE_ADDR,
		.pid = 7, .tid = 7, .ip = chain[1], .addr = 0x1000, .cpumode = NL_CPUMODE_USER,
		.nr_callchain = 6, .callchain = chain, .py = &stack,
	};
	for (int i = 0; i < 3; i++)
		CHECK(!codeprofile__add(cp, &rec, NL_LOC_LOCAL, true));
	rec.sample.py = NULL;           /* a thread without Python frames */
	CHECK(!codeprofile__add(cp, &rec, NL_LOC_LOCAL, true));
	p = codeprofile__finish(cp);
	CHECK(p != NULL);
	if (!p)
		return check_done();
	for (int i = 0; i < p->nr_stacks; i++)
		if (p->stacks[i].c.counts.samples == 3)
			st = &p->stacks[i];
	CHECK(st && st->nr_frames == sizeof(want) / sizeof(want[0]));
	for (uint32_t i = 0; st && i < st->nr_frames && i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_EQ_STR(st->frames[i].function, want[i]);
		CHECK(st->frames[i].python == (i == 1 || i == 2 || i == 4 || i == 5 || i == 7));
	}
	CHECK(st && st->frames[1].line == 10 && !strcmp(st->frames[1].file, "/t/train.py"));
	f = fn(p, "inner");
	CHECK(f && f->python && !strcmp(f->dso, "[python] /t/train.py") && f->line == 10);
	CHECK(f && f->c.counts.samples == 3 && f->c.first_touch == 3);
	f = fn(p, "native_leaf");
	CHECK(f && !f->python && f->c.counts.samples == 4);
	CHECK(!fn(p, "Dataset.__getitem__"));   /* only the innermost frame is a row */
	CHECK_EQ_U64(p->memory_total, 4);       /* Python rows are not counted twice */
	CHECK_EQ_U64(p->python_samples, 3);
	/* --sort dso: the program's row (4 samples) and train.py's (3, python) */
	CHECK_EQ_U64(p->nr_rows, 2);
	for (int i = 0; i < p->nr_rows; i++) {
		const struct nl_code_row *r = &p->rows[i];

		if (r->python)
			CHECK(!strcmp(r->dso, "[python] /t/train.py") && r->c.counts.samples == 3);
		else
			CHECK(!strcmp(r->dso, path) && r->c.counts.samples == 4);
	}
	codeprofile__free(cp);
	return check_done();
}
