/*
 * fuzz_seeds.c - byte-built seed inputs for every harness, written by
 * tests/perfdata/builder.h (the suite's independent perf.data writer), so
 * the corpora start from valid structure without copying anyone's files.
 *
 *   fuzz_seeds OUTDIR     writes OUTDIR/<harness>/<name> for each harness
 *
 * The real recordings and sysfs trees of ../shared/fixtures are added by
 * tests/fuzz/seeds.py at run time (never committed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "perfdata/builder.h"
#include "report_run.h"
#include "samplers/pyrecord.h"

static const char *outdir;

static void save(const char *harness, const char *name, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

#define ST (S_IP | S_TID | S_TIME | S_ADDR | S_ID | S_CPU | S_PERIOD | S_CALLCHAIN | \
	    S_WEIGHT | S_DATA_SRC | S_PHYS_ADDR)

/* A sample at time 1000 + addr % 977, or at time when that is not 0. */
static void put_sample(struct fb *f, uint64_t id, uint32_t cpu, uint64_t addr, uint64_t time)
{
	struct buf b = { 0 };

	put64(&b, 0x401000);                            /* ip */
	put32(&b, 100); put32(&b, 101);                 /* pid, tid */
	put64(&b, time ? time : 1000 + addr % 977);     /* time */
	put64(&b, addr);
	put64(&b, id);
	put32(&b, cpu); put32(&b, 0);
	put64(&b, 1);                                   /* period */
	put64(&b, 2); put64(&b, 0x401000); put64(&b, 0x402000);
	put64(&b, 250);                                 /* weight */
	put64(&b, 0x68100142ull);                       /* data_src: remote RAM */
	put64(&b, addr & 0xffffffff);                   /* phys */
	fb_raw(f, 9, 2, b.p, b.len);
	free(b.p);
}

static void put_task(struct fb *f, uint32_t type, const char *comm)
{
	struct buf b = { 0 };

	put32(&b, 100); put32(&b, 101);
	if (comm) {
		buf_put(&b, comm, strlen(comm) + 1);
		put_pad8(&b);
	} else {                                        /* FORK/EXIT */
		put32(&b, 1); put32(&b, 1); put64(&b, 5);
	}
	fb_raw(f, type, 0, b.p, b.len);
	free(b.p);
}

static void put_mmap2(struct fb *f)
{
	struct buf b = { 0 };

	put32(&b, 100); put32(&b, 101);
	put64(&b, 0x7f0000000000); put64(&b, 0x100000); put64(&b, 0);
	put32(&b, 8); put32(&b, 1); put64(&b, 77); put64(&b, 0);
	put32(&b, 3); put32(&b, 1);
	buf_put(&b, "/memfd:dataset (deleted)", 25);
	put_pad8(&b);
	fb_raw(f, 10, 2, b.p, b.len);
	free(b.p);
}

/* NUMA_TOPOLOGY, CPU_TOPOLOGY, NRCPUS, HOSTNAME and (optionally) MEM_TOPOLOGY. */
static void put_features(struct fb *f, uint64_t mem_bits)
{
	struct buf *b;

	put_hstring(fb_feature(f, 3), "seedhost");
	b = fb_feature(f, 7);
	put32(b, 4); put32(b, 4);
	b = fb_feature(f, 13);                          /* CPU_TOPOLOGY */
	put32(b, 2); put_hstring(b, "0-1"); put_hstring(b, "2-3");
	put32(b, 2); put_hstring(b, "0-1"); put_hstring(b, "2-3");
	for (uint32_t c = 0; c < 4; c++) { put32(b, c / 2); put32(b, c / 2); }
	b = fb_feature(f, 14);                          /* NUMA_TOPOLOGY */
	put32(b, 2);
	put32(b, 0); put64(b, 1000); put64(b, 500); put_hstring(b, "0-1");
	put32(b, 1); put64(b, 2000); put64(b, 900); put_hstring(b, "2-3");
	b = fb_feature(f, 22);                          /* MEM_TOPOLOGY */
	put64(b, 1); put64(b, 1 << 27); put64(b, 2);
	put64(b, 0); put64(b, 64); put64(b, 0xff);
	put64(b, 1); put64(b, mem_bits); put64(b, 0xff00);
}

