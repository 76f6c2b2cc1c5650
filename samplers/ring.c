/*
 * ring.c - perf_event mmap ring reading: head/tail protocol, wrapped
 * records, framing recovery.  See ring.h for the invariants.
 */
#include "samplers/ring.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "samplers/base/cpuset.h"
#include "samplers/base/sys.h"

#define BOUNCE_SIZE 65536
#define MIN_RING_PAGES 128
#define MAX_RING_PAGES 2048
#define RING_BUDGET (64ul << 20)

int ring__open(struct nl_ring *r, const struct nl_sys *sys, int fd, int cpu,
	       unsigned pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *map = NULL;
	int err = -EINVAL;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->bounce = malloc(BOUNCE_SIZE);
	if (!r->bounce)
		return -ENOMEM;
	for (; pages >= 1; pages /= 2) {
		err = sys->mmap(fd, (pages + 1) * page, PROT_READ | PROT_WRITE, &map);
		if (!err || (err != -EPERM && err != -ENOMEM))
			break;
	}
	if (err) {
		free(r->bounce);
		r->bounce = NULL;
		return err;
	}
	r->fd = fd;
	r->cpu = cpu;
	r->meta = map;
	r->data = (uint8_t *)map + page;
	r->size = (uint64_t)pages * page;
	r->map_len = (pages + 1) * page;
	r->head = r->tail = __atomic_load_n(&r->meta->data_tail, __ATOMIC_ACQUIRE);
	return 0;
}

int ring__open_owner(struct nl_ring *r, const struct nl_sys *sys, int cpu,
		     unsigned pages, uint64_t sample_type, bool exclude_kernel)
{
	struct perf_event_attr a;
	int fd, err;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.sample_type = sample_type;
	a.sample_id_all = 1;
	a.exclude_kernel = exclude_kernel;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	a.watermark = 1;
	a.wakeup_watermark = pages * (unsigned)sysconf(_SC_PAGESIZE) / 4;
	fd = sys->perf_event_open(&a, 0, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		memset(r, 0, sizeof(*r));
		r->fd = -1;
		return fd;
	}
	err = ring__open(r, sys, fd, cpu, pages);
	if (err) {
		sys->close(fd);
		return err;
	}
	r->owns_fd = true;
	return 0;
}

void ring__close(struct nl_ring *r, const struct nl_sys *sys)
{
	if (r->meta)
		sys->munmap(r->meta, r->map_len);
	if (r->owns_fd && r->fd >= 0)
		sys->close(r->fd);
	r->owns_fd = false;
	free(r->bounce);
	r->meta = NULL;
	r->data = NULL;
	r->bounce = NULL;
	r->fd = -1;
}

static uint64_t load_head(const struct nl_ring *r)
{
	return __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
}

bool ring__has_data(const struct nl_ring *r)
{
	return r->meta && load_head(r) != r->tail;
}

/* Copies len bytes starting at ring offset pos into dst, across the end. */
static void copy_out(const struct nl_ring *r, uint64_t pos, void *dst, size_t len)
{
	uint64_t off = pos & (r->size - 1);
	size_t first = len;

	if (off + len > r->size)
		first = (size_t)(r->size - off);
	memcpy(dst, r->data + off, first);
	if (first < len)
		memcpy((uint8_t *)dst + first, r->data, len - first);
}

/* Invariant 5: drop what is left and count it. */
static const struct perf_event_header *lose_framing(struct nl_ring *r)
{
	r->framing_errors++;
	r->tail = r->head;
	return NULL;
}

const struct perf_event_header *ring__next(struct nl_ring *r)
{
	struct perf_event_header h;
	uint64_t off;

	if (!r->meta)
		return NULL;
	if (r->tail == r->head) {
		r->head = load_head(r);
		if (r->tail == r->head)
			return NULL;
	}
	if (r->head - r->tail < sizeof(h) || r->head - r->tail > r->size)
		return lose_framing(r);
	copy_out(r, r->tail, &h, sizeof(h));
	if (h.size < sizeof(h) || h.size > r->head - r->tail)
		return lose_framing(r);
	off = r->tail & (r->size - 1);
	r->tail += h.size;
	if (off + h.size <= r->size)
		return (const struct perf_event_header *)(r->data + off);
	copy_out(r, r->tail - h.size, r->bounce, h.size);
	return (const struct perf_event_header *)r->bounce;
}

