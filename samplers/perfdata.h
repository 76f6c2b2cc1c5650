/*
 * perfdata.h - a perf.data file as a source of normalized samples.
 *
 * Reads files written by `perf record`, `perf mem record`, `perf c2c record`
 * (file and pipe format, any attr size >= 64) and by `numalens profile
 * --record`.  The header's features fill nl_source_info (hostname, CPU,
 * events) and the recording machine's topology (NUMA_TOPOLOGY,
 * CPU_TOPOLOGY, MEM_TOPOLOGY), so the report describes that machine.
 *
 * Promises:
 *   1. Data is read through one fixed window (1 MiB): memory does not grow
 *      with the size of the file or the number of samples.
 *   2. A damaged header is an error at open; a damaged data section or
 *      feature table is not: the source yields every record before the
 *      damage and sets stats.stopped_at / stop_reason (see sample.h).
 *   3. numalens' own features (perf_abi.h) come out as NL_REC_PLACEMENT and
 *      NL_REC_RUNTIME records after the data, and resolved page nodes are
 *      put back on the samples they belong to.
 *   4. `perf record -z` data (PERF_RECORD_COMPRESSED/COMPRESSED2, zstd) is
 *      decoded in place (samplers/decompress.h) and yields the same records
 *      as the uncompressed file; compressed records zstd rejects are
 *      counted (counter compressed_records_corrupt) and noted as damage,
 *      and reading goes on with the next record.
 */
#ifndef NUMALENS_PERFDATA_H
#define NUMALENS_PERFDATA_H

#include <stddef.h>

#include "samplers/base/diag.h"
#include "samplers/sample.h"

/*
 * Opens path ("-" reads standard input, which must be pipe-format).
 * Returns the source, or NULL with *err filled (cause and fix).
 */
struct nl_source *perfdata__open(const char *path, struct nl_error *err);

/*
 * The same over size bytes at buf, which the caller keeps alive until
 * close.  name is used in notes.  NULL with *err filled on failure.
 */
struct nl_source *perfdata__open_buffer(const void *buf, size_t size,
					const char *name, struct nl_error *err);

#endif