/*
 * perf record -z: the data so far becomes COMPRESSED records, one zstd frame
 * cut in two (the second record continues the first's frame), and the
 * COMPRESSED feature says zstd.
 */
static void compress_data(struct fb *f)
{
	size_t cap = ZSTD_compressBound(f->data.len), n;
	uint8_t *z = malloc(cap);
	struct buf *feat;

	n = ZSTD_compress(z, cap, f->data.p, f->data.len, 3);
	if (ZSTD_isError(n) || n > 60000) {
		fprintf(stderr, "fuzz_seeds: zstd: %s\n", ZSTD_getErrorName(n));
		exit(1);
	}
	f->data.len = 0;
	fb_raw(f, 81, 0, z, n / 2);
	fb_raw(f, 81, 0, z + n / 2, n - n / 2);
	free(z);
	feat = fb_feature(f, 27);
	put32(feat, 0); put32(feat, 1); put32(feat, 3); put32(feat, 4); put32(feat, 65536);
}

/* last_time: the last sample's time, 0 for the usual one. */
static struct fb_file built_file(uint64_t mem_bits, bool compressed, uint64_t last_time)
{
	struct fb f;
	struct fb_attr *a;

	fb_begin(&f, 128);
	a = fb_attr(&f, ST);
	a->ids[0] = 7;
	a->nr_ids = 1;
	put_task(&f, 3, "seed");                        /* COMM */
	put_task(&f, 7, NULL);                          /* FORK */
	put_mmap2(&f);
	for (int i = 0; i < 6; i++)
		put_sample(&f, 7, (uint32_t)i % 4, 0x7f0000000000 + (uint64_t)i * 4096,
			   i == 5 ? last_time : 0);
	{
		uint64_t lost[3] = { 7, 3, 0 };         /* LOST: id, count */

		fb_raw(&f, 2, 0, lost, 16);
	}
	put_task(&f, 4, NULL);                          /* EXIT */
	if (compressed)
		compress_data(&f);
	put_features(&f, mem_bits);
	return fb_end(&f);
}

/* The pipe form of the same: HEADER_ATTR, HEADER_FEATURE records, then data. */
static void pipe_of(const struct fb_file *file, struct buf *out)
{
	uint64_t attr_off, attr_size, data_off, data_size, feats[4];
	const uint8_t *p = file->p;
	struct buf rec = { 0 };

	memcpy(&attr_off, p + 24, 8);
	memcpy(&attr_size, p + 16, 8);
	memcpy(&data_off, p + 40, 8);
	memcpy(&data_size, p + 48, 8);
	memcpy(feats, p + 72, 32);
	/* HEADER_ATTR: attr + its ids */
	buf_put(&rec, p + attr_off, attr_size - 16);
	{
		uint64_t ids_off, ids_len;

		memcpy(&ids_off, p + attr_off + attr_size - 16, 8);
		memcpy(&ids_len, p + attr_off + attr_size - 8, 8);
		buf_put(&rec, p + ids_off, ids_len);
	}
	put32(out, 64); put16(out, 0); put16(out, (uint16_t)(8 + rec.len));
	buf_put(out, rec.p, rec.len);
	for (int feat = 0, idx = 0; feat < 256; feat++) {
		uint64_t sec[2];

		if (!(feats[feat / 64] >> (feat % 64) & 1))
			continue;
		memcpy(sec, p + file->feat_offset + (size_t)idx++ * 16, 16);
		put32(out, 80); put16(out, 0); put16(out, (uint16_t)(16 + sec[1]));
		put64(out, (uint64_t)feat);
		buf_put(out, p + sec[0], sec[1]);
	}
	buf_put(out, p + data_off, data_size);
	free(rec.p);
}

