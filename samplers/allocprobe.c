/*
 * allocprobe.c - uprobes on the target's allocator, and their decoding.
 * See allocprobe.h.
 */
#include "samplers/allocprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "samplers/base/sys.h"
#include "samplers/events.h"

/* x86-64 perf register numbers (arch/x86/include/uapi/asm/perf_regs.h). */
enum { REG_AX = 0, REG_DX = 3, REG_SI = 4, REG_DI = 5, REG_BP = 6, REG_SP = 7, REG_IP = 8,
       REG_R10 = 18 };
/* mmap(2)'s flag for the dynamic loader's mappings of ELF files (glibc's
   MAP_COPY): code and data of a library, not an allocation. */
#define MAP_DENYWRITE_FLAG 0x0800
/* User stack bytes copied at a return: malloc's frames and a few callers'. */
#define STACK_COPY 8192
#define REGBIT(r) (1ull << (r))

/* One probed function: its arguments (registers, in order) and result. */
struct probe_fn {
	const char *name;       /* symbol, and the event name after "alloc:" */
	uint8_t op;             /* enum nl_alloc_op */
	uint8_t nr_args;
	uint8_t args[3];        /* perf register of argument 1, 2, 3 */
	bool ret;               /* a uretprobe (sys_exit) gives the result */
	bool malloc_family;     /* only with --alloc-sites=malloc */
	bool syscall;           /* syscalls:sys_enter_NAME / sys_exit_NAME (the
				   name after "sys_"), not a uprobe; the
				   arguments are the user registers at the
				   syscall (x86-64: rdi, rsi, rdx, r10, r8) */
};

static const struct probe_fn fns[] = {
	{ "mmap", NL_ALLOC_MMAP, 2, { REG_DI, REG_SI }, true, false, false },
	{ "munmap", NL_ALLOC_MUNMAP, 2, { REG_DI, REG_SI }, false, false, false },
	{ "mremap", NL_ALLOC_MREMAP, 3, { REG_DI, REG_SI, REG_DX }, true, false, false },
	{ "sbrk", NL_ALLOC_BRK, 1, { REG_DI }, true, false, false },
	{ "malloc", NL_ALLOC_MALLOC, 1, { REG_DI }, true, true, false },
	{ "calloc", NL_ALLOC_MALLOC, 2, { REG_DI, REG_SI }, true, true, false },
	{ "realloc", NL_ALLOC_REALLOC, 2, { REG_DI, REG_SI }, true, true, false },
	{ "free", NL_ALLOC_FREE, 1, { REG_DI }, false, true, false },
	/* the default where tracefs has the syscall tracepoints: no trap */
	{ "sys_mmap", NL_ALLOC_MMAP, 3, { REG_DI, REG_SI, REG_R10 }, true, false, true },
	{ "sys_munmap", NL_ALLOC_MUNMAP, 2, { REG_DI, REG_SI }, false, false, true },
	{ "sys_mremap", NL_ALLOC_MREMAP, 3, { REG_DI, REG_SI, REG_DX }, true, false, true },
	{ "sys_brk", NL_ALLOC_BRK, 1, { REG_DI }, true, false, true },
};
#define NR_FNS (sizeof(fns) / sizeof(fns[0]))

/* --- planning --------------------------------------------------------------- */

/* The first libc mapping of pid's maps: path into out.  0 or -ENOENT. */
static int find_libc(const struct nl_sys *sys, int pid, char *out, size_t size)
{
	char path[64], *buf, *line, *save = NULL;
	size_t len;
	int e;

	snprintf(path, sizeof(path), pid ? "/proc/%d/maps" : "/proc/self/maps", pid);
	if ((e = sys__read_file(sys, path, 64u << 20, &buf, &len)))
		return e;
	e = -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *file = strchr(line, '/');
		const char *base = file ? strrchr(file, '/') + 1 : NULL;

		if (base && (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
			     !strncmp(base, "libc.musl", 9) || !strncmp(base, "ld-musl", 7))) {
			snprintf(out, size, "%s", file);
			e = 0;
			break;
		}
	}
	free(buf);
	return e;
}

/* File offset of vaddr through the PT_LOAD that holds it, or 0. */
static uint64_t file_offset(Elf *elf, uint64_t vaddr)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

/*
 * Offsets of fns[] (0: absent) from the symbol table of type (SHT_SYMTAB or
 * SHT_DYNSYM).  OUT: *glibc when gnu_get_libc_version is there.  Returns the
 * number of functions found.
 */
