/*
 * test_placement_exit.c - the page cache follows the processes alive
 * (issue 14, soak with churn): a process' cached page nodes are kept for a
 * second after it exits (late samples from other rings still hit them),
 * then handed to the keep callback (the --record file) and dropped, so a
 * later sample of that pid asks move_pages again, and the process is
 * queued for retiring: its final placement records come out once, then its
 * snapshot is freed and the end-of-profile records hold only the others.
 * Its run-time cells likewise: handed out at retire, then dropped, the
 * others' cells still found (and added to) under their keys.
 * Driven through an injected nl_sys: a clock the test sets, a move_pages
 * that counts, and /proc/PID/{maps,numa_maps} served from memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/sys.h"
#include "samplers/placement.h"

static uint64_t clock_ns = 1000000000ull;
static int move_pages_pages;

static uint64_t fake_now(void)
{
	return clock_ns;
}

static long fake_move_pages(int pid, unsigned long count, void **pages, const int *nodes,
			    int *status, int flags)
{
	(void)pid;
	(void)pages;
	(void)nodes;
	(void)flags;
	for (unsigned long i = 0; i < count; i++)
		status[i] = 0;          /* node 0 */
	move_pages_pages += (int)count;
	return 0;
}

/* Processes 100 and 200 map one 16-page range each, 8 pages on node 0. */
static int fake_open(const char *path, int flags)
{
	char body[256];
	int pid, fd;

	(void)flags;
	if (sscanf(path, "/proc/%d/", &pid) != 1 || (pid != 100 && pid != 200))
		return -ENOENT;
	if (strstr(path, "numa_maps"))
		snprintf(body, sizeof(body), "7f%d0000000 default anon=8 dirty=8 N0=8 kernelpagesize_kB=4\n", pid);
	else if (strstr(path, "maps"))
		snprintf(body, sizeof(body), "7f%d0000000-7f%d0010000 rw-p 00000000 00:00 0 \n", pid, pid);
	else
		return -ENOENT;
	fd = memfd_create("proc", 0);
	if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body) || lseek(fd, 0, SEEK_SET))
		return -errno;
	return fd;
}

/* The final records of pid through the retiring calls; how many. */
static int retire_one(struct nl_placement *pl, int pid)
{
	struct nl_record r;
	int n = 0;

	CHECK_EQ_U64(placement__retiring(pl), pid);
	while (placement__next_final_of(pl, pid, &r)) {
		CHECK_EQ_U64(r.kind, NL_REC_PLACEMENT);
		CHECK_EQ_U64(r.placement.pid, pid);
		CHECK(r.placement.final);
		CHECK_EQ_U64(r.placement.pages_by_node[0], 8);
		n++;
	}
	placement__retired(pl);
	return n;
}

struct kept {
	int pages, pid, node;
};

static void keep(int pid, uint64_t page, int node, int method, void *ctx)
{
	struct kept *k = ctx;

	(void)page;
	(void)method;
	k->pages++;
	k->pid = pid;
	k->node = node;
}

/* Resolves n pages of pid; returns how many move_pages was asked for. */
static int resolve(struct nl_placement *pl, int pid, int n)
{
	struct nl_sample s[16], *ptr[16];
	int before = move_pages_pages;

	for (int i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].valid = NL_SAMPLE_ADDR | NL_SAMPLE_TID;
		s[i].pid = s[i].tid = pid;
		s[i].cpu = s[i].mem_node = -1;
		s[i].addr = 0x7f0000000000ull + (uint64_t)i * 4096;
		ptr[i] = &s[i];
	}
	placement__resolve(pl, ptr, n);
	for (int i = 0; i < n; i++)
		CHECK(s[i].valid & NL_SAMPLE_MEM_NODE);
	return move_pages_pages - before;
}

/* ns of (tid, cpu) in the end-of-profile run-time records, -1 absent. */
static int64_t runtime_ns(struct nl_placement *pl, int tid, int cpu, int *records)
{
	struct nl_record r;
	int64_t ns = -1;

	*records = 0;
	while (placement__next_runtime(pl, &r)) {
		(*records)++;
		if (r.runtime.tid == tid && r.runtime.cpu == cpu)
			ns = (int64_t)r.runtime.ns;
	}
	return ns;
}