/* report_json: the JSON report of the built file, as `report --json` writes it. */
static void json_seed(const struct fb_file *file)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(file->p, file->len, "seed", &err);
	cJSON *json = src ? report_run__source(src) : NULL;
	char *text = json ? cJSON_Print(json) : NULL;

	if (!text) {
		fprintf(stderr, "fuzz_seeds: the built file gives no JSON report\n");
		exit(1);
	}
	save("report_json", "built-all-fields.json", text, strlen(text));
	free(text);
	cJSON_Delete(json);
	nl_source__close(src);
}

static void perfdata_seeds(void)
{
	struct fb_file file = built_file(64, false, 0), z = built_file(64, true, 0);
	struct buf pipe = { 0 }, rec = { 0 };

	save("perfdata", "built-compressed", z.p, z.len);
	pipe_of(&z, &pipe);
	save("perfdata_pipe", "built-compressed", pipe.p, pipe.len);
	pipe.len = 0;
	free(z.p);

	save("perfdata", "built-all-fields", file.p, file.len);
	/*
	 * Issue 14's known overflow: a MEM_TOPOLOGY node whose nr_bits rounds
	 * up past 2^64, so its bitmap seems to take 0 words.
	 */
	{
		struct fb_file bad = built_file(0xffffffffffffffc1ull, false, 0);

		save("perfdata", "mem-topology-nr-bits-wraps", bad.p, bad.len);
		free(bad.p);
	}
	/*
	 * Found by fuzz_perfdata in the long run: a sample 2^63 ns after the
	 * first made a week-long per-second timeline, an 87 MB JSON report
	 * from a 64 KiB input (a timeout).  The timeline now widens instead.
	 */
	{
		struct fb_file far = built_file(64, false, 1ull << 63);

		save("perfdata", "sample-time-2-pow-63", far.p, far.len);
		free(far.p);
	}
	pipe_of(&file, &pipe);
	save("perfdata_pipe", "built-all-fields", pipe.p, pipe.len);
	/* perf_record: the attr, then the data section's records */
	buf_put(&rec, file.p + 104, 128);
	buf_put(&rec, file.p + file.data_offset, file.data_size);
	/* a PERF_RECORD_READ of a counting group (GROUP|TOTAL_TIMES|ID values) */
	put32(&rec, 8); put16(&rec, 0); put16(&rec, 8 + 8 + 24 + 2 * 16 + 24);
	put32(&rec, 100); put32(&rec, 101);
	put64(&rec, 2); put64(&rec, 5000); put64(&rec, 4000);
	put64(&rec, 77); put64(&rec, 7); put64(&rec, 88); put64(&rec, 8);
	put32(&rec, 100); put32(&rec, 101); put64(&rec, 1234); put64(&rec, 7);
	save("perf_record", "built-all-fields", rec.p, rec.len);
	json_seed(&file);
	free(file.p);
	free(pipe.p);
	free(rec.p);
}

static void placement_seeds(void)
{
	static const char maps[] =
		"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/python3\n"
		"01234000-01256000 rw-p 00000000 00:00 0 [heap]\n"
		"7f0000000000-7f0000100000 rw-s 00000000 00:01 77 /memfd:dataset (deleted)\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
	static const char possible[] = "0-1\n";
	static const char numa[] =
		"00400000 default file=/usr/bin/python3 mapped=40 N0=40 kernelpagesize_kB=4\n"
		"01234000 default heap anon=20 dirty=20 N0=12 N1=8 kernelpagesize_kB=4\n"
		"7f0000000000 default file=/memfd:dataset\\040(deleted) dirty=256 N1=256 "
		"kernelpagesize_kB=4\n"
		"7ffd00000000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4\n";
	struct buf b = { 0 };
	uint64_t addrs[8] = { 0x400100, 0x1234010, 0x7f0000000040, 0x7f0000042000,
			      0x7ffd00000010, 0x10, 0xffffffff81000000, 0x7f00000ff000 };

	put16(&b, sizeof(maps) - 1);
	put16(&b, sizeof(possible) - 1);
	put16(&b, sizeof(numa) - 1);
	buf_put(&b, addrs, sizeof(addrs));
	buf_put(&b, maps, sizeof(maps) - 1);
	buf_put(&b, possible, sizeof(possible) - 1);
	buf_put(&b, numa, sizeof(numa) - 1);
	buf_put(&b, "\x00\x01\xfe\xf2\xfd\x01", 6);   /* 0, 1, -ENOENT, -EFAULT, -ESRCH, 1 */
	save("placement", "built-python", b.p, b.len);
	free(b.p);
}