static int read_symbols(Elf *elf, uint32_t type, uint64_t off[NR_FNS], bool *glibc)
{
	Elf_Scn *scn = NULL;
	int found = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value || !(name = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			if (!strcmp(name, "gnu_get_libc_version"))
				*glibc = true;
			for (size_t f = 0; f < NR_FNS; f++) {
				if (!off[f] && !strcmp(name, fns[f].name)) {
					off[f] = file_offset(elf, sym.st_value);
					found += off[f] != 0;
				}
			}
		}
	}
	return found;
}

/* Off: what is off ("allocation sites off", or only the malloc family's
   beside the syscall tracepoints), why (fmt with a) and the fix. */
#define ALL_OFF "allocation sites off"

static int fail(char *note, size_t size, const char *off, int code, const char *fmt,
		const char *a, const char *fix)
{
	char what[1024];

	snprintf(what, sizeof(what), fmt, a);
	snprintf(note, size, "%s: %s - %s", off, what, fix);
	return code;
}

/* The uprobe PMU's type and retprobe bit from sysfs.  0 or -errno. */
static int uprobe_pmu(const struct nl_sys *sys, const char *sysfs, uint32_t *type,
		      uint64_t *retbit)
{
	char path[256], buf[64];
	long long t;
	uint64_t cfg[3] = { 0 };

	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/type", sysfs);
	if (sys__read_int(sys, path, &t) || t < 0)
		return -ENOENT;
	*type = (uint32_t)t;
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/format/retprobe", sysfs);
	if (sys__read_small(sys, path, buf, sizeof(buf)) <= 0 ||
	    events__apply_format(buf, 1, cfg))
		return -ENOENT;
	*retbit = cfg[0];
	return 0;
}

/* Appends text to tracefs' file name (O_APPEND).  0 or -errno. */
static int tracefs_write(const struct nl_sys *sys, const char *dir, const char *name,
			 const char *text)
{
	char path[128];
	int fd, e = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = sys->open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return fd;
	n = sys->write(fd, text, strlen(text));
	if (n < 0)
		e = (int)n;
	else if ((size_t)n != strlen(text))
		e = -EIO;
	sys->close(fd);
	return e;
}

/*
 * Defines probe name of set->group at offset in tracefs (a return probe
 * when ret).  OUT: *id, its tracepoint id.  0 or -errno.
 */
static int tracefs_probe(const struct nl_sys *sys, struct nl_allocprobe_set *set,
			 const char *name, uint64_t offset, bool ret, uint64_t *id)
{
	char line[800], path[160];
	long long v;
	int e;

	snprintf(line, sizeof(line), "%c:%s/%s %s:0x%llx\n", ret ? 'r' : 'p', set->group, name,
		 set->path, (unsigned long long)offset);
	if ((e = tracefs_write(sys, set->tracefs, "uprobe_events", line)))
		return e;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", set->tracefs, set->group, name);
	if ((e = sys__read_int(sys, path, &v)))
		return e;
	*id = (uint64_t)v;
	return 0;
}

int allocprobe__remove(const struct nl_sys *sys, struct nl_allocprobe_set *set)
{
	int first = 0;

	for (int i = 0; set->tracefs[0] && i < set->nr; i++) {
		char line[128];
		int e;

		/* the syscall tracepoints are the kernel's, not defined by us */
		if (set->spec[i].type != PERF_TYPE_TRACEPOINT ||
		    !strncmp(set->spec[i].name, "alloc:sys_", 10))
			continue;
		snprintf(line, sizeof(line), "-:%s/%s\n", set->group, set->spec[i].name + 6);
		e = tracefs_write(sys, set->tracefs, "uprobe_events", line);
		if (e && !first)
			first = e;
	}
	/* tracefs stays mounted: another numalens (or perf) may be using it */
	set->tracefs[0] = '\0';
	set->mounted = false;
	return first;
}

/* Appends one spec; with tracefs, defines its probe there (a syscall
   tracepoint: type and config are its id already).  0 or -errno. */
