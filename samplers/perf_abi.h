/*
 * perf_abi.h - the perf.data file layout and numalens' extensions to it.
 *
 * Owns: the numbers of the on-disk format (tools/perf/Documentation/
 * perf.data-file-format.txt) that linux/perf_event.h does not carry: file
 * header, feature ids, perf's user record types; and the layout of the
 * header features numalens adds when it records (`profile --record`).
 * Only samplers/ include this file.
 *
 * numalens features use ids perf never assigns (perf uses < 64 and skips
 * unknown feature bits), so `perf report` still opens numalens recordings.
 * All fields little endian, every record padded to 8 bytes:
 *
 *   NL_FEAT_PLACEMENT (pages per node of each mapping, numa_maps snapshots)
 *     u32 version (1), u32 nr_entries, then nr_entries of
 *       u32 pid; u32 flags (bit 0: final snapshot);
 *       u64 start; u64 end;
 *       u32 nr_nodes; u32 name_len (bytes incl. NUL, padded to 8);
 *       char name[name_len]; u64 pages_by_node[nr_nodes]
 *   NL_FEAT_RUNTIME (time each task ran on each CPU)
 *     u32 version (1), u32 nr_entries, then nr_entries of
 *       u32 pid; u32 tid; u32 cpu; u32 reserved; u64 ns
 *   NL_FEAT_PAGE_NODES (node of each sampled data page, resolved live)
 *     u32 version (2), u32 nr_entries, u64 page_size (bytes, a power of
 *     two), then nr_entries of
 *       u32 pid; u8 method (enum nl_node_method); u8 pad[3]; u64 page
 *       (first address of the page); s32 node; u32 reserved
 *     Version 1 had no page_size field and means 4096-byte pages.
 *   NL_FEAT_ACCESS (access signal per mapping, samplers/access.h)
 *     u32 version (1), u32 nr_entries, then nr_entries of
 *       u32 pid; u32 flags (NL_ACCESS_*); u64 start; u64 end;
 *       u8 method; u8 pad[3]; s32 error; u32 intervals; u32 reserved;
 *       u64 accessed_bytes; u64 rss_bytes;
 *       u32 name_len (bytes incl. NUL, padded to 8); u32 reserved;
 *       char name[name_len]
 *   NL_FEAT_PYFRAMES (Python frames of the samples): see samplers/pyrecord.h
 */
#ifndef NUMALENS_PERF_ABI_H
#define NUMALENS_PERF_ABI_H

#include <stdint.h>

#define PERF_MAGIC2 0x32454c4946524550ULL /* "PERFILE2" little endian */
#define PERF_MAGIC2_SWAPPED 0x50455246494c4532ULL

struct perf_file_section {
	uint64_t offset, size;
};

struct perf_file_header {
	uint64_t magic;
	uint64_t size;          /* sizeof(struct perf_file_header) */
	uint64_t attr_size;     /* size of one attrs entry: attr + ids section */
	struct perf_file_section attrs;
	struct perf_file_section data;
	struct perf_file_section event_types; /* unused since perf 3.x */
	uint64_t adds_features[4];            /* 256 feature bits */
};

struct perf_pipe_file_header {
	uint64_t magic;
	uint64_t size;
};

/* Header feature ids (bit numbers in adds_features). */
enum perf_feature {
	FEAT_TRACING_DATA = 1, FEAT_BUILD_ID, FEAT_HOSTNAME, FEAT_OSRELEASE,
	FEAT_VERSION, FEAT_ARCH, FEAT_NRCPUS, FEAT_CPUDESC, FEAT_CPUID,
	FEAT_TOTAL_MEM, FEAT_CMDLINE, FEAT_EVENT_DESC, FEAT_CPU_TOPOLOGY,
	FEAT_NUMA_TOPOLOGY, FEAT_BRANCH_STACK, FEAT_PMU_MAPPINGS,
	FEAT_GROUP_DESC, FEAT_AUXTRACE, FEAT_STAT, FEAT_CACHE, FEAT_SAMPLE_TIME,
	FEAT_MEM_TOPOLOGY, FEAT_CLOCKID, FEAT_DIR_FORMAT, FEAT_BPF_PROG_INFO,
	FEAT_BPF_BTF, FEAT_COMPRESSED, FEAT_CPU_PMU_CAPS, FEAT_CLOCK_DATA,
	FEAT_HYBRID_TOPOLOGY, FEAT_PMU_CAPS,
	FEAT_BITS = 256,
	/* numalens' own, see the layout above */
	NL_FEAT_PLACEMENT = 200,
	NL_FEAT_RUNTIME = 201,
	NL_FEAT_PAGE_NODES = 202,
	NL_FEAT_ACCESS = 203,
	NL_FEAT_PYFRAMES = 204,         /* layout: samplers/pyrecord.h */
};

/* perf's user record types (synthesized by the tool, not the kernel). */
enum perf_user_record {
	PERF_RECORD_HEADER_ATTR = 64,
	PERF_RECORD_HEADER_EVENT_TYPE = 65,
	PERF_RECORD_HEADER_TRACING_DATA = 66,
	PERF_RECORD_HEADER_BUILD_ID = 67,
	PERF_RECORD_FINISHED_ROUND = 68,
	PERF_RECORD_ID_INDEX = 69,
	PERF_RECORD_AUXTRACE_INFO = 70,
	PERF_RECORD_AUXTRACE = 71,
	PERF_RECORD_AUXTRACE_ERROR = 72,
	PERF_RECORD_THREAD_MAP = 73,
	PERF_RECORD_CPU_MAP = 74,
	PERF_RECORD_STAT_CONFIG = 75,
	PERF_RECORD_STAT = 76,
	PERF_RECORD_STAT_ROUND = 77,
	PERF_RECORD_EVENT_UPDATE = 78,
	PERF_RECORD_TIME_CONV = 79,
	PERF_RECORD_HEADER_FEATURE = 80,
	PERF_RECORD_COMPRESSED = 81,
	PERF_RECORD_FINISHED_INIT = 82,
	PERF_RECORD_COMPRESSED2 = 83,
};

/* Smallest attr perf ever wrote (PERF_ATTR_SIZE_VER0). */
#define PERF_ATTR_SIZE_MIN 64

#define NL_PLACEMENT_FINAL 1u

#endif