/* symbols: no ELF (the real ones come from seeds.py), a JIT map. */
static void symbols_seeds(void)
{
	static const char jit[] = "7f0000001000 40 jitted_fn\n7f0000002000 10 [py] step\n"
				  "zz not a line\n";
	struct buf b = { 0 };

	put32(&b, 0);
	put32(&b, sizeof(jit) - 1);
	put64(&b, 0x1000); put64(&b, 0x10); put64(&b, 0x7f0000001010); put64(&b, 0x7f0000002004);
	buf_put(&b, jit, sizeof(jit) - 1);
	save("symbols", "built-jit-map", b.p, b.len);
	free(b.p);
}

static void sysfs_seeds(void)
{
	static const char tree[] =
		"sys/devices/system/cpu/possible\0" "0-3\n\0"
		"sys/devices/system/cpu/present\0" "0-3\n\0"
		"sys/devices/system/cpu/online\0" "0-2\n\0"
		"sys/devices/system/cpu/cpu0/topology/physical_package_id\0" "0\n\0"
		"sys/devices/system/cpu/cpu0/topology/core_id\0" "0\n\0"
		"sys/devices/system/cpu/cpu0/topology/thread_siblings_list\0" "0-1\n\0"
		"sys/devices/system/cpu/cpu1/topology/physical_package_id\0" "0\n\0"
		"sys/devices/system/cpu/cpu1/topology/thread_siblings\0" "00000003\n\0"
		"sys/devices/system/cpu/cpu2/topology/physical_package_id\0" "1\n\0"
		"sys/devices/system/cpu/cpu2/topology/core_cpus_list\0" "2\n\0"
		"sys/devices/system/node/online\0" "0-1\n\0"
		"sys/devices/system/node/possible\0" "0-1\n\0"
		"sys/devices/system/node/node0/cpulist\0" "0-1\n\0"
		"sys/devices/system/node/node0/distance\0" "10 21\n\0"
		"sys/devices/system/node/node0/meminfo\0" "Node 0 MemTotal: 1024 kB\nNode 0 MemFree: 512 kB\n\0"
		"sys/devices/system/node/node0/memory0/x\0" "\0"
		"sys/devices/system/node/node1/cpumap\0" "0c\n\0"
		"sys/devices/system/node/node1/distance\0" "21 10\n\0"
		"sys/devices/system/memory/block_size_bytes\0" "8000000\n\0"
		"sys/devices/system/memory/memory0/node0/x\0" "\0";

	save("sysfs", "built-two-nodes", tree, sizeof(tree) - 1);
}