static int add_spec(const struct nl_sys *sys, struct nl_allocprobe_set *set,
		    const struct probe_fn *f, uint32_t type, uint64_t config, uint64_t offset,
		    bool ret)
{
	struct nl_ev_spec *s = &set->spec[set->nr++];
	uint64_t regs = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "alloc:%s%s", f->name, ret ? "_ret" : "");
	s->kind = NL_EV_ALLOC_PROBE;
	s->type = type;
	s->config = config;
	s->config1 = f->syscall ? 0 : (uint64_t)(uintptr_t)set->path;
	s->config2 = offset;
	if (set->tracefs[0] && !f->syscall) {
		/* a tracepoint: its id, no path pointer (it follows forks) */
		uint64_t id;
		int e = tracefs_probe(sys, set, s->name + 6, offset, ret, &id);

		if (e) {
			set->nr--;
			return e;
		}
		s->type = PERF_TYPE_TRACEPOINT;
		s->config = id;
		s->config1 = s->config2 = 0;
	}
	s->period = 1;
	s->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			 PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD |
			 PERF_SAMPLE_REGS_USER;
	if (ret && !f->malloc_family) {
		/* glibc has no frame pointers: the callers of malloc's mmap
		   are found in a copy of the stack (objects.c, unwind.h).  mmap is rare;
		   malloc is called by the program itself, its return's frame
		   pointers suffice (and 8 KiB per call would flood the rings). */
		/* every general register: the stack copy is unwound with
		   .eh_frame (unwind.h), which may need any callee-saved one */
		regs = ((1ull << 24) - 1) & ~(0xfull << 12);
		s->sample_type |= PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_STACK_USER;
		s->stack_user = STACK_COPY;
	} else if (ret) {
		regs = REGBIT(REG_AX);
		s->sample_type |= PERF_SAMPLE_CALLCHAIN;
	} else {
		for (int i = 0; i < f->nr_args; i++)
			regs |= REGBIT(f->args[i]);
	}
	s->regs_user = regs;
	/* a uprobe fires in user mode; a syscall tracepoint in the kernel (its
	   user registers and stack are the task's at the syscall) */
	s->exclude_kernel = !f->syscall;
	return 0;
}

bool allocprobe__tracefs_ready(const struct nl_sys *sys, const char *dir, const char *file,
			       int flags, bool *mounted)
{
	char path[256], readme[160];
	int fd;

	*mounted = false;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(readme, sizeof(readme), "%s/README", dir);
	fd = sys->open(path, flags | O_CLOEXEC);
	/* mounted only where none is (a missing file in a mounted tracefs must
	   not stack a second one over it) */
	if (fd < 0 && geteuid() == 0) {
		int r = sys->open(readme, O_RDONLY | O_CLOEXEC);

		if (r >= 0)
			sys->close(r);
		else if (r == -ENOENT && !mount("nodev", dir, "tracefs", 0, NULL))
			*mounted = true;
	}
	if (*mounted)
		fd = sys->open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		if (*mounted)
			umount2(dir, MNT_DETACH);
		*mounted = false;
		return false;
	}
	sys->close(fd);
	return true;
}

/*
 * The syscall tracepoints of fns[] (sys_enter_NAME for the arguments,
 * sys_exit_NAME for the result and the call stack) from tracefs' ids.
 * 0 with set->syscalls, or -errno (set unchanged: the uprobes instead).
 */
static int add_syscalls(const struct nl_sys *sys, const char *tracefs,
			struct nl_allocprobe_set *set)
{
	uint64_t id[NR_FNS][2] = { { 0 } };

	for (size_t f = 0; f < NR_FNS; f++) {
		for (int half = 0; fns[f].syscall && half < 1 + fns[f].ret; half++) {
			char path[160];
			long long v;
			int e;

			snprintf(path, sizeof(path), "%s/events/syscalls/sys_%s_%s/id", tracefs,
				 half ? "exit" : "enter", fns[f].name + 4);
			if ((e = sys__read_int(sys, path, &v)))
				return e;
			if (v < 0)
				return -EINVAL;
			id[f][half] = (uint64_t)v;
		}
	}
	for (size_t f = 0; f < NR_FNS; f++) {
		if (!fns[f].syscall || set->nr + 1 + fns[f].ret > NL_ALLOCPROBE_MAX)
			continue;
		add_spec(sys, set, &fns[f], PERF_TYPE_TRACEPOINT, id[f][0], 0, false);
		if (fns[f].ret)
			add_spec(sys, set, &fns[f], PERF_TYPE_TRACEPOINT, id[f][1], 0, true);
	}
	set->syscalls = true;
	return 0;
}

