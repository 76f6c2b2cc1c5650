/*
 * decompress.h - the records inside PERF_RECORD_COMPRESSED(2) records
 * (`perf record -z`): one zstd stream per recording, cut into records of
 * at most 64 KiB each; the kernel records it carries may straddle two of
 * them.
 *
 * Owns: the zstd decompression stream and one fixed output buffer; hands
 * out the inner records one at a time.  Promises:
 *   1. Memory is fixed at open (DECOMPRESS_BUFFER plus zstd's window): it
 *      does not grow with the recording.
 *   2. A record handed out lies wholly in the buffer, header.size >= 8, and
 *      stays valid until the next decompress__next() or decompress__feed().
 *   3. A corrupt frame is an error of that compressed record only: the
 *      stream and the partial record are dropped and the next compressed
 *      record starts clean (zstd frames that begin there decode again).
 * Does not: know perf.data files, attrs or sample layouts.
 */
#ifndef NUMALENS_DECOMPRESS_H
#define NUMALENS_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#define DECOMPRESS_BUFFER (256u << 10)

struct nl_decompress;

/* A stream ready for the first compressed record; NULL on -ENOMEM. */
struct nl_decompress *decompress__new(void);
void decompress__free(struct nl_decompress *d);

/*
 * Gives the payload of one compressed record (len bytes at src, which the
 * caller keeps unchanged until decompress__next() returned 0 or an error).
 */
void decompress__feed(struct nl_decompress *d, const void *src, size_t len);

/*
 * The next whole inner record.  OUT: *rec, *size.  Returns 1, 0 when the
 * fed payload is used up (a partial record is kept for the next feed),
 * -EBADMSG when zstd rejects the data (OUT: *why, zstd's reason; the
 * stream is reset), -EINVAL when an inner record header is smaller than 8
 * bytes (framing lost: the buffered bytes are dropped).
 */
int decompress__next(struct nl_decompress *d, const uint8_t **rec, size_t *size,
		     const char **why);

/* Bytes of a record started but not completed (at the end: a cut stream). */
size_t decompress__pending(const struct nl_decompress *d);

#endif
