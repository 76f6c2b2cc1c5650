/*
 * script_source.h - test helper: an in-memory struct nl_source that hands
 * out a scripted array of struct nl_record, so the aggregator and the
 * report can be tested on streams whose every count is known.
 *
 * Behaves as sample.h asks of a source: next() returns 1 per record, then
 * `end` forever (0, or a -errno to play a source that fails); it counts
 * stats.records and, through nl_source__count(), samples and losses the
 * way every real source does.  The records, the topology and the source
 * itself belong to the test; close does nothing.
 */
#ifndef NUMALENS_TEST_SCRIPT_SOURCE_H
#define NUMALENS_TEST_SCRIPT_SOURCE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "samplers/sample.h"

struct script_source {
	struct nl_source src;           /* first: what consumers see */
	const struct nl_record *recs;
	size_t nr, pos;
	int end;                        /* next()'s value after the last record */
	volatile sig_atomic_t *raise_at_end; /* set to 1 with the last record */
};

static int script_next(struct nl_source *s, struct nl_record *out)
{
	struct script_source *ss = (struct script_source *)s;

	if (ss->pos == ss->nr)
		return ss->end;
	*out = ss->recs[ss->pos++];
	s->stats.records++;
	nl_source__count(s, out);
	if (ss->pos == ss->nr && ss->raise_at_end)
		*ss->raise_at_end = 1;
	return 1;
}

static void script_close(struct nl_source *s)
{
	(void)s;
}

static const struct nl_source_ops script_ops = {
	.name = "script",
	.next = script_next,
	.close = script_close,
};

/* A source over recs[0..nr) with topology topo (may be NULL). */
static inline void script_source__init(struct script_source *ss, const struct nl_record *recs,
				       size_t nr, struct nl_topology *topo)
{
	memset(ss, 0, sizeof(*ss));
	ss->src.ops = &script_ops;
	snprintf(ss->src.info.path, sizeof(ss->src.info.path), "script");
	ss->src.info.topology = topo;
	ss->recs = recs;
	ss->nr = nr;
}

#endif
