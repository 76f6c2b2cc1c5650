/*
 * test_allocprobe.c - the allocation probes without a live target: the
 * decoder pairs an entry with the return of the same thread (arguments
 * from the entry, the address from the return, the entry's time), drops a
 * return without its entry, a failed call and a small malloc, and passes a
 * release through at once; planning says in one line why it cannot run
 * (no uprobe PMU in sysfs, no such process, a static target).  The syscall
 * tracepoints: mmap's arguments from the syscall's registers (flags in
 * r10: the loader's MAP_DENYWRITE mappings dropped), brk(2)'s new break
 * turned into the growth above the last one; planned from tracefs' ids,
 * the malloc family beside them as uprobes.
 */
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "samplers/allocprobe.h"
#include "samplers/base/map.h"
#include "samplers/base/sys.h"

/* perf x86 registers as the probes record them */
enum { AX = 0, DX = 3, SI = 4, DI = 5, BP = 6, SP = 7, IP = 8, R10 = 18 };

static struct nl_record sample(uint32_t ev, int tid, uint64_t time, uint64_t mask,
			       const uint64_t *regs)
{
	struct nl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = NL_REC_SAMPLE;
	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_TIME | NL_SAMPLE_CPU;
	r.sample.event = ev;
	r.sample.pid = 100;
	r.sample.tid = tid;
	r.sample.cpu = 1;
	r.sample.time = time;
	r.sample.regs_mask = mask;
	r.sample.nr_regs_user = (uint32_t)__builtin_popcountll(mask);
	r.sample.regs_user = regs;
	return r;
}

static void test_decoder(void)
{
	struct nl_allocdec d;
	/* registers in ascending bit order */
	uint64_t mmap_in[2] = { 32ull << 20, 0 };     /* SI = len, DI = hint */
	uint64_t mmap_out[4] = { 0x7f0000000000ull, 0, 0x7ffd0000, 0x401000 }; /* AX BP SP IP */
	uint64_t fail_out[4] = { (uint64_t)-12, 0, 0, 0 };
	uint64_t munmap_in[2] = { 4096, 0x7f0000000000ull }; /* SI = len, DI = addr */
	uint64_t malloc_in[1] = { 100 };
	uint64_t ret_mask = 1ull << AX | 1ull << BP | 1ull << SP | 1ull << IP;
	uint64_t chain[3] = { (uint64_t)-512, 0x401234, 0x401500 };
	struct nl_record r;

	allocdec__init(&d, 4096);
	CHECK(!allocdec__active(&d));
	CHECK(!allocdec__bind(&d, 0, "page-faults"));
	CHECK(allocdec__bind(&d, 1, "alloc:mmap"));
	CHECK(allocdec__bind(&d, 2, "alloc:mmap_ret"));
	CHECK(allocdec__bind(&d, 3, "alloc:munmap"));
	CHECK(allocdec__bind(&d, 4, "alloc:malloc"));
	CHECK(allocdec__bind(&d, 5, "alloc:malloc_ret"));
	CHECK(!allocdec__bind(&d, 6, "alloc:mmapx"));
	CHECK(allocdec__bind(&d, 6, "alloc:sbrk"));
	CHECK(allocdec__bind(&d, 7, "alloc:sbrk_ret"));
	CHECK(allocdec__active(&d));

	r = sample(0, 7, 1, 0, NULL);
	CHECK(allocdec__convert(&d, &r) == -1);         /* not a probe */
	CHECK(r.kind == NL_REC_SAMPLE);

	/* a return whose entry came before attach: dropped, counted */
	r = sample(2, 7, 5, ret_mask, mmap_out);
	CHECK(allocdec__convert(&d, &r) == 0);
	CHECK_EQ_U64(d.unpaired, 1);

	/* entry (tid 7), an unrelated thread's entry, the return of tid 7 */
	r = sample(1, 7, 10, 1ull << SI | 1ull << DI, mmap_in);
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(1, 8, 11, 1ull << SI | 1ull << DI, (uint64_t[]){ 4096, 0 });
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(2, 7, 20, ret_mask, mmap_out);
	r.sample.callchain = chain;
	r.sample.nr_callchain = 3;
	r.sample.stack_user = chain;
	r.sample.stack_size = sizeof(chain);
	CHECK(allocdec__convert(&d, &r) == 1);
	CHECK(r.kind == NL_REC_ALLOC);
	CHECK(r.alloc.op == NL_ALLOC_MMAP);
	CHECK_EQ_U64(r.alloc.addr, 0x7f0000000000ull);
	CHECK_EQ_U64(r.alloc.len, 32ull << 20);
	CHECK_EQ_U64(r.alloc.time, 10);                 /* the call's entry */
	CHECK(r.alloc.tid == 7 && r.alloc.pid == 100 && r.alloc.cpu == 1);
	CHECK(r.alloc.callchain == chain && r.alloc.nr_callchain == 3);
	CHECK_EQ_U64(r.alloc.sp, 0x7ffd0000);

	/* tid 8's mmap fails: MAP_FAILED is no allocation */
	r = sample(2, 8, 21, ret_mask, fail_out);
	CHECK(allocdec__convert(&d, &r) == 0);

	/* a release has no return half */
	r = sample(3, 7, 30, 1ull << SI | 1ull << DI, munmap_in);
	CHECK(allocdec__convert(&d, &r) == 1);
	CHECK(r.alloc.op == NL_ALLOC_MUNMAP);
	CHECK_EQ_U64(r.alloc.addr, 0x7f0000000000ull);
	CHECK_EQ_U64(r.alloc.len, 4096);

	/* malloc(100) under --alloc-min 4096: traps, but no record */
	r = sample(4, 7, 40, 1ull << DI, malloc_in);
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(5, 7, 41, ret_mask, mmap_out);
	CHECK(allocdec__convert(&d, &r) == 0);
	CHECK_EQ_U64(d.dropped_small, 1);

	/* sbrk(132 KiB) returns the old break: the heap grew above it */
	r = sample(6, 7, 60, 1ull << DI, (uint64_t[]){ 132 << 10 });
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(7, 7, 61, ret_mask, (uint64_t[]){ 0x560000000000ull, 0, 0x7ffd0000, 0x401000 });
	CHECK(allocdec__convert(&d, &r) == 1);
	CHECK(r.alloc.op == NL_ALLOC_BRK);
	CHECK_EQ_U64(r.alloc.addr, 0x560000000000ull);
	CHECK_EQ_U64(r.alloc.len, 132 << 10);
	/* sbrk(-64 KiB): the top 64 KiB below the old break given back */
	r = sample(6, 7, 62, 1ull << DI, (uint64_t[]){ (uint64_t)-(64 << 10) });
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(7, 7, 63, ret_mask, (uint64_t[]){ 0x560000021000ull, 0, 0x7ffd0000, 0x401000 });
	CHECK(allocdec__convert(&d, &r) == 1);
	CHECK(r.alloc.op == NL_ALLOC_MUNMAP);
	CHECK_EQ_U64(r.alloc.addr, 0x560000021000ull - (64 << 10));
	CHECK_EQ_U64(r.alloc.len, 64 << 10);
	/* sbrk(0) asks where the break is: no record */
	r = sample(6, 7, 64, 1ull << DI, (uint64_t[]){ 0 });
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(7, 7, 65, ret_mask, (uint64_t[]){ 0x560000011000ull, 0, 0x7ffd0000, 0x401000 });
	CHECK(allocdec__convert(&d, &r) == 0);

	/* an entry without its registers (the kernel gave none) is dropped */
	r = sample(1, 9, 50, 0, NULL);
	CHECK(allocdec__convert(&d, &r) == 0);
	CHECK_EQ_U64(d.calls, 4);
	allocdec__free(&d);
}

