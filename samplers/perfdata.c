/*
 * perfdata.c - the perf.data source: file header, attrs, feature table and
 * the framing of the data section.  Record contents are decoded by
 * perf_record.c, header features by perfdata_header.c.
 *
 * Framing rules: a record is "struct perf_event_header" + body, header.size
 * bytes in all.  size < 8 or a record running past the data section means
 * the framing is lost: stop there and say so.  AUXTRACE records carry their
 * payload after header.size (its length is in the record).  An unknown
 * type is skipped by its size.
 */
#include "samplers/perfdata.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samplers/base/topology.h"
#include "samplers/perf_abi.h"
#include "samplers/perfdata_internal.h"
#include "samplers/pyrecord.h"

static const char FIX_RERECORD[] =
	"record it again with 'perf record' (or 'numalens profile --record')";

/* --- input: a file descriptor or a caller's buffer ----------------------- */

/* Reads up to n bytes at off.  Returns bytes read (short at EOF) or -errno. */
static ssize_t input_read(struct perfdata *p, void *dst, size_t n, uint64_t off)
{
	size_t done = 0;

	if (p->mem) {
		if (off >= p->file_size)
			return 0;
		if (n > p->file_size - off)
			n = (size_t)(p->file_size - off);
		memcpy(dst, p->mem + off, n);
		return (ssize_t)n;
	}
	while (done < n) {
		/* a pipe cannot pread (ESPIPE): it is read in order, off unused */
		ssize_t r = p->file_size == UINT64_MAX
				    ? read(p->fd, (uint8_t *)dst + done, n - done)
				    : pread(p->fd, (uint8_t *)dst + done, n - done,
					    (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/*
 * A mapped file that shrinks while it is read (truncated, rewritten by a
 * new `perf record -o` of the same name) raises SIGBUS at the first read of
 * a page past its new end, in the reader or in whoever holds a record's
 * callchain.  The handler maps zero pages over the rest of that mapping and
 * marks its slot; the reader stops at its next record with a note.  A
 * SIGBUS anywhere else gets the handler that was there before (default:
 * the process dies, as without this).
 */
#define BUS_SLOTS 32

static struct bus_slot {
	uintptr_t lo, hi;               /* page-rounded; hi 0: free */
	volatile sig_atomic_t hit;
} bus_slots[BUS_SLOTS];
static struct sigaction bus_old;
static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static bool bus_installed;
static uintptr_t bus_page;      /* set before the handler: sysconf is not async-signal-safe */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr, page = bus_page;

	(void)sig;
	(void)uc;
	for (int i = 0; i < BUS_SLOTS; i++) {
		uintptr_t hi = __atomic_load_n(&bus_slots[i].hi, __ATOMIC_ACQUIRE);
		uintptr_t lo = __atomic_load_n(&bus_slots[i].lo, __ATOMIC_ACQUIRE);
		uintptr_t pg = a & ~(page - 1);

		if (hi && a >= lo && a < hi &&
		    mmap((void *)pg, hi - pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != MAP_FAILED) {
			bus_slots[i].hit = 1;
			return;     /* the read is retried and finds zeros */
		}
	}
	sigaction(SIGBUS, &bus_old, NULL);  /* the fault repeats: theirs now */
}

/* The slot guarding [mem, mem + len), or -1 (the file is read unguarded). */
static int bus_guard(const void *mem, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	int slot = -1;

	pthread_mutex_lock(&bus_lock);
	bus_page = page;
	if (!bus_installed) {
		struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		bus_installed = !sigaction(SIGBUS, &sa, &bus_old);
	}
	for (int i = 0; bus_installed && i < BUS_SLOTS && slot < 0; i++) {
		if (bus_slots[i].hi)
			continue;
		bus_slots[i].hit = 0;
		__atomic_store_n(&bus_slots[i].lo, (uintptr_t)mem, __ATOMIC_RELEASE);
		__atomic_store_n(&bus_slots[i].hi, ((uintptr_t)mem + len + page - 1) & ~(page - 1),
				 __ATOMIC_RELEASE);
		slot = i;
	}
	pthread_mutex_unlock(&bus_lock);
	return slot;
}

static void bus_unguard(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&bus_lock);
	__atomic_store_n(&bus_slots[slot].hi, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&bus_slots[slot].lo, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&bus_lock);
}

/*
 * A mapped file is read in order: what lies more than MAP_STEP behind the
 * reader is released (MADV_DONTNEED: it leaves the resident set, the page
 * cache keeps it, a later read would fault it in again), so peak RSS stays
 * flat whatever the file's size; the next MAP_STEP bytes are mapped in one
 * call (MADV_POPULATE_READ, a hint) instead of a fault every few pages.
 */
#define MAP_STEP ((uint64_t)2 << 20)

static void map_advance(struct perfdata *p, uint64_t off)
{
	if (off >= p->map_ready && p->map_ready < p->map_len) {
		uint64_t end = off - off % MAP_STEP + 2 * MAP_STEP;

		if (end > p->map_len)
			end = p->map_len;
#ifdef MADV_POPULATE_READ
		madvise((void *)(uintptr_t)(p->mem + p->map_ready),
			(size_t)(end - p->map_ready), MADV_POPULATE_READ);
#endif
		p->map_ready = end;
	}
	if (off >= p->map_dropped + 2 * MAP_STEP) {
		uint64_t drop = off - off % MAP_STEP - MAP_STEP;

		madvise((void *)(uintptr_t)(p->mem + p->map_dropped), (size_t)(drop - p->map_dropped),
			MADV_DONTNEED);
		p->map_dropped = drop;
	}
}

/*
 * Returns a pointer to n bytes at file offset off (off must not go back
 * before the window), or NULL when fewer than n bytes exist.
 */
static const uint8_t *window_get(struct perfdata *p, uint64_t off, size_t n)
{
	size_t keep;
	ssize_t got;

	if (p->mem) {
		if (p->map_len)
			map_advance(p, off);
		return off <= p->file_size && n <= p->file_size - off ? p->mem + off
								      : NULL;
	}
	if (off >= p->win_off && off + n <= p->win_off + p->win_len)
		return p->window + (off - p->win_off);
	if (n > PERFDATA_WINDOW)
		return NULL;
	/* Slide: keep the bytes from off on, then fill behind them. */
	keep = off < p->win_off + p->win_len ? (size_t)(p->win_off + p->win_len - off) : 0;
	if (keep)
		memmove(p->window, p->window + (off - p->win_off), keep);
	else if (p->pipe_format && p->file_size == UINT64_MAX && off > p->win_off + p->win_len) {
		/* a pipe cannot seek: read and drop the gap */
		uint64_t gap = off - (p->win_off + p->win_len);

		while (gap) {
			size_t chunk = gap > PERFDATA_WINDOW ? PERFDATA_WINDOW : (size_t)gap;

			got = input_read(p, p->window, chunk, 0);
			if (got <= 0)
				return NULL;
			gap -= (uint64_t)got;
		}
	}
	p->win_off = off;
	got = input_read(p, p->window + keep, PERFDATA_WINDOW - keep, off + keep);
	p->win_len = keep + (got > 0 ? (size_t)got : 0);
	return n <= p->win_len ? p->window : NULL;
}

/* --- events ---------------------------------------------------------------- */

static int add_event(struct perfdata *p, const uint8_t *attr, size_t attr_size,
		     const uint64_t *ids, size_t nr_ids)
{
	struct perf_event_layout layout;
	struct nl_event_desc *desc;
	int idx;

	if (perf_layout__from_attr(&layout, attr, attr_size))
		return -EINVAL;
	idx = perf_event_set__add(&p->events, &layout);
	if (idx < 0)
		return idx;
	desc = realloc(p->base.info.events, (size_t)(idx + 1) * sizeof(*desc));
	if (!desc)
		return -ENOMEM;
	p->base.info.events = desc;
	p->base.info.nr_events = (uint32_t)idx + 1;
	memset(&desc[idx], 0, sizeof(desc[idx]));
	desc[idx].type = layout.type;
	desc[idx].config = layout.config;
	desc[idx].sample_type = layout.sample_type;
	perf_layout__sample_type_names(layout.sample_type, desc[idx].sample_type_names,
				       sizeof(desc[idx].sample_type_names));
	desc[idx].period = layout.sample_period;
	desc[idx].freq = layout.flags & PERF_ATTR_FLAG_FREQ;
	desc[idx].attr_size = (uint32_t)attr_size;
	for (size_t i = 0; i < nr_ids; i++) {
		uint64_t id;

		memcpy(&id, &ids[i], 8);
		if (perf_event_set__add_id(&p->events, id, idx))
			return -ENOMEM;
	}
	perf_event_set__finish(&p->events);
	return 0;
}

static bool in_file(const struct perfdata *p, uint64_t off, uint64_t size)
{
	return off <= p->file_size && size <= p->file_size - off;
}

/* attrs section: entries of (attr, perf_file_section ids). */
static int read_attrs(struct perfdata *p, const struct perf_file_header *h,
		      struct nl_error *err)
{
	uint64_t entry = h->attr_size;
	uint8_t *buf = NULL, *ids = NULL;
	int ret = 0;

	if (entry < PERF_ATTR_SIZE_MIN + sizeof(struct perf_file_section) || entry > 4096)
		return diag__set(err, -EINVAL, FIX_RERECORD,
				 "attr size %llu is not a perf_event_attr (below 64 bytes or absurd)",
				 (unsigned long long)h->attr_size);
	if (!h->attrs.size || h->attrs.size % entry || !in_file(p, h->attrs.offset, h->attrs.size))
		return diag__set(err, -EINVAL, FIX_RERECORD,
				 "attribute section (offset %llu, %llu bytes) lies outside the file or is empty",
				 (unsigned long long)h->attrs.offset,
				 (unsigned long long)h->attrs.size);
	p->attr_size_on_file = (uint32_t)(entry - sizeof(struct perf_file_section));
	buf = malloc(entry);
	if (!buf)
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	for (uint64_t off = 0; off < h->attrs.size && !ret; off += entry) {
		struct perf_file_section s;

		if (input_read(p, buf, entry, h->attrs.offset + off) != (ssize_t)entry) {
			ret = diag__set(err, -EIO, FIX_RERECORD, "cannot read the attribute section");
			break;
		}
		memcpy(&s, buf + p->attr_size_on_file, sizeof(s));
		if (s.size % 8 || s.size > (64u << 20) || !in_file(p, s.offset, s.size)) {
			ret = diag__set(err, -EINVAL, FIX_RERECORD,
					"event id section lies outside the file");
			break;
		}
		free(ids);
		ids = malloc(s.size ? s.size : 1);
		if (!ids || input_read(p, ids, s.size, s.offset) != (ssize_t)s.size) {
			ret = diag__set(err, -EIO, FIX_RERECORD, "cannot read event ids");
			break;
		}
		if (add_event(p, buf, p->attr_size_on_file, (const uint64_t *)(void *)ids,
			      s.size / 8))
			ret = diag__set(err, -ENOMEM, NULL, "out of memory");
	}
	free(buf);
	free(ids);
	return ret;
}

/* --- features ----------------------------------------------------------- */

static void damaged(struct perfdata *p, uint64_t at, const char *fmt, const char *what)
{
	p->damaged = true;
	if (p->base.stats.stopped_at && p->base.stats.stop_reason[0])
		return;  /* the first damage is the one to report */
	p->base.stats.stopped_at = at ? at : 1;
	snprintf(p->base.stats.stop_reason, sizeof(p->base.stats.stop_reason), fmt, what);
}

static const char *feature_name(int feat, char *buf, size_t size)
{
	static const char *const names[] = {
		[FEAT_HOSTNAME] = "HOSTNAME", [FEAT_OSRELEASE] = "OSRELEASE",
		[FEAT_VERSION] = "VERSION", [FEAT_ARCH] = "ARCH", [FEAT_NRCPUS] = "NRCPUS",
		[FEAT_CPUDESC] = "CPUDESC", [FEAT_CPUID] = "CPUID", [FEAT_CMDLINE] = "CMDLINE",
		[FEAT_EVENT_DESC] = "EVENT_DESC", [FEAT_CPU_TOPOLOGY] = "CPU_TOPOLOGY",
		[FEAT_NUMA_TOPOLOGY] = "NUMA_TOPOLOGY", [FEAT_MEM_TOPOLOGY] = "MEM_TOPOLOGY",
	};

	if (feat < (int)(sizeof(names) / sizeof(names[0])) && names[feat])
		snprintf(buf, size, "%s", names[feat]);
	else
		snprintf(buf, size, "#%d", feat);
	return buf;
}

/* at: file offset of the feature's entry in the table (where damage shows). */
static void one_feature(struct perfdata *p, int feat, const struct perf_file_section *s,
			uint64_t at)
{
	char name[32];
	uint8_t *buf;
	int ret;

	feature_name(feat, name, sizeof(name));
	if (!in_file(p, s->offset, s->size) || s->size > (256u << 20)) {
		damaged(p, at, "header feature %s points outside the file", name);
		return;
	}
	buf = malloc(s->size ? s->size : 1);
	if (!buf || input_read(p, buf, s->size, s->offset) != (ssize_t)s->size) {
		free(buf);
		damaged(p, at, "header feature %s cannot be read", name);
		return;
	}
	ret = perfdata_header__feature(p, feat, buf, s->size);
	free(buf);
	if (ret == -EINVAL)
		damaged(p, at, "header feature %s is malformed; it was ignored", name);
}

static void read_features(struct perfdata *p, const struct perf_file_header *h)
{
	uint64_t table = h->data.offset + h->data.size;
	int nr = 0;

	for (int i = 0; i < 4; i++)
		nr += __builtin_popcountll(h->adds_features[i]);
	for (int feat = 0, idx = 0; feat < FEAT_BITS && idx < nr; feat++) {
		struct perf_file_section s;
		uint64_t at = table + (uint64_t)idx * sizeof(s);

		if (!(h->adds_features[feat / 64] >> (feat % 64) & 1))
			continue;
		idx++;
		if (input_read(p, &s, sizeof(s), at) != (ssize_t)sizeof(s)) {
			damaged(p, at, "the header feature table is cut short (%s)",
				"file truncated");
			return;
		}
		one_feature(p, feat, &s, at);
	}
}

/* --- open ----------------------------------------------------------------- */

static const struct nl_source_ops perfdata_ops;

static struct perfdata *perfdata_alloc(const char *name)
{
	struct perfdata *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base.ops = &perfdata_ops;
	p->fd = -1;
	p->bus_slot = -1;
	snprintf(p->base.info.path, sizeof(p->base.info.path), "%s", name);
	perf_event_set__init(&p->events);
	return p;
}

static int check_header(struct perfdata *p, struct perf_file_header *h,
			struct nl_error *err)
{
	/* From a pipe only the 16 bytes every header starts with: no more is consumed. */
	bool stream = !p->mem && p->file_size == UINT64_MAX;
	ssize_t got;

	memset(h, 0, sizeof(*h));
	got = input_read(p, h, stream ? sizeof(struct perf_pipe_file_header) : sizeof(*h), 0);
	if (got < 0)
		return diag__set(err, (int)got, NULL, "cannot read: %s", strerror((int)-got));
	if (got == 0)
		return diag__set(err, -EINVAL, FIX_RERECORD, "empty file, not a perf.data recording");
	if (got < 16 || (h->magic != PERF_MAGIC2 && h->magic != PERF_MAGIC2_SWAPPED))
		return diag__set(err, -EINVAL,
				 "give a file written by 'perf record' or 'numalens profile --record'",
				 "not a perf.data file (bad magic)");
	if (h->magic == PERF_MAGIC2_SWAPPED)
		return diag__set(err, -ENOTSUP, "report it on a machine of the recording's byte order",
				 "big-endian perf.data files are not supported");
	if (h->size == sizeof(struct perf_pipe_file_header)) {
		p->pipe_format = true;
		p->win_off = stream ? (uint64_t)got : 0;  /* the stream is at byte 16 */
		return 0;
	}
	if (stream)
		return diag__set(err, -ESPIPE,
				 "give the file's path, or record with 'perf record -o -'",
				 "a file-format perf.data cannot be read from a pipe");
	if (got < (ssize_t)sizeof(*h) || h->size < sizeof(*h))
		return diag__set(err, -EINVAL, FIX_RERECORD,
				 "file header is truncated (%zd of %zu bytes)", got, sizeof(*h));
	return 0;
}

static void user_record(struct perfdata *p, uint32_t type, const uint8_t *rec,
			size_t size);

/*
 * Pipe format carries attrs and header features as records ahead of the
 * first kernel record.  Reading them at open gives the same contract as the
 * file format: info and the topology are complete before the first next().
 */
static void read_pipe_preamble(struct perfdata *p)
{
	struct perf_event_header h;
	const uint8_t *rec;

	while (p->pos < p->data_end && (rec = window_get(p, p->pos, sizeof(h)))) {
		memcpy(&h, rec, sizeof(h));
		if (h.type < 64 || h.size < sizeof(h) || h.type == PERF_RECORD_AUXTRACE ||
		    h.type == PERF_RECORD_COMPRESSED || h.type == PERF_RECORD_COMPRESSED2 ||
		    !(rec = window_get(p, p->pos, h.size)))
			return;  /* next() takes it from here, damage included */
		p->base.stats.records++;
		p->pos += h.size;
		user_record(p, h.type, rec, h.size);
	}
}

/*
 * data.size 0 is a finished empty recording when a feature table follows
 * the data offset (every section inside the file, after the table), else
 * a killed one: there the bytes at data.offset are records, not a table.
 */
static bool features_written(struct perfdata *p, const struct perf_file_header *h)
{
	uint64_t nr = 0, table = h->data.offset;

	for (int i = 0; i < 4; i++)
		nr += (uint64_t)__builtin_popcountll(h->adds_features[i]);
	if (!nr || !in_file(p, table, nr * sizeof(struct perf_file_section)))
		return false;
	for (uint64_t i = 0; i < nr; i++) {
		struct perf_file_section s;

		if (input_read(p, &s, sizeof(s), table + i * sizeof(s)) != (ssize_t)sizeof(s) ||
		    !in_file(p, s.offset, s.size) || s.offset < table + nr * sizeof(s))
			return false;
	}
	return true;
}

static int open_sections(struct perfdata *p, struct nl_error *err)
{
	struct perf_file_header h;
	int ret = check_header(p, &h, err);

	if (ret)
		return ret;
	if (p->pipe_format) {
		p->pos = sizeof(struct perf_pipe_file_header);
		p->data_end = p->file_size;
		read_pipe_preamble(p);
		return 0;
	}
	ret = read_attrs(p, &h, err);
	if (ret)
		return ret;
	if (h.data.offset < sizeof(h) || h.data.offset > p->file_size)
		return diag__set(err, -EINVAL, FIX_RERECORD,
				 "data section starts outside the file (offset %llu)",
				 (unsigned long long)h.data.offset);
	p->pos = h.data.offset;
	p->data_end = h.data.offset + h.data.size;
	if (!h.data.size && p->file_size != UINT64_MAX && !features_written(p, &h)) {
		/*
		 * Killed: perf record and numalens --record write the data size
		 * and the feature table only when they finish.  Read on to the
		 * end of the file as far as records frame, as perf does; the
		 * feature bits are there from the start but their table is not.
		 */
		p->size_unwritten = true;
		p->data_end = p->file_size;
		p->frames_end = p->file_size;
	} else if (p->data_end < h.data.offset || p->data_end > p->file_size) {
		damaged(p, p->file_size, "%s", "the file is truncated: the data section runs past its end");
		p->data_end = p->file_size;
	}
	if (!p->size_unwritten)
		read_features(p, &h);
	perfdata_header__name_events(p);
	return 0;
}

static struct nl_source *finish_open(struct perfdata *p, struct nl_error *err)
{
	if (!p->mem) {
		p->window = malloc(PERFDATA_WINDOW);
		if (!p->window) {
			diag__set(err, -ENOMEM, NULL, "out of memory");
			nl_source__close(&p->base);
			return NULL;
		}
	}
	if (open_sections(p, err)) {
		nl_source__close(&p->base);
		return NULL;
	}
	if (p->base.info.topology && topology__finish(p->base.info.topology)) {
		diag__set(err, -ENOMEM, NULL, "out of memory");
		nl_source__close(&p->base);
		return NULL;
	}
	return &p->base;
}

struct nl_source *perfdata__open_buffer(const void *buf, size_t size,
					const char *name, struct nl_error *err)
{
	struct perfdata *p = perfdata_alloc(name);

	if (!p) {
		diag__set(err, -ENOMEM, NULL, "out of memory");
		return NULL;
	}
	p->mem = buf;
	p->file_size = size;
	return finish_open(p, err);
}

struct nl_source *perfdata__open(const char *path, struct nl_error *err)
{
	struct perfdata *p;
	struct stat st;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);

	if (fd < 0) {
		diag__set(err, -errno,
			  errno == ENOENT ? "check the path, or record one with 'perf record -d'"
			  : errno == EACCES ? "check the file's permissions or run as its owner"
					    : NULL,
			  "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		diag__set(err, -EISDIR, "give the perf.data file inside it", "is a directory");
		return NULL;
	}
	p = perfdata_alloc(path);
	if (!p) {
		close(fd);
		diag__set(err, -ENOMEM, NULL, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->file_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
	/* A regular file is mapped: records are read in place, not copied
	   through a window (pread stays the fallback). */
	if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			p->mem = m;
			p->map_len = (size_t)st.st_size;
			p->bus_slot = bus_guard(m, p->map_len);
		}
	}
	return finish_open(p, err);
}

/* --- records ---------------------------------------------------------------- */

static void stop_at(struct perfdata *p, const char *why)
{
	damaged(p, p->pos, "%s", why);
	p->frames_end = p->pos;
	p->pos = p->data_end;
}

/* The data ended in a file whose data size was never written: say so first. */
static void note_unwritten(struct perfdata *p)
{
	struct nl_source_stats *st = &p->base.stats;

	p->damaged = true;
	st->stopped_at = p->frames_end;
	snprintf(st->stop_reason, sizeof(st->stop_reason),
		 "the header's data size was never written (was the recording killed?): "
		 "records read to byte %llu of %llu",
		 (unsigned long long)p->frames_end, (unsigned long long)p->file_size);
}

/*
 * perf record -z: hands the zstd payload of a COMPRESSED (header, data) or
 * COMPRESSED2 (header, u64 data_size, data) record to the stream; next()
 * drains the records inside before it reads on.  rec lies in the window or
 * the caller's buffer, which nothing moves until they are drained.
 */
static void compressed_record(struct perfdata *p, uint32_t type, const uint8_t *rec,
			      size_t size)
{
	size_t skip = type == PERF_RECORD_COMPRESSED2 ? 16 : 8;
	uint64_t len = size - 8;

	if (p->comp_type > 1) {         /* not zstd */
		p->base.stats.unsupported_records++;
		return;
	}
	if (type == PERF_RECORD_COMPRESSED2) {
		if (size < 16) {
			p->base.stats.bad_records++;
			return;
		}
		memcpy(&len, rec + 8, 8);
		if (len > size - 16)
			len = size - 16;
	}
	if (!p->decomp && !(p->decomp = decompress__new())) {
		p->base.stats.unsupported_records++;
		return;
	}
	p->comp_at = p->pos - size;
	decompress__feed(p->decomp, rec + skip, (size_t)len);
	p->decomp_feeding = true;
}

/* Pipe format: attrs, features and build-ids arrive inline. */
static void user_record(struct perfdata *p, uint32_t type, const uint8_t *rec,
			size_t size)
{
	const uint8_t *body = rec + sizeof(struct perf_event_header);
	size_t len = size - sizeof(struct perf_event_header);

	if (type == PERF_RECORD_HEADER_ATTR && len >= PERF_ATTR_SIZE_MIN) {
		uint32_t attr_size;

		memcpy(&attr_size, body + 4, 4);
		if (attr_size < PERF_ATTR_SIZE_MIN || attr_size > len ||
		    add_event(p, body, attr_size, (const uint64_t *)(const void *)(body + attr_size),
			      (len - attr_size) / 8))
			p->base.stats.bad_records++;
		else
			perfdata_header__name_events(p);
	} else if (type == PERF_RECORD_HEADER_FEATURE && len >= 8) {
		uint64_t feat;

		memcpy(&feat, body, 8);
		if (feat < FEAT_BITS &&
		    perfdata_header__feature(p, (int)feat, body + 8, len - 8) == -EINVAL)
			p->base.stats.bad_records++;
		if (p->base.info.topology)
			topology__finish(p->base.info.topology);
	} else if (type == PERF_RECORD_HEADER_BUILD_ID) {
		/* The BUILD_ID feature is a run of these very records (perf
		   inject -b writes them into a pipe as DSOs are first hit). */
		if (perfdata_header__feature(p, FEAT_BUILD_ID, rec, size) == -EINVAL)
			p->base.stats.bad_records++;
	} else if (type == PERF_RECORD_COMPRESSED || type == PERF_RECORD_COMPRESSED2) {
		compressed_record(p, type, rec, size);
	} else if (type >= 64 + 64) {
		p->base.stats.unknown_records++;
	}
}

/* Decodes the record at pos.  1: out filled; 0: skipped; -1: stop. */
static int kernel_record(struct perfdata *p, const uint8_t *rec, size_t size,
			 struct nl_record *out);

static int one_record(struct perfdata *p, struct nl_record *out)
{
	struct perf_event_header h;
	const uint8_t *rec = window_get(p, p->pos, sizeof(h));

	if (!rec && p->file_size == UINT64_MAX && p->win_off == p->pos && !p->win_len) {
		p->pos = p->data_end;   /* a pipe ended between records: its normal end */
		return -1;
	}
	if (!rec) {
		stop_at(p, "the file ends inside a record header (truncated)");
		return -1;
	}
	memcpy(&h, rec, sizeof(h));
	if (h.size < sizeof(h)) {
		stop_at(p, "a record of size 0 (framing lost)");
		return -1;
	}
	if (h.size > p->data_end - p->pos || !(rec = window_get(p, p->pos, h.size))) {
		stop_at(p, "a record runs past the end of the data (truncated)");
		return -1;
	}
	p->base.stats.records++;
	p->pos += h.size;
	if (h.type == PERF_RECORD_FINISHED_ROUND) {
		out->kind = NL_REC_ROUND;
		return 1;
	}
	if (h.type >= 64) {
		if (h.type == PERF_RECORD_AUXTRACE && h.size >= 16) {
			uint64_t aux;

			memcpy(&aux, rec + 8, 8);
			p->pos = aux > p->data_end - p->pos ? p->data_end : p->pos + aux;
		}
		user_record(p, h.type, rec, h.size);
		return 0;
	}
	return kernel_record(p, rec, h.size, out);
}

/* The next record inside the compressed payload being drained: as one_record. */
static int inner_record(struct perfdata *p, struct nl_record *out)
{
	const uint8_t *rec;
	const char *why = "framing lost";
	size_t size;
	int ret;

	while ((ret = decompress__next(p->decomp, &rec, &size, &why)) != 0) {
		if (ret < 0) {
			char what[160];

			if (!p->comp_bad)
				p->comp_why = why;      /* the first error names the damage */
			nl_source__set_counter(&p->base.stats, "compressed_records_corrupt",
					       (int64_t)++p->comp_bad);
			snprintf(what, sizeof(what), "compressed data that cannot be decoded "
				 "(zstd: %s): %llu compressed records skipped", p->comp_why,
				 (unsigned long long)p->comp_bad);
			damaged(p, p->comp_at, "%s", what);    /* if it is the first damage */
			if (strstr(p->base.stats.stop_reason, "(zstd: "))
				snprintf(p->base.stats.stop_reason,
					 sizeof(p->base.stats.stop_reason), "%s", what);
			continue;
		}
		p->base.stats.records++;
		if (perf_record__type(rec) >= 64)
			p->base.stats.unknown_records++;   /* perf compresses ring data only */
		else if (kernel_record(p, rec, size, out) == 1)
			return 1;
	}
	p->decomp_feeding = false;
	return 0;
}

/* Decodes one kernel record (type < 64).  1: out filled; 0: skipped. */
static int kernel_record(struct perfdata *p, const uint8_t *rec, size_t size,
			 struct nl_record *out)
{
	int ret = perf_record__decode(&p->events, rec, size, out);
	uint32_t type = perf_record__type(rec);

	if (ret == -EINVAL)
		p->base.stats.bad_records++;
	else if (ret == -ENOENT)
		p->base.stats.unknown_records++;
	else if (ret == 0 && (type == PERF_RECORD_AUX || type == PERF_RECORD_ITRACE_START))
		p->base.stats.unsupported_records++;
	return ret == 1 ? 1 : 0;
}

static int perfdata_next(struct nl_source *src, struct nl_record *out)
{
	struct perfdata *p = (struct perfdata *)src;

	/* Records are ordered by FINISHED_ROUND here, not by a time window:
	 * say so before the first one (a round with nothing before it). */
	if (!p->rounds_announced) {
		p->rounds_announced = true;
		for (uint32_t i = 0; i < p->base.info.nr_events; i++)
			allocdec__bind(&p->adec, i, p->base.info.events[i].name);
		memset(out, 0, sizeof(*out));
		out->kind = NL_REC_ROUND;
		return 1;
	}
	/* start placement before the data, as the live source hands it out */
	if (!p->starts_done) {
		int r = perfdata_header__next_start(p, out);

		if (r != 0)
			return r;
		p->starts_done = true;
	}
	while (!p->data_done) {
		int ret;

		if (p->decomp_feeding) {
			ret = inner_record(p, out);
		} else if (p->bus_slot >= 0 && bus_slots[p->bus_slot].hit) {
			stop_at(p, "the file shrank while it was read (truncated)");
			p->data_done = true;
			break;
		} else if (p->pos >= p->data_end) {
			p->data_done = true;
			if (p->size_unwritten)
				note_unwritten(p);
			if (p->decomp && decompress__pending(p->decomp))
				damaged(p, p->comp_at, "%s",
					"the compressed data ends inside a record (truncated)");
			break;
		} else {
			ret = one_record(p, out);
		}
		/* the recorded Python frames first: a probe's return hit hands
		   them to its allocation; an entry half waits for its return */
		if (ret == 1 && out->kind == NL_REC_SAMPLE)
			out->sample.py = pyrecord__lookup(p->py, &out->sample);
		if (ret == 1 && out->kind == NL_REC_EXIT && out->task.tid == out->task.pid)
			allocdec__forget(&p->adec, out->task.pid);
		if (ret == 1 && out->kind == NL_REC_SAMPLE && allocdec__convert(&p->adec, out) == 0) {
			p->base.stats.records--;  /* one record per call, as live counts it */
			continue;
		}
		if (ret == 1) {
			nl_source__count(&p->base, out);
			if (out->kind == NL_REC_SAMPLE) {
				perfdata_header__page_node(p, &out->sample);
			}
			return 1;
		}
	}
	return perfdata_header__next_extra(p, out);
}

static void perfdata_close(struct nl_source *src)
{
	struct perfdata *p = (struct perfdata *)src;

	if (p->fd >= 0)
		close(p->fd);
	if (p->map_len) {
		bus_unguard(p->bus_slot);
		munmap((void *)(uintptr_t)p->mem, p->map_len);
	}
	free(p->window);
	decompress__free(p->decomp);
	perf_event_set__free(&p->events);
	allocdec__free(&p->adec);
	perfdata_header__free(p);
	free(p->base.info.events);
	topology__free(p->base.info.topology);
	free(p);
}

static const struct nl_source_ops perfdata_ops = {
	.name = "perf.data",
	.next = perfdata_next,
	.close = perfdata_close,
};
