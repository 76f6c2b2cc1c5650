/*
 * test_records.c - records built byte for byte per perf_event_open(2):
 * every sample_type field alone, next to the NUMA fields, and all at once,
 * under every attr size perf ever wrote (64 ... 136); several events told
 * apart by ID and by IDENTIFIER; side-band records with sample_id_all
 * trailers; unknown and user record types; header features.
 */
#include "builder.h"
#include "check.h"
#include "samplers/base/topology.h"
#include "samplers/perfdata.h"

/* Values written into every sample; each field distinct so a shift shows. */
static const struct {
	uint64_t ip, time, addr, id, stream_id, period, weight, data_src, phys;
	uint32_t pid, tid, cpu;
} V = { 0x401000, 123456789, 0x7f0000001000, 0, 0x55, 4000, 321,
	0x1a29081042ull /* LOAD, RAM hit: AMD IBS, perf printed "LVL RAM hit" */,
	0x13d86aa38, 1000, 1001, 3 };

static uint64_t eff(const struct fb *f, uint64_t v, uint32_t needs)
{
	return f->attr_file_size >= needs ? v : 0;
}

/* The sample body in ABI order, with real contents for skipped fields. */
static void put_sample(struct buf *b, const struct fb *f, const struct fb_attr *a)
{
	uint64_t t = a->sample_type, id = a->nr_ids ? a->ids[0] : 0;
	uint64_t regs_user = eff(f, a->regs_user, 88), regs_intr = eff(f, a->regs_intr, 104);

	if (t & S_IDENTIFIER) put64(b, id);
	if (t & S_IP) put64(b, V.ip);
	if (t & S_TID) { put32(b, V.pid); put32(b, V.tid); }
	if (t & S_TIME) put64(b, V.time);
	if (t & S_ADDR) put64(b, V.addr);
	if (t & S_ID) put64(b, id);
	if (t & S_STREAM_ID) put64(b, V.stream_id);
	if (t & S_CPU) { put32(b, V.cpu); put32(b, 0); }
	if (t & S_PERIOD) put64(b, V.period);
	if (t & S_READ) {               /* read_format = GROUP|ID|TOTAL_TIME_ENABLED */
		put64(b, 2); put64(b, 777);
		put64(b, 1); put64(b, 11); put64(b, 2); put64(b, 22);
	}
	if (t & S_CALLCHAIN) { put64(b, 3); put64(b, 1); put64(b, 2); put64(b, 3); }
	if (t & S_RAW) {                /* u32 size + 12 bytes = 16, 8-aligned */
		uint8_t raw[12] = { 1, 2, 3 };
		put32(b, 12); buf_put(b, raw, 12);
	}
	if (t & S_BRANCH_STACK) {       /* HW_INDEX when the attr can say so */
		put64(b, 2);
		if (eff(f, a->branch_sample_type, 80) & (1ull << 17)) put64(b, 9);
		for (int i = 0; i < 6; i++) put64(b, 0xb0 + (uint64_t)i);
	}
	if (t & S_REGS_USER) {
		put64(b, regs_user ? 2 : 0);
		for (int i = 0; i < __builtin_popcountll(regs_user); i++) put64(b, 0xaa);
	}
	if (t & S_STACK_USER) { put64(b, 16); put64(b, 1); put64(b, 2); put64(b, 16); }
	if (t & S_WEIGHT_STRUCT) { put32(b, (uint32_t)V.weight); put16(b, 7); put16(b, 0); }
	else if (t & S_WEIGHT) put64(b, V.weight);
	if (t & S_DATA_SRC) put64(b, V.data_src);
	if (t & S_TRANSACTION) put64(b, 0x1);
	if (t & S_REGS_INTR) {
		put64(b, regs_intr ? 2 : 0);
		for (int i = 0; i < __builtin_popcountll(regs_intr); i++) put64(b, 0xbb);
	}
	if (t & S_PHYS_ADDR) put64(b, V.phys);
	if (t & S_AUX) { put64(b, 8); put64(b, 0xa0a0); }
	if (t & S_CGROUP) put64(b, 42);
	if (t & S_DATA_PAGE_SIZE) put64(b, 4096);
	if (t & S_CODE_PAGE_SIZE) put64(b, 4096);
}

