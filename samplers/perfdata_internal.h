/*
 * perfdata_internal.h - state shared by perfdata.c (framing, records) and
 * perfdata_header.c (header features).  Not for use outside samplers/.
 *
 * Lifecycle of struct perfdata:
 *   1. open: header checked, attrs and ids read, features parsed (file
 *      format), window positioned at data.offset.
 *   2. next(): records from pos until data_end; pipe-format attrs and
 *      features arrive as records and go through the same parsers.
 *   3. At data_end (or at damage): placement and runtime extras are emitted,
 *      then next() returns 0 for ever.
 */
#ifndef NUMALENS_PERFDATA_INTERNAL_H
#define NUMALENS_PERFDATA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/allocprobe.h"
#include "samplers/base/map.h"
#include "samplers/decompress.h"
#include "samplers/perf_record.h"
#include "samplers/sample.h"

#define PERFDATA_WINDOW (1u << 20)

/* One numalens extra feature, kept as raw bytes and walked at the end. */
struct perfdata_extra {
	uint8_t *buf;
	size_t len;
	size_t pos;             /* next entry to emit */
	uint32_t left;          /* entries not yet emitted */
};

/* (pid, page) -> node, from NL_FEAT_PAGE_NODES. */
struct page_node_map {
	struct nl_map pages;    /* (pid, addr >> page_shift) -> method << 32 | node */
	unsigned page_shift;    /* the recording machine's page size */
};

struct nl_pyrecord;

struct perfdata {
	struct nl_source base;          /* first: the source contract */
	/* input */
	int fd;                         /* -1 for buffers */
	const uint8_t *mem;             /* buffer or mapped-file input, else NULL */
	size_t map_len;                 /* mem is our mmap of the file (0: not) */
	int bus_slot;                   /* its SIGBUS guard (perfdata.c), -1: none */
	uint64_t map_dropped;           /* mapped bytes before this were released */
	uint64_t map_ready;             /* ... and up to this were populated */
	uint64_t file_size;             /* UINT64_MAX: a pipe, size unknown */
	bool pipe_format;
	/* window over the data section */
	uint8_t *window;
	uint64_t win_off;               /* file offset of window[0] */
	size_t win_len;
	uint64_t pos, data_end;         /* next record, end of data */
	/* events */
	struct perf_event_set events;
	uint32_t attr_size_on_file;
	struct nl_allocdec adec;        /* allocation probe hits -> NL_REC_ALLOC */
	/* numalens extras */
	struct perfdata_extra placement, runtime, access;
	struct page_node_map page_nodes;
	struct nl_pyrecord *py;         /* NL_FEAT_PYFRAMES, NULL without */
	uint64_t *placement_pages;      /* scratch for one placement record */
	uint32_t placement_cap;
	bool data_done;
	bool rounds_announced;  /* the NL_REC_ROUND that opens the data went out */
	bool starts_done;               /* start placement handed out */
	bool damaged;                   /* feature table or data damaged */
	bool size_unwritten;            /* data.size 0: killed, read to EOF */
	uint64_t frames_end;            /* end of the last whole record then */
	/* perf record -z: COMPRESSED feature, records being drained */
	uint32_t comp_type;             /* 0 unknown (zstd assumed), 1 zstd */
	struct nl_decompress *decomp;   /* made at the first COMPRESSED record */
	bool decomp_feeding;            /* inner records left from the last one */
	uint64_t comp_at;               /* file offset of that compressed record */
	uint64_t comp_bad;              /* compressed records zstd rejected */
	const char *comp_why;           /* zstd's first error (a static string) */
};

/* perfdata_header.c */

/*
 * Parses one header feature (buf, len) into p's info, topology, events or
 * extras.  Returns 0, or -EINVAL when the feature is malformed (the caller
 * notes it and carries on), -ENOMEM.
 */
int perfdata_header__feature(struct perfdata *p, int feature,
			     const uint8_t *buf, size_t len);
/* Gives events without an EVENT_DESC name a perf-style name. */
void perfdata_header__name_events(struct perfdata *p);
/*
 * Start placement records come before the data, as the live source hands
 * them out before the samples they describe: the next one, 1, or 0 once the
 * next placement entry is a final one (or none is left).
 */
int perfdata_header__next_start(struct perfdata *p, struct nl_record *out);
/* Emits the next extra record (placement, runtime, access) into out: 1, or 0 when none left. */
int perfdata_header__next_extra(struct perfdata *p, struct nl_record *out);
/* Node of (pid, addr) from NL_FEAT_PAGE_NODES: fills s and returns true if known. */
bool perfdata_header__page_node(const struct perfdata *p, struct nl_sample *s);
void perfdata_header__free(struct perfdata *p);

#endif
