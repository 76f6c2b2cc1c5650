/*
 * test_serve_bounds.c - what keeps `serve --all` at a bounded memory on a
 * machine where processes come and go (issue 15: it grew to ~960 MB in
 * 30 s):
 *   1. the page -> node cache holds at most its cap (placement__limit_pages):
 *      a page past it empties the cache, the next ones are asked again, the
 *      cached ones hit while they are there; without a cap every page stays;
 *   2. the intervals keep a state only for the live processes and the
 *      recently gone: thousands of processes born and ended (each inside one
 *      interval, the case that once kept every one "alive" forever) leave
 *      the table at its live size, whatever the number of intervals.
 * Driven through an injected move_pages (node 0 for every page) and
 * synthetic records with 1 ms intervals.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "profiler/interval.h"
#include "samplers/base/sys.h"
#include "samplers/placement.h"

static int asked;

static long fake_move_pages(int pid, unsigned long count, void **pages, const int *nodes,
			    int *status, int flags)
{
	(void)pid;
	(void)pages;
	(void)nodes;
	(void)flags;
	for (unsigned long i = 0; i < count; i++)
		status[i] = 0;
	asked += (int)count;
	return 0;
}

/* Resolves pages first..first+n-1 of pid 100; how many move_pages was asked for. */
static int resolve(struct nl_placement *pl, int first, int n)
{
	struct nl_sample s[64], *ptr[64];
	int before = asked;

	for (int i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].valid = NL_SAMPLE_ADDR | NL_SAMPLE_TID;
		s[i].pid = s[i].tid = 100;
		s[i].cpu = s[i].mem_node = -1;
		s[i].addr = 0x7f0000000000ull + (uint64_t)(first + i) * 4096;
		ptr[i] = &s[i];
	}
	placement__resolve(pl, ptr, n);
	for (int i = 0; i < n; i++)
		CHECK(s[i].valid & NL_SAMPLE_MEM_NODE);
	return asked - before;
}

static void count_page(int pid, uint64_t page, int node, int method, void *ctx)
{
	(void)pid;
	(void)page;
	(void)node;
	(void)method;
	++*(int *)ctx;
}

static int cached(const struct nl_placement *pl)
{
	int n = 0;

	placement__each_page(pl, count_page, &n);
	return n;
}

static void test_page_cap(void)
{
	struct nl_sys sys = *sys__default();
	struct nl_placement *pl;

	sys.move_pages = fake_move_pages;
	pl = placement__new(&sys, NULL);
	CHECK(pl != NULL);
	if (!pl)
		return;
	placement__limit_pages(pl, 32);
	CHECK_EQ_U64(resolve(pl, 0, 32), 32);
	CHECK_EQ_U64(cached(pl), 32);
	CHECK_EQ_U64(resolve(pl, 0, 32), 0);            /* all cached */
	CHECK_EQ_U64(placement__node_stats(pl)->cache_flushes, 0);
	for (int round = 1; round <= 20; round++) {     /* 640 more distinct pages */
		CHECK_EQ_U64(resolve(pl, round * 32, 32), 32);
		CHECK(cached(pl) <= 32);
	}
	CHECK(placement__node_stats(pl)->cache_flushes >= 20);
	CHECK_EQ_U64(resolve(pl, 20 * 32, 16), 0);      /* the newest still hit */
	placement__free(pl);

	pl = placement__new(&sys, NULL);                /* no cap: every page kept */
	CHECK(pl != NULL);
	if (!pl)
		return;
	for (int round = 0; round < 10; round++)
		resolve(pl, round * 32, 32);
	CHECK_EQ_U64(cached(pl), 320);
	CHECK_EQ_U64(placement__node_stats(pl)->cache_flushes, 0);
	placement__free(pl);
}

static int emitted;

static void on_interval(void *ctx, const struct nl_metrics *m)
{
	(void)ctx;
	(void)m;
	emitted++;
}

static int feed(struct nl_intervals *iv, enum nl_record_kind kind, int pid, int ppid)
{
	struct nl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	if (kind == NL_REC_SAMPLE) {
		r.sample.pid = r.sample.tid = pid;
		r.sample.cpu = -1;
		r.sample.mem_node = -1;
	} else {
		r.task.pid = r.task.tid = pid;
		r.task.ppid = r.task.ptid = ppid;
		r.task.comm = "worker";
	}
	return intervals__record(iv, &r, 0);
}

static void tick_after(struct nl_intervals *iv, long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
	feed(iv, NL_REC_TICK, 0, 0);
}

static void test_gone_processes_leave(void)
{
	struct nl_intervals *iv = intervals__new(NULL, 0.001, 10, 0, on_interval, NULL);
	int pid = 1000;
	size_t most = 0;

	CHECK(iv != NULL);
	if (!iv)
		return;
	/* two processes that stay */
	CHECK_EQ_U64(feed(iv, NL_REC_FORK, 10, 1), 0);
	CHECK_EQ_U64(feed(iv, NL_REC_FORK, 11, 1), 0);
	for (int i = 0; i < 60; i++) {
		/* 50 born and ended within this interval; half retired by the source */
		for (int k = 0; k < 50; k++, pid++) {
			CHECK_EQ_U64(feed(iv, NL_REC_FORK, pid, 10), 0);
			CHECK_EQ_U64(feed(iv, NL_REC_SAMPLE, pid, 0), 0);
			CHECK_EQ_U64(feed(iv, NL_REC_EXIT, pid, 10), 0);
			if (k & 1)
				CHECK_EQ_U64(feed(iv, NL_REC_RETIRE, pid, 0), 0);
		}
		feed(iv, NL_REC_SAMPLE, 10, 0);
		tick_after(iv, 2 * 1000 * 1000);
		if (intervals__nr_tracked(iv) > most)
			most = intervals__nr_tracked(iv);
	}
	CHECK(emitted >= 50);
	/* 3000 came and went: at most the live 2 and ~DROP_AFTER+1 intervals' worth */
	printf("tracked at most %zu processes over %d intervals (3000 came and went)\n", most,
	       emitted);
	CHECK(most <= 2 + 50 * 18);
	CHECK(intervals__nr_tracked(iv) <= 2 + 50 * 18);
	CHECK(intervals__nr_tracked(iv) >= 2);
	intervals__free(iv);
}

int main(void)
{
	test_page_cap();
	test_gone_processes_leave();
	return check_done();
}