static void add_sample(struct fb *f, const struct fb_attr *a)
{
	struct buf body = { 0 };

	put_sample(&body, f, a);
	fb_raw(f, 9 /* PERF_RECORD_SAMPLE */, 2 /* user */, body.p, body.len);
	free(body.p);
}

static void prepare_attr(struct fb_attr *a, uint64_t id)
{
	a->read_format = 8 | 4 | 1;     /* GROUP | ID | TOTAL_TIME_ENABLED */
	a->branch_sample_type = 1ull << 17;
	a->regs_user = 0x7;             /* three registers */
	a->regs_intr = 0x3;             /* two */
	a->ids[0] = id;
	a->nr_ids = 1;
}

/* Opens the built file, checks every sample against V.  Returns samples seen. */
static int check_samples(struct fb_file *file, uint64_t t, int event, const char *what)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(file->p, file->len, what, &err);
	struct nl_record r;
	int seen = 0;

	CHECK(src != NULL);
	if (!src) {
		fprintf(stderr, "  %s: %s\n", what, err.cause);
		return 0;
	}
	while (nl_source__next(src, &r) > 0) {
		const struct nl_sample *s = &r.sample;

		if (r.kind != NL_REC_SAMPLE || (int)s->event != event)
			continue;
		seen++;
		if (t & S_IP) CHECK_EQ_U64(s->ip, V.ip);
		if (t & S_TID) { CHECK_EQ_U64(s->pid, V.pid); CHECK_EQ_U64(s->tid, V.tid); }
		else CHECK(s->pid == -1 && !(s->valid & NL_SAMPLE_TID));
		if (t & S_TIME) CHECK_EQ_U64(s->time, V.time);
		if (t & S_ADDR) CHECK_EQ_U64(s->addr, V.addr);
		if (t & S_CPU) CHECK_EQ_U64(s->cpu, V.cpu);
		else CHECK(s->cpu == -1);
		if (t & S_PERIOD) CHECK_EQ_U64(s->period, V.period);
		if (t & (S_WEIGHT | S_WEIGHT_STRUCT)) CHECK_EQ_U64(s->weight, V.weight);
		if (t & S_WEIGHT_STRUCT) CHECK_EQ_U64(s->weight_var2, 7);
		if (t & S_DATA_SRC) CHECK_EQ_U64(s->data_src, V.data_src);
		if (t & S_PHYS_ADDR) CHECK_EQ_U64(s->phys_addr, V.phys);
		if (t & S_CALLCHAIN) CHECK(s->nr_callchain == 3 && s->callchain[2] == 3);
		CHECK_EQ_U64(!!(s->valid & NL_SAMPLE_DATA_SRC), !!(t & S_DATA_SRC));
		CHECK_EQ_U64(!!(s->valid & NL_SAMPLE_PHYS_ADDR), !!(t & S_PHYS_ADDR));
	}
	CHECK_EQ_U64(src->stats.bad_records, 0);
	CHECK_EQ_U64(src->stats.stopped_at, 0);
	nl_source__close(src);
	return seen;
}

static void one_layout(uint32_t attr_size, uint64_t t, const char *what)
{
	struct fb f;
	struct fb_attr *a;
	struct fb_file file;

	fb_begin(&f, attr_size);
	a = fb_attr(&f, t);
	prepare_attr(a, 77);
	add_sample(&f, a);
	add_sample(&f, a);
	file = fb_end(&f);
	if (check_samples(&file, t, 0, what) != 2)
		fprintf(stderr, "  layout %s, attr size %u, sample_type 0x%llx\n", what,
			attr_size, (unsigned long long)t);
	free(file.p);
}

static void test_every_field(void)
{
	static const uint32_t sizes[] = { 64, 72, 80, 96, 104, 112, 120, 128, 136 };
	const uint64_t numa = S_IP | S_TID | S_ADDR | S_CPU | S_DATA_SRC | S_PHYS_ADDR;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int bit = 0; bit < S_ALL_BITS; bit++) {
			one_layout(sizes[i], 1ull << bit, "alone");
			one_layout(sizes[i], (1ull << bit) | numa, "with NUMA fields");
		}
		one_layout(sizes[i], ((1ull << S_ALL_BITS) - 1) & ~(uint64_t)S_WEIGHT, "all, WEIGHT_STRUCT");
		one_layout(sizes[i], ((1ull << S_ALL_BITS) - 1) & ~(uint64_t)S_WEIGHT_STRUCT, "all, WEIGHT");
	}
}

