/*
 * symbols_tables.c - the kernel's and JIT compilers' symbol tables for the
 * symbol layer: /proc/kallsyms (kptr_restrict noted), /tmp/perf-PID.map
 * (perf's format; a map writable by others or owned by another user is
 * ignored unless --force-jit-maps).  See symbols.h and symbols_internal.h.
 */
#include "profiler/symbols_internal.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "samplers/base/sys.h"

/* /proc/kallsyms has some 200,000 lines (~10 MiB); more is not a kernel's. */
#define KALLSYMS_MAX (256u << 20)

/* --- kernel and JIT tables ---------------------------------------------------- */

int symbols_tables__by_start(const void *a, const void *b)
{
	const struct jit_sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int push_sym(struct jit_sym **v, uint32_t *nr, uint32_t *cap, uint64_t start,
		    uint64_t size, const char *name)
{
	if (*nr == *cap) {
		uint32_t c = *cap ? *cap * 2 : 1024;
		struct jit_sym *n = realloc(*v, c * sizeof(*n));

		if (!n)
			return -ENOMEM;
		*v = n;
		*cap = c;
	}
	(*v)[*nr].start = start;
	(*v)[*nr].size = size;
	(*v)[(*nr)++].name = name;
	return 0;
}

/*
 * perf record copies /proc/kallsyms into its build-id cache,
 * $HOME/.debug/[kernel.kallsyms]/BUILDID/kallsyms.  That regular file reads
 * in ~3 ms where /proc/kallsyms costs ~45 ms of kernel CPU (the kernel
 * formats each of its 200,000 lines), a sixth of a report's CPU.  The path
 * of the recording's kernel into path, "" when the file names none.
 */
static void kallsyms_cache_path(const struct nl_symbols *s, char *path, size_t size)
{
	const char *home = getenv("HOME");

	path[0] = 0;
	if (!s->info || !home || !*home)
		return;
	for (uint32_t i = 0; i < s->info->nr_build_ids; i++) {
		const struct nl_build_id *b = &s->info->build_ids[i];
		char hex[2 * NL_BUILD_ID_MAX + 1];

		if (!b->filename || strcmp(b->filename, "[kernel.kallsyms]"))
			continue;
		for (unsigned j = 0; j < b->size; j++)
			snprintf(hex + 2 * j, 3, "%02x", b->id[j]);
		hex[2 * b->size] = 0;
		if ((size_t)snprintf(path, size, "%s/.debug/[kernel.kallsyms]/%s/kallsyms", home, hex) >= size)
			path[0] = 0;
		return;
	}
}

/*
 * The cached copy is used only when it is the running kernel's table: its
 * first 4 KiB equal /proc/kallsyms' (same kernel, same KASLR offset, the
 * addresses not hidden from us).  Reading that much of /proc/kallsyms
 * formats a hundred lines, not 200,000.
 */
static bool kallsyms_cache_current(const char *cache)
{
	char want[4096], have[4096];
	int n = sys__read_small(sys__default(), "/proc/kallsyms", want, sizeof(want));
	int m = sys__read_small(sys__default(), cache, have, sizeof(have));

	/* a short read of /proc returns whole lines: compare what it gave */
	return n >= 256 && m >= n && !memcmp(want, have, (size_t)n);
}

/*
 * perf's cache copy mapped: its pages are the page cache's, neither copied
 * nor written (a read copied 10 MiB and faulted in a buffer as big: a
 * third of the table's cost).  Only a file ending in a newline is mapped,
 * so a name's end is found before the mapping's.  False: read it.
 */
static bool map_kallsyms(struct kallsyms_job *job)
{
	struct stat st;
	int fd = open(job->cache, O_RDONLY | O_CLOEXEC);
	void *m = MAP_FAILED;

	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= KALLSYMS_MAX)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return false;
	if (((const char *)m)[st.st_size - 1] != '\n') {
		munmap(m, (size_t)st.st_size);
		return false;
	}
	job->text = m;
	job->text_mapped = (size_t)st.st_size;
	return true;
}

void symbols_tables__free_text(char *text, size_t mapped)
{
	if (mapped)
		munmap(text, mapped);
	else
		free(text);
}

/* A name ends at a blank, a newline or (a read table) its final NUL. */
static size_t name_len(const char *name)
{
	size_t n = 0;

	while (name[n] && name[n] != ' ' && name[n] != '\t' && name[n] != '\n')
		n++;
	return n;
}

const char *symbols_tables__kernel_name(struct nl_symbols *s, const struct jit_sym *sym)
{
	char name[512];         /* the kernel's KSYM_NAME_LEN */
	size_t n = name_len(sym->name);
	int64_t id;

	snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
		 sym->name);
	id = strtab__intern(&s->strings, name);
	return id < 0 ? NULL : strtab__str(&s->strings, (uint32_t)id);
}

/*
 * Text symbols of the running kernel into job.  The file is parsed in
 * place and left as it is (names point into job->text): it has some
 * 200,000 lines.  Touches nothing but job: it runs in the prefetch thread.
 */
