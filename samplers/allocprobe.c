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
enum { REG_AX = 0, REG_DX = 3, REG_SI = 4, REG_DI = 5, REG_BP = 6, REG_SP = 7, REG_IP = 8 };
/* User stack bytes copied at a return: malloc's frames and a few callers'. */
#define STACK_COPY 8192
#define REGBIT(r) (1ull << (r))

/* One probed function: its arguments (registers, in order) and result. */
struct probe_fn {
	const char *name;       /* symbol, and the event name after "alloc:" */
	uint8_t op;             /* enum nl_alloc_op */
	uint8_t nr_args;
	uint8_t args[3];        /* perf register of argument 1, 2, 3 */
	bool ret;               /* a uretprobe gives the result */
	bool malloc_family;     /* only with --alloc-sites=malloc */
};

static const struct probe_fn fns[] = {
	{ "mmap", NL_ALLOC_MMAP, 2, { REG_DI, REG_SI }, true, false },
	{ "munmap", NL_ALLOC_MUNMAP, 2, { REG_DI, REG_SI }, false, false },
	{ "mremap", NL_ALLOC_MREMAP, 3, { REG_DI, REG_SI, REG_DX }, true, false },
	{ "sbrk", NL_ALLOC_BRK, 1, { REG_DI }, true, false },
	{ "malloc", NL_ALLOC_MALLOC, 1, { REG_DI }, true, true },
	{ "calloc", NL_ALLOC_MALLOC, 2, { REG_DI, REG_SI }, true, true },
	{ "realloc", NL_ALLOC_REALLOC, 2, { REG_DI, REG_SI }, true, true },
	{ "free", NL_ALLOC_FREE, 1, { REG_DI }, false, true },
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

static int fail(char *note, size_t size, int code, const char *fmt, const char *a,
		const char *fix)
{
	char what[1024];

	snprintf(what, sizeof(what), fmt, a);
	snprintf(note, size, "allocation sites off: %s - %s", what, fix);
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

		if (set->spec[i].type != PERF_TYPE_TRACEPOINT)
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

/* Appends one spec; with tracefs, defines its probe there.  0 or -errno. */
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
	s->config1 = (uint64_t)(uintptr_t)set->path;
	s->config2 = offset;
	if (set->tracefs[0]) {
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
	s->exclude_kernel = true;
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

/* The specs of fns[] found at off[]: in tracefs when set->tracefs is set. */
static int add_specs(const struct nl_sys *sys, struct nl_allocprobe_set *set,
		     const struct nl_allocprobe_options *o, const uint64_t *off, uint32_t type,
		     uint64_t retbit)
{
	for (size_t f = 0; f < NR_FNS; f++) {
		int e;

		if (!off[f] || (fns[f].malloc_family && !o->malloc_family) ||
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
	bool glibc = false;
	Elf *elf = NULL;
	int fd, e;

	memset(set, 0, sizeof(*set));
	note[0] = '\0';
#ifndef __x86_64__
	return fail(note, note_size, -ENOTSUP, "%s", "allocation probes read x86-64 registers",
		    "profile on x86-64");
#endif
	if (uprobe_pmu(sys, sysfs, &type, &retbit))
		return fail(note, note_size, -ENOENT, "%s", "no uprobe PMU in "
			    "/sys/bus/event_source/devices", "use a kernel with CONFIG_UPROBE_EVENTS");
	if (find_libc(sys, pid, set->libc, sizeof(set->libc)))
		return fail(note, note_size, -ENOENT, "%s", "the target maps no shared libc "
			    "(a static binary?)", "link it dynamically to see its allocations");
	if (pid)
		snprintf(set->path, sizeof(set->path), "/proc/%d/root%s", pid, set->libc);
	else
		snprintf(set->path, sizeof(set->path), "%s", set->libc);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(note, note_size, -EINVAL, "%s", "libelf", "reinstall libelf1");
	fd = sys->open(set->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(note, note_size, fd, "%s cannot be opened", set->libc,
			    "profile as root or as the target's owner");
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		e = fail(note, note_size, -EINVAL, "%s is not an ELF file", set->libc,
			 "check the target's libc");
		goto out;
	}
	if (!read_symbols(elf, SHT_SYMTAB, off, &glibc))
		read_symbols(elf, SHT_DYNSYM, off, &glibc);
	if (!glibc) {
		e = fail(note, note_size, -ENOTSUP, "%s is not glibc (no gnu_get_libc_version)",
			 set->libc, "allocation probes know glibc only");
		goto out;
	}
	if (!off[0]) {
		e = fail(note, note_size, -ENOENT, "%s has no symbol mmap", set->libc,
			 "install a libc with its dynamic symbol table");
		goto out;
	}
	if (o->tracefs && allocprobe__tracefs_ready(sys, o->tracefs, "uprobe_events", O_WRONLY | O_APPEND,
						   &set->mounted)) {
		snprintf(set->tracefs, sizeof(set->tracefs), "%s", o->tracefs);
		snprintf(set->group, sizeof(set->group), "numalens_%d", (int)getpid());
		if (add_specs(sys, set, o, off, type, retbit)) {
			allocprobe__remove(sys, set);  /* the uprobe PMU instead */
			set->nr = 0;
		}
	}
	if (!set->nr)
		add_specs(sys, set, o, off, type, retbit);
	e = 0;
out:
	if (elf)
		elf_end(elf);
	sys->close(fd);
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

int allocdec__convert(struct nl_allocdec *d, struct nl_record *rec)
{
	const struct nl_sample s = rec->sample;
	uint64_t a[3] = { 0 }, result = 0, began = 0;
	const struct probe_fn *f;
	uint8_t p;

	if (rec->kind != NL_REC_SAMPLE || s.event >= d->nr_events || !(p = d->probe_of[s.event]))
		return -1;
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
	if (f->op == NL_ALLOC_BRK && !a[0])
		return 0;       /* sbrk(0) asks where the break is */
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
