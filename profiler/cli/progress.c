/*
 * progress.c - the status line.  See progress.h.
 */
#include "profiler/cli/progress.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profiler/datasrc.h"
#include "samplers/live.h"
#include "samplers/sample.h"

struct nl_progress {
	FILE *out;
	bool enabled, drawn;
	const struct nl_source *src;
	double duration;
	uint64_t t0, last_draw;
	uint64_t samples, local, remote, lost;
	uint64_t samples_at_draw;
	uint32_t since_clock;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool progress__wanted(FILE *out, bool quiet)
{
	return !quiet && isatty(fileno(out));
}

struct nl_progress *progress__new(FILE *out, bool enabled, const struct nl_source *src,
				  double duration)
{
	struct nl_progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->out = out;
	p->enabled = enabled;
	p->src = src;
	p->duration = duration;
	p->t0 = p->last_draw = now_ns();
	return p;
}

void progress__clear(struct nl_progress *p)
{
	if (p && p->drawn) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
		p->drawn = false;
	}
}

void progress__free(struct nl_progress *p)
{
	progress__clear(p);
	free(p);
}

static void draw(struct nl_progress *p, uint64_t now)
{
	double elapsed = (double)(now - p->t0) / 1e9;
	double dt = (double)(now - p->last_draw) / 1e9;
	int tasks = strcmp(p->src->ops->name, "live") ? 0 : live__stats(p->src)->nr_tasks;
	char dur[32] = "", remote[16] = "-";

	if (p->duration > 0)
		snprintf(dur, sizeof(dur), "/%gs", p->duration);
	if (p->local + p->remote)
		snprintf(remote, sizeof(remote), "%.1f%%",
			 100.0 * (double)p->remote / (double)(p->local + p->remote));
	fprintf(p->out, "\r\033[Knumalens: %.0fs%s  tasks %d  samples/s %.0f  remote %s  lost %llu",
		elapsed, dur, tasks, dt > 0 ? (double)(p->samples - p->samples_at_draw) / dt : 0.0,
		remote, (unsigned long long)p->lost);
	fflush(p->out);
	p->drawn = true;
	p->last_draw = now;
	p->samples_at_draw = p->samples;
}

void progress__record(struct nl_progress *p, const struct nl_record *rec, int locality)
{
	uint64_t now;

	if (!p->enabled)
		return;
	if (rec->kind == NL_REC_SAMPLE) {
		p->samples++;
		p->local += locality == NL_LOC_LOCAL;
		p->remote += locality == NL_LOC_REMOTE;
	} else if (rec->kind == NL_REC_LOST) {
		p->lost += rec->loss.count;
	}
	if (rec->kind != NL_REC_TICK && (++p->since_clock & 255))
		return;
	now = now_ns();
	if (now - p->last_draw >= 1000000000ull)
		draw(p, now);
}