/* Process 10 (tids 10, 11) ends and retires; 20 (tid 20) runs on. */
static void test_runtime_retire(const struct nl_sys *sys)
{
	struct nl_placement *pl = placement__new(sys, NULL);
	struct nl_record r;
	uint64_t ns10 = 0;
	int n = 0, records;

	CHECK(pl != NULL);
	if (!pl)
		return;
	placement__runtime_start(pl, 1000);
	/* tid 10 on cpus 0 and 1, 11 on 1, 20 on 0 and 1: cells 10/0 10/1 11/1 20/0 20/1 */
	CHECK_EQ_U64(placement__switch(pl, 10, 10, 0, 1000, false), 0);
	CHECK_EQ_U64(placement__switch(pl, 20, 20, 1, 1000, false), 0);
	CHECK_EQ_U64(placement__switch(pl, 10, 10, 0, 1100, true), 0);       /* 100 */
	CHECK_EQ_U64(placement__switch(pl, 20, 20, 1, 1200, true), 0);       /* 200 */
	CHECK_EQ_U64(placement__switch(pl, 10, 10, 1, 1200, false), 0);
	CHECK_EQ_U64(placement__switch(pl, 10, 10, 1, 1500, true), 0);       /* 300 */
	CHECK_EQ_U64(placement__switch(pl, 10, 11, 1, 1500, false), 0);
	CHECK_EQ_U64(placement__switch(pl, 20, 20, 0, 1500, false), 0);
	placement__task_exit(pl, 11, 1540);                                  /* 40 */
	placement__task_exit(pl, 10, 1540);
	CHECK_EQ_U64(placement__switch(pl, 20, 20, 0, 1600, true), 0);       /* 100 */
	while (placement__next_runtime_of(pl, 10, &r)) {
		CHECK_EQ_U64(r.kind, NL_REC_RUNTIME);
		CHECK_EQ_U64(r.runtime.pid, 10);
		ns10 += r.runtime.ns;
		n++;
	}
	CHECK_EQ_U64(n, 3);
	CHECK_EQ_U64(ns10, 440);
	placement__runtime_forget(pl, 10);
	CHECK_EQ_U64(placement__next_runtime_of(pl, 10, &r), 0);
	/* 20's cells moved: still found under their keys and added to */
	CHECK_EQ_U64(placement__switch(pl, 20, 20, 1, 1700, false), 0);
	CHECK_EQ_U64(placement__switch(pl, 20, 20, 1, 1750, true), 0);       /* 50 */
	placement__runtime_stop(pl, 2000);
	CHECK_EQ_U64(runtime_ns(pl, 20, 1, &records), 250);
	CHECK_EQ_U64(records, 2);
	placement__free(pl);
}

int main(void)
{
	struct nl_sys sys = *sys__default();
	struct nl_placement *pl;
	struct kept k = { 0 };

	sys.now_ns = fake_now;
	sys.move_pages = fake_move_pages;
	sys.open = fake_open;
	pl = placement__new(&sys, NULL);
	CHECK(pl != NULL);
	if (!pl)
		return check_done();
	struct nl_record r;
	int finals = 0;

	CHECK_EQ_U64(placement__snapshot(pl, 100), 0);
	CHECK_EQ_U64(placement__snapshot(pl, 200), 0);
	while (placement__next_start(pl, &r))
		;
	CHECK_EQ_U64(resolve(pl, 100, 8), 8);   /* first time: asked */
	CHECK_EQ_U64(resolve(pl, 100, 8), 0);   /* cached */
	CHECK_EQ_U64(resolve(pl, 200, 4), 4);
	placement__process_exit(pl, 100, keep, &k);
	clock_ns += 500000000ull;               /* half a second later */
	placement__process_exit(pl, 300, keep, &k);
	CHECK_EQ_U64(k.pages, 0);               /* too early to drop 100 */
	CHECK_EQ_U64(placement__retiring(pl), 0);
	CHECK_EQ_U64(resolve(pl, 100, 8), 0);   /* a late sample still hits */
	clock_ns += 600000000ull;               /* 1.1 s after 100 exited */
	placement__process_exit(pl, 400, keep, &k);
	CHECK_EQ_U64(k.pages, 8);               /* handed to keep, then dropped */
	CHECK_EQ_U64(k.pid, 100);
	CHECK_EQ_U64(k.node, 0);
	CHECK_EQ_U64(resolve(pl, 200, 4), 0);   /* a live process keeps its pages */
	CHECK_EQ_U64(resolve(pl, 100, 8), 8);   /* 100's are gone: asked again */
	/* 100 is retired: its final record once, then its snapshot is gone */
	CHECK_EQ_U64(retire_one(pl, 100), 1);
	CHECK_EQ_U64(placement__retiring(pl), 0);
	CHECK(!placement__has(pl, 100));
	CHECK(placement__has(pl, 200));
	while (placement__next_final(pl, &r)) {
		CHECK_EQ_U64(r.placement.pid, 200);
		finals++;
	}
	CHECK_EQ_U64(finals, 1);
	/* 300 and 400 had no snapshot: they retire with no records */
	clock_ns += 2000000000ull;
	placement__retire_due(pl, keep, &k);
	CHECK_EQ_U64(retire_one(pl, 300), 0);
	CHECK_EQ_U64(retire_one(pl, 400), 0);
	CHECK_EQ_U64(placement__retiring(pl), 0);
	placement__free(pl);
	test_runtime_retire(&sys);
	return check_done();
}