void ring__release(struct nl_ring *r)
{
	if (r->meta)
		__atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
}

uint64_t ring__peek_from(const struct nl_ring *r, uint64_t from,
			 int (*fn)(const struct perf_event_header *h, void *ctx), void *ctx)
{
	uint64_t pos, head;

	if (!r->meta)
		return from;
	head = load_head(r);
	for (pos = from > r->tail ? from : r->tail; head - pos >= sizeof(struct perf_event_header);) {
		struct perf_event_header h;
		uint64_t off = pos & (r->size - 1);

		copy_out(r, pos, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - pos)
			return pos;
		if (off + h.size <= r->size &&
		    fn((const struct perf_event_header *)(r->data + off), ctx))
			return pos;
		pos += h.size;
	}
	return pos;
}

void ring__peek_each(const struct nl_ring *r,
		     int (*fn)(const struct perf_event_header *h, void *ctx),
		     void *ctx)
{
	ring__peek_from(r, r->tail, fn, ctx);
}

/* --- the per-CPU ring set ----------------------------------------------------- */

int ringset__read_cpus(struct nl_ringset *rs, const struct nl_sys *sys)
{
	struct nl_cpuset set = { 0 };
	char buf[1024];
	int n = 0;

	memset(rs, 0, sizeof(*rs));
	if (sys__read_small(sys, "/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0 ||
	    cpuset__parse_list(&set, buf) || !cpuset__count(&set))
		cpuset__add(&set, 0);
	rs->cpus = calloc((size_t)cpuset__count(&set), sizeof(int));
	if (!rs->cpus) {
		cpuset__free(&set);
		return -ENOMEM;
	}
	for (int c = cpuset__next(&set, 0); c >= 0; c = cpuset__next(&set, c + 1))
		rs->cpus[n++] = c;
	rs->nr = n;
	cpuset__free(&set);
	return 0;
}

/* Data pages per ring: RING_BUDGET over the CPUs, a power of two in range. */
static unsigned default_pages(int nr_cpus)
{
	unsigned long per_cpu = RING_BUDGET / (unsigned long)nr_cpus /
				(unsigned long)sysconf(_SC_PAGESIZE);
	unsigned pages = MIN_RING_PAGES;

	while (pages * 2 <= per_cpu && pages * 2 <= MAX_RING_PAGES)
		pages *= 2;
	return pages;
}

int ringset__open(struct nl_ringset *rs, const struct nl_sys *sys, unsigned pages,
		  uint64_t sample_type, bool exclude_kernel, int *bad_cpu)
{
	*bad_cpu = -1;
	rs->rings = calloc((size_t)rs->nr, sizeof(*rs->rings));
	rs->pfds = calloc((size_t)rs->nr, sizeof(*rs->pfds));
	if (!rs->rings || !rs->pfds)
		return -ENOMEM;
	for (int i = 0; i < rs->nr; i++)
		rs->rings[i].fd = -1;
	if (!pages)
		pages = default_pages(rs->nr);
	for (int i = 0; i < rs->nr; i++) {
		int err = ring__open_owner(&rs->rings[i], sys, rs->cpus[i], pages,
					   sample_type, exclude_kernel);

		if (err) {
			*bad_cpu = rs->cpus[i];
			return err;
		}
		rs->pfds[i].fd = rs->rings[i].fd;
		rs->pfds[i].events = POLLIN;
	}
	return 0;
}

void ringset__close(struct nl_ringset *rs, const struct nl_sys *sys)
{
	for (int i = 0; rs->rings && i < rs->nr; i++)
		ring__close(&rs->rings[i], sys);
	free(rs->rings);
	free(rs->pfds);
	free(rs->cpus);
	memset(rs, 0, sizeof(*rs));
}

bool ringset__has_data(const struct nl_ringset *rs)
{
	for (int i = 0; rs->rings && i < rs->nr; i++)
		if (ring__has_data(&rs->rings[i]))
			return true;
	return false;
}

void ringset__wait(struct nl_ringset *rs, const struct nl_sys *sys, int timeout_ms)
{
	if (timeout_ms > 0 && !ringset__has_data(rs))
		sys->poll(rs->pfds, (nfds_t)rs->nr, timeout_ms);
}

uint64_t ringset__framing_errors(const struct nl_ringset *rs)
{
	uint64_t n = 0;

	for (int i = 0; rs->rings && i < rs->nr; i++)
		n += rs->rings[i].framing_errors;
	return n;
}
