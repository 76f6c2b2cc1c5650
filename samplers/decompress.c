/*
 * decompress.c - zstd-compressed record payloads to the records inside.
 *
 * Buffer invariants (out[0 .. len) holds decompressed bytes, pos the next
 * record not handed out):
 *   1. 0 <= pos <= len <= DECOMPRESS_BUFFER.
 *   2. Bytes before pos belong to records already handed out; they are
 *      dropped (the tail moved to the front) only when more output is
 *      needed, so the record last handed out stays in place until then.
 *   3. A record is handed out only when all its header.size bytes are in
 *      out; header.size is at most 65535, so a compacted buffer always has
 *      room for one whole record.
 */
#include "samplers/decompress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct nl_decompress {
	ZSTD_DStream *zs;
	ZSTD_inBuffer in;       /* the payload being decoded */
	uint8_t *out;
	size_t len, pos;
};

struct nl_decompress *decompress__new(void)
{
	struct nl_decompress *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->zs = ZSTD_createDStream();
	d->out = malloc(DECOMPRESS_BUFFER);
	if (!d->zs || !d->out || ZSTD_isError(ZSTD_initDStream(d->zs))) {
		decompress__free(d);
		return NULL;
	}
	return d;
}

void decompress__free(struct nl_decompress *d)
{
	if (!d)
		return;
	ZSTD_freeDStream(d->zs);
	free(d->out);
	free(d);
}

void decompress__feed(struct nl_decompress *d, const void *src, size_t len)
{
	d->in.src = src;
	d->in.size = len;
	d->in.pos = 0;
}

/* The size of the record at pos, 0 when its header is not all there. */
static size_t record_size(const struct nl_decompress *d)
{
	uint16_t size;

	if (d->len - d->pos < 8)
		return 0;
	memcpy(&size, d->out + d->pos + 6, 2);
	return size;
}

static void drop(struct nl_decompress *d)
{
	d->len = d->pos = 0;
	d->in.pos = d->in.size;
}

int decompress__next(struct nl_decompress *d, const uint8_t **rec, size_t *size,
		     const char **why)
{
	for (;;) {
		size_t want = record_size(d);
		ZSTD_outBuffer o;
		size_t r;

		if (d->len - d->pos >= 8 && want < 8) {
			drop(d);
			return -EINVAL;
		}
		if (want && want <= d->len - d->pos) {
			*rec = d->out + d->pos;
			*size = want;
			d->pos += want;
			return 1;
		}
		if (d->in.pos >= d->in.size)
			return 0;
		memmove(d->out, d->out + d->pos, d->len - d->pos);
		d->len -= d->pos;
		d->pos = 0;
		o.dst = d->out;
		o.size = DECOMPRESS_BUFFER;
		o.pos = d->len;
		r = ZSTD_decompressStream(d->zs, &o, &d->in);
		if (ZSTD_isError(r)) {
			*why = ZSTD_getErrorName(r);
			drop(d);
			ZSTD_initDStream(d->zs);
			return -EBADMSG;
		}
		if (o.pos == d->len && d->in.pos >= d->in.size)
			return 0;       /* all input taken, nothing new out */
		d->len = o.pos;
	}
}

size_t decompress__pending(const struct nl_decompress *d)
{
	return d->len - d->pos;
}