/* Two events, told apart by ID (same layout) or IDENTIFIER (own layouts). */
static void test_multiple_events(void)
{
	const uint64_t base = S_IP | S_TID | S_TIME | S_ADDR | S_CPU | S_DATA_SRC;
	const uint64_t ident = S_IDENTIFIER | S_TID | S_CPU;
	struct fb f;
	struct fb_attr *a, *b;
	struct fb_file file;

	fb_begin(&f, 128);
	a = fb_attr(&f, base | S_ID);
	prepare_attr(a, 100);
	b = fb_attr(&f, base | S_ID);
	prepare_attr(b, 200);
	add_sample(&f, a);
	add_sample(&f, b);
	add_sample(&f, b);
	file = fb_end(&f);
	CHECK_EQ_U64(check_samples(&file, base, 0, "ID event 0"), 1);
	CHECK_EQ_U64(check_samples(&file, base, 1, "ID event 1"), 2);
	free(file.p);

	fb_begin(&f, 136);
	a = fb_attr(&f, ident | S_PERIOD);
	prepare_attr(a, 300);
	b = fb_attr(&f, ident | S_ADDR | S_DATA_SRC | S_PHYS_ADDR | S_WEIGHT_STRUCT);
	prepare_attr(b, 400);
	add_sample(&f, b);
	add_sample(&f, a);
	add_sample(&f, b);
	file = fb_end(&f);
	CHECK_EQ_U64(check_samples(&file, ident | S_PERIOD, 0, "IDENTIFIER event 0"), 1);
	CHECK_EQ_U64(check_samples(&file, b->sample_type, 1, "IDENTIFIER event 1"), 2);
	free(file.p);
}

/* sample_id_all trailer for side-band records: TID, TIME, CPU. */
static void put_trailer(struct buf *b)
{
	put32(b, V.pid); put32(b, V.tid); put64(b, V.time); put32(b, V.cpu); put32(b, 0);
}

