/*
 * analysis.h - the analysis entry point: a source drained into the
 * aggregator.  The one loop every report path runs through: `numalens
 * report`, `numalens profile` (profiler/cli/pipeline.c) and the tests
 * (tests/report_run.h, tests/analysis/), so a test of the counts tests the
 * loop the binary runs, not a copy of it.
 *
 * Feeds the same records to the code profile (profiler/codeprofile.h:
 * functions, lines, stacks), each sample with the aggregator's verdict on
 * its locality, to the data objects and to the bandwidth estimate
 * (profiler/bwestimate.h), and finishes them.
 *
 * Owns the drain and its bookkeeping: the stop flag, and where a failing
 * source stopped.  Does not own the source (the caller opens and closes it)
 * or the rendering (profiler/cli/pipeline.c).
 *
 * Promises:
 *   1. Everything the source delivered before its end, an error or a stop
 *      request is aggregated; the stop flag does not cut the stream (a live
 *      source ends it by itself once asked, after handing out what it holds).
 *   2. A source that fails (next() < 0) ends the stream like its end does,
 *      and the failure is written into src->stats (stopped_at, stop_reason)
 *      unless the source recorded one itself, so the report says where.
 *   3. No allocation per record beyond what aggregate__add() does (none per
 *      sample).
 */
#ifndef NUMALENS_ANALYSIS_H
#define NUMALENS_ANALYSIS_H

#include <signal.h>
#include <stdbool.h>

#include "profiler/bwestimate.h"

struct nl_aggregate;
struct nl_codeprofile;
struct nl_objects;
struct nl_objects_result;
struct nl_code_profile;
struct nl_profile;
struct nl_record;
struct nl_source;
struct nl_symbols_options;

struct nl_analysis {
	struct nl_aggregate *agg;          /* owned: analysis__free() */
	const struct nl_profile *profile;  /* the finished profile, owned by agg */
	struct nl_codeprofile *cp;         /* owned: analysis__free() */
	const struct nl_code_profile *code;/* functions, lines, stacks, owned by cp */
	struct nl_objects *ob;             /* owned: analysis__free() */
	const struct nl_objects_result *objects; /* data objects, owned by ob */
	bool interrupted;                  /* *stop was set before the stream ended */
	struct nl_bwestimate bwest;        /* DRAM samples x period, per node */
	bool has_bw_estimate;              /* bw_estimate holds one (bwestimate.h) */
	struct nl_bandwidth bw_estimate;   /* what the report shows when no
					      controller counter measured it */
};

/*
 * Drains src into a new aggregate (over src->info.topology) until next()
 * returns 0 or an error, then finishes it.  stop may be NULL; it is only
 * watched, never reset.  OUT: *out.  Returns 0 with *out filled, or -ENOMEM
 * with *out zeroed (nothing to free).
 */
int analysis__run(struct nl_source *src, volatile sig_atomic_t *stop, struct nl_analysis *out);

/*
 * analysis__run() with symbol options (--symfs, --force-jit-maps; NULL:
 * none).  Whether DSOs are opened live (/proc/PID) and whether kallsyms
 * names kernel code are decided here from src, whatever *so says.
 */
int analysis__run_symbols(struct nl_source *src, volatile sig_atomic_t *stop,
			  const struct nl_symbols_options *so, struct nl_analysis *out);

/*
 * An observer of the drain (intervals, a status line): record() sees every
 * record right after the aggregator counted it, with the aggregator's
 * verdict on a sample's locality (NL_LOC_NONE for other records), on the
 * draining thread.  A non-zero return (-ENOMEM) ends the drain like an
 * allocation failure of the aggregator does.
 */
struct nl_analysis_tap {
	int (*record)(void *ctx, const struct nl_record *rec, int locality);
	/* the source ended (before the profiles are finished, which may take
	   long: symbols); may be NULL */
	void (*end)(void *ctx);
	void *ctx;
};

/* analysis__run_symbols() with an observer (NULL: none). */
int analysis__run_tapped(struct nl_source *src, volatile sig_atomic_t *stop,
			 const struct nl_symbols_options *so,
			 const struct nl_analysis_tap *tap, struct nl_analysis *out);

/* Frees what analysis__run() made; a zeroed *a is fine.  Leaves *a zeroed. */
void analysis__free(struct nl_analysis *a);

#endif
