/*
 * builder.h - test-only perf.data writer, byte for byte from
 * perf_event_open(2) and tools/perf/Documentation/perf.data-file-format.txt.
 *
 * It shares no code with samplers/: it is the independent oracle the reader
 * is tested against.  Build a file in memory: fb_begin(), fb_attr() per
 * event, records with fb_sample()/fb_raw(), features with fb_feature(),
 * then fb_end() lays out header, attrs, ids, data and the feature table.
 */
#ifndef NUMALENS_TEST_BUILDER_H
#define NUMALENS_TEST_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* sample_type bits, restated from the man page */
enum {
	S_IP = 1 << 0, S_TID = 1 << 1, S_TIME = 1 << 2, S_ADDR = 1 << 3,
	S_READ = 1 << 4, S_CALLCHAIN = 1 << 5, S_ID = 1 << 6, S_CPU = 1 << 7,
	S_PERIOD = 1 << 8, S_STREAM_ID = 1 << 9, S_RAW = 1 << 10,
	S_BRANCH_STACK = 1 << 11, S_REGS_USER = 1 << 12, S_STACK_USER = 1 << 13,
	S_WEIGHT = 1 << 14, S_DATA_SRC = 1 << 15, S_IDENTIFIER = 1 << 16,
	S_TRANSACTION = 1 << 17, S_REGS_INTR = 1 << 18, S_PHYS_ADDR = 1 << 19,
	S_AUX = 1 << 20, S_CGROUP = 1 << 21, S_DATA_PAGE_SIZE = 1 << 22,
	S_CODE_PAGE_SIZE = 1 << 23, S_WEIGHT_STRUCT = 1 << 24,
	S_ALL_BITS = 25,
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static inline void buf_put(struct buf *b, const void *src, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static inline void put64(struct buf *b, uint64_t v) { buf_put(b, &v, 8); }
static inline void put32(struct buf *b, uint32_t v) { buf_put(b, &v, 4); }
static inline void put16(struct buf *b, uint16_t v) { buf_put(b, &v, 2); }

static inline void put_pad8(struct buf *b)
{
	static const uint8_t zero[8];

	if (b->len % 8)
		buf_put(b, zero, 8 - b->len % 8);
}

/* perf_header_string: u32 len (incl. NUL, padded to 8) + bytes */
static inline void put_hstring(struct buf *b, const char *s)
{
	uint32_t len = (uint32_t)strlen(s) + 1;
	uint32_t padded = (len + 7) / 8 * 8;
	static const uint8_t zero[8];

	put32(b, padded);
	buf_put(b, s, len);
	buf_put(b, zero, padded - len);
}

struct fb_attr {
	uint32_t type, size;
	uint64_t config, period, sample_type, read_format, flags;
	uint64_t branch_sample_type, regs_user, regs_intr;
	uint64_t ids[4];
	int nr_ids;
};

#define FB_MAX_ATTRS 4
#define FB_MAX_FEATS 8

struct fb {
	struct fb_attr attrs[FB_MAX_ATTRS];
	int nr_attrs;
	struct buf data;
	struct { int id; struct buf body; } feats[FB_MAX_FEATS];
	int nr_feats;
	uint32_t attr_file_size;   /* bytes of each attr on file (>= 64) */
};

static inline void fb_begin(struct fb *f, uint32_t attr_size)
{
	memset(f, 0, sizeof(*f));
	f->attr_file_size = attr_size;
}

static inline struct fb_attr *fb_attr(struct fb *f, uint64_t sample_type)
{
	struct fb_attr *a = &f->attrs[f->nr_attrs++];

	a->type = 1;               /* PERF_TYPE_SOFTWARE */
	a->config = 2;             /* page-faults */
	a->period = 1;
	a->size = f->attr_file_size;
	a->sample_type = sample_type;
	a->flags = 1ull << 18;     /* sample_id_all */
	return a;
}

/* Serializes one attr into exactly f->attr_file_size bytes. */
static inline void fb_put_attr(struct fb *f, struct buf *b, const struct fb_attr *a)
{
	uint8_t raw[256] = { 0 };

	memcpy(raw + 0, &a->type, 4);
	memcpy(raw + 4, &a->size, 4);
	memcpy(raw + 8, &a->config, 8);
	memcpy(raw + 16, &a->period, 8);
	memcpy(raw + 24, &a->sample_type, 8);
	memcpy(raw + 32, &a->read_format, 8);
	memcpy(raw + 40, &a->flags, 8);
	if (f->attr_file_size >= 80)
		memcpy(raw + 72, &a->branch_sample_type, 8);
	if (f->attr_file_size >= 88)
		memcpy(raw + 80, &a->regs_user, 8);
	if (f->attr_file_size >= 104)
		memcpy(raw + 96, &a->regs_intr, 8);
	buf_put(b, raw, f->attr_file_size);
}

/* A raw record: header then body (body length must keep 8-byte multiples). */
static inline void fb_raw(struct fb *f, uint32_t type, uint16_t misc, const void *body,
			  size_t len)
{
	put32(&f->data, type);
	put16(&f->data, misc);
	put16(&f->data, (uint16_t)(8 + len));
	buf_put(&f->data, body, len);
}

static inline struct buf *fb_feature(struct fb *f, int id)
{
	f->feats[f->nr_feats].id = id;
	return &f->feats[f->nr_feats++].body;
}

struct fb_file {
	uint8_t *p;
	size_t len;
	size_t data_offset, data_size, feat_offset;
};

/* Lays the file out: header | attrs+ids | data | features | feature table. */
static inline struct fb_file fb_end(struct fb *f)
{
	struct buf out = { 0 }, ids = { 0 };
	uint64_t header_size = 104, entry = f->attr_file_size + 16;
	uint64_t attrs_off = header_size, ids_off = attrs_off + entry * (uint64_t)f->nr_attrs;
	uint64_t nr_ids = 0, data_off, feat_off, features[4] = { 0 };
	struct fb_file file;
	uint64_t off;

	for (int i = 0; i < f->nr_attrs; i++)
		nr_ids += (uint64_t)f->attrs[i].nr_ids;
	data_off = ids_off + nr_ids * 8;
	feat_off = data_off + f->data.len;
	/* header */
	put64(&out, 0x32454c4946524550ULL);
	put64(&out, header_size);
	put64(&out, entry);
	put64(&out, attrs_off);
	put64(&out, entry * (uint64_t)f->nr_attrs);
	put64(&out, data_off);
	put64(&out, f->data.len);
	put64(&out, 0);
	put64(&out, 0);
	for (int i = 0; i < f->nr_feats; i++)
		features[f->feats[i].id / 64] |= 1ull << (f->feats[i].id % 64);
	for (int i = 0; i < 4; i++)
		put64(&out, features[i]);
	/* attrs with their id sections */
	off = ids_off;
	for (int i = 0; i < f->nr_attrs; i++) {
		fb_put_attr(f, &out, &f->attrs[i]);
		put64(&out, off);
		put64(&out, (uint64_t)f->attrs[i].nr_ids * 8);
		off += (uint64_t)f->attrs[i].nr_ids * 8;
		for (int k = 0; k < f->attrs[i].nr_ids; k++)
			put64(&ids, f->attrs[i].ids[k]);
	}
	buf_put(&out, ids.p, ids.len);
	buf_put(&out, f->data.p, f->data.len);
	/* feature table (in bit order), then bodies */
	{
		uint64_t body_off = feat_off + (uint64_t)f->nr_feats * 16;
		int order[FB_MAX_FEATS];

		for (int i = 0; i < f->nr_feats; i++)
			order[i] = i;
		for (int i = 0; i < f->nr_feats; i++)
			for (int j = i + 1; j < f->nr_feats; j++)
				if (f->feats[order[j]].id < f->feats[order[i]].id) {
					int t = order[i];
					order[i] = order[j];
					order[j] = t;
				}
		for (int i = 0; i < f->nr_feats; i++) {
			put64(&out, body_off);
			put64(&out, f->feats[order[i]].body.len);
			body_off += f->feats[order[i]].body.len;
		}
		for (int i = 0; i < f->nr_feats; i++)
			buf_put(&out, f->feats[order[i]].body.p, f->feats[order[i]].body.len);
	}
	file.p = out.p;
	file.len = out.len;
	file.data_offset = data_off;
	file.data_size = f->data.len;
	file.feat_offset = feat_off;
	free(ids.p);
	free(f->data.p);
	for (int i = 0; i < f->nr_feats; i++)
		free(f->feats[i].body.p);
	return file;
}

#endif
