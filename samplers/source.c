/*
 * source.c - bookkeeping shared by every source (see sample.h): record
 * counts and the named counters a source publishes for the report.
 */
#include <stdio.h>
#include <string.h>

#include "samplers/sample.h"

void nl_source__count(struct nl_source *src, const struct nl_record *rec)
{
	struct nl_source_stats *st = &src->stats;

	switch (rec->kind) {
	case NL_REC_SAMPLE:
		st->samples++;
		if (rec->sample.event < src->info.nr_events)
			src->info.events[rec->sample.event].samples++;
		break;
	case NL_REC_LOST:
		st->lost_records++;
		st->lost_samples += rec->loss.count;
		break;
	case NL_REC_THROTTLE:
		st->throttles++;
		break;
	case NL_REC_UNTHROTTLE:
		st->unthrottles++;
		break;
	default:
		break;
	}
}

void nl_source__set_counter(struct nl_source_stats *st, const char *name, int64_t value)
{
	uint32_t i;

	for (i = 0; i < st->nr_counters; i++)
		if (!strcmp(st->counters[i].name, name))
			break;
	if (i == NL_MAX_COUNTERS)
		return;
	if (i == st->nr_counters) {
		snprintf(st->counters[i].name, sizeof(st->counters[i].name), "%s", name);
		st->nr_counters++;
	}
	st->counters[i].value = value;
}
