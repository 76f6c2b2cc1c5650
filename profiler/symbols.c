/*
 * symbols.c - the DSO table and the resolution cache.  See symbols.h; the
 * kernel and JIT tables are in symbols_tables.c, the shared state in
 * symbols_internal.h.
 *
 * Lifecycle of one DSO (struct dso.state):
 *   1. NEW: interned from a mapping; live, fd already holds the file.
 *   2. first symbols__resolve: opened (fd, or symfs/path, or path) into its
 *      own Dwfl, build-id compared with the recording's -> OK or FAILED
 *      (reason kept, one note).  FAILED is final: never retried.
 *   3. symbols__free: dwfl_end closes the file.
 * Addresses: a mapping gives a file offset (ip - start + pgoff); the
 * PT_LOAD segment holding that offset turns it into the ELF's own vaddr,
 * which is what libdwfl looks up (the module is reported at base 0).
 */
#include "profiler/symbols_internal.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "samplers/base/map.h"
#include "samplers/base/array.h"
#include "samplers/base/sys.h"

/* libstdc++'s demangler (extern "C"); perf and eu-stack use the same. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* --- small helpers ---------------------------------------------------------- */

/* The one copy of str (s->strings); NULL on -ENOMEM. */
static const char *intern(struct nl_symbols *s, const char *str)
{
	int64_t id = strtab__intern(&s->strings, str);

	return id < 0 ? NULL : strtab__str(&s->strings, (uint32_t)id);
}

/* intern() of a symbol name, demangled when it is a C++ one. */
const char *symbols_internal__intern_symbol(struct nl_symbols *s, const char *name)
{
	char *plain;
	const char *r;
	int status = -1;

	if (strncmp(name, "_Z", 2) || !(plain = __cxa_demangle(name, NULL, NULL, &status)))
		return intern(s, name);
	r = intern(s, status == 0 ? plain : name);
	free(plain);
	return r;
}

#define note symbols__note
void symbols__note(struct nl_symbols *s, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (s->nr_notes >= MAX_NOTES)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text)
		s->notes[s->nr_notes++] = text;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* --- the table ------------------------------------------------------------- */

static uint32_t add_dso(struct nl_symbols *s, const char *path)
{
	struct dso *d;

	if (s->nr_dsos == s->cap_dsos) {
		uint32_t cap = s->cap_dsos ? s->cap_dsos * 2 : 32;
		struct dso *v = realloc(s->dsos, cap * sizeof(*v));

		if (!v)
			return NL_DSO_UNKNOWN;
		s->dsos = v;
		s->cap_dsos = cap;
	}
	d = &s->dsos[s->nr_dsos];
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	symindex__init(&d->symtab);
	d->path = strdup(path);
	if (!d->path)
		return NL_DSO_UNKNOWN;
	return s->nr_dsos++;
}

struct nl_symbols *symbols__new(const struct nl_symbols_options *o,
				const struct nl_source_info *info)
{
	struct nl_symbols *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (o)
		s->opt = *o;
	s->info = info;
	if (add_dso(s, "[unknown]") != NL_DSO_UNKNOWN || add_dso(s, "[kernel.kallsyms]") != NL_DSO_KERNEL) {
		symbols__free(s);
		return NULL;
	}
	s->dsos[NL_DSO_UNKNOWN].state = DSO_FAILED;
	s->dsos[NL_DSO_UNKNOWN].absolute = true;
	s->dsos[NL_DSO_KERNEL].kernel = true;
	s->dsos[NL_DSO_KERNEL].absolute = true;
	/* libdw's debuginfod client: bounded, and only ever from resolve. */
	setenv("DEBUGINFOD_TIMEOUT", "5", 0);
	return s;
}

static void prefetch_stop(struct nl_symbols *s);

