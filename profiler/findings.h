/*
 * findings.h - what the report leads with: conclusions about objects and
 * processes, as data, with their numbers.  What to run about them is the
 * advice engine's (advice.h: one source of advice text; each advice names
 * the finding it answers).
 *
 * Owns two kinds of findings, computed once from the finished profile:
 *   1. a shared remote object: several processes (workers of one parent)
 *      read one data mapping whose pages sit on another node than the one
 *      they run on ("6 of 6 workers of pid 170 read a 64 MiB anonymous
 *      mapping with 100 % of its pages on node 0; they run on node 1");
 *   2. remote processes: processes whose access-weighted exposure is at
 *      least one half and that no object finding covers.
 * Object findings come first, most readers first, then the object that
 * carries the larger share of what they access.  A finding never names a process whose
 * accessed data is local (exposure below one half, or not reading the
 * object).  The renderers print the summary as it is.
 */
#ifndef NUMALENS_FINDINGS_H
#define NUMALENS_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "profiler/aggregate.h"

enum nl_finding_kind {
	NL_FINDING_SHARED_OBJECT = 0,
	NL_FINDING_REMOTE_PROCESSES,
};

/* The thresholds a finding (and the advice about one, advice.c) holds to. */
#define NL_FINDING_MIN_OBJECT_PAGES 256 /* an object: 1 MiB of 4 KiB pages or more */
#define NL_FINDING_MIN_WEIGHT_SHARE 0.1 /* of a reader's data access weight */
#define NL_FINDING_REMOTE_EXPOSURE 0.5  /* readers "remote" from this exposure up */

#define NL_FINDING_MAX_READERS 64
#define NL_MAX_FINDINGS 4

struct nl_finding {
	enum nl_finding_kind kind;
	int32_t parent;                 /* the readers' parent, -1 mixed */
	int nr_readers;                 /* processes named by the finding */
	int nr_group;                   /* children of parent in the profile */
	int32_t readers[NL_FINDING_MAX_READERS]; /* the first of them */
	uint64_t start, end;            /* the object (SHARED_OBJECT), else 0 */
	char name[160];                 /* its mapping name, "" anonymous */
	int home_node, run_node;        /* node ids: where pages sit / readers run */
	double home_share;              /* share of the object's pages on home_node */
	double exposure;                /* mean remote_exposure of the readers */
	double weight_share;            /* mean share of the readers' data access
					   weight on the object (ranks objects) */
	char summary[400];              /* one line, for the summary; what to
					   run is the advice engine's (advice.h),
					   which points back at its finding */
};

/*
 * Fills p->findings / p->nr_findings (at most NL_MAX_FINDINGS, most
 * important first; freed with the profile).  0 or -ENOMEM.
 */
int findings__compute(struct nl_profile *p);
/*
 * Names the data object of a SHARED_OBJECT finding (profiler/objects.h)
 * where its summary named the mapping: the summary then says what ("64 MiB
 * allocation (malloc) at make (a.c:4)").  A text too long keeps the mapping.
 */
void findings__name_object(struct nl_finding *f, const char *what);

/* "shared_remote_object", "remote_processes". */
const char *findings__kind_name(enum nl_finding_kind kind);
/* "12 KiB", "64 MiB", "12 GiB" (MiB rounded; GiB from 10 GiB on). */
void findings__size_text(char *buf, size_t size, uint64_t bytes);
/* The readers of f, "183,184,182,185" (",..." past the first ones kept). */
void findings__readers_text(char *buf, size_t size, const struct nl_finding *f);
/* The node index a task mostly ran on (>= half its time), or -1. */
int findings__run_node(const struct nl_task_stats *t, int nr_nodes);
/* The weight of m in its process under the process's exposure basis
   (referenced bytes, access faults, or resident pages). */
double findings__weight(const struct nl_task_stats *t, const struct nl_mapping_stats *m);
/* A mapping as a sentence names it: "anonymous mapping", "[heap] mapping",
   "mapping /memfd:x (deleted)". */
void findings__mapping_text(char *buf, size_t size, const char *name);

#endif
