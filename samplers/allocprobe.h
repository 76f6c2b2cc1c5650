/*
 * allocprobe.h - allocation sites, live: the syscall tracepoints of the
 * mmap family where tracefs has them, else uprobes on the allocator
 * functions of the libc a target really maps, and the decoding of their
 * hits into NL_REC_ALLOC records (sample.h).
 *
 * The default, where tracefs has them (root): syscalls:sys_enter_NAME and
 * sys_exit_NAME of mmap, munmap, mremap and brk (ids from
 * events/syscalls/.../id; no trap in the target, inherited across forks,
 * any libc or none).  Their arguments are read from the user registers of
 * the syscall (REGS_USER: rdi, rsi, rdx, r10), not from the raw fields, so
 * the uprobes' decoder and a recording's reader need no format file; the
 * exit carries the result, every register and the stack copy, as a
 * uretprobe does.  brk(2) returns the new break: the growth is above the
 * process' last one (kept per pid).  mmap with MAP_DENYWRITE (the dynamic
 * loader mapping a library) is no allocation.  The malloc family stays
 * uprobes (it makes no syscall).
 *
 * Owns: finding the target's libc (/proc/PID/maps, opened through
 * /proc/PID/root so containers resolve), the file offsets of its allocator
 * symbols (libelf: .symtab, else .dynsym; PT_LOAD turns a symbol's address
 * into the file offset the uprobe PMU wants), the event specs (uprobe PMU
 * type from sysfs, retprobe bit from its format), and the pairing of an
 * entry hit (arguments from the user registers) with the return hit of
 * the same thread (result register, call stack).
 *
 * The uprobe fallback: mmap, munmap, mremap and sbrk, the heap's growth (rare
 * calls: glibc malloc above its mmap threshold, numpy, torch's
 * posix_memalign and CPython arenas all end in mmap; malloc grows its heap
 * by sbrk, 128 KiB or more at a time).  sbrk(+n) is an NL_ALLOC_BRK of
 * [old break, old break + n); sbrk(-n), the heap trimmed, an NL_ALLOC_MUNMAP
 * of what it gave back; sbrk(0) nothing.  With malloc_family also malloc, calloc, realloc and free, at
 * ~0.3 us per call and ~0.5 us per return on one CPU: too dear for a
 * default (a function called 10 k times a second per thread).
 * posix_memalign below the mmap threshold is not tracked (the pointer
 * posix_memalign returns is in memory, not in a register), nor brk(2)
 * called directly rather than through sbrk.
 *
 * The decoder is shared by the live source and the perf.data reader: the
 * probe hits are ordinary samples in a recording, so `numalens report`
 * rebuilds the same allocations.  Events are recognised by name
 * ("alloc:mmap", "alloc:mmap_ret", "alloc:sys_mmap", ...).
 *
 * The mmap family's returns carry every general register and an 8 KiB
 * copy of the stack: objects.c unwinds them with .eh_frame (unwind.h) to
 * name the caller through glibc and libtorch, which keep no frame pointers
 * ("at c10::alloc_cpu"), and falls back to a scan of the copy.
 *
 * Promises: the decoder allocates only when a new thread has a call in
 * flight or a new process calls brk (memory grows with live threads and
 * processes: allocdec__forget at exit); x86-64 register numbering (the only
 * ABI probed; elsewhere allocprobe__plan says why and plans nothing).
 */
#ifndef NUMALENS_ALLOCPROBE_H
#define NUMALENS_ALLOCPROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/base/map.h"
#include "samplers/events.h"
#include "samplers/sample.h"

struct nl_sys;

#define NL_ALLOCPROBE_MAX 14

struct nl_allocprobe_options {
	const char *tracefs;    /* where tracefs is (or is mounted, as root):
				   probes defined there are tracepoints, which
				   follow forks and close cheaply; NULL: the
				   uprobe PMU only */
	bool malloc_family;     /* --alloc-sites=malloc */
	bool no_syscalls;       /* the mmap family by libc uprobes even where
				   tracefs has the syscall tracepoints */
	uint64_t min_size;      /* --alloc-min: smaller malloc-family calls are
				   dropped (they still trap) */
};

