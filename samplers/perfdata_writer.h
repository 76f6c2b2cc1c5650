/*
 * perfdata_writer.h - writing what the live profiler collected as a
 * perf.data file (`numalens profile --record FILE`).
 *
 * Owns the file layout on the write side: header, attrs with their ids,
 * the data section (kernel records copied as they came from the rings,
 * plus synthesized COMM/FORK/MMAP for tasks that existed before attach),
 * and the header features HOSTNAME, OSRELEASE, VERSION, ARCH, NRCPUS,
 * CPUDESC, CPUID, TOTAL_MEM, CMDLINE, EVENT_DESC, CPU_TOPOLOGY,
 * NUMA_TOPOLOGY and numalens' NL_FEAT_PLACEMENT / NL_FEAT_RUNTIME /
 * NL_FEAT_PAGE_NODES laid out exactly as samplers/perf_abi.h documents.  `perf report` opens the
 * result (it skips the numalens feature bits).
 *
 * Layout: [header][ids][attrs][data ...][feature index][features].
 * Lifecycle:
 *   1. open: ids and attrs are written, then a header naming them and the
 *      data offset with data.size 0 (as perf does: a killed recording is
 *      read to its end); the data section starts.
 *   2. write/synth: records are appended to the data section; placement,
 *      runtime and page nodes are kept in memory for the features.
 *   3. close: features, then the final header.  A write error is sticky
 *      (the first -errno is kept) and returned by close.
 */
#ifndef NUMALENS_PERFDATA_WRITER_H
#define NUMALENS_PERFDATA_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_topology;

/* One event as it was opened. */
struct nl_pdw_event {
	const void *attr;       /* struct perf_event_attr bytes */
	uint32_t attr_size;
	const char *name;
	const uint64_t *ids;
	uint32_t nr_ids;
};

struct perfdata_writer;

/*
 * Creates path and writes the header placeholder, ids and attrs.  The file
 * is created as samplers/base/outfile.h promises: mode 0600 whatever the
 * umask, an existing recording kept as PATH.old, a symbolic link at path
 * never followed (-ELOOP).
 * OUT: *out.  Returns 0 or -errno (nothing left open; the file may exist).
 */
int perfdata_writer__open(const char *path, const struct nl_pdw_event *events,
			  int nr_events, struct perfdata_writer **out);

/* Appends one kernel record (header included, size bytes) verbatim. */
void perfdata_writer__raw(struct perfdata_writer *w, const void *rec, size_t size);

/*
 * Synthesizes a COMM, FORK or MMAP record for rec (a task that existed
 * before attach), with a sample_id trailer naming id, as events[0]'s
 * sample_type lays it out.
 */
void perfdata_writer__synth(struct perfdata_writer *w, const struct nl_record *rec,
			    uint64_t id);

/* Keeps one record for the numalens features (PLACEMENT, RUNTIME). */
void perfdata_writer__extra(struct perfdata_writer *w, const struct nl_record *rec);
/* The page size of the pages given to page_node (default 4096). */
void perfdata_writer__page_size(struct perfdata_writer *w, uint64_t page_size);
/* Keeps the Python frames of s (s->py set) for NL_FEAT_PYFRAMES (pyrecord.h). */
void perfdata_writer__pystack(struct perfdata_writer *w, const struct nl_sample *s);
/* Keeps one resolved data page (its first address) for NL_FEAT_PAGE_NODES. */
void perfdata_writer__page_node(struct perfdata_writer *w, int pid, uint64_t page,
				int node, int method);

/*
 * Writes the features described by info (hostname ... cmdline, events)
 * and topo (may be NULL), then the header, and closes the file.  Frees w.
 * Returns 0 or the first -errno met since open.
 */
int perfdata_writer__close(struct perfdata_writer *w, const struct nl_source_info *info,
			   const struct nl_topology *topo);

#endif
