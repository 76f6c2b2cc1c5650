/*
 * analysis.c - the drain: source -> aggregate.  See analysis.h.
 */
#include "profiler/analysis.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profiler/aggregate.h"
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

int analysis__run(struct nl_source *src, volatile sig_atomic_t *stop, struct nl_analysis *out)
{
	struct nl_record rec;
	int ret;

	memset(out, 0, sizeof(*out));
	out->agg = aggregate__new(src->info.topology);
	if (!out->agg)
		return -ENOMEM;
	for (;;) {
		if (stop && *stop)
			out->interrupted = true;
		ret = nl_source__next(src, &rec);
		if (ret <= 0)
			break;
		if (aggregate__add(out->agg, &rec))
			goto nomem;
	}
	if (ret < 0)
		note_failure(src, ret);
	out->profile = aggregate__finish(out->agg);
	if (!out->profile)
		goto nomem;
	return 0;
nomem:
	analysis__free(out);
	return -ENOMEM;
}

void analysis__free(struct nl_analysis *a)
{
	aggregate__free(a->agg);
	memset(a, 0, sizeof(*a));
}
