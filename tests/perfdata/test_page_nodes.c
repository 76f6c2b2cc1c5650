/*
 * test_page_nodes.c - NL_FEAT_PAGE_NODES (node of each sampled data page),
 * read from recordings built byte for byte (builder.h) and from one written
 * by samplers/perfdata_writer.c.
 *
 * - a 64 KiB-page recording (version 2, page_size 65536): every address
 *   inside a recorded page gets its node, not only the first 4 KiB;
 * - a version 1 recording (no page size field): 4 KiB pages, as before;
 * - (pid, page) keys that `pid << 40 ^ page` folded together stay apart;
 * - a page size that is not a power of two is refused, never guessed;
 * - the writer's version 2 round-trips through the reader.
 */
#include <stdio.h>
#include <unistd.h>

#include "builder.h"
#include "check.h"
#include "samplers/perf_abi.h"
#include "samplers/perfdata.h"
#include "samplers/perfdata_writer.h"

#define SAMPLE_TYPE (S_IP | S_TID | S_ADDR)

struct probe {
	uint32_t pid;
	uint64_t addr;
	int want_node;          /* -1: no node */
};

static void put_entry(struct buf *b, uint32_t pid, int method, uint64_t page, int node)
{
	uint8_t m[4] = { (uint8_t)method, 0, 0, 0 };

	put32(b, pid);
	buf_put(b, m, 4);
	put64(b, page);
	put32(b, (uint32_t)node);
	put32(b, 0);
}

static void put_samples(struct fb *f, const struct probe *p, int n)
{
	for (int i = 0; i < n; i++) {
		struct buf body = { 0 };

		put64(&body, 0x401000);
		put32(&body, p[i].pid);
		put32(&body, p[i].pid);
		put64(&body, p[i].addr);
		fb_raw(f, 9 /* PERF_RECORD_SAMPLE */, 2, body.p, body.len);
		free(body.p);
	}
}

/* Reads the recording and checks each probe's node, in order. */
static void expect_nodes(const void *file, size_t len, const char *what,
			 const struct probe *p, int n)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(file, len, what, &err);
	struct nl_record r;
	int i = 0;

	CHECK(src != NULL);
	if (!src)
		return;
	while (nl_source__next(src, &r) > 0) {
		if (r.kind != NL_REC_SAMPLE)
			continue;
		if (i >= n) {
			CHECK(!"more samples than built");
			break;
		}
		if (p[i].want_node < 0) {
			if (r.sample.valid & NL_SAMPLE_MEM_NODE)
				fprintf(stderr, "%s: sample %d got node %d\n", what, i,
					r.sample.mem_node);
			CHECK(!(r.sample.valid & NL_SAMPLE_MEM_NODE));
		} else {
			if (!(r.sample.valid & NL_SAMPLE_MEM_NODE))
				fprintf(stderr, "%s: sample %d has no node\n", what, i);
			CHECK(r.sample.valid & NL_SAMPLE_MEM_NODE);
			CHECK_EQ_U64(r.sample.mem_node, p[i].want_node);
			CHECK_EQ_U64(r.sample.mem_node_method, NL_NODE_MOVE_PAGES);
		}
		i++;
	}
	CHECK_EQ_U64(i, n);
	nl_source__close(src);
}

static struct fb_file build(const struct probe *p, int n, uint32_t version,
			    uint64_t page_size, const uint64_t (*entries)[3], int nr)
{
	struct fb f;
	struct fb_attr *a;
	struct buf *feat;

	fb_begin(&f, 128);
	a = fb_attr(&f, SAMPLE_TYPE);
	a->flags = 0;           /* one event, no sample_id trailers */
	put_samples(&f, p, n);
	feat = fb_feature(&f, NL_FEAT_PAGE_NODES);
	put32(feat, version);
	put32(feat, (uint32_t)nr);
	if (version >= 2)
		put64(feat, page_size);
	for (int i = 0; i < nr; i++)
		put_entry(feat, (uint32_t)entries[i][0], NL_NODE_MOVE_PAGES,
			  entries[i][1], (int)entries[i][2]);
	return fb_end(&f);
}

static void test_64k_pages(void)
{
	static const uint64_t entries[][3] = {
		{ 1000, 0x7f0000010000ull, 1 },
		{ 1000, 0x7f0000030000ull, 0 },
	};
	static const struct probe p[] = {
		{ 1000, 0x7f0000010000ull, 1 },
		{ 1000, 0x7f0000011000ull, 1 },         /* second 4 KiB */
		{ 1000, 0x7f0000019abcull, 1 },
		{ 1000, 0x7f000001ffffull, 1 },         /* last byte */
		{ 1000, 0x7f0000020000ull, -1 },        /* next page: unknown */
		{ 1000, 0x7f000003c000ull, 0 },
		{ 1001, 0x7f0000019abcull, -1 },        /* other process */
	};
	struct fb_file file = build(p, 7, 2, 65536, entries, 2);

	expect_nodes(file.p, file.len, "64k", p, 7);
	free(file.p);
}

