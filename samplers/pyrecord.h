/*
 * pyrecord.h - the Python frames of a recording: numalens' NL_FEAT_PYFRAMES
 * perf.data feature, written by `profile --record` and read back by
 * `report`, so a recording names the Python lines the live profile named.
 *
 * Layout (little endian, perf_abi.h lists it with the other features):
 *   u32 version (1), u32 nr_strings, u32 nr_frames, u32 nr_stacks,
 *   u32 nr_samples, u32 reserved, then
 *   nr_strings x { u32 len (incl. NUL, padded to 8); u32 reserved; char[len] }
 *   nr_frames  x { u32 function; u32 file (string indexes); s32 line; u32 flags }
 *   nr_stacks  x { u32 nr; u32 flags (NL_PYS_*); u32 frame[nr]; u32 pad when nr is odd }
 *   nr_samples x { u32 pid; u32 tid; u64 time; u32 stack; u32 reserved }
 * A sample is matched to its stack by (pid, tid, time).
 *
 * Owns both directions: a writer side that keeps each distinct string,
 * frame and stack once (memory grows with them, plus 24 bytes a sample),
 * and a reader side that rebuilds struct nl_pystack values from the bytes.
 * Promises: the reader checks every count and index against the feature's
 * length (a bad feature is -EINVAL, nothing half-read is used).
 */
#ifndef NUMALENS_PYRECORD_H
#define NUMALENS_PYRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_pyrecord;

/* An empty writer or reader.  NULL on -ENOMEM. */
struct nl_pyrecord *pyrecord__new(void);
void pyrecord__free(struct nl_pyrecord *r);

/* Writer: keeps s's Python frames (s->py not NULL).  0 or -ENOMEM. */
int pyrecord__add(struct nl_pyrecord *r, const struct nl_sample *s);

/* Writer: the feature body into a malloc'd buffer.  OUT: *buf, *len.  0 or -ENOMEM. */
int pyrecord__serialize(const struct nl_pyrecord *r, uint8_t **buf, size_t *len);

/* Reader: parses a feature body into r (replacing what it held).  0, -EINVAL, -ENOMEM. */
int pyrecord__parse(struct nl_pyrecord *r, const uint8_t *buf, size_t len);

/* Reader: the stack recorded for s (by pid, tid, time), or NULL.  Valid until free. */
const struct nl_pystack *pyrecord__lookup(const struct nl_pyrecord *r, const struct nl_sample *s);

#endif
