/*
 * progress.h - the live status line of `numalens profile` on a terminal:
 * elapsed / duration, tasks followed, samples/s, remote share so far,
 * lost, rewritten in place about once a second on stderr.
 *
 * Owns the line and its terminal state.  Promises: nothing is written
 * unless progress__new() was told stderr is a terminal and not -q; the
 * line is erased before anything else is printed (progress__clear) and
 * for good by progress__free(), so a report or an error line never shares
 * a line with it.  Allocation-free per record.
 */
#ifndef NUMALENS_PROGRESS_H
#define NUMALENS_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct nl_source;
struct nl_record;
struct nl_progress;

/*
 * A status line for src (borrowed: tasks followed come from its live
 * stats) on out, duration seconds (0: open-ended).  enabled false gives an
 * object that never writes.  NULL on -ENOMEM.
 */
struct nl_progress *progress__new(FILE *out, bool enabled, const struct nl_source *src,
				  double duration);
/* Erases the line for good and frees p (NULL fine). */
void progress__free(struct nl_progress *p);

/* Accounts rec (locality: enum nl_locality) and redraws once a second. */
void progress__record(struct nl_progress *p, const struct nl_record *rec, int locality);

/* Erases the line (it is drawn again at the next second). */
void progress__clear(struct nl_progress *p);

/* Whether out is a terminal the line may be drawn on (isatty). */
bool progress__wanted(FILE *out, bool quiet);

#endif