void symbols__free(struct nl_symbols *s)
{
	uint64_t v;

	if (!s)
		return;
	prefetch_stop(s);
	for (uint32_t i = 0; i < s->nr_dsos; i++) {
		struct dso *d = &s->dsos[i];

		if (d->dwfl)
			dwfl_end(d->dwfl);
		if (d->fd >= 0)
			close(d->fd);
		free(d->path);
		free(d->jit_syms);
		symindex__free(&d->symtab);
		symbols_inline__free(&d->inlines);
	}
	free(s->dsos);
	for (uint32_t pos = 0; map__next(&s->cache, &pos, NULL, NULL, &v);)
		free((void *)(uintptr_t)v);
	map__free(&s->cache);
	strtab__free(&s->strings);
	map__free(&s->dso_index);
	map__free(&s->path_index);
	map__free(&s->jit_index);
	free(s->free_jit);
	symbols_tables__drop_prefetch(s);
	free(s->ksyms);
	symbols_tables__free_text(s->kallsyms_text, s->kallsyms_mapped);
	for (int i = 0; i < s->nr_notes; i++)
		free(s->notes[i]);
	free(s);
}

/* The recording's build-id for path, from the BUILD_ID feature. */
static void expected_build_id(struct nl_symbols *s, struct dso *d)
{
	if (!s->info)
		return;
	for (uint32_t i = 0; i < s->info->nr_build_ids; i++) {
		const struct nl_build_id *b = &s->info->build_ids[i];

		if (b->filename && !strcmp(b->filename, d->path)) {
			memcpy(d->want_id, b->id, b->size);
			d->want_size = b->size;
			return;
		}
	}
}

/* Live: the file pid maps at m, opened in pid's own mount namespace. */
static int open_live(int pid, const struct nl_mmap_event *m)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
		 m->start, m->start + m->len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->filename);
	return open(path, O_RDONLY | O_CLOEXEC);
}

uint32_t symbols__dso_of_mapping(struct nl_symbols *s, int pid, const struct nl_mmap_event *m)
{
	uint64_t key, v, dev = 0, ino = 0;
	int64_t path;
	int fd = -1;
	uint32_t id;

	if (!m->filename || !m->filename[0])
		return NL_DSO_UNKNOWN;
	if (m->kernel || !strncmp(m->filename, "[kernel.kallsyms]", 17))
		return NL_DSO_KERNEL;
	if (m->filename[0] != '/' || m->filename[1] == '/' || !strncmp(m->filename, "/memfd:", 7))
		return NL_DSO_UNKNOWN;      /* //anon, [heap], [vdso], memfd: JIT maps' turf */
	path = strtab__intern(&s->strings, m->filename);  /* the path's id */
	if (path < 0)
		return NL_DSO_UNKNOWN;
	if (s->opt.live) {
		struct stat st;

		fd = open_live(pid, m);
		if (fd >= 0 && !fstat(fd, &st)) {
			dev = st.st_dev;
			ino = st.st_ino;
		}
		/* The process is gone: the file it had is the one seen earlier. */
		if (fd < 0 && map__get(&s->path_index, 0, (uint64_t)path, &v))
			return (uint32_t)v;
	}
	key = map__mix64(dev) ^ ino;
	while (map__get(&s->dso_index, (uint64_t)path, key, &v)) {
		struct dso *d = &s->dsos[v];

		if (!strcmp(d->path, m->filename) && d->dev == dev && d->ino == ino) {
			if (fd >= 0)
				close(fd);
			if (!d->want_size && m->build_id_size) {
				memcpy(d->want_id, m->build_id, m->build_id_size);
				d->want_size = m->build_id_size;
			}
			return (uint32_t)v;
		}
		key++;
	}
	id = add_dso(s, m->filename);
	if (id != NL_DSO_UNKNOWN && !map__get(&s->path_index, 0, (uint64_t)path, NULL) &&
	    map__put(&s->path_index, 0, (uint64_t)path, id))
		id = NL_DSO_UNKNOWN;
	if (id == NL_DSO_UNKNOWN || map__put(&s->dso_index, (uint64_t)path, key, id)) {
		if (fd >= 0)
			close(fd);
		return NL_DSO_UNKNOWN;
	}
	s->dsos[id].fd = fd;
	s->dsos[id].dev = dev;
	s->dsos[id].ino = ino;
	if (m->build_id_size) {
		memcpy(s->dsos[id].want_id, m->build_id, m->build_id_size);
		s->dsos[id].want_size = m->build_id_size;
	} else {
		expected_build_id(s, &s->dsos[id]);
	}
	return id;
}