/* The specs of fns[] found at off[]: in tracefs when set->tracefs is set. */
static int add_specs(const struct nl_sys *sys, struct nl_allocprobe_set *set,
		     const struct nl_allocprobe_options *o, const uint64_t *off, uint32_t type,
		     uint64_t retbit)
{
	for (size_t f = 0; f < NR_FNS; f++) {
		int e;

		if (!off[f] || fns[f].syscall || (fns[f].malloc_family && !o->malloc_family) ||
		    (set->syscalls && !fns[f].malloc_family) ||
		    set->nr + 1 + fns[f].ret > NL_ALLOCPROBE_MAX)
			continue;
		if ((e = add_spec(sys, set, &fns[f], type, 0, off[f], false)) ||
		    (fns[f].ret && (e = add_spec(sys, set, &fns[f], type, retbit, off[f], true))))
			return e;
	}
	return 0;
}

int allocprobe__plan(const struct nl_sys *sys, int pid, const char *sysfs,
		     const struct nl_allocprobe_options *o, struct nl_allocprobe_set *set,
		     char *note, size_t note_size)
{
	uint64_t off[NR_FNS] = { 0 }, retbit;
	uint32_t type;
	bool glibc = false, mounted = false;
	Elf *elf = NULL;
	int fd = -1, e, nsys;
	const char *what_off;

	memset(set, 0, sizeof(*set));
	note[0] = '\0';
#ifndef __x86_64__
	return fail(note, note_size, ALL_OFF, -ENOTSUP, "%s", "allocation probes read x86-64 registers",
		    "profile on x86-64");
#endif
	/* The mmap family by the syscall tracepoints where tracefs has them:
	   no trap in the target, any libc or none (static binaries) */
	if (o->tracefs && !o->no_syscalls &&
	    allocprobe__tracefs_ready(sys, o->tracefs, "events/syscalls/sys_enter_mmap/id",
				      O_RDONLY, &mounted) &&
	    !add_syscalls(sys, o->tracefs, set)) {
		set->mounted = mounted;
		if (!o->malloc_family)
			return 0;
	}
	nsys = set->nr;
	what_off = nsys ? "malloc-family sites off (mmap, munmap, mremap and brk are tracked by "
		     "syscall tracepoints)" : ALL_OFF;
	if (uprobe_pmu(sys, sysfs, &type, &retbit)) {
		e = fail(note, note_size, what_off, -ENOENT, "%s", "no uprobe PMU in "
			 "/sys/bus/event_source/devices", "use a kernel with CONFIG_UPROBE_EVENTS");
		goto out;
	}
	if (find_libc(sys, pid, set->libc, sizeof(set->libc))) {
		e = fail(note, note_size, what_off, -ENOENT, "%s", "the target maps no shared libc "
			 "(a static binary?)", "link it dynamically to see its allocations");
		goto out;
	}
	if (pid)
		snprintf(set->path, sizeof(set->path), "/proc/%d/root%s", pid, set->libc);
	else
		snprintf(set->path, sizeof(set->path), "%s", set->libc);
	if (elf_version(EV_CURRENT) == EV_NONE) {
		e = fail(note, note_size, what_off, -EINVAL, "%s", "libelf", "reinstall libelf1");
		goto out;
	}
	fd = sys->open(set->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = fail(note, note_size, what_off, fd, "%s cannot be opened", set->libc,
			 "profile as root or as the target's owner");
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		e = fail(note, note_size, what_off, -EINVAL, "%s is not an ELF file", set->libc,
			 "check the target's libc");
		goto out;
	}
	if (!read_symbols(elf, SHT_SYMTAB, off, &glibc))
		read_symbols(elf, SHT_DYNSYM, off, &glibc);
	if (!glibc) {
		e = fail(note, note_size, what_off, -ENOTSUP, "%s is not glibc (no gnu_get_libc_version)",
			 set->libc, "allocation probes know glibc only");
		goto out;
	}
	if (!off[0]) {
		e = fail(note, note_size, what_off, -ENOENT, "%s has no symbol mmap", set->libc,
			 "install a libc with its dynamic symbol table");
		goto out;
	}
	if (o->tracefs && allocprobe__tracefs_ready(sys, o->tracefs, "uprobe_events", O_WRONLY | O_APPEND,
						   &mounted)) {
		set->mounted |= mounted;
		snprintf(set->tracefs, sizeof(set->tracefs), "%s", o->tracefs);
		snprintf(set->group, sizeof(set->group), "numalens_%d", (int)getpid());
		if (add_specs(sys, set, o, off, type, retbit)) {
			allocprobe__remove(sys, set);  /* the uprobe PMU instead */
			set->nr = nsys;
		}
	}
	if (set->nr == nsys)
		add_specs(sys, set, o, off, type, retbit);
	e = 0;
out:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		sys->close(fd);
	if (e && nsys) {        /* the syscall tracepoints stay: said in note */
		set->nr = nsys;
		return 0;
	}
	if (e)
		set->nr = 0;
	return e;
}