/* pyrecord: feature bodies the writer makes, stacks sharing frames. */
static void pyrecord_seeds(void)
{
	struct nl_pyframe fr[3] = {
		{ .id = 7, .line = 57, .function = "build_dataset", .file = "/w/train.py" },
		{ .id = 8, .flags = NL_PYF_ENTRY, .line = 90, .function = "<module>", .file = "/w/train.py" },
		{ .id = 9, .line = -1, .function = "Dataset.__getitem__", .file = "" },
	};
	struct nl_pystack st[2] = { { .nr = 2, .frames = fr }, { .nr = 3, .flags = NL_PYS_TRUNCATED, .frames = fr } };
	struct nl_pyrecord *w = pyrecord__new();
	uint8_t *buf;
	size_t len;

	for (int i = 0; w && i < 4; i++) {
		struct nl_sample smp = { .valid = NL_SAMPLE_TID | NL_SAMPLE_TIME, .pid = 100,
					 .tid = 100 + i % 2, .time = 1000000ull * (uint64_t)(i + 1) };

		smp.py = &st[i % 2];
		if (pyrecord__add(w, &smp))
			break;
		if (!pyrecord__serialize(w, &buf, &len)) {
			char name[32];

			snprintf(name, sizeof(name), "built-%d-samples", i + 1);
			save("pyrecord", name, buf, len);
			free(buf);
		}
	}
	pyrecord__free(w);
}

/* One allocdec sample: event, tid, time, registers (mask bits), stack, callchain. */
static void put_probe_hit(struct buf *b, uint8_t ev, uint64_t time, uint64_t mask,
			  const uint64_t *regs, uint16_t stack, uint8_t chain)
{
	buf_put(b, &ev, 1);
	put32(b, 101);
	put64(b, time);
	put64(b, mask);
	for (int i = 0; i < __builtin_popcountll(mask); i++)
		put64(b, regs[i]);
	put16(b, stack);
	for (uint16_t i = 0; i < stack; i++)
		buf_put(b, &(uint8_t){ (uint8_t)i }, 1);
	buf_put(b, &chain, 1);
	for (uint8_t i = 0; i < chain; i++)
		put64(b, 0x401000 + i * 16);
}

/* allocdec: bound names (see fuzz_allocdec.c names[]), then hits. */
static void allocdec_seeds(void)
{
	/* x86-64 perf regs: ax 0, dx 3, si 4, di 5, sp 7, ip 8 */
	const uint64_t di = 1 << 5, di_si = 1 << 4 | 1 << 5, ax_sp = 1 << 0 | 1 << 7;
	uint64_t size[1] = { 1 << 20 }, mm[2] = { 0, 8 << 20 }, ret[2] = { 0x7f0000100000, 0x7ffd0000 };
	struct buf b = { 0 };
	uint8_t head[] = { 12, 6, 5, 6, 0, 1, 11, 7 };  /* min 4 KiB; malloc, _ret, mmap, _ret, free, calloc */

	buf_put(&b, head, sizeof(head));
	put_probe_hit(&b, 0, 10, di, size, 0, 0);               /* malloc(1 MiB) */
	put_probe_hit(&b, 1, 20, ax_sp, ret, 256, 3);           /* its return */
	put_probe_hit(&b, 2, 30, di_si, mm, 0, 0);              /* mmap(0, 8 MiB) */
	put_probe_hit(&b, 3, 40, ax_sp, ret, 64, 1);
	put_probe_hit(&b, 4, 50, di, ret, 0, 2);                /* free */
	put_probe_hit(&b, 1, 60, ax_sp, ret, 16, 0);            /* a return without entry */
	save("allocdec", "built-malloc-mmap-free", b.p, b.len);
	free(b.p);
}

/* pyframes: patches of the target's reads (fuzz_pyframes.c): none, a few. */
static void pyframes_seeds(void)
{
	static const uint8_t none[] = { 0 };
	static const uint8_t some[] = {
		3, 0, 8, 8, 0x10, 0, 0, 0, 0, 0, 0, 0,  /* read 3: a pointer at offset 8 */
		6, 0, 0, 1, 0xff,                       /* read 6: its first byte */
		9, 0, 0, 0,                             /* read 9 fails */
	};

	save("pyframes", "built-no-patch", none, 0);
	save("pyframes", "built-patches", some, sizeof(some));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	perfdata_seeds();
	placement_seeds();
	sysfs_seeds();
	symbols_seeds();
	pyrecord_seeds();
	allocdec_seeds();
	pyframes_seeds();
	return 0;
}