/* A slot symbols__jit_forget freed, emptied for path (NL_DSO_UNKNOWN on
   -ENOMEM). */
static uint32_t reuse_jit(struct nl_symbols *s, const char *path)
{
	uint32_t id = s->free_jit[--s->nr_free_jit];
	struct dso *d = &s->dsos[id];

	free(d->path);
	free(d->jit_syms);
	symindex__free(&d->symtab);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	symindex__init(&d->symtab);
	d->path = strdup(path);
	return d->path ? id : NL_DSO_UNKNOWN;
}

uint32_t symbols__jit_dso(struct nl_symbols *s, int pid)
{
	char path[64];
	uint64_t v;
	uint32_t id;

	if (pid <= 0)
		return NL_DSO_UNKNOWN;
	if (map__get(&s->jit_index, 0, (uint64_t)pid, &v))
		return (uint32_t)v;
	/* Whether the map exists is asked at resolve time: a JIT writes it
	   while it runs, possibly after its first samples were read. */
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
	id = s->nr_free_jit ? reuse_jit(s, path) : add_dso(s, path);
	if (id != NL_DSO_UNKNOWN) {
		s->dsos[id].jit = true;
		s->dsos[id].absolute = true;
		s->dsos[id].pid = pid;
		/* The owner must be known while the process lives. */
		if (s->opt.live) {
			struct stat st;
			char proc[32];

			snprintf(proc, sizeof(proc), "/proc/%d", pid);
			s->dsos[id].uid = stat(proc, &st) ? (uint64_t)-1 : st.st_uid;
		} else {
			s->dsos[id].uid = geteuid();
		}
	}
	if (map__put(&s->jit_index, 0, (uint64_t)pid, id))
		return NL_DSO_UNKNOWN;
	return id;
}

/* pid's JIT pseudo-DSO (symbols__jit_dso made it), NL_DSO_UNKNOWN none. */
static uint32_t jit_of(const struct nl_symbols *s, int pid)
{
	uint64_t v;

	if (pid <= 0 || !map__get(&s->jit_index, 0, (uint64_t)pid, &v) || v >= s->nr_dsos)
		return NL_DSO_UNKNOWN;
	return (uint32_t)v;
}

void symbols__jit_forget(struct nl_symbols *s, int pid)
{
	uint32_t id = jit_of(s, pid);

	if (id == NL_DSO_UNKNOWN || !s->dsos[id].absent ||
	    array__reserve((void **)&s->free_jit, &s->cap_free_jit, s->nr_free_jit + 1,
			   sizeof(*s->free_jit)))
		return;
	map__del(&s->jit_index, 0, (uint64_t)pid);
	s->free_jit[s->nr_free_jit++] = id;
}

bool symbols__jit_absent(struct nl_symbols *s, int pid, uint32_t *dso)
{
	uint32_t id = jit_of(s, pid);

	if (id == NL_DSO_UNKNOWN)
		return false;
	if (s->dsos[id].state == DSO_NEW)
		symbols_tables__load_jit(s, &s->dsos[id]);
	*dso = id;
	return s->dsos[id].absent;
}

const char *symbols__dso_name(const struct nl_symbols *s, uint32_t dso)
{
	return dso < s->nr_dsos ? s->dsos[dso].path : "[unknown]";
}

bool symbols__dso_absolute(const struct nl_symbols *s, uint32_t dso)
{
	return dso >= s->nr_dsos || s->dsos[dso].absolute;
}

uint64_t symbols__key(uint32_t dso, uint64_t offset)
{
	return (uint64_t)dso << NL_SITE_OFF_BITS | (offset & ((1ull << NL_SITE_OFF_BITS) - 1));
}

