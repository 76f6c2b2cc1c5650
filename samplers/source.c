/*
 * source.c - bookkeeping shared by every source (see sample.h): record
 * counts and the named counters a source publishes for the report.
 */
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>

#include "samplers/sample.h"

bool nl_source_info__has(const struct nl_source_info *info, uint32_t fields)
{
	uint64_t bits = 0;

	/* the perf sample_type bits behind each NL_SAMPLE_* field */
	bits |= fields & NL_SAMPLE_CPU ? PERF_SAMPLE_CPU : 0;
	bits |= fields & NL_SAMPLE_WEIGHT ? PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT : 0;
	bits |= fields & NL_SAMPLE_DATA_SRC ? PERF_SAMPLE_DATA_SRC : 0;
	bits |= fields & NL_SAMPLE_PHYS_ADDR ? PERF_SAMPLE_PHYS_ADDR : 0;
	bits |= fields & NL_SAMPLE_ADDR ? PERF_SAMPLE_ADDR : 0;
	for (uint32_t i = 0; i < info->nr_events; i++)
		if (info->events[i].sample_type & bits)
			return true;
	return false;
}

void nl_source__count(struct nl_source *src, const struct nl_record *rec)
{
	struct nl_source_stats *st = &src->stats;

	switch (rec->kind) {
	case NL_REC_SAMPLE:
		st->samples++;
		if (rec->sample.event < src->info.nr_events)
			src->info.events[rec->sample.event].samples++;
		break;
	case NL_REC_LOST:      /* one loss, two records: enum nl_loss_source */
		if (rec->loss.source == NL_LOSS_RING) {
			st->lost_records++;
			st->lost_ring += rec->loss.count;
		} else if (rec->loss.source == NL_LOSS_COUNTED) {
			st->lost_counted += rec->loss.count;
		} else {
			st->lost_filtered += rec->loss.count;
		}
		st->lost_samples = st->lost_ring > st->lost_counted ? st->lost_ring : st->lost_counted;
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