static void parse_kallsyms(struct kallsyms_job *job)
{
	uint32_t cap = 0;
	size_t len = 0;
	const char *p, *end_text;
	bool current;

	job->all_zero = true;
	current = job->cache[0] && kallsyms_cache_current(job->cache);
	if (current && map_kallsyms(job))
		len = job->text_mapped;
	else if (!current ||
		 sys__read_file(sys__default(), job->cache, KALLSYMS_MAX, &job->text, &len))
		job->err = sys__read_file(sys__default(), "/proc/kallsyms", KALLSYMS_MAX,
					  &job->text, &len);
	if (job->err)
		return;
	end_text = job->text + len;
	/* "ADDR T name[\t[module]]" lines, parsed by hand: strtoull, strchr
	   and strcspn per line were a third of the parse */
	for (p = job->text; p < end_text && *p;) {
		const char *end = p, *name, *eol;
		uint64_t addr = 0;
		char type;
		int digits = 0;

		for (; end < end_text; end++, digits++) {
			unsigned d = (unsigned char)*end;

			if (d - '0' < 10)
				d -= '0';
			else if ((d | 0x20) - 'a' < 6)
				d = (d | 0x20) - 'a' + 10;
			else
				break;
			addr = addr << 4 | d;
		}
		type = digits && digits <= 16 && end + 3 <= end_text && end[0] == ' ' ? end[1] : 0;
		name = type && end[2] == ' ' ? end + 3 : NULL;
		eol = memchr(name ? name : end, '\n', (size_t)(end_text - (name ? name : end)));
		if (name && (type == 't' || type == 'T' || type == 'w' || type == 'W')) {
			if (addr)
				job->all_zero = false;
			if (push_sym(&job->syms, &job->nr, &cap, addr, 0, name))
				break;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	/* the kernel lists its own text in address order, then modules': sort
	   only a table that is not in order already */
	for (uint32_t i = 1; job->nr && !job->all_zero && i < job->nr; i++)
		if (job->syms[i].start < job->syms[i - 1].start) {
			qsort(job->syms, job->nr, sizeof(*job->syms), symbols_tables__by_start);
			break;
		}
}

static void *kallsyms_thread(void *arg)
{
	parse_kallsyms(arg);
	return NULL;
}

void symbols__prefetch_kernel(struct nl_symbols *s)
{
	/* offline only: live, the CPU is the targets' and the sampler's */
	if (s->kallsyms_loaded || s->kjob.tried || !s->opt.same_kernel || s->opt.live)
		return;
	if (!s->prefetch_on) {
		s->kernel_wanted = true;
		return;
	}
	s->kjob = (struct kallsyms_job){ .tried = true };
	kallsyms_cache_path(s, s->kjob.cache, sizeof(s->kjob.cache));
	/* no thread: the first resolve reads it */
	s->kjob.running = !pthread_create(&s->kjob.thread, NULL, kallsyms_thread, &s->kjob);
}

void symbols_tables__drop_prefetch(struct nl_symbols *s)
{
	if (!s->kjob.running)
		return;
	pthread_join(s->kjob.thread, NULL);
	s->kjob.running = false;
	symbols_tables__free_text(s->kjob.text, s->kjob.text_mapped);
	free(s->kjob.syms);
}

void symbols_tables__load_kallsyms(struct nl_symbols *s)
{
	struct kallsyms_job job = { 0 };

	s->kallsyms_loaded = true;
	if (!s->opt.same_kernel) {
		symbols__note(s, "[kernel.kallsyms]: recorded on another kernel - kernel addresses read [kernel.kallsyms]+0xADDR");
		return;
	}
	if (s->kjob.running) {
		pthread_join(s->kjob.thread, NULL);
		s->kjob.running = false;
		job = s->kjob;
	} else {
		kallsyms_cache_path(s, job.cache, sizeof(job.cache));
		parse_kallsyms(&job);
	}
	s->kallsyms_text = job.text;
	s->kallsyms_mapped = job.text_mapped;
	if (job.err) {
		symbols__note(s, "/proc/kallsyms: %s - kernel addresses read [kernel.kallsyms]+0xADDR", strerror(-job.err));
		return;
	}
	if (job.all_zero) {
		free(job.syms);
		symbols__note(s, "/proc/kallsyms: addresses hidden (kernel.kptr_restrict) - run as root or "
		     "set kernel.kptr_restrict=0 to name kernel code");
		return;
	}
	s->ksyms = job.syms;
	s->nr_ksyms = job.nr;
}

/* perf's format: "START SIZE name" in hex, one symbol a line. */
void symbols_tables__load_jit(struct nl_symbols *s, struct dso *d)
{
	struct stat st;
	uint32_t cap = 0, bad = 0;
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	d->state = DSO_FAILED;
	f = fopen(d->path, "re");
	if (!f || fstat(fileno(f), &st)) {
		d->absent = true;
		if (f)
			fclose(f);
		return;
	}
	if (!s->opt.force_jit_maps &&
	    ((st.st_uid != 0 && st.st_uid != d->uid) || (st.st_mode & S_IWOTH))) {
		symbols__note(s, "%s: not owned by the process' user or root, or writable by others - "
		     "ignored (--force-jit-maps reads it anyway)", d->path);
		fclose(f);
		return;
	}
	while (getline(&line, &len, f) > 0) {
		unsigned long long start, size;
		int name = 0;
		const char *n;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%llx %llx %n", &start, &size, &name) != 2 || !name || !line[name]) {
			bad++;
			continue;
		}
		n = symbols_internal__intern_symbol(s, line + name);
		if (!n || push_sym(&d->jit_syms, &d->nr_jit, &cap, start, size, n))
			break;
	}
	free(line);
	fclose(f);
	if (bad) {
		s->stats.jit_bad_lines += bad;
		symbols__note(s, "%s: %u line%s not in perf's \"START SIZE name\" format - skipped",
		     d->path, bad, bad == 1 ? "" : "s");
	}
	if (d->nr_jit)
		qsort(d->jit_syms, d->nr_jit, sizeof(*d->jit_syms), symbols_tables__by_start);
	d->state = DSO_OK;
}

/* Last entry with start <= addr (and within size when sized), or NULL. */
const struct jit_sym *symbols_tables__find(const struct jit_sym *v, uint32_t n, uint64_t addr,
					bool sized)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (sized && addr - v[lo - 1].start >= v[lo - 1].size)
		return NULL;
	return &v[lo - 1];
}