void symbols__unkey(const struct nl_symbols *s, uint64_t key, uint32_t *dso, uint64_t *offset)
{
	*dso = (uint32_t)(key >> NL_SITE_OFF_BITS);
	*offset = key & ((1ull << NL_SITE_OFF_BITS) - 1);
	/* Absolute addresses with bit 47 set are kernel addresses: sign-extend. */
	if (symbols__dso_absolute(s, *dso) && (*offset >> (NL_SITE_OFF_BITS - 1)))
		*offset |= ~((1ull << NL_SITE_OFF_BITS) - 1);
}

void symbols__stats(const struct nl_symbols *s, struct nl_symbols_stats *out)
{
	*out = s->stats;
	out->dsos = s->nr_dsos - 2;
}

const char *const *symbols__notes(const struct nl_symbols *s)
{
	return (const char *const *)s->notes;
}

/* --- opening a DSO ---------------------------------------------------------- */

static char *debuginfo_path;

/* libdwfl's own search, after its first place (by build-id) was tried with
   the compressed sections inflated ahead (symbols_inflate.c: libdw's zlib
   was a fifth of a report's CPU) */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  GElf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	int fd = symbols_inflate__find(mod, debuginfo_file_name);

	if (fd >= 0)
		return fd;
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static void hex(char *buf, const uint8_t *id, int n)
{
	for (int i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", id[i]);
	buf[2 * n] = 0;
}

/* The file of path (under symfs when not NULL). */
static int open_path(const char *symfs, const char *dso_path)
{
	char path[4200];
	int fd;

	if (symfs) {
		snprintf(path, sizeof(path), "%s/%s", symfs, dso_path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(path, sizeof(path), "%s/%s", symfs, base_name(dso_path));
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		return fd;
	}
	return open(dso_path, O_RDONLY | O_CLOEXEC);
}

/* A new fd of d's file.  Live, d->fd stays open for the unwinder's opens. */
static int open_file(struct nl_symbols *s, struct dso *d)
{
	if (d->fd >= 0)
		return fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
	return open_path(s->opt.symfs, d->path);
}

/* --- the prefetch thread ------------------------------------------------------ */

/* What open_dso's libdwfl steps do, on the job's own Dwfl; nothing shared. */
static void prefetch_one(const char *symfs, struct dso_job *j)
{
	int fd = open_path(symfs, j->path);
	Dwarf_Addr bias;

	if (fd < 0)
		return;
	j->dwfl = dwfl_begin(&offline_callbacks);
	if (!j->dwfl) {
		close(fd);
		return;
	}
	j->mod = dwfl_report_elf(j->dwfl, base_name(j->path), j->path, fd, 0, false);
	dwfl_report_end(j->dwfl, NULL, NULL);
	if (!j->mod) {
		close(fd);
		dwfl_end(j->dwfl);
		j->dwfl = NULL;
		return;
	}
	dwfl_module_getsymtab(j->mod);
	dwfl_module_getdwarf(j->mod, &bias);
}

static void *prefetch_thread(void *arg)
{
	struct nl_symbols *s = arg;

	pthread_mutex_lock(&s->pf.lock);
	for (;;) {
		struct dso_job *j = s->pf.head;

		if (!j && s->pf.stop)
			break;
		if (!j) {
			pthread_cond_wait(&s->pf.cond, &s->pf.lock);
			continue;
		}
		s->pf.head = j->next;
		if (!s->pf.head)
			s->pf.tail = NULL;
		pthread_mutex_unlock(&s->pf.lock);
		if (!s->pf.stop)
			prefetch_one(s->opt.symfs, j);
		pthread_mutex_lock(&s->pf.lock);
		j->done = true;
		pthread_cond_broadcast(&s->pf.cond);
	}
	pthread_mutex_unlock(&s->pf.lock);
	return NULL;
}

void symbols__prefetch_dso(struct nl_symbols *s, uint32_t dso)
{
	struct dso_job *j;
	struct dso *d;

	if (s->opt.live || s->pf.broken || dso >= s->nr_dsos)
		return;
	d = &s->dsos[dso];
	if (d->job || d->state != DSO_NEW || d->kernel || d->jit || d->absolute || !d->path)
		return;
	if (!s->prefetch_on) {
		d->wanted = true;
		return;
	}
	if (!s->pf.running) {
		if (pthread_mutex_init(&s->pf.lock, NULL) || pthread_cond_init(&s->pf.cond, NULL) ||
		    pthread_create(&s->pf.thread, NULL, prefetch_thread, s)) {
			s->pf.broken = true;    /* resolves open DSOs themselves */
			return;
		}
		s->pf.running = true;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(d->path))) {
		free(j);
		return;
	}
	d->job = j;
	pthread_mutex_lock(&s->pf.lock);
	j->all = s->pf.all;
	s->pf.all = j;
	if (s->pf.tail)
		s->pf.tail->next = j;
	else
		s->pf.head = j;
	s->pf.tail = j;
	pthread_cond_broadcast(&s->pf.cond);
	pthread_mutex_unlock(&s->pf.lock);
}

void symbols__prefetch_start(struct nl_symbols *s)
{
	if (s->prefetch_on)
		return;
	s->prefetch_on = true;
	if (s->kernel_wanted)
		symbols__prefetch_kernel(s);
	for (uint32_t i = 0; i < s->nr_dsos; i++)
		if (s->dsos[i].wanted)
			symbols__prefetch_dso(s, i);
}

/* d's prefetched Dwfl, waited for, into d (true), or false: open it here. */
static bool adopt_prefetch(struct nl_symbols *s, struct dso *d)
{
	struct dso_job *j = d->job;

	if (!j)
		return false;
	pthread_mutex_lock(&s->pf.lock);
	while (!j->done)
		pthread_cond_wait(&s->pf.cond, &s->pf.lock);
	pthread_mutex_unlock(&s->pf.lock);
	if (!j->dwfl)
		return false;
	j->adopted = true;
	d->dwfl = j->dwfl;
	d->mod = j->mod;
	return true;
}

/* Stops the thread; frees every job (their Dwfl unless a DSO took it). */
static void prefetch_stop(struct nl_symbols *s)
{
	if (!s->pf.running)
		return;
	pthread_mutex_lock(&s->pf.lock);
	s->pf.stop = true;
	pthread_cond_broadcast(&s->pf.cond);
	pthread_mutex_unlock(&s->pf.lock);
	pthread_join(s->pf.thread, NULL);
	s->pf.running = false;
	for (struct dso_job *j = s->pf.all, *next; j; j = next) {
		next = j->all;
		if (j->dwfl && !j->adopted)
			dwfl_end(j->dwfl);
		free(j->path);
		free(j);
	}
	pthread_mutex_destroy(&s->pf.lock);
	pthread_cond_destroy(&s->pf.cond);
}

static void fail(struct nl_symbols *s, struct dso *d, const char *why)
{
	d->state = DSO_FAILED;
	s->stats.dsos_failed++;
	note(s, "%s: %s - its addresses read %s+0xOFF", d->path, why, base_name(d->path));
}

static void read_loads(struct dso *d)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(d->mod, &bias);
	size_t n;

	d->bias = bias;
	if (!elf || elf_getphdrnum(elf, &n))
		return;
	for (size_t i = 0; i < n && d->nr_loads < MAX_LOADS; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
			d->loads[d->nr_loads].off = ph.p_offset;
			d->loads[d->nr_loads].vaddr = ph.p_vaddr;
			d->loads[d->nr_loads].filesz = ph.p_filesz;
			d->nr_loads++;
		}
	}
}