/* brk(arg) of pid at time t returning ret (events 4, 5): the return's convert. */
static int brk_call(struct nl_allocdec *d, struct nl_record *r, int pid, uint64_t t,
		    uint64_t arg, uint64_t ret)
{
	uint64_t ret_mask = 1ull << AX | 1ull << BP | 1ull << SP | 1ull << IP;
	uint64_t in[1] = { arg }, out[4] = { ret, 0, 0x7ffd0000, 0x401000 };

	*r = sample(4, pid, t, 1ull << DI, in);
	r->sample.pid = pid;
	if (allocdec__convert(d, r) != 0)
		return -1;
	*r = sample(5, pid, t + 1, ret_mask, out);
	r->sample.pid = pid;
	return allocdec__convert(d, r);
}

static void test_syscalls(void)
{
	struct nl_allocdec d;
	uint64_t ret_mask = 1ull << AX | 1ull << BP | 1ull << SP | 1ull << IP;
	uint64_t in_mask = 1ull << SI | 1ull << DI | 1ull << R10;
	struct nl_record r;
	uint32_t count;

	allocdec__init(&d, 4096);
	CHECK(allocdec__bind(&d, 1, "alloc:sys_mmap"));
	CHECK(allocdec__bind(&d, 2, "alloc:sys_mmap_ret"));
	CHECK(allocdec__bind(&d, 3, "alloc:sys_munmap"));
	CHECK(allocdec__bind(&d, 4, "alloc:sys_brk"));
	CHECK(allocdec__bind(&d, 5, "alloc:sys_brk_ret"));
	CHECK(!allocdec__bind(&d, 6, "alloc:sys_mmapx"));

	/* mmap(NULL, 32 MiB, ..., MAP_PRIVATE | MAP_ANONYMOUS): SI, DI, R10 */
	r = sample(1, 7, 10, in_mask, (uint64_t[]){ 32ull << 20, 0, 0x22 });
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(2, 7, 12, ret_mask, (uint64_t[]){ 0x7f0000000000ull, 0, 0x7ffd0000, 0x401000 });
	CHECK(allocdec__convert(&d, &r) == 1);
	CHECK(r.alloc.op == NL_ALLOC_MMAP);
	CHECK_EQ_U64(r.alloc.addr, 0x7f0000000000ull);
	CHECK_EQ_U64(r.alloc.len, 32ull << 20);
	CHECK_EQ_U64(r.alloc.time, 10);
	/* the dynamic loader mapping a library (MAP_PRIVATE | MAP_DENYWRITE) */
	r = sample(1, 7, 20, in_mask, (uint64_t[]){ 1ull << 20, 0, 0x802 });
	CHECK(allocdec__convert(&d, &r) == 0);
	r = sample(2, 7, 21, ret_mask, (uint64_t[]){ 0x7f1000000000ull, 0, 0x7ffd0000, 0x401000 });
	CHECK(allocdec__convert(&d, &r) == 0);
	/* munmap: entry only */
	r = sample(3, 7, 30, 1ull << SI | 1ull << DI, (uint64_t[]){ 4096, 0x7f0000000000ull });
	CHECK(allocdec__convert(&d, &r) == 1);
	CHECK(r.alloc.op == NL_ALLOC_MUNMAP && r.alloc.len == 4096);

	/* brk: the first call of a process only tells its break */
	CHECK(brk_call(&d, &r, 100, 40, 0, 0x560000000000ull) == 0);
	/* brk(break + 132 KiB) returns the new break: the growth above the old */
	CHECK(brk_call(&d, &r, 100, 42, 0x560000021000ull, 0x560000021000ull) == 1);
	CHECK(r.alloc.op == NL_ALLOC_BRK);
	CHECK_EQ_U64(r.alloc.addr, 0x560000000000ull);
	CHECK_EQ_U64(r.alloc.len, 0x21000);
	CHECK_EQ_U64(r.alloc.time, 42);
	/* a refused brk returns the old break: nothing */
	CHECK(brk_call(&d, &r, 100, 44, 0x570000000000ull, 0x560000021000ull) == 0);
	/* brk lower: the top given back */
	CHECK(brk_call(&d, &r, 100, 46, 0x560000011000ull, 0x560000011000ull) == 1);
	CHECK(r.alloc.op == NL_ALLOC_MUNMAP);
	CHECK_EQ_U64(r.alloc.addr, 0x560000011000ull);
	CHECK_EQ_U64(r.alloc.len, 0x10000);
	/* another process (pid 101): its old break is not known yet */
	CHECK(brk_call(&d, &r, 101, 50, 0x560000031000ull, 0x560000031000ull) == 0);
	CHECK_EQ_U64(d.calls, 4);
	/* pid 100 ended: a new process of that pid starts with its break unknown
	   (not the old one's), and the decoder keeps nothing of it */
	count = map__count(&d.pending);
	allocdec__forget(&d, 100);
	CHECK_EQ_U64(map__count(&d.pending), count - 1);
	CHECK(brk_call(&d, &r, 100, 60, 0x560000041000ull, 0x560000041000ull) == 0);
	allocdec__free(&d);
}

