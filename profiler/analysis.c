/*
 * analysis.c - the drain: source -> aggregate.  See analysis.h.
 */
#include "profiler/analysis.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/utsname.h>

#include "profiler/aggregate.h"
#include "profiler/codeprofile.h"
#include "samplers/sample.h"

/* Source failure as a damage note: where (at least "record 1") and why. */
static void note_failure(struct nl_source *src, int err)
{
	if (src->stats.stopped_at)
		return;
	src->stats.stopped_at = src->stats.records ? src->stats.records : 1;
	snprintf(src->stats.stop_reason, sizeof(src->stats.stop_reason),
		 "the source failed: %s", strerror(-err));
}

/* Live targets: open DSOs through /proc; kallsyms names kernel code only
   when the recording's kernel is the one running. */
static struct nl_symbols_options symbol_options(const struct nl_source *src,
						const struct nl_symbols_options *so)
{
	struct nl_symbols_options o = { 0 };
	struct utsname u;

	if (so)
		o = *so;
	o.live = !strcmp(src->ops->name, "live");
	o.same_kernel = o.live || (!uname(&u) && !strcmp(u.release, src->info.os_release));
	return o;
}

int analysis__run(struct nl_source *src, volatile sig_atomic_t *stop, struct nl_analysis *out)
{
	return analysis__run_symbols(src, stop, NULL, out);
}

int analysis__run_symbols(struct nl_source *src, volatile sig_atomic_t *stop,
			  const struct nl_symbols_options *so, struct nl_analysis *out)
{
	return analysis__run_tapped(src, stop, so, NULL, out);
}

int analysis__run_tapped(struct nl_source *src, volatile sig_atomic_t *stop,
			 const struct nl_symbols_options *so,
			 const struct nl_analysis_tap *tap, struct nl_analysis *out)
{
	struct nl_symbols_options o = symbol_options(src, so);
	struct nl_record rec;
	enum nl_locality loc;
	bool first_touch;
	int ret;

	memset(out, 0, sizeof(*out));
	out->agg = aggregate__new(src->info.topology);
	out->cp = codeprofile__new(&o, &src->info);
	if (!out->agg || !out->cp)
		goto nomem;
	for (;;) {
		if (stop && *stop)
			out->interrupted = true;
		ret = nl_source__next(src, &rec);
		if (ret <= 0)
			break;
		if (aggregate__add(out->agg, &rec))
			goto nomem;
		/* Code sites: counted with the aggregator's verdict on the sample. */
		loc = aggregate__last_sample(out->agg, &first_touch);
		if (codeprofile__add(out->cp, &rec, loc, first_touch))
			goto nomem;
		if (tap && tap->record(tap->ctx, &rec,
				       rec.kind == NL_REC_SAMPLE ? (int)loc : NL_LOC_NONE))
			goto nomem;
	}
	if (ret < 0)
		note_failure(src, ret);
	if (tap && tap->end)
		tap->end(tap->ctx);
	out->profile = aggregate__finish(out->agg);
	out->code = out->profile ? codeprofile__finish(out->cp) : NULL;
	if (!out->profile || !out->code)
		goto nomem;
	return 0;
nomem:
	analysis__free(out);
	return -ENOMEM;
}

void analysis__free(struct nl_analysis *a)
{
	aggregate__free(a->agg);
	codeprofile__free(a->cp);
	memset(a, 0, sizeof(*a));
}