/* A .symtab in the file itself or in the debug file libdwfl found. */
static bool has_symtab(struct dso *d)
{
	const char *debugfile = NULL;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(d->mod, &bias);
	Elf_Scn *scn = NULL;

	dwfl_module_info(d->mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	if (debugfile)
		return true;
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	}
	return false;
}

static void load_dso(struct nl_symbols *s, struct dso *d)
{
	const unsigned char *bits;
	GElf_Addr id_vaddr;
	int fd, n;

	d->state = DSO_FAILED;
	/* A pipe's build-ids (HEADER_BUILD_ID) may come after the mapping. */
	if (!d->want_size)
		expected_build_id(s, d);
	if (adopt_prefetch(s, d))
		goto reported;
	fd = open_file(s, d);
	if (fd < 0) {
		fail(s, d, s->opt.symfs ? "not found under --symfs" : "not found here");
		d->state = DSO_FAILED;
		return;
	}
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl) {
		close(fd);
		fail(s, d, "libdwfl could not start");
		return;
	}
	/*
	 * fd is libdwfl's once the module is reported; when that fails it is
	 * still ours (dwfl_report_elf closes only what it opened itself):
	 * found by tests/fuzz/fuzz_symbols, an fd per unreadable DSO leaked.
	 */
	d->mod = dwfl_report_elf(d->dwfl, base_name(d->path), d->path, fd, 0, false);
	dwfl_report_end(d->dwfl, NULL, NULL);
	if (!d->mod) {
		close(fd);
		fail(s, d, "not a readable ELF file");
		return;
	}
