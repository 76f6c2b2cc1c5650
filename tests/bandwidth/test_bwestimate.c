/*
 * test_bwestimate.c - bandwidth estimated from sampled DRAM accesses
 * (profiler/bwestimate.h), through a byte-built perf.data and the binary's
 * own drain and report input (tests/report_run.h):
 *   1. a raw PMU event with data_src: local DRAM loads count on the CPU's
 *      node, remote ones on their physical address's node (MEM_TOPOLOGY),
 *      stores as writes, cache hits not at all; bytes = period x 64 over
 *      the samples' time span; the JSON says estimate and the text too;
 *   2. software events only (no data_src): no estimate, bandwidth null.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "perfdata/builder.h"
#include "report_run.h"

#include "report/report.h"

enum { LOAD = 0x02, STORE = 0x04, HIT = 0x02, L1 = 0x08, LOC_RAM = 0x80, REM_RAM1 = 0x100 };
#define DSRC(op, lvl) ((uint64_t)(op) | (uint64_t)((lvl) | HIT) << 5)
#define NODE1_PHYS 0x100001000ull       /* memory block 2: node 1 */

/* IP | TID | TIME | ADDR | CPU | PERIOD | DATA_SRC | PHYS_ADDR, in that order. */
static void sample(struct fb *f, uint64_t time, int cpu, uint64_t period, uint64_t dsrc,
		   uint64_t phys)
{
	struct buf b = { 0 };

	put64(&b, 0x401000);
	put32(&b, 100); put32(&b, 100);
	put64(&b, time);
	put64(&b, 0x7f0000001000);
	put32(&b, (uint32_t)cpu); put32(&b, 0);
	put64(&b, period);
	put64(&b, dsrc);
	put64(&b, phys);
	fb_raw(f, 9 /* PERF_RECORD_SAMPLE */, 2 /* USER */, b.p, b.len);
	free(b.p);
}

static void features(struct fb *f)
{
	struct buf *feat = fb_feature(f, 14);           /* NUMA_TOPOLOGY */

	put32(feat, 2);
	put32(feat, 0); put64(feat, 1000); put64(feat, 500); put_hstring(feat, "0-3");
	put32(feat, 1); put64(feat, 2000); put64(feat, 900); put_hstring(feat, "4-7");
	feat = fb_feature(f, 22);                       /* MEM_TOPOLOGY */
	put64(feat, 1); put64(feat, 0x80000000ull); put64(feat, 2);
	put64(feat, 0); put64(feat, 2); put64(feat, 0x3);   /* node 0: blocks 0,1 */
	put64(feat, 1); put64(feat, 4); put64(feat, 0xc);   /* node 1: blocks 2,3 */
}

static cJSON *report(struct fb_file *file, const char *what, char **text)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(file->p, file->len, what, &err);
	struct nl_report_options opts;
	struct nl_report_input in;
	struct nl_report_model m;
	struct nl_analysis an;
	cJSON *json = NULL;
	size_t len = 0;
	FILE *out;

	CHECK(src != NULL);
	if (!src)
		return NULL;
	if (!analysis__run(src, NULL, &an)) {
		pipeline__default_options(&opts);
		pipeline__input(src, &an, &opts, &in);
		if (!report_model__build(&m, &in)) {
			json = report_json__build(&m);
			out = open_memstream(text, &len);
			report_text__write(out, &m, 10);
			fclose(out);
			report_model__free(&m);
		}
		analysis__free(&an);
	}
	nl_source__close(src);
	return json;
}

static double node_num(const cJSON *bw, int node, const char *key)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(bw, "nodes"))
		if (cJSON_GetObjectItem(x, "node")->valueint == node)
			return cJSON_GetObjectItem(x, key)->valuedouble;
	return NAN;
}