/* --- decoding --------------------------------------------------------------- */

void allocdec__init(struct nl_allocdec *d, uint64_t min_size)
{
	memset(d, 0, sizeof(*d));
	d->min_size = min_size;
}

void allocdec__free(struct nl_allocdec *d)
{
	map__free(&d->pending);
}

/* probe_of value: 1 + fn index, bit 7 for the return half. */
#define RET_BIT 0x80

bool allocdec__bind(struct nl_allocdec *d, uint32_t ev, const char *name)
{
	if (ev >= sizeof(d->probe_of) || strncmp(name, "alloc:", 6))
		return false;
	name += 6;
	for (size_t f = 0; f < NR_FNS; f++) {
		size_t n = strlen(fns[f].name);

		if (strncmp(name, fns[f].name, n) || (name[n] && strcmp(name + n, "_ret")))
			continue;
		d->probe_of[ev] = (uint8_t)((f + 1) | (name[n] ? RET_BIT : 0));
		if (ev + 1 > d->nr_events)
			d->nr_events = ev + 1;
		return true;
	}
	return false;
}

bool allocdec__active(const struct nl_allocdec *d)
{
	return d->nr_events != 0;
}

/* Register r of the sample, false when it was not recorded. */
static bool reg(const struct nl_sample *s, int r, uint64_t *v)
{
	if (!s->regs_user || !(s->regs_mask & REGBIT(r)))
		return false;
	/* may be unaligned (sample.h) */
	memcpy(v, (const uint8_t *)s->regs_user +
	       8 * __builtin_popcountll(s->regs_mask & (REGBIT(r) - 1)), sizeof(*v));
	return true;
}

/* The size an allocator call asked for (0 for release calls). */
static uint64_t asked_size(const struct probe_fn *f, const uint64_t *a)
{
	switch (f->op) {
	case NL_ALLOC_MMAP: return a[1];
	case NL_ALLOC_MREMAP: return a[2];
	case NL_ALLOC_REALLOC: return a[1];
	case NL_ALLOC_MALLOC: return f->nr_args == 2 ? a[0] * a[1] : a[0];
	case NL_ALLOC_BRK: return (int64_t)a[0] > 0 ? a[0] : 0;
	default: return 0;
	}
}

static void fill_alloc(struct nl_record *rec, const struct nl_sample *s,
		       const struct probe_fn *f, const uint64_t *a, uint64_t result)
{
	struct nl_alloc_event ev = {
		.pid = s->pid, .tid = s->tid, .cpu = (s->valid & NL_SAMPLE_CPU) ? s->cpu : -1,
		.op = f->op, .time = s->time, .len = asked_size(f, a),
		.nr_callchain = s->nr_callchain, .callchain = s->callchain, .py = s->py,
	};

	switch (f->op) {
	case NL_ALLOC_MUNMAP:
	case NL_ALLOC_FREE:
		ev.addr = a[0];
		ev.len = f->op == NL_ALLOC_MUNMAP ? a[1] : 0;
		break;
	case NL_ALLOC_BRK:
		/* sbrk returns the old break: growth above it, a trim below */
		ev.addr = result;
		if ((int64_t)a[0] < 0) {
			ev.op = NL_ALLOC_MUNMAP;
			ev.addr = result - (uint64_t)-(int64_t)a[0];
			ev.len = (uint64_t)-(int64_t)a[0];
		}
		break;
	case NL_ALLOC_MREMAP:
	case NL_ALLOC_REALLOC:
		ev.old_addr = a[0];
		ev.old_len = f->op == NL_ALLOC_MREMAP ? a[1] : 0;
		/* fall through */
	default:
		ev.addr = result;
	}
	if (s->stack_user && s->stack_size && reg(s, REG_SP, &ev.sp)) {
		ev.stack = s->stack_user;
		ev.stack_size = s->stack_size;
		ev.regs_mask = s->regs_mask;
		ev.regs = s->regs_user;
	}
	rec->kind = NL_REC_ALLOC;
	rec->alloc = ev;
}