reported:
	n = dwfl_module_build_id(d->mod, &bits, &id_vaddr);
	if (d->want_size && n > 0 &&
	    ((int)d->want_size != n || memcmp(bits, d->want_id, (size_t)n))) {
		char want[2 * NL_BUILD_ID_MAX + 1], have[2 * NL_BUILD_ID_MAX + 1];

		hex(want, d->want_id, d->want_size);
		hex(have, bits, n > NL_BUILD_ID_MAX ? NL_BUILD_ID_MAX : n);
		note(s, "%s: build-id %s differs from the recording's %s - not used; "
		     "give the recorded file with --symfs", d->path, have, want);
		d->state = DSO_FAILED;
		d->wrong_id = true;
		s->stats.dsos_failed++;
		return;
	}
	read_loads(d);
	if (dwfl_module_getsymtab(d->mod) <= 0) {
		fail(s, d, "stripped (no symbol table)");
		return;
	}
	d->stripped = !has_symtab(d);
	d->state = DSO_OK;
}

/* load_dso, timed: what symbols cost whoever first needs a DSO. */
static void open_dso(struct nl_symbols *s, struct dso *d)
{
	uint64_t t0 = sys__thread_cpu_ns();

	load_dso(s, d);
	s->stats.load_cpu_ns += sys__thread_cpu_ns() - t0;
}

/* --- resolution ---------------------------------------------------------------- */

static struct nl_code_loc *new_loc(uint32_t dso, uint64_t offset, int nr)
{
	struct nl_code_loc *l = calloc(1, sizeof(*l) + (size_t)nr * sizeof(struct nl_frame));

	if (l) {
		l->dso = dso;
		l->offset = offset;
	}
	return l;
}

static struct nl_code_loc *unresolved(struct nl_symbols *s, uint32_t dso, uint64_t offset)
{
	struct nl_code_loc *l = new_loc(dso, offset, 1);
	char name[300];

	if (!l)
		return NULL;
	if (dso == NL_DSO_UNKNOWN)
		snprintf(name, sizeof(name), "[unknown]");
	else
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, base_name(s->dsos[dso].path), offset);
	l->symbol = intern(s, name);
	l->nr_frames = 1;
	l->frames[0].function = l->symbol;
	s->stats.unresolved_addresses++;
	if (!l->symbol) {
		free(l);
		return NULL;
	}
	return l;
}

static struct nl_code_loc *from_table(struct nl_symbols *s, uint32_t dso, uint64_t offset,
				      const struct jit_sym *v, uint32_t n, bool sized)
{
	const struct jit_sym *sym = symbols_tables__find(v, n, offset, sized);
	struct nl_code_loc *l;
	const char *name;

	if (!sym)
		return unresolved(s, dso, offset);
	name = v == s->ksyms ? symbols_tables__kernel_name(s, sym) : sym->name;
	l = name ? new_loc(dso, offset, 1) : NULL;
	if (!l)
		return NULL;
	l->symbol = name;
	l->resolved = true;
	l->nr_frames = 1;
	l->frames[0].function = name;
	return l;
}