/* Writes text to dir/name (directories made). */
static void put(const char *dir, const char *name, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	CHECK(system(cmd) == 0);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_plan_syscalls(const char *sysfs)
{
	char dir[] = "/tmp/nl-allocsys.XXXXXX", cmd[300], note[400];
	struct nl_allocprobe_options o = { 0 };
	struct nl_allocprobe_set set;
	static const char *const names[] = { "enter_mmap", "exit_mmap", "enter_munmap",
					     "enter_mremap", "exit_mremap", "enter_brk", "exit_brk" };

	CHECK(mkdtemp(dir) != NULL);
	/* a tracefs (README: never mounted over) without syscall events: uprobes */
	put(dir, "README", "tracefs\n");
	o.tracefs = dir;
	CHECK(allocprobe__plan(sys__default(), 0, sysfs, &o, &set, note, sizeof(note)) == 0);
	CHECK(!set.syscalls && set.nr == 7);
	CHECK_EQ_STR(set.spec[0].name, "alloc:mmap");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char name[128], id[16];

		snprintf(name, sizeof(name), "events/syscalls/sys_%s/id", names[i]);
		snprintf(id, sizeof(id), "%zu\n", 500 + i);
		put(dir, name, id);
	}
	CHECK(allocprobe__plan(sys__default(), 0, sysfs, &o, &set, note, sizeof(note)) == 0);
	CHECK(set.syscalls && set.nr == 7 && !note[0]);
	CHECK_EQ_STR(set.spec[0].name, "alloc:sys_mmap");
	CHECK_EQ_STR(set.spec[1].name, "alloc:sys_mmap_ret");
	CHECK_EQ_STR(set.spec[6].name, "alloc:sys_brk_ret");
	CHECK(set.spec[0].type == PERF_TYPE_TRACEPOINT && set.spec[0].config == 500);
	CHECK(set.spec[6].config == 506 && !set.spec[1].config1);
	CHECK(!set.spec[0].exclude_kernel);     /* they fire in the kernel */
	CHECK(set.spec[1].sample_type & PERF_SAMPLE_STACK_USER);
	CHECK(set.spec[0].regs_user & (1ull << R10));
	/* not removed as if numalens had defined them */
	CHECK(allocprobe__remove(sys__default(), &set) == 0);
	/* the malloc family beside them, as uprobes on libc */
	o.malloc_family = true;
	CHECK(allocprobe__plan(sys__default(), 0, sysfs, &o, &set, note, sizeof(note)) == 0);
	CHECK(set.syscalls && set.nr == 14);
	CHECK_EQ_STR(set.spec[7].name, "alloc:malloc");
	/* no libc for them: the syscalls stay, one line says the malloc family is off */
	CHECK(allocprobe__plan(sys__default(), 0, dir, &o, &set, note, sizeof(note)) == 0);
	CHECK(set.syscalls && set.nr == 7);
	CHECK(strstr(note, "malloc-family sites off") == note && strstr(note, " - ") != NULL);
	/* refused: the libc uprobes */
	o.malloc_family = false;
	o.no_syscalls = true;
	CHECK(allocprobe__plan(sys__default(), 0, sysfs, &o, &set, note, sizeof(note)) == 0);
	CHECK(!set.syscalls && set.nr == 7 && !strcmp(set.spec[0].name, "alloc:mmap"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static void test_plan(void)
{
	char dir[] = "/tmp/nl-allocprobe.XXXXXX", path[256], note[400];
	struct nl_allocprobe_options o = { 0 };
	struct nl_allocprobe_set set;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	/* a sysfs without the uprobe PMU */
	CHECK(allocprobe__plan(sys__default(), 0, dir, &o, &set, note, sizeof(note)) < 0);
	CHECK(set.nr == 0);
	CHECK(strstr(note, "allocation sites off: no uprobe PMU") == note);
	CHECK(strstr(note, " - ") != NULL);
	/* with one: numalens' own glibc plans mmap, mmap_ret, munmap, mremap, mremap_ret,
	   sbrk, sbrk_ret */
	snprintf(path, sizeof(path), "%s/bus", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bus/event_source", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bus/event_source/devices", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/format", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/type", dir);
	f = fopen(path, "w");
	fprintf(f, "42\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/format/retprobe", dir);
	f = fopen(path, "w");
	fprintf(f, "config:0\n");
	fclose(f);
	CHECK(allocprobe__plan(sys__default(), 0, dir, &o, &set, note, sizeof(note)) == 0);
	CHECK(set.nr == 7);
	CHECK_EQ_STR(set.spec[5].name, "alloc:sbrk");
	CHECK_EQ_STR(set.spec[6].name, "alloc:sbrk_ret");
	CHECK_EQ_STR(set.spec[0].name, "alloc:mmap");
	CHECK_EQ_STR(set.spec[1].name, "alloc:mmap_ret");
	CHECK(set.spec[0].type == 42 && set.spec[0].config == 0 && set.spec[1].config == 1);
	CHECK(set.spec[0].config2 != 0 && set.spec[0].config2 == set.spec[1].config2);
	CHECK((const char *)(uintptr_t)set.spec[0].config1 == set.path);
	CHECK(strstr(set.libc, "libc") != NULL);
	o.malloc_family = true;
	CHECK(allocprobe__plan(sys__default(), 0, dir, &o, &set, note, sizeof(note)) == 0);
	CHECK(set.nr == 14);    /* + malloc, calloc, realloc (entry, return), free */
	o.malloc_family = false;
	test_plan_syscalls(dir);
	o.malloc_family = true;
	/* a process that does not exist: one line, nothing planned */
	CHECK(allocprobe__plan(sys__default(), 999999999, dir, &o, &set, note, sizeof(note)) < 0);
	CHECK(set.nr == 0 && strstr(note, "allocation sites off: ") == note);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
}

int main(void)
{
	test_decoder();
	test_syscalls();
	test_plan();
	return check_done();
}
