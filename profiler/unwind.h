/*
 * unwind.h - user call stacks from a copy of the user stack (perf's
 * `--call-graph dwarf`: PERF_SAMPLE_REGS_USER + PERF_SAMPLE_STACK_USER),
 * unwound with libdw's CFI unwinder (dwfl_attach_state,
 * dwfl_getthread_frames), as perf's util/unwind-libdw.c does.
 *
 * Why: Debian's own libraries (libc, libpython, libtorch) are built
 * without frame pointers, so a frame-pointer walk stops (or reads garbage)
 * at their first frame; .eh_frame describes every frame of them.
 *
 * Owns one Dwfl per image (addrspace__image: a process and the children
 * forked from it share one; at most UNWIND_MAX_PROCS, least recently used
 * dropped), holding the image's code files at their run-time addresses,
 * reported lazily: a DSO is added when a frame's pc first falls in it.  The
 * files come from symbols.h (symbols__open_for_unwind: same --symfs, same
 * live /proc/PID/map_files path, a build-id that is not the recording's is
 * refused), the mappings from addrspace.h.
 * Promises:
 *   1. Runs in the analysis layer while records are drained, never in a
 *      source's reader.  The stack bytes are read during unwind__user and
 *      forgotten: only instruction addresses come out, nothing of the
 *      target's memory is kept or reported.
 *   2. Memory grows with images (and processes of a layout of their own)
 *      and the DSOs they hit, not with samples or forked workers.
 *      Nothing is allocated per sample once a process' DSOs are in.
 *   3. A frame whose pc falls in no known file mapping (JIT code, a mapping
 *      not yet seen, [vdso]) ends the stack there, counted in stats.
 *   4. Only the user part: kernel frames come from the sample's callchain.
 *   5. No debuginfod and no separate debug files: .eh_frame is enough on
 *      the architectures handled (x86_64, aarch64).
 *
 * The stack handed out is the simple form every stack in numalens has (the
 * same as a callchain's user context, so profiler/codeprofile.c and later
 * splicers such as Python frames treat both alike):
 *   ips[0]       the interrupted user pc itself,
 *   ips[1..n)    return addresses, innermost first (the caller looks up
 *                ips[i] - 1 to name the call).
 */
#ifndef NUMALENS_UNWIND_H
#define NUMALENS_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

#define UNWIND_MAX_PROCS 64

struct nl_symbols;
struct nl_addrspaces;
struct nl_unwinder;

struct nl_unwind_stats {
	uint64_t stacks;                /* samples with a user stack unwound */
	uint64_t frames;                /* frames produced */
	uint64_t single_frame;          /* stacks that ended at their first frame */
	uint64_t stopped_unmapped;      /* a pc outside every known file mapping */
	uint64_t dsos_refused;          /* (process, DSO) pairs without a usable file */
	uint64_t dwfls;                 /* Dwfls begun (one per image, plus
					   rebuilds and own layouts) */
	uint64_t processes_dropped;     /* Dwfls dropped for the LRU bound */
	uint64_t own_layout;            /* processes that mapped code otherwise
					   than their image: a Dwfl of their own */
	uint64_t deferred;              /* stacks unwound later, once their
					   mappings were read (codeprofile.c) */
	uint64_t deferred_overflow;     /* ... or not, for lack of room */
	bool arch_unsupported;          /* the recording's arch is not handled */
};

/*
 * arch: the recording machine's (uname -m, perf's HEADER_ARCH); "" or NULL
 * means this machine's.  syms and as are used, not owned.  NULL on -ENOMEM.
 */
struct nl_unwinder *unwind__new(struct nl_symbols *syms, struct nl_addrspaces *as,
				const char *arch);
void unwind__free(struct nl_unwinder *u);

/*
 * Unwinds the user stack of s (which has NL_SAMPLE_USER_STACK) of process
 * s->pid.  OUT: ips[0..n), the form above.  Returns n: 0 when nothing can
 * be unwound (no user pc, arch not handled), 1 when only the pc is known.
 */
uint32_t unwind__user(struct nl_unwinder *u, const struct nl_sample *s, uint64_t *ips,
		      uint32_t max);

/*
 * unwind__user that ends early: after each frame is added, enough(ctx,
 * ips, n) says whether the frames so far are all the caller needs (each
 * DWARF step costs microseconds; an allocation's site is a few frames past
 * libc, not the whole Python stack under it).  A walk may be retried from
 * its first frame (a process laid out otherwise than its image): enough
 * then sees n start over at 2, its first call of every walk.
 */
typedef bool (*nl_unwind_enough_fn)(void *ctx, const uint64_t *ips, uint32_t n);
uint32_t unwind__user_until(struct nl_unwinder *u, const struct nl_sample *s, uint64_t *ips,
			    uint32_t max, nl_unwind_enough_fn enough, void *ctx);

/*
 * Whether unwinding s now is as good as it gets: its user pc lies in a
 * mapping the address space knows (or s cannot be unwound at all).  False
 * when the pc's mapping has not been seen yet: perf.data writes one CPU's
 * ring after another, so a process' samples may come before its exec and
 * MMAP records (then the caller keeps the sample and asks again later).
 */
bool unwind__pc_known(struct nl_unwinder *u, const struct nl_sample *s);

void unwind__stats(const struct nl_unwinder *u, struct nl_unwind_stats *out);

#endif