static void test_sideband(void)
{
	struct fb f;
	struct fb_attr *a;
	struct fb_file file;
	struct buf b = { 0 };
	struct nl_error err;
	struct nl_source *src;
	struct nl_record r;
	int kinds[16] = { 0 };
	unsigned lost_sources = 0;
	char comm[16] = "worker";

	fb_begin(&f, 112);
	a = fb_attr(&f, S_IP | S_TID | S_TIME | S_CPU);
	prepare_attr(a, 5);
	/* FORK: pid ppid tid ptid time */
	put32(&b, 1001); put32(&b, 1000); put32(&b, 1001); put32(&b, 1000); put64(&b, 5);
	put_trailer(&b);
	fb_raw(&f, 7, 0, b.p, b.len);
	b.len = 0;
	/* COMM with exec flag */
	put32(&b, 1001); put32(&b, 1001); buf_put(&b, comm, sizeof(comm));
	put_trailer(&b);
	fb_raw(&f, 3, 1 << 13, b.p, b.len);
	b.len = 0;
	/* MMAP2 */
	put32(&b, 1001); put32(&b, 1001); put64(&b, 0x400000); put64(&b, 0x1000); put64(&b, 0);
	put32(&b, 8); put32(&b, 1); put64(&b, 99); put64(&b, 0); put32(&b, 5); put32(&b, 2);
	buf_put(&b, "/bin/true\0\0\0\0\0\0", 16);
	put_trailer(&b);
	fb_raw(&f, 10, 0, b.p, b.len);
	b.len = 0;
	/* LOST id lost; THROTTLE time id stream; UNTHROTTLE */
	put64(&b, 5); put64(&b, 17); put_trailer(&b);
	fb_raw(&f, 2, 0, b.p, b.len);
	b.len = 0;
	/* LOST_SAMPLES lost: perf record's end count of the same 17 (not 34),
	   and 4 dropped by its BPF filter (misc MISC_LOST_SAMPLES_BPF) */
	put64(&b, 17); put_trailer(&b);
	fb_raw(&f, 13, 0, b.p, b.len);
	b.len = 0;
	put64(&b, 4); put_trailer(&b);
	fb_raw(&f, 13, 1 << 15, b.p, b.len);
	b.len = 0;
	put64(&b, 1); put64(&b, 5); put64(&b, 0); put_trailer(&b);
	fb_raw(&f, 5, 0, b.p, b.len);
	fb_raw(&f, 6, 0, b.p, b.len);
	b.len = 0;
	/* unknown kernel type 50 and FINISHED_ROUND: skipped by size */
	put64(&b, 0xdead);
	fb_raw(&f, 50, 0, b.p, b.len);
	fb_raw(&f, 68, 0, NULL, 0);
	/* AUXTRACE: its payload (16 bytes) follows header.size */
	b.len = 0;
	put64(&b, 16); put64(&b, 0); put64(&b, 0); put32(&b, 0); put32(&b, 0); put32(&b, 0); put32(&b, 0);
	fb_raw(&f, 71, 0, b.p, b.len);
	buf_put(&f.data, "0123456789abcdef", 16);
	add_sample(&f, a);
	free(b.p);
	file = fb_end(&f);

	src = perfdata__open_buffer(file.p, file.len, "sideband", &err);
	CHECK(src != NULL);
	while (src && nl_source__next(src, &r) > 0) {
		kinds[r.kind]++;
		if (r.kind == NL_REC_COMM)
			CHECK(r.task.exec && !strcmp(r.task.comm, "worker"));
		if (r.kind == NL_REC_FORK)
			CHECK(r.task.pid == 1001 && r.task.ppid == 1000);
		if (r.kind == NL_REC_MMAP)
			CHECK(r.mmap.start == 0x400000 && !strcmp(r.mmap.filename, "/bin/true") &&
			      r.mmap.prot == 5);
		if (r.kind == NL_REC_LOST)
			CHECK_EQ_U64(r.loss.count, r.loss.source == NL_LOSS_FILTERED ? 4 : 17);
		if (r.kind == NL_REC_LOST)
			lost_sources |= 1u << r.loss.source;
	}
	CHECK_EQ_U64(kinds[NL_REC_FORK], 1);
	CHECK_EQ_U64(kinds[NL_REC_COMM], 1);
	CHECK_EQ_U64(kinds[NL_REC_MMAP], 1);
	CHECK_EQ_U64(kinds[NL_REC_LOST], 3);
	CHECK_EQ_U64(lost_sources, (1u << NL_LOSS_RING) | (1u << NL_LOSS_COUNTED) |
				   (1u << NL_LOSS_FILTERED));
	CHECK_EQ_U64(kinds[NL_REC_THROTTLE], 1);
	CHECK_EQ_U64(kinds[NL_REC_UNTHROTTLE], 1);
	CHECK_EQ_U64(kinds[NL_REC_SAMPLE], 1);   /* found after the AUXTRACE payload */
	if (src) {
		CHECK_EQ_U64(src->stats.lost_samples, 17);      /* one loss, two records */
		CHECK_EQ_U64(src->stats.lost_records, 1);
		CHECK_EQ_U64(src->stats.lost_filtered, 4);
		CHECK_EQ_U64(src->stats.unknown_records, 1);
		CHECK_EQ_U64(src->stats.bad_records, 0);
		CHECK_EQ_U64(src->stats.stopped_at, 0);
	}
	nl_source__close(src);
	free(file.p);
}

