/*
 * access.c - the referenced-bits access signal.  See access.h.
 *
 * Divisions: per-process state; smaps parsing; the interval cycle
 * (clear_refs, read, clear); records out.
 *
 * Invariants of struct acc_proc:
 *   1. maps[] is sorted by start and unique per start; an entry keeps its
 *      accumulated bytes when a later smaps no longer lists it.
 *   2. denied != 0 means the process refused once: no further /proc access.
 *   3. names is append-only; name_off stays valid for the process' life.
 */
#include "samplers/access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/sys.h"

struct acc_map {
	uint64_t start, end;
	uint32_t flags;         /* NL_ACCESS_READ ... NL_ACCESS_FILE */
	uint32_t name_off;      /* into acc_proc.names */
	uint32_t intervals;
	uint64_t accessed, rss;
	bool seen;              /* listed by the current reading */
};

struct acc_proc {
	int pid;
	int denied;             /* -errno of the refusal, 0 none */
	uint64_t started;       /* now_ns of its first clear */
	uint32_t readings;      /* smaps read into maps[] */
	int nr, cap;
	struct acc_map *maps;
	char *names;
	size_t names_len, names_cap;
};

struct nl_access {
	const struct nl_sys *sys;
	struct acc_proc *procs;
	int nr_procs, cap_procs;
	int out_proc, out_map;  /* access__next cursor */
	int retire_map;         /* access__next_of cursor */
	struct nl_access_stats stats;
};

/* --- state ------------------------------------------------------------------ */

struct nl_access *access__new(const struct nl_sys *sys)
{
	struct nl_access *ac = calloc(1, sizeof(*ac));
	long long v = 0;
	char buf[8];

	if (!ac)
		return NULL;
	ac->sys = sys;
	ac->stats.numa_balancing = !sys__read_int(sys, "/proc/sys/kernel/numa_balancing", &v) && v;
	/* a directory reads as -EISDIR; absent is -ENOENT */
	ac->stats.damon = sys__read_small(sys, "/sys/kernel/mm/damon/admin", buf, sizeof(buf)) !=
			  -ENOENT;
	return ac;
}

void access__free(struct nl_access *ac)
{
	if (!ac)
		return;
	for (int i = 0; i < ac->nr_procs; i++) {
		free(ac->procs[i].maps);
		free(ac->procs[i].names);
	}
	free(ac->procs);
	free(ac);
}

static struct acc_proc *proc_find(const struct nl_access *ac, int pid)
{
	for (int i = 0; i < ac->nr_procs; i++)
		if (ac->procs[i].pid == pid)
			return &ac->procs[i];
	return NULL;
}

bool access__has(const struct nl_access *ac, int pid)
{
	return proc_find(ac, pid) != NULL;
}

static struct acc_proc *proc_add(struct nl_access *ac, int pid)
{
	struct acc_proc *p;

