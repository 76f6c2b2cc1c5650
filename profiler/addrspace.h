/*
 * addrspace.h - per-process address spaces: which file (DSO) and offset an
 * instruction address is, and which mapping a data address falls in.
 *
 * Owns one sorted, non-overlapping mapping list per process, built from the
 * source's records: MMAP (a new mapping cuts away what it overlaps, as the
 * kernel does), FORK of a new process (copies the parent's space), COMM
 * with exec (empties it: the new image maps itself afresh), PLACEMENT
 * (names data ranges that had no MMAP record, e.g. anonymous memory seen
 * live).  EXIT does not free a space: records of other CPUs' rings may
 * still name it; addrspace__retire() does, once every record naming the
 * process was read, and a FORK reusing the pid replaces it.
 * Promises: lookups allocate nothing and cost a binary search; memory grows
 * with processes x mappings, of processes not retired (and of retired ones
 * a process not retired was forked from: final lookups walk ancestors).  DSOs are interned in struct nl_symbols, so a
 * library mapped by 90 workers is one DSO.
 */
#ifndef NUMALENS_ADDRSPACE_H
#define NUMALENS_ADDRSPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_symbols;
struct nl_addrspaces;

/* syms is used (not owned) to intern DSOs.  NULL on -ENOMEM. */
struct nl_addrspaces *addrspace__new(struct nl_symbols *syms);
void addrspace__free(struct nl_addrspaces *as);

/* Applies MMAP, FORK, COMM, PLACEMENT records; ignores others.  0 or -ENOMEM. */
int addrspace__record(struct nl_addrspaces *as, const struct nl_record *rec);

/*
 * pid ended and every record naming it was read (NL_REC_RETIRE): its space
 * is freed now if no kept space was forked from it, else when the last of
 * those goes (its parent's too, if retired, and so on up).  Callers first
 * resolve what they still need from it.  Returns the spaces freed.
 */
int addrspace__retire(struct nl_addrspaces *as, int pid);

/* Spaces kept (what memory the address spaces hold grows with). */
uint32_t addrspace__count(const struct nl_addrspaces *as);

/*
 * OUT *key: the site key (symbols__key) of instruction address ip in
 * process pid: its DSO and file offset; kernel addresses (kernel true) go
 * to [kernel.kallsyms], user addresses outside any file mapping to the
 * process' JIT map when it has one, else [unknown] with the address itself
 * ([unknown] at 0 for user addresses above the user range: garbage from a
 * frame-pointer walk through code built without frame pointers).
 * Returns false when ip fell outside every mapping known for pid (then
 * *key is the JIT/[unknown] one): records are not in time order across
 * CPUs, so a caller may ask again once all records are in, with
 * final=true, which also searches the spaces of the process' ancestors
 * (a sample read before its FORK record).
 */
bool addrspace__code_key(struct nl_addrspaces *as, int pid, uint64_t ip, bool kernel,
			 bool final, uint64_t *key);

/* A file mapping of code, as the unwinder needs it. */
struct nl_code_mapping {
	uint64_t start, end, pgoff;     /* virtual range, file offset of start */
	uint32_t dso;                   /* symbols.h DSO id */
};

/* OUT *out: the file mapping of pid holding user address ip (false: none
   known now).  Allocates nothing. */
bool addrspace__code_mapping(struct nl_addrspaces *as, int pid, uint64_t ip,
			     struct nl_code_mapping *out);

/* A number that changes whenever a record changed any address space, so
   callers may cache lookups between changes. */
uint64_t addrspace__generation(const struct nl_addrspaces *as);

/* Id of the mapping holding data address addr of pid (0: none known). */
uint32_t addrspace__data_mapping(struct nl_addrspaces *as, int pid, uint64_t addr);
/*
 * The mapping holding data address addr of pid.  OUT: *start, *end, *name
 * (a mapping id).  False (outputs untouched) when no mapping is known.
 */
bool addrspace__data_range(struct nl_addrspaces *as, int pid, uint64_t addr,
			   uint64_t *start, uint64_t *end, uint32_t *name);
/*
 * The image pid's code layout came from: pid itself when it exec'd or its
 * parent is unknown, else its parent's image (a fork copies the parent's
 * mappings).  Processes of one image map their DSOs where the image did,
 * unless one mapped otherwise since: a hint for sharing per-layout state
 * (unwind.c's Dwfl), which the user must still check against the mappings.
 */
int addrspace__image(struct nl_addrspaces *as, int pid);
/* The parent process of pid (from its FORK record), -1 unknown. */
int addrspace__parent(struct nl_addrspaces *as, int pid);
/* Name of mapping id ("/memfd:x (deleted)", "//anon", "[heap]", "[unknown]"). */
const char *addrspace__mapping_name(const struct nl_addrspaces *as, uint32_t id);

#endif