/* NUMA_TOPOLOGY + MEM_TOPOLOGY + HOSTNAME: phys_addr -> memory block -> node. */
static void test_features(void)
{
	struct fb f;
	struct fb_attr *a;
	struct fb_file file;
	struct buf *feat;
	struct nl_error err;
	struct nl_source *src;

	fb_begin(&f, 136);
	a = fb_attr(&f, S_IP | S_TID | S_PHYS_ADDR | S_CPU);
	prepare_attr(a, 1);
	add_sample(&f, a);
	feat = fb_feature(&f, 3);                       /* HOSTNAME */
	put_hstring(feat, "twosocket");
	feat = fb_feature(&f, 14);                      /* NUMA_TOPOLOGY */
	put32(feat, 2);
	put32(feat, 0); put64(feat, 1000); put64(feat, 500); put_hstring(feat, "0-3");
	put32(feat, 1); put64(feat, 2000); put64(feat, 900); put_hstring(feat, "4-7");
	feat = fb_feature(&f, 22);                      /* MEM_TOPOLOGY */
	put64(feat, 1); put64(feat, 0x80000000ull); put64(feat, 2);
	put64(feat, 0); put64(feat, 2); put64(feat, 0x3);   /* node 0: blocks 0,1 */
	put64(feat, 1); put64(feat, 4); put64(feat, 0xc);   /* node 1: blocks 2,3 */
	file = fb_end(&f);
	src = perfdata__open_buffer(file.p, file.len, "features", &err);
	CHECK(src != NULL);
	if (src) {
		const struct nl_topology *t = src->info.topology;

		CHECK_EQ_STR(src->info.hostname, "twosocket");
		CHECK(t && t->nr_nodes == 2);
		if (t) {
			CHECK_EQ_U64(topology__node_of_cpu(t, 5), 1);
			CHECK_EQ_U64(topology__node_of_phys(t, 0x13d86aa38ull), 1); /* block 2 */
			CHECK_EQ_U64(topology__node_of_phys(t, 0x1000), 0);
			CHECK(topology__node_of_phys(t, 0x400000000ull) == -1);
		}
	}
	nl_source__close(src);
	free(file.p);
}

/*
 * Pipe format (perf record -o -): header of 16 bytes, then HEADER_ATTR and
 * HEADER_FEATURE records ahead of the samples.  The topology must be known
 * right after open, before the first next(), as for the file format.
 */
static void test_pipe_format(void)
{
	struct fb f;
	struct fb_attr *a;
	struct buf file = { 0 }, rec = { 0 }, body = { 0 };
	struct nl_error err;
	struct nl_source *src;
	struct nl_record r;
	int samples = 0;

	fb_begin(&f, 128);
	a = fb_attr(&f, S_IP | S_TID | S_ADDR | S_CPU);
	prepare_attr(a, 9);
	put64(&file, 0x32454c4946524550ULL);
	put64(&file, 16);
	fb_put_attr(&f, &rec, a);                       /* HEADER_ATTR: attr + ids */
	put64(&rec, 9);
	put32(&file, 64); put16(&file, 0); put16(&file, (uint16_t)(8 + rec.len));
	buf_put(&file, rec.p, rec.len);
	rec.len = 0;
	put64(&rec, 14);                                /* HEADER_FEATURE NUMA_TOPOLOGY */
	put32(&rec, 2);
	put32(&rec, 0); put64(&rec, 1000); put64(&rec, 500); put_hstring(&rec, "0-1");
	put32(&rec, 1); put64(&rec, 2000); put64(&rec, 900); put_hstring(&rec, "2-3");
	put32(&file, 80); put16(&file, 0); put16(&file, (uint16_t)(8 + rec.len));
	buf_put(&file, rec.p, rec.len);
	for (int i = 0; i < 3; i++) {
		body.len = 0;
		put_sample(&body, &f, a);
		put32(&file, 9); put16(&file, 2); put16(&file, (uint16_t)(8 + body.len));
		buf_put(&file, body.p, body.len);
	}
	src = perfdata__open_buffer(file.p, file.len, "pipe", &err);
	CHECK(src != NULL);
	if (src) {
		CHECK(src->info.topology && src->info.topology->nr_nodes == 2);
		CHECK_EQ_U64(src->info.nr_events, 1);
		if (src->info.topology)
			CHECK_EQ_U64(topology__node_of_cpu(src->info.topology, 3), 1);
		while (nl_source__next(src, &r) > 0)
			if (r.kind == NL_REC_SAMPLE) {
				samples++;
				CHECK_EQ_U64(r.sample.addr, V.addr);
			}
		CHECK_EQ_U64(samples, 3);
		CHECK_EQ_U64(src->stats.bad_records, 0);
		CHECK_EQ_U64(src->stats.stopped_at, 0);
	}
	nl_source__close(src);
	free(file.p);
	free(rec.p);
	free(body.p);
	free(f.data.p);
}

int main(void)
{
	test_every_field();
	test_multiple_events();
	test_sideband();
	test_features();
	test_pipe_format();
	return check_done();
}
