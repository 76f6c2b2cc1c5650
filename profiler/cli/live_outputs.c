/*
 * live_outputs.c - the status line, the interval lines and files, and the
 * serve publisher behind one drain observer.  See live_outputs.h.
 */
#include "profiler/cli/live_outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/cli/progress.h"
#include "profiler/interval.h"
#include "report/interval_render.h"
#include "report/openmetrics.h"
#include "samplers/base/outfile.h"
#include "samplers/sample.h"

struct nl_live_outputs {
	struct nl_analysis_tap tap;
	struct nl_live_outputs_options o;
	struct nl_progress *progress;
	struct nl_intervals *iv;        /* NULL: nothing wants intervals */
	FILE *json_lines;
	bool json_lines_stdout;
	struct nl_metrics last;         /* scalars of the last interval */
	struct nl_error err;            /* the first output error */
	int error;
	const char *error_object;
};

static void keep_error(struct nl_live_outputs *lo, const char *object, const struct nl_error *e)
{
	if (lo->error)
		return;
	lo->err = *e;
	lo->error = e->code ? e->code : -EIO;
	lo->error_object = object;
}

static void emit(void *ctx, const struct nl_metrics *m)
{
	struct nl_live_outputs *lo = ctx;
	struct nl_error e;
	int ret;

	progress__clear(lo->progress);
	if (lo->o.lines && (ret = interval_text__write(stdout, m))) {
		diag__set(&e, ret, "free space on the target of the redirection", "%s",
			  strerror(-ret));
		keep_error(lo, "stdout", &e);
	}
	if (lo->json_lines && (ret = interval_json__write_line(lo->json_lines, m))) {
		diag__set(&e, ret, "free space there or write elsewhere", "write: %s", strerror(-ret));
		keep_error(lo, lo->o.json_lines, &e);
	}
	if (lo->o.openmetrics && openmetrics__write_file(lo->o.openmetrics, m, &e))
		keep_error(lo, lo->o.openmetrics, &e);
	if (lo->o.publish)
		lo->o.publish(lo->o.publish_ctx, m);
	lo->last = *m;
	lo->last.procs = NULL;
	lo->last.node_ids = NULL;
	lo->last.pages_by_node = NULL;
	lo->last.nr_procs = 0;
	lo->last.worst = -1;
}

/* The file of an earlier session, appended to; a link there is not followed. */
static FILE *append_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;

	if (fd >= 0 && !f)
		close(fd);
	return f;
}

static int on_record(void *ctx, const struct nl_record *rec, int locality)
{
	struct nl_live_outputs *lo = ctx;

	progress__record(lo->progress, rec, locality);
	return lo->iv ? intervals__record(lo->iv, rec, locality) : 0;
}

static void on_end(void *ctx);

int live_outputs__open(const struct nl_live_outputs_options *o, const struct nl_source *src,
		       struct nl_live_outputs **out, struct nl_error *err)
{
	struct nl_live_outputs *lo = calloc(1, sizeof(*lo));
	bool want = o->interval > 0 || o->json_lines || o->openmetrics || o->publish;

	*out = NULL;
	if (!lo)
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	lo->o = *o;
	lo->o.lines = o->lines && o->interval > 0;
	lo->tap.record = on_record;
	lo->tap.end = on_end;
	lo->tap.ctx = lo;
	lo->progress = progress__new(stderr, o->status, src, o->duration);
	/* without --interval the one interval is the whole profile */
	if (lo->progress && want)
		lo->iv = intervals__new(src->info.topology, o->interval > 0 ? o->interval : 1e9,
					o->top, o->origin_ns, emit, lo);
	if (!lo->progress || (want && !lo->iv)) {
		live_outputs__free(lo);
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	}
	if (o->continue_from)
		intervals__continue_from(lo->iv, o->continue_from);
	/* a directory that cannot take the file fails now, not after the profile */
	if (o->openmetrics) {
		char tmp[4096];
		int fd = -ENAMETOOLONG;

		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", o->openmetrics) < sizeof(tmp))
			fd = outfile__create(tmp, 0);
		if (fd < 0) {
			live_outputs__free(lo);
			diag__set(err, fd, "check the directory exists and is writable",
				  "cannot create: %s", outfile__strerror(fd));
			return diag__set_object(err, "%s", o->openmetrics);
		}
		close(fd);
		unlink(tmp);
	}
	if (o->json_lines) {
		lo->json_lines_stdout = !strcmp(o->json_lines, "-");
		errno = 0;
		if (lo->json_lines_stdout)
			lo->json_lines = stdout;
		else if (o->append)
			lo->json_lines = append_to(o->json_lines);
		else
			lo->json_lines = outfile__fopen(o->json_lines, 0);
		if (!lo->json_lines) {
			int e = errno ? -errno : -EIO;

			live_outputs__free(lo);
			diag__set(err, e, "check the directory exists and is writable",
				  "cannot create: %s", outfile__strerror(e));
			return diag__set_object(err, "%s", o->json_lines);
		}
	}
	*out = lo;
	return 0;
}

const struct nl_analysis_tap *live_outputs__tap(struct nl_live_outputs *lo)
{
	return &lo->tap;
}

/* The source ended: the last interval ends now, not after the report's
   symbols are resolved. */
static void on_end(void *ctx)
{
	struct nl_live_outputs *lo = ctx;
	struct nl_error e;

	if (lo->iv && intervals__flush(lo->iv)) {
		diag__set(&e, -ENOMEM, NULL, "out of memory cutting the intervals");
		keep_error(lo, NULL, &e);
	}
	intervals__free(lo->iv);
	lo->iv = NULL;
	progress__clear(lo->progress);
}

int live_outputs__finish(struct nl_live_outputs *lo, struct nl_metrics *last,
			 struct nl_error *err)
{
	on_end(lo);
	if (last)
		*last = lo->last;
	if (!lo->error)
		return 0;
	*err = lo->err;
	if (lo->error_object)
		diag__set_object(err, "%s", lo->error_object);
	return lo->error;
}

void live_outputs__free(struct nl_live_outputs *lo)
{
	if (!lo)
		return;
	intervals__free(lo->iv);
	progress__free(lo->progress);
	if (lo->json_lines && !lo->json_lines_stdout)
		fclose(lo->json_lines);
	free(lo);
}