static uint64_t vaddr_of(const struct dso *d, uint64_t off)
{
	for (int i = 0; i < d->nr_loads; i++)
		if (off >= d->loads[i].off && off - d->loads[i].off < d->loads[i].filesz)
			return off - d->loads[i].off + d->loads[i].vaddr;
	return d->nr_loads ? off - d->loads[0].off + d->loads[0].vaddr : off;
}

static const char *call_file(Dwarf_Die *cu, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t nfiles;

	if (!dwarf_attr_integrate(die, DW_AT_call_file, &a) || dwarf_formudata(&a, &idx) ||
	    dwarf_getsrcfiles(cu, &files, &nfiles) || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

static int call_line(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (!dwarf_attr_integrate(die, DW_AT_call_line, &a) || dwarf_formudata(&a, &v))
		return 0;
	return (int)v;
}

static int leading_underscores(const char *n)
{
	int k = 0;

	while (n[k] == '_')
		k++;
	return k;
}

/* perf's choose_best_symbol: sized, not weak, global, fewer leading
   underscores, longer name.  True when b is the better of a and b. */
static bool better(const GElf_Sym *a, const char *an, const GElf_Sym *b, const char *bn)
{
	if (!a->st_size != !b->st_size)
		return b->st_size != 0;
	if ((GELF_ST_BIND(a->st_info) == STB_WEAK) != (GELF_ST_BIND(b->st_info) == STB_WEAK))
		return GELF_ST_BIND(a->st_info) == STB_WEAK;
	if ((GELF_ST_BIND(a->st_info) == STB_GLOBAL) != (GELF_ST_BIND(b->st_info) == STB_GLOBAL))
		return GELF_ST_BIND(b->st_info) == STB_GLOBAL;
	if (leading_underscores(an) != leading_underscores(bn))
		return leading_underscores(bn) < leading_underscores(an);
	return strlen(bn) > strlen(an);
}

/* The alias of (name, sym) perf would show; name itself when alone. */
static const char *perf_alias(struct dso *d, const char *name, GElf_Sym *sym)
{
	struct symindex *ix = &d->symtab;

	for (int i = symindex__first_at(ix, d->mod, sym->st_value);
	     i < ix->nr && ix->v[i].value == sym->st_value; i++) {
		GElf_Sym s;
		GElf_Addr v;
		const char *n;

		if (!(ix->v[i].flags & SYMINDEX_FUNC))
			continue;
		n = dwfl_module_getsym_info(d->mod, ix->v[i].idx, &s, &v, NULL, NULL, NULL);
		if (n && s.st_size == sym->st_size && better(sym, name, &s, n)) {
			name = n;
			*sym = s;
		}
	}
	return name;
}

static struct nl_code_loc *from_dwfl(struct nl_symbols *s, uint32_t dso, uint64_t offset)
{
	struct dso *d = &s->dsos[dso];
	Dwarf_Addr addr = vaddr_of(d, offset) + d->bias, cubias = 0;
	struct nl_frame fr[MAX_FRAMES];
	GElf_Off symoff;
	GElf_Sym sym;
	const char *name = symindex__addrinfo(&d->symtab, d->mod, addr, &symoff, &sym);
	const char *file = NULL;
	Dwfl_Line *dl;
	Dwarf_Die *cu, scopes[MAX_FRAMES];
	struct nl_code_loc *l;
	int line = 0, nr = 0, n;

	if (!name)
		return unresolved(s, dso, offset);
	/* st_value as addrinfo gives it is adjusted like the getsym_info values. */
	sym.st_value = addr - symoff;
	name = perf_alias(d, name, &sym);
	dl = dwfl_module_getsrc(d->mod, addr);
	if (dl)
		file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
	cu = dwfl_module_addrdie(d->mod, addr, &cubias);
	n = cu ? symbols_inline__at(&d->inlines, cu, addr - cubias, scopes, MAX_FRAMES - 1) : 0;
	/* Inlined scopes, innermost first; each frame's line is where it is. */
	for (int i = 0; i < n && nr < MAX_FRAMES - 1; i++) {
		fr[nr].function = dwarf_diename(&scopes[i]);
		fr[nr].file = file;
		fr[nr].line = line;
		fr[nr].inlined = true;
		if (!fr[nr].function)
			fr[nr].function = "[inlined]";
		file = call_file(cu, &scopes[i]);
		line = call_line(&scopes[i]);
		nr++;
	}
	fr[nr].function = name;
	fr[nr].file = file;
	fr[nr].line = line;
	fr[nr].inlined = false;
	nr++;
	l = new_loc(dso, offset, nr);
	if (!l)
		return NULL;
	l->resolved = true;
	l->nr_frames = (uint32_t)nr;
	for (int i = 0; i < nr; i++) {
		l->frames[i].function = symbols_internal__intern_symbol(s, fr[i].function);
		l->frames[i].file = fr[i].file ? intern(s, fr[i].file) : NULL;
		l->frames[i].line = fr[i].file ? fr[i].line : 0;
		l->frames[i].inlined = fr[i].inlined;
		if (!l->frames[i].function) {
			free(l);
			return NULL;
		}
	}
	l->symbol = l->frames[nr - 1].function;
	return l;
}

int symbols__open_for_unwind(struct nl_symbols *s, uint32_t dso, const char **path)
{
	struct dso *d;

	if (dso >= s->nr_dsos)
		return -ENOENT;
	d = &s->dsos[dso];
	if (d->kernel || d->jit || d->absolute)
		return -ENOENT;
	if (d->state == DSO_NEW)
		open_dso(s, d);
	/* Stripped is fine (.eh_frame stays); not the recorded file is not. */
	if (d->wrong_id || !d->nr_loads)
		return -ENOENT;
	*path = d->path;
	return open_file(s, d);
}

bool symbols__elf_vaddr(const struct nl_symbols *s, uint32_t dso, uint64_t offset,
			uint64_t *vaddr)
{
	if (dso >= s->nr_dsos || !s->dsos[dso].nr_loads)
		return false;
	*vaddr = vaddr_of(&s->dsos[dso], offset);
	return true;
}

const struct nl_code_loc *symbols__resolve(struct nl_symbols *s, uint32_t dso, uint64_t offset)
{
	uint64_t key = symbols__key(dso, offset), v;
	struct nl_code_loc *l;
	struct dso *d;

	if (dso >= s->nr_dsos)
		dso = NL_DSO_UNKNOWN;
	if (map__get(&s->cache, 0, key, &v))
		return (const struct nl_code_loc *)(uintptr_t)v;
	d = &s->dsos[dso];
	if (d->kernel) {
		if (!s->kallsyms_loaded)
			symbols_tables__load_kallsyms(s);
		l = from_table(s, dso, offset, s->ksyms, s->nr_ksyms, false);
	} else if (d->jit) {
		if (d->state == DSO_NEW)
			symbols_tables__load_jit(s, d);
		l = d->state == DSO_OK ? from_table(s, dso, offset, d->jit_syms, d->nr_jit, true)
		    : unresolved(s, d->absent ? NL_DSO_UNKNOWN : dso, offset);
	} else {
		if (d->state == DSO_NEW)
			open_dso(s, d);
		l = d->state == DSO_OK ? from_dwfl(s, dso, offset) : unresolved(s, dso, offset);
		if (l && !l->resolved && d->state == DSO_OK && d->stripped && !d->noted_missing) {
			d->noted_missing = true;
			note(s, "%s: stripped (dynamic symbols only, no debug file found) - its other "
			     "addresses read %s+0xOFF; install its debug symbols or give an "
			     "unstripped copy with --symfs", d->path, base_name(d->path));
		}
	}
	if (!l)
		return NULL;
	if (map__put(&s->cache, 0, key, (uintptr_t)l)) {
		free(l);
		return NULL;
	}
	s->stats.addresses++;
	return l;
}