static void test_version1_4k_pages(void)
{
	static const uint64_t entries[][3] = { { 1000, 0x7f0000010000ull, 1 } };
	static const struct probe p[] = {
		{ 1000, 0x7f0000010000ull, 1 },
		{ 1000, 0x7f0000010fffull, 1 },
		{ 1000, 0x7f0000011000ull, -1 },        /* 4 KiB pages */
	};
	struct fb_file file = build(p, 3, 1, 0, entries, 1);

	expect_nodes(file.p, file.len, "v1", p, 3);
	free(file.p);
}

/* (1000, A) and (1001, A ^ 2^52) had one key under pid << 40 ^ addr >> 12. */
static void test_keys_apart(void)
{
	static const uint64_t entries[][3] = {
		{ 1000, 0x1000ull, 0 },
		{ 1001, 0x1000ull | 1ull << 52, 1 },
	};
	static const struct probe p[] = {
		{ 1000, 0x1000ull, 0 },
		{ 1001, 0x1000ull | 1ull << 52, 1 },
		{ 1001, 0x1000ull, -1 },
	};
	struct fb_file file = build(p, 3, 2, 4096, entries, 2);

	expect_nodes(file.p, file.len, "apart", p, 3);
	free(file.p);
}

static void test_bad_page_size(void)
{
	static const uint64_t entries[][3] = { { 1000, 0x7f0000010000ull, 1 } };
	static const struct probe p[] = { { 1000, 0x7f0000010000ull, -1 } };
	struct fb_file file = build(p, 1, 2, 3 * 4096, entries, 1);

	expect_nodes(file.p, file.len, "bad size", p, 1);
	free(file.p);
}

/* The writer's page size reaches the reader. */
static void test_writer_round_trip(void)
{
	char path[] = "/tmp/nl-pages-XXXXXX";
	uint8_t attr[128] = { 0 };
	uint64_t type = SAMPLE_TYPE, id = 7;
	uint32_t size = sizeof(attr);
	struct nl_pdw_event ev = { attr, sizeof(attr), "page-faults", &id, 1 };
	struct nl_source_info info = { 0 };
	struct perfdata_writer *w;
	struct nl_error err;
	struct nl_source *src;
	struct nl_record r;
	int fd = mkstemp(path), resolved = 0, samples = 0;
	uint64_t addrs[] = { 0x7f0000010000ull, 0x7f000001c000ull, 0x7f0000020000ull };

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	attr[0] = 1;                                    /* PERF_TYPE_SOFTWARE */
	memcpy(attr + 4, &size, 4);
	memcpy(attr + 24, &type, 8);
	CHECK(perfdata_writer__open(path, &ev, 1, &w) == 0);
	for (int i = 0; i < 3; i++) {
		struct buf rec = { 0 };

		put32(&rec, 9); put16(&rec, 2); put16(&rec, 8 + 24);
		put64(&rec, 0x401000); put32(&rec, 1000); put32(&rec, 1000);
		put64(&rec, addrs[i]);
		perfdata_writer__raw(w, rec.p, rec.len);
		free(rec.p);
	}
	perfdata_writer__page_size(w, 65536);
	perfdata_writer__page_node(w, 1000, 0x7f0000010000ull, 1, NL_NODE_MOVE_PAGES);
	CHECK(perfdata_writer__close(w, &info, NULL) == 0);
	src = perfdata__open(path, &err);
	CHECK(src != NULL);
	while (src && nl_source__next(src, &r) > 0) {
		if (r.kind != NL_REC_SAMPLE)
			continue;
		samples++;
		if (r.sample.valid & NL_SAMPLE_MEM_NODE) {
			CHECK_EQ_U64(r.sample.mem_node, 1);
			resolved++;
		}
	}
	CHECK_EQ_U64(samples, 3);
	CHECK_EQ_U64(resolved, 2);      /* 0x...10000 and 0x...1c000, not 0x...20000 */
	nl_source__close(src);
	unlink(path);
}

int main(void)
{
	test_64k_pages();
	test_version1_4k_pages();
	test_keys_apart();
	test_bad_page_size();
	test_writer_round_trip();
	return check_done();
}
