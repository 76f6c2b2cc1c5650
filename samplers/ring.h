/*
 * ring.h - reading perf_event mmap ring buffers: one ring, and the set of
 * one ring per online CPU.
 *
 * Which rings, and why: numalens opens per-task events (pid = each thread
 * of the target tree, inherit = 1) on every CPU, and one ring per CPU
 * receives all of them through PERF_EVENT_IOC_SET_OUTPUT.  Per-task rings
 * are not possible with inherit: the kernel refuses to mmap an inherited
 * event opened with cpu = -1, and without inherit the threads and children
 * created after attach would be missed.  Per-CPU rings also bound the
 * number of mappings (and locked memory) by the CPU count instead of the
 * thread count.  Each ring belongs to a dummy software event opened on
 * numalens itself for that CPU, so a ring never hangs up when a target
 * task exits and poll() keeps working until the end.
 *
 * Lifecycle of struct nl_ring (invariants):
 *   1. tail <= head, and head - tail <= size: [tail, head) holds records
 *      not yet read, the kernel writes only beyond head.
 *   2. head is a snapshot of data_head, loaded with acquire ordering in
 *      ring__next() when the snapshot is used up.
 *   3. data_tail is stored (release) only by ring__release(): records
 *      returned by ring__next() stay readable until then.
 *   4. A record that wraps past the end of the data area is copied into
 *      bounce, so every record is returned contiguous.  Records are at most
 *      64 KiB (u16 size), the size of bounce.
 *   5. A record whose size is < 8 or runs past head means the framing is
 *      lost: the rest of the ring is dropped (tail = head), counted in
 *      framing_errors, and reading goes on with the next records.
 * Nothing is allocated after ring__open().
 */
#ifndef NUMALENS_RING_H
#define NUMALENS_RING_H

#include <stdbool.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sys;
struct perf_event_header;
struct perf_event_mmap_page;

struct nl_ring {
	int fd;                 /* event owning the mapping, -1 when closed */
	bool owns_fd;           /* opened by ring__open_owner: close closes it */
	int cpu;
	struct perf_event_mmap_page *meta; /* first page of the mapping */
	uint8_t *data;          /* data area of size bytes */
	uint64_t size;          /* power of two */
	uint64_t head, tail;    /* see the invariants */
	size_t map_len;
	uint8_t *bounce;        /* 64 KiB for wrapped records */
	uint64_t framing_errors;
	uint64_t peeked;        /* ring__peek_from's last position (live: the
				   records a look-ahead already saw) */
	uint64_t drained_time;  /* live: time of the last sample read from it */
};

/*
 * Maps pages (a power of two) data pages of fd.  On -EPERM/-ENOMEM
 * (locked-memory limit) it retries with half as many, down to 1.
 * Returns 0 or -errno (r then closed, fd not closed: the caller owns it).
 */
int ring__open(struct nl_ring *r, const struct nl_sys *sys, int fd, int cpu,
	       unsigned pages);
/*
 * Opens the ring of one CPU: a dummy software event on numalens itself
 * (pid 0, cpu), with the clock (CLOCK_MONOTONIC) and sample_type the
 * events redirected into it use, woken when a quarter is full; then maps it
 * as ring__open does.  Returns 0 or -errno (r closed).
 */
int ring__open_owner(struct nl_ring *r, const struct nl_sys *sys, int cpu,
		     unsigned pages, uint64_t sample_type, bool exclude_kernel);
/* Unmaps (and closes fd when the ring owns it).  Safe on a closed ring. */
void ring__close(struct nl_ring *r, const struct nl_sys *sys);

/*
 * The next record, or NULL when the ring is empty (for now).  The pointer
 * stays valid until ring__release() or the next ring__next().
 */
const struct perf_event_header *ring__next(struct nl_ring *r);
/* Gives the bytes read so far back to the kernel. */
void ring__release(struct nl_ring *r);
/* True when the kernel has written past our tail. */
bool ring__has_data(const struct nl_ring *r);

/*
 * Calls fn on every record between the tail and the current head without
 * consuming them (used while attaching, to learn which tasks the kernel
 * already follows).  Wrapped records are skipped.  Stops when fn returns
 * non-zero.
 */
void ring__peek_each(const struct nl_ring *r,
		     int (*fn)(const struct perf_event_header *h, void *ctx),
		     void *ctx);
/*
 * As ring__peek_each, from position from (or tail, when the reader is past
 * it) to head; returns the position reached, for the next call.
 */
uint64_t ring__peek_from(const struct nl_ring *r, uint64_t from,
			 int (*fn)(const struct perf_event_header *h, void *ctx), void *ctx);

/* --- the per-CPU ring set ---------------------------------------------------- */

/*
 * One ring per online CPU.  Invariants: rings[i], pfds[i] belong to cpus[i];
 * cpus[] is sorted; rr is the ring a reader should start with next (so no
 * ring is always read last).
 */
struct nl_ringset {
	int nr;
	int *cpus;
	struct nl_ring *rings;
	struct pollfd *pfds;
	unsigned rr;
};

/* Fills cpus[] from /sys/devices/system/cpu/online (CPU 0 if unreadable).  0 or -ENOMEM. */
int ringset__read_cpus(struct nl_ringset *rs, const struct nl_sys *sys);
/*
 * Opens every CPU's ring (ring__open_owner).  pages 0: 64 MiB shared by the
 * CPUs, 512 KiB to 8 MiB each.  OUT: *bad_cpu, the CPU that failed.
 * Returns 0 or -errno (the rings opened so far stay for ringset__close).
 */
int ringset__open(struct nl_ringset *rs, const struct nl_sys *sys, unsigned pages,
		  uint64_t sample_type, bool exclude_kernel, int *bad_cpu);
/* Closes every ring and frees the set; safe after a failed open. */
void ringset__close(struct nl_ringset *rs, const struct nl_sys *sys);
/* True when any ring holds unread records. */
bool ringset__has_data(const struct nl_ringset *rs);
/* Waits up to timeout_ms for data unless some is there.  Signals end the wait. */
void ringset__wait(struct nl_ringset *rs, const struct nl_sys *sys, int timeout_ms);
/* Sum of the rings' framing_errors. */
uint64_t ringset__framing_errors(const struct nl_ringset *rs);

#endif