/* The probes planned on one libc. */
struct nl_allocprobe_set {
	char path[600];         /* uprobe_path: spec[].config1 points here, so
				   the set must not move until the events are open */
	char libc[512];         /* the libc as the target maps it */
	int nr;
	struct nl_ev_spec spec[NL_ALLOCPROBE_MAX];
	char tracefs[64];       /* probes defined in tracefs/uprobe_events
				   (allocprobe__remove), "" for PMU probes */
	char group[32];         /* their group, "numalens_PID" */
	bool mounted;           /* numalens mounted tracefs for them (it stays
				   mounted: others may use it by then) */
	bool syscalls;          /* mmap, munmap, mremap and brk by the syscall
				   tracepoints (spec names "alloc:sys_..."),
				   not by uprobes */
};

/*
 * Plans the syscall tracepoints (o->tracefs, unless o->no_syscalls) and,
 * without them or with o->malloc_family, the probes for the libc process
 * pid maps (pid 0: numalens' own, for a command not started yet).  sysfs:
 * "/sys".  Returns 0 with set filled (nr > 0; note filled, "malloc-family
 * sites off: ...", when only the malloc uprobes could not be had), or
 * -errno with set->nr 0 and note (one line, "allocation sites off: <why> -
 * <fix>") filled; allocation tracking is then off and everything else goes
 * on.
 */
int allocprobe__plan(const struct nl_sys *sys, int pid, const char *sysfs,
		     const struct nl_allocprobe_options *o, struct nl_allocprobe_set *set,
		     char *note, size_t note_size);

/*
 * tracefs at dir ("/sys/kernel/tracing") with file (relative to dir)
 * openable with flags: when no tracefs is mounted there and numalens is
 * root, mounts it first (the one mount of numalens; it stays mounted, as
 * others may use it by then).  OUT: *mounted, true when this call mounted
 * it.  True when file opened (and was closed again).
 */
bool allocprobe__tracefs_ready(const struct nl_sys *sys, const char *dir, const char *file,
			       int flags, bool *mounted);

/*
 * Removes the uprobes plan defined in tracefs (none, or syscall
 * tracepoints only: no-op).  Call after every event on them is closed.
 * 0 or the first -errno.
 */
int allocprobe__remove(const struct nl_sys *sys, struct nl_allocprobe_set *set);

/* The decoder: which events are probes, and the calls in flight. */
struct nl_allocdec {
	uint64_t min_size;
	uint32_t nr_events;
	uint8_t probe_of[32];   /* event index -> 1 + probe, 0: not a probe */
	struct nl_map pending;  /* (tid, probe << 2 | arg) -> argument */
	uint64_t calls, unpaired, dropped_small;
};

/* Starts a decoder (zeroed *d is fine too). */
void allocdec__init(struct nl_allocdec *d, uint64_t min_size);
void allocdec__free(struct nl_allocdec *d);
/* Event index ev is named name: remembers it when it is a probe.  True then. */
bool allocdec__bind(struct nl_allocdec *d, uint32_t ev, const char *name);
/* Whether any event is bound. */
bool allocdec__active(const struct nl_allocdec *d);
/* Process pid ended: its last break (brk(2)) is forgotten, so memory grows
   with live processes and a new process of that pid starts unknown. */
void allocdec__forget(struct nl_allocdec *d, int pid);

/*
 * rec is a sample: when its event is a probe, consumes it.  Returns -1 when
 * the sample is not a probe hit (rec untouched), 0 when it was consumed
 * (an entry half, a failed or too small call), 1 when rec now holds an
 * NL_REC_ALLOC (its callchain points where the sample's did).  -ENOMEM
 * counts the call as unpaired and returns 0.
 */
int allocdec__convert(struct nl_allocdec *d, struct nl_record *rec);

#endif
