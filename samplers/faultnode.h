/*
 * faultnode.h - the node of each new page of the target as it lands: the
 * tracepoints exceptions:page_fault_user and kmem:mm_page_alloc of the
 * target's tasks, paired per thread.
 *
 * Owns: the two tracepoints' ids and field layouts (read from tracefs'
 * events/<group>/<name>/{id,format}, never hard-coded offsets), their event
 * specs, and the pairing: a thread's user page fault (its address) with the
 * next mm_page_alloc of the same thread within window_ns from the same
 * entry into the kernel (the allocation's user IP register is the fault's
 * ip), when that page is a user page (MIGRATE_MOVABLE; page tables and
 * kernel buffers are not).
 * The page's pfn gives its node through the memory-block map of the
 * topology (/sys/devices/system/memory/block_size_bytes and
 * nodeN/memoryM, read through the syscall table: topology.h).
 *
 * Why: move_pages answers only while the process lives; a process that
 * exits before the next batch of queries left its pages "process_gone".
 * With the pair, its pages' nodes are known as they land.
 *
 * An order-0 page is the 4 KiB page of the fault address; an order-k
 * folio (order 9: a 2 MiB THP) covers the 2^k base pages of the aligned
 * range around the address, each of which gets the node (the page cache
 * counts base pages).  Orders above 9 are ignored (counted unpaired).  A
 * fault that allocates nothing (the zero page, a page already there) is
 * replaced by the thread's next fault; a late allocation (past window_ns)
 * is not paired.  Readahead of a file fault may allocate a folio elsewhere
 * in the file first: its node is that of a neighbour page of the same
 * thread (the same policy), not a guess across threads.
 *
 * Promises: faultnode__sample allocates only for a thread seen first
 * (memory grows with live threads, not faults: faultnode__forget at exit); a short or unparsable raw
 * record is counted (bad) and skipped.  Does not: open events, mount
 * tracefs (allocprobe__tracefs_ready does) or keep pages (the caller's
 * placement cache does: placement__page_landed).
 */
#ifndef NUMALENS_FAULTNODE_H
#define NUMALENS_FAULTNODE_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/base/map.h"
#include "samplers/events.h"
#include "samplers/sample.h"

struct nl_sys;
struct nl_topology;

#define NL_FAULTNODE_FAULT "fault:page_fault_user"   /* the specs' names */
#define NL_FAULTNODE_ALLOC "fault:mm_page_alloc"
#define NL_FAULTNODE_WINDOW_NS 10000000ull           /* 10 ms: a fault's
							allocation, even preempted */

/* One field of a tracepoint record (the raw sample), from its format file. */
struct nl_tp_field {
	uint32_t offset;        /* bytes from the start of the raw data */
	uint32_t size;          /* 1, 2, 4 or 8; 0: the field is absent */
};

struct nl_faultnode_stats {
	uint64_t faults;        /* page_fault_user hits */
	uint64_t allocs;        /* mm_page_alloc hits */
	uint64_t landed;        /* allocations paired with their fault */
	uint64_t not_user;      /* allocations of another migrate type */
	uint64_t unpaired;      /* allocations with no fault in the window,
				   or of an order above 9 */
	uint64_t no_node;       /* pfn outside the memory-block map */
	uint64_t bad;           /* raw records too short for their fields */
};

struct nl_faultnode {
	uint32_t ev_fault, ev_alloc;    /* event indexes; UINT32_MAX: unbound */
	struct nl_tp_field address, ip; /* page_fault_user */
	struct nl_tp_field pfn, order, migratetype; /* mm_page_alloc */
	uint64_t page_size;             /* the unit of a pfn */
	uint64_t window_ns;
	const struct nl_topology *topo; /* pfn -> node; not owned */
	struct nl_map pending;          /* (tid, 0) -> fault address (UINT64_MAX:
					   none), (tid, 1) -> its time, (tid, 2) ->
					   its user IP */
	char alloc_filter[64];          /* mm_page_alloc's kernel-side filter */
	uint64_t filters_refused;       /* fds the filter could not be set on */
	struct nl_faultnode_stats stats;
};

/* A page (or folio) that landed: [addr, addr + len) of pid is on node. */
struct nl_faultnode_page {
	int pid;
	uint64_t addr, len;
	int node;
};

/* Starts fn with no event bound (zeroed memory is not enough: indexes). */
void faultnode__init(struct nl_faultnode *fn, const struct nl_topology *topo);
void faultnode__free(struct nl_faultnode *fn);

/*
 * The offset and size of field name in a tracepoint format file's text
 * ("field:unsigned long pfn;\toffset:8;\tsize:8;...").  0 with *out, or
 * -ENOENT (*out zeroed).
 */
int faultnode__parse_field(const char *format, const char *name, struct nl_tp_field *out);

/*
 * Reads both tracepoints under tracefs ("/sys/kernel/tracing") through sys:
 * their ids into spec[0] (fault) and spec[1] (alloc), their fields into fn.
 * Returns 0, or -errno of the file that failed (-ENOENT: no such
 * tracepoint or field; -EACCES: not root); fn's fields then unset.
 */
int faultnode__plan(const struct nl_sys *sys, const char *tracefs, struct nl_faultnode *fn,
		    struct nl_ev_spec spec[2]);

/* Event index ev is named name: remembers it when it is one of ours.  True then. */
bool faultnode__bind(struct nl_faultnode *fn, uint32_t ev, const char *name);
/* Whether both events are bound. */
bool faultnode__active(const struct nl_faultnode *fn);
/* Whether sample s is one of ours (then faultnode__sample consumes it). */
bool faultnode__owns(const struct nl_faultnode *fn, const struct nl_sample *s);

/*
 * The tracepoint filter (PERF_EVENT_IOC_SET_FILTER) for event index ev, or
 * NULL: mm_page_alloc's keeps user pages of the orders paired, so most
 * allocations that cannot pair never reach the ring.  A kernel that refuses
 * it loses nothing: faultnode__sample checks the same again.
 */
const char *faultnode__filter(const struct nl_faultnode *fn, uint32_t ev);

/* Thread tid exited: its pending fault is dropped (memory stays bounded by
   the live threads, not all threads ever seen). */
void faultnode__forget(struct nl_faultnode *fn, int tid);

/*
 * Consumes one of our samples (faultnode__owns).  Returns 1 with *out
 * filled when an allocation landed a page of a fault, 0 otherwise (a fault
 * remembered, an allocation not paired, a bad record: counted), -ENOMEM
 * (a new thread's fault not remembered).
 */
int faultnode__sample(struct nl_faultnode *fn, const struct nl_sample *s,
		      struct nl_faultnode_page *out);

#endif