	if (ac->nr_procs == ac->cap_procs) {
		int cap = ac->cap_procs ? ac->cap_procs * 2 : 16;

		p = realloc(ac->procs, (size_t)cap * sizeof(*p));
		if (!p)
			return NULL;
		ac->procs = p;
		ac->cap_procs = cap;
	}
	p = &ac->procs[ac->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* The entry of start, inserted in order when new.  NULL on -ENOMEM. */
static struct acc_map *map_get(struct acc_proc *p, uint64_t start, bool *fresh)
{
	int lo = 0, hi = p->nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (p->maps[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	*fresh = !(lo < p->nr && p->maps[lo].start == start);
	if (!*fresh)
		return &p->maps[lo];
	if (p->nr == p->cap) {
		int cap = p->cap ? p->cap * 2 : 64;
		struct acc_map *v = realloc(p->maps, (size_t)cap * sizeof(*v));

		if (!v)
			return NULL;
		p->maps = v;
		p->cap = cap;
	}
	memmove(&p->maps[lo + 1], &p->maps[lo], (size_t)(p->nr - lo) * sizeof(*p->maps));
	memset(&p->maps[lo], 0, sizeof(*p->maps));
	p->maps[lo].start = start;
	p->nr++;
	return &p->maps[lo];
}

static int add_name(struct acc_proc *p, const char *name, uint32_t *off)
{
	size_t n = strlen(name) + 1;

	if (p->names_len + n > p->names_cap) {
		size_t cap = (p->names_cap ? p->names_cap * 2 : 4096) + n;
		char *v = realloc(p->names, cap);

		if (!v)
			return -ENOMEM;
		p->names = v;
		p->names_cap = cap;
	}
	memcpy(p->names + p->names_len, name, n);
	*off = (uint32_t)p->names_len;
	p->names_len += n;
	return 0;
}

/* --- smaps ------------------------------------------------------------------- */

/* A mapping header line: range, flags, name.  False for a field line. */
static bool parse_header(char *line, uint64_t *start, uint64_t *end, uint32_t *flags,
			 char **name)
{
	unsigned long s, e, ino;
	char perms[8];
	int off = 0;

	if (sscanf(line, "%lx-%lx %7s %*x %*x:%*x %lu %n", &s, &e, perms, &ino, &off) < 4 ||
	    !off)
		return false;
	*start = s;
	*end = e;
	*flags = (perms[0] == 'r' ? NL_ACCESS_READ : 0) | (perms[1] == 'w' ? NL_ACCESS_WRITE : 0) |
		 (perms[2] == 'x' ? NL_ACCESS_EXEC : 0) | (perms[3] == 's' ? NL_ACCESS_SHARED : 0) |
		 (ino ? NL_ACCESS_FILE : 0);
	*name = line + off;
	while (**name == ' ')
		(*name)++;
	return true;
}

/* "Key:   123 kB" -> bytes, when line starts with key. */
static bool field_kb(const char *line, const char *key, uint64_t *bytes)
{
	size_t n = strlen(key);
	unsigned long long kb;

	if (strncmp(line, key, n) || sscanf(line + n, " %llu", &kb) != 1)
		return false;
	*bytes = kb * 1024;
	return true;
}

/* Adds one smaps reading to p.  0 or -ENOMEM. */
static int add_reading(struct acc_proc *p, char *text)
{
	struct acc_map *cur = NULL;
	uint64_t start, end, bytes;
	uint32_t flags;
	char *name, *save;
	bool fresh;

	for (int i = 0; i < p->nr; i++)
		p->maps[i].seen = false;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* field lines ("Rss:", "Referenced:") start with a capital */
		if (line[0] >= 'A' && line[0] <= 'Z') {
			if (cur && line[0] == 'R' && field_kb(line, "Rss:", &bytes))
				cur->rss = bytes;
			else if (cur && line[0] == 'R' && field_kb(line, "Referenced:", &bytes))
				cur->accessed += bytes;
		} else if (parse_header(line, &start, &end, &flags, &name)) {
			cur = map_get(p, start, &fresh);
			if (!cur)
				return -ENOMEM;
			if (fresh && add_name(p, name, &cur->name_off))
				return -ENOMEM;
			cur->end = end;
			cur->flags = flags;
			cur->seen = true;
			cur->intervals++;
		}
	}
	return 0;
}

/* --- the interval cycle --------------------------------------------------------- */

static bool refusal(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* Counts a failure that is neither a refusal nor an exit. */
static void count_error(struct nl_access *ac, int err)
{
	if (err && err != -ESRCH && !refusal(err)) {
		ac->stats.errors++;
		ac->stats.last_error = err;
	}
}

static int clear_refs(struct nl_access *ac, int pid)
{
	char path[64];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	fd = ac->sys->open(path, O_WRONLY);
	if (fd < 0)
		return fd == -ENOENT ? -ESRCH : fd;
	n = (int)ac->sys->write(fd, "1", 1);
	ac->sys->close(fd);
	ac->stats.clears++;
	return n == 1 ? 0 : n < 0 ? n : -EIO;
}

int access__start(struct nl_access *ac, int pid)
{
	uint64_t t0 = ac->sys->now_ns();
	struct acc_proc *p = proc_find(ac, pid);
	int err;

	if (p)
		return p->denied;
	p = proc_add(ac, pid);
	if (!p)
		return -ENOMEM;
	p->started = t0;
	err = clear_refs(ac, pid);
	if (refusal(err)) {
		p->denied = err;
		ac->stats.denied++;
	}
	ac->stats.gone += err == -ESRCH;
	count_error(ac, err);
	ac->stats.ns += ac->sys->now_ns() - t0;
	return err;
}

bool access__first_due(const struct nl_access *ac, int pid, uint64_t now, uint64_t after_ns)
{
	const struct acc_proc *p = proc_find(ac, pid);

	return p && !p->denied && !p->readings && now >= p->started + after_ns;
}

int access__sample(struct nl_access *ac, int pid, bool again)
{
	uint64_t t0 = ac->sys->now_ns();
	struct acc_proc *p = proc_find(ac, pid);
	char path[64], *text = NULL;
	size_t len;
	int err;

	if (!p || p->denied)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	err = sys__read_file(ac->sys, path, 1 << 28, &text, &len);
	if (err == -ENOENT || err == -ESRCH || (!err && !len)) {
		err = -ESRCH;   /* gone, or a zombie without mappings */
		ac->stats.gone++;
	} else if (refusal(err)) {
		p->denied = err;
		ac->stats.denied++;
	} else if (!err) {
		ac->stats.readings++;
		p->readings++;
		err = add_reading(p, text);
		if (!err && again)
			err = clear_refs(ac, pid);
	}
	free(text);
	count_error(ac, err);
	ac->stats.ns += ac->sys->now_ns() - t0;
	return err;
}

/* --- records out ------------------------------------------------------------------ */

/* Record k of process p (0: the refusal when denied): 1 and out filled, or 0. */
static int fill_record(const struct nl_access *ac, const struct acc_proc *p, int k,
		       struct nl_record *out)
{
	uint32_t extra = ac->stats.numa_balancing ? NL_ACCESS_BALANCING : 0;

	if (p->denied ? k > 0 : k >= p->nr)
		return 0;
	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_ACCESS;
	out->access.pid = p->pid;
	if (p->denied) {
		/* one record says why; whatever was read before is not used */
		out->access.flags = NL_ACCESS_DENIED | extra;
		out->access.error = p->denied;
		out->access.name = "";
		return 1;
	}
	const struct acc_map *m = &p->maps[k];

	out->access.start = m->start;
	out->access.end = m->end;
	out->access.flags = m->flags | extra;
	out->access.method = NL_ACCESS_REFERENCED;
	out->access.intervals = m->intervals;
	out->access.accessed_bytes = m->accessed;
	out->access.rss_bytes = m->rss;
	out->access.name = p->names + m->name_off;
	return 1;
}

int access__next(struct nl_access *ac, struct nl_record *out)
{
	while (ac->out_proc < ac->nr_procs) {
		if (fill_record(ac, &ac->procs[ac->out_proc], ac->out_map++, out))
			return 1;
		ac->out_proc++;
		ac->out_map = 0;
	}
	return 0;
}

int access__next_of(struct nl_access *ac, int pid, struct nl_record *out)
{
	const struct acc_proc *p = proc_find(ac, pid);

	return p && fill_record(ac, p, ac->retire_map++, out);
}

void access__forget(struct nl_access *ac, int pid)
{
	struct acc_proc *p = proc_find(ac, pid);

	ac->retire_map = 0;
	if (!p)
		return;
	free(p->maps);
	free(p->names);
	memmove(p, p + 1, (size_t)(&ac->procs[ac->nr_procs] - (p + 1)) * sizeof(*p));
	ac->nr_procs--;
}

const struct nl_access_stats *access__stats(const struct nl_access *ac)
{
	return &ac->stats;
}