static void test_estimate(void)
{
	const uint64_t t0 = 1000000000ull, span = 2000000000ull; /* 2 s */
	struct fb f;
	struct fb_attr *a;
	struct fb_file file;
	char *text = NULL;
	cJSON *json, *bw;
	int i = 0, total = 100 + 50 + 10 + 20;

	fb_begin(&f, 136);
	a = fb_attr(&f, S_IP | S_TID | S_TIME | S_ADDR | S_CPU | S_PERIOD | S_DATA_SRC |
			S_PHYS_ADDR);
	a->type = 4;            /* PERF_TYPE_RAW: a PMU memory event */
	a->config = 0x1cd;
	a->period = 1000;
	/* times spread evenly from t0 to t0 + span over every sample */
#define T() (t0 + span * (uint64_t)i++ / (uint64_t)(total - 1))
	for (int k = 0; k < 100; k++)   /* local DRAM loads on node 0: 100 x 1000 lines */
		sample(&f, T(), 1, 1000, DSRC(LOAD, LOC_RAM), 0x1000);
	for (int k = 0; k < 50; k++)    /* remote DRAM loads from node 0 of node 1's memory */
		sample(&f, T(), 2, 2000, DSRC(LOAD, REM_RAM1), NODE1_PHYS);
	for (int k = 0; k < 10; k++)    /* local DRAM stores on node 1: 10 x 500 lines */
		sample(&f, T(), 5, 500, DSRC(STORE, LOC_RAM), 0);
	for (int k = 0; k < 20; k++)    /* L1 hits: no DRAM traffic */
		sample(&f, T(), 1, 1000, DSRC(LOAD, L1), 0x1000);
#undef T
	features(&f);
	file = fb_end(&f);
	json = report(&file, "estimate", &text);
	bw = cJSON_GetObjectItem(json, "bandwidth");
	CHECK(cJSON_IsObject(bw));
	if (cJSON_IsObject(bw)) {
		double s = cJSON_GetObjectItem(bw, "seconds")->valuedouble;

		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(bw, "measured")));
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(bw, "estimate")));
		CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(bw, "source")), "estimate"));
		CHECK_EQ_U64(cJSON_GetObjectItem(bw, "estimate_samples")->valuedouble, 160);
		/* the L1 hits were the last samples: the DRAM ones span 159/179 of 2 s */
		CHECK(fabs(s - 2.0 * 159 / 179) < 1e-6);
		CHECK(fabs(node_num(bw, 0, "read_bytes_per_s") - 100 * 1000 * 64 / s) < 1);
		CHECK(fabs(node_num(bw, 1, "read_bytes_per_s") - 50 * 2000 * 64 / s) < 1);
		CHECK(fabs(node_num(bw, 1, "write_bytes_per_s") - 10 * 500 * 64 / s) < 1);
		CHECK(node_num(bw, 0, "write_bytes_per_s") == 0);
	}
	CHECK(text && strstr(text, "Memory bandwidth per node (estimate: 160 sampled DRAM "
				   "accesses x period x 64 B"));
	free(text);
	cJSON_Delete(json);
	free(file.p);
}

static void test_software_only(void)
{
	struct fb f;
	struct fb_file file;
	char *text = NULL;
	cJSON *json;

	fb_begin(&f, 136);
	fb_attr(&f, S_IP | S_TID | S_TIME | S_ADDR | S_CPU | S_PERIOD | S_DATA_SRC |
		    S_PHYS_ADDR);       /* page-faults: data_src 0, no memory level */
	for (int k = 0; k < 20; k++)
		sample(&f, 1000000000ull + (uint64_t)k * 100000000ull, 1, 1, 0, 0x1000);
	features(&f);
	file = fb_end(&f);
	json = report(&file, "software", &text);
	CHECK(json && cJSON_IsNull(cJSON_GetObjectItem(json, "bandwidth")));
	CHECK(text && !strstr(text, "Memory bandwidth"));
	free(text);
	cJSON_Delete(json);
	free(file.p);
}

int main(void)
{
	test_estimate();
	test_software_only();
	return check_done();
}