/* (BRK_KEY | pid, 0) in pending: the process' last known break (brk(2)). */
#define BRK_KEY (1ull << 32)

/*
 * brk(2) sets the break and returns the new one (the old on failure);
 * sbrk's view, which fill_alloc knows, is the increment and the old break.
 * The old break is the process' last one seen (brk(0) at its start asks
 * it).  False when nothing changed or the old break is not known (a
 * process forked or attached before its first brk: only remembered).
 */
static bool brk_as_sbrk(struct nl_allocdec *d, int pid, uint64_t *a, uint64_t *result)
{
	uint64_t *last, old;
	int r = map__add(&d->pending, BRK_KEY | (uint32_t)pid, 0, &last);

	if (r < 0)
		return false;
	old = *last;
	*last = *result;
	if (r == 1 || !old || !a[0] || *result != a[0] || *result == old)
		return false;
	a[0] = *result - old;   /* negative (as int64_t): the heap trimmed */
	*result = old;
	return true;
}

void allocdec__forget(struct nl_allocdec *d, int pid)
{
	map__del(&d->pending, BRK_KEY | (uint32_t)pid, 0);
}

int allocdec__convert(struct nl_allocdec *d, struct nl_record *rec)
{
	uint64_t a[3] = { 0 }, result = 0, began = 0;
	const struct probe_fn *f;
	uint8_t p;

	/* asked of every sample: decided before the copy below */
	if (rec->kind != NL_REC_SAMPLE || rec->sample.event >= d->nr_events ||
	    !(p = d->probe_of[rec->sample.event]))
		return -1;
	/* a copy: fill_alloc writes the record's union over the sample */
	const struct nl_sample s = rec->sample;

	f = &fns[(p & ~RET_BIT) - 1];
	if (!(p & RET_BIT)) {
		for (int i = 0; i < f->nr_args; i++)
			if (!reg(&s, f->args[i], &a[i]))
				return 0;
		if (!f->ret) {
			d->calls++;
			fill_alloc(rec, &s, f, a, 0);
			return 1;
		}
		for (int i = 0; i < f->nr_args; i++)
			if (map__put(&d->pending, (uint64_t)(uint32_t)s.tid,
				     (uint64_t)(p & ~RET_BIT) << 2 | (uint64_t)i, a[i]))
				return 0;
		/* slot 3: when the call began (its own page faults belong to it) */
		map__put(&d->pending, (uint64_t)(uint32_t)s.tid, (uint64_t)(p & ~RET_BIT) << 2 | 3,
			 s.time);
		return 0;
	}
	for (int i = 0; i < f->nr_args; i++) {
		uint64_t k1 = (uint64_t)(p & ~RET_BIT) << 2 | (uint64_t)i;

		if (!map__get(&d->pending, (uint64_t)(uint32_t)s.tid, k1, &a[i])) {
			d->unpaired++;  /* the entry came before attach */
			return 0;
		}
		map__del(&d->pending, (uint64_t)(uint32_t)s.tid, k1);
	}
	if (map__get(&d->pending, (uint64_t)(uint32_t)s.tid, (uint64_t)(p & ~RET_BIT) << 2 | 3,
		     &began))
		map__del(&d->pending, (uint64_t)(uint32_t)s.tid, (uint64_t)(p & ~RET_BIT) << 2 | 3);
	if (!reg(&s, REG_AX, &result))
		return 0;
	/* mmap family: MAP_FAILED; malloc family: NULL */
	if (!result || result == (uint64_t)-1 || result > (1ull << 63))
		return 0;
	if (f->syscall && f->op == NL_ALLOC_BRK) {
		if (!brk_as_sbrk(d, s.pid, a, &result))
			return 0;
	} else if (f->op == NL_ALLOC_BRK && !a[0]) {
		return 0;       /* sbrk(0) asks where the break is */
	}
	/* the dynamic loader mapping a library (MAP_COPY): code, not data */
	if (f->syscall && f->op == NL_ALLOC_MMAP && (a[2] & MAP_DENYWRITE_FLAG))
		return 0;
	if (f->malloc_family && asked_size(f, a) < d->min_size) {
		d->dropped_small++;
		return 0;
	}
	d->calls++;
	fill_alloc(rec, &s, f, a, result);
	if (began && began <= s.time)
		rec->alloc.time = began;
	return 1;
}
