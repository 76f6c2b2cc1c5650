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
#include "profiler/findings.h"
#include "profiler/objects.h"
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

/* Findings about a mapping name the allocation in it (objects.h); the
   advice names it too, with its first toucher (advice.c). */
static void name_findings(struct nl_analysis *a)
{
	for (int i = 0; i < a->profile->nr_findings; i++) {
		struct nl_finding *f = &a->profile->findings[i];
		const struct nl_data_object *ob;
		char what[300], told[600];

		if (f->kind != NL_FINDING_SHARED_OBJECT ||
		    !(ob = objects__for_range(a->objects, f->start, f->end, told, sizeof(told))) ||
		    !ob->allocation)
			continue;
		objects__describe(ob, what, sizeof(what));
		findings__name_object(f, what);
	}
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
	bwestimate__init(&out->bwest, src->info.topology);
	out->agg = aggregate__new(src->info.topology);
	out->cp = codeprofile__new(&o, &src->info);
	if (!out->agg || !out->cp)
		goto nomem;
	out->ob = objects__new(out->cp, src->info.topology, &src->info);
	if (!out->ob)
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
		if (codeprofile__add(out->cp, &rec, loc, first_touch) ||
		    objects__add(out->ob, &rec, loc, first_touch))
			goto nomem;
		/* the objects resolved what they need of an ended process */
		if (rec.kind == NL_REC_RETIRE && codeprofile__retire(out->cp, rec.task.pid) < 0)
			goto nomem;
		bwestimate__add(&out->bwest, &rec);
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
	out->objects = out->code ? objects__finish(out->ob) : NULL;
	if (!out->profile || !out->code || !out->objects)
		goto nomem;
	name_findings(out);
	out->has_bw_estimate = bwestimate__result(&out->bwest, &out->bw_estimate);
	return 0;
nomem:
	analysis__free(out);
	return -ENOMEM;
}

void analysis__free(struct nl_analysis *a)
{
	aggregate__free(a->agg);
	codeprofile__free(a->cp);
	objects__free(a->ob);
	memset(a, 0, sizeof(*a));
}
