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
 * Text symbols of the running kernel into job.  The file is parsed in
 * place (names point into job->text): it has some 200,000 lines.  Touches
 * nothing but job: it runs in the prefetch thread.
 */
static void parse_kallsyms(struct kallsyms_job *job)
{
	uint32_t cap = 0;
	size_t len;
	char *p;

	job->all_zero = true;
	job->err = sys__read_file(sys__default(), "/proc/kallsyms", KALLSYMS_MAX, &job->text, &len);
	if (job->err)
		return;
	for (p = job->text; *p;) {
		char *end, *name, *eol = strchr(p, '\n');
		unsigned long long addr = strtoull(p, &end, 16);
		char type = end[0] == ' ' ? end[1] : 0;

		if (eol)
			*eol = 0;
		name = type && end[2] == ' ' ? end + 3 : NULL;
		if (name && (type == 't' || type == 'T' || type == 'w' || type == 'W')) {
			name[strcspn(name, " \t")] = 0;
			if (addr)
				job->all_zero = false;
			if (push_sym(&job->syms, &job->nr, &cap, addr, 0, name))
				break;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	if (job->nr && !job->all_zero)
		qsort(job->syms, job->nr, sizeof(*job->syms), symbols_tables__by_start);
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
	s->kjob = (struct kallsyms_job){ .tried = true };
	/* no thread: the first resolve reads it */
	s->kjob.running = !pthread_create(&s->kjob.thread, NULL, kallsyms_thread, &s->kjob);
}

void symbols_tables__drop_prefetch(struct nl_symbols *s)
{
	if (!s->kjob.running)
		return;
	pthread_join(s->kjob.thread, NULL);
	s->kjob.running = false;
	free(s->kjob.text);
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
		parse_kallsyms(&job);
	}
	s->kallsyms_text = job.text;
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
