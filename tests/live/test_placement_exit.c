/*
 * test_placement_exit.c - the page cache follows the processes alive
 * (issue 14, soak with churn): a process' cached page nodes are kept for a
 * second after it exits (late samples from other rings still hit them),
 * then handed to the keep callback (the --record file) and dropped, so a
 * later sample of that pid asks move_pages again.  Driven through an
 * injected nl_sys: a clock the test sets and a move_pages that counts.
 */
#include <errno.h>
#include <string.h>

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

static int fake_open(const char *path, int flags)
{
	(void)path;
	(void)flags;
	return -ENOENT;
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
	CHECK_EQ_U64(resolve(pl, 100, 8), 8);   /* first time: asked */
	CHECK_EQ_U64(resolve(pl, 100, 8), 0);   /* cached */
	CHECK_EQ_U64(resolve(pl, 200, 4), 4);
	placement__process_exit(pl, 100, keep, &k);
	clock_ns += 500000000ull;               /* half a second later */
	placement__process_exit(pl, 300, keep, &k);
	CHECK_EQ_U64(k.pages, 0);               /* too early to drop 100 */
	CHECK_EQ_U64(resolve(pl, 100, 8), 0);   /* a late sample still hits */
	clock_ns += 600000000ull;               /* 1.1 s after 100 exited */
	placement__process_exit(pl, 400, keep, &k);
	CHECK_EQ_U64(k.pages, 8);               /* handed to keep, then dropped */
	CHECK_EQ_U64(k.pid, 100);
	CHECK_EQ_U64(k.node, 0);
	CHECK_EQ_U64(resolve(pl, 200, 4), 0);   /* a live process keeps its pages */
	CHECK_EQ_U64(resolve(pl, 100, 8), 8);   /* 100's are gone: asked again */
	placement__free(pl);
	return check_done();
}
