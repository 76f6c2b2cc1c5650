/*
 * fuzz_placement.c - the /proc/PID/maps and /proc/PID/numa_maps parsers
 * (samplers/placement.c), reached the way the live source reaches them:
 * through the nl_sys table, which this harness replaces with one serving
 * the input as those files.  Then page nodes are resolved for sampled
 * addresses (the snapshot fallback and the move_pages answers) and the
 * start and final placement records are walked; the process then exits
 * and its cached pages are dropped (placement__process_exit).
 *
 * Input: u16 maps_len, u16 possible_len, u16 numa_len, 8 x u64 sampled
 * addresses, then the texts of /proc/P/maps, /sys/.../node/possible and
 * /proc/P/numa_maps; the bytes left are the move_pages statuses.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "samplers/base/sys.h"
#include "samplers/placement.h"

#define HEAD (6 + 8 * 8)
#define PID 4242

enum { FD_MAPS = 1000, FD_POSSIBLE, FD_NUMA, FD_END };

static struct {
	const uint8_t *text[FD_END - FD_MAPS];
	size_t len[FD_END - FD_MAPS], pos[FD_END - FD_MAPS];
	const uint8_t *status;
	size_t status_len, status_pos;
} in;

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

static int fake_open(const char *path, int flags)
{
	int fd = ends_with(path, "/numa_maps") ? FD_NUMA
		 : ends_with(path, "/maps")    ? FD_MAPS
		 : ends_with(path, "node/possible") ? FD_POSSIBLE
						     : -ENOENT;

	(void)flags;
	if (fd == FD_POSSIBLE && !in.len[FD_POSSIBLE - FD_MAPS])
		return -ENOENT;
	if (fd > 0)
		in.pos[fd - FD_MAPS] = 0;
	return fd;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	int i = fd - FD_MAPS;
	size_t left;

	if (i < 0 || i >= FD_END - FD_MAPS)
		return -EBADF;
	left = in.len[i] - in.pos[i];
	if (len > left)
		len = left;
	if (len > 4096)
		len = 4096;     /* the kernel hands proc files out a page at a time */
	memcpy(buf, in.text[i] + in.pos[i], len);
	in.pos[i] += len;
	return (ssize_t)len;
}

static int fake_close(int fd)
{
	(void)fd;
	return 0;
}

static long fake_move_pages(int pid, unsigned long count, void **pages, const int *nodes,
			    int *status, int flags)
{
	(void)pid;
	(void)pages;
	(void)nodes;
	(void)flags;
	for (unsigned long i = 0; i < count; i++) {
		int8_t b = in.status_len ? (int8_t)in.status[in.status_pos++ % in.status_len] : 0;

		status[i] = b;  /* nodes 0..127 and -errno answers */
	}
	return 0;
}

/* Two seconds pass at every look: an exited process' pages go at the next exit. */
static uint64_t fake_now(void)
{
	static uint64_t t;

	return t += 2000000000ull;
}

static void walk(struct nl_placement *pl, int (*next)(struct nl_placement *, struct nl_record *))
{
	struct nl_record r;
	volatile uint64_t sink = 0;

	while (next(pl, &r) == 1) {
		sink += fuzz_touch_string(r.placement.name);
		for (uint32_t i = 0; i < r.placement.nr_nodes; i++)
			sink += r.placement.pages_by_node[i];
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_sys sys = *sys__default();
	struct nl_placement *pl;
	struct nl_sample samples[8], *ptrs[8];
	uint16_t lens[3];
	size_t off = HEAD;

	if (size < HEAD)
		return 0;
	memset(&in, 0, sizeof(in));
	memcpy(lens, data, sizeof(lens));
	for (int i = 0; i < 3; i++) {
		size_t n = lens[i] < size - off ? lens[i] : size - off;

		in.text[i] = data + off;
		in.len[i] = n;
		off += n;
	}
	in.status = data + off;
	in.status_len = size - off;
	sys.open = fake_open;
	sys.read = fake_read;
	sys.close = fake_close;
	sys.move_pages = fake_move_pages;
	sys.now_ns = fake_now;
	pl = placement__new(&sys, NULL);
	if (!pl)
		return 0;
	for (int i = 0; i < 8; i++) {
		memset(&samples[i], 0, sizeof(samples[i]));
		samples[i].valid = NL_SAMPLE_ADDR | NL_SAMPLE_TID;
		samples[i].pid = samples[i].tid = PID;
		samples[i].cpu = -1;
		samples[i].mem_node = -1;
		memcpy(&samples[i].addr, data + 6 + 8 * i, 8);
		ptrs[i] = &samples[i];
	}
	placement__resolve(pl, ptrs, 8);      /* before any snapshot */
	placement__snapshot(pl, PID);
	walk(pl, placement__next_start);
	placement__resolve(pl, ptrs, 8);      /* from the snapshot / move_pages */
	for (int i = 0; i < 8; i++)
		samples[i].valid &= ~NL_SAMPLE_MEM_NODE;
	placement__snapshot(pl, PID);         /* replaces the first */
	placement__resolve(pl, ptrs, 8);
	placement__process_exit(pl, PID, NULL, NULL);
	placement__process_exit(pl, PID + 1, NULL, NULL);  /* drops PID's pages */
	for (int i = 0; i < 8; i++)
		samples[i].valid &= ~NL_SAMPLE_MEM_NODE;
	placement__resolve(pl, ptrs, 8);      /* asked again */
	walk(pl, placement__next_final);
	placement__free(pl);
	return 0;
}
