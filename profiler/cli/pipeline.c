/*
 * pipeline.c - drain a source into the aggregator, then render.
 * See pipeline.h for the contract.
 */
#include "profiler/cli/pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profiler/aggregate.h"
#include "profiler/cli/builtin.h"
#include "samplers/base/diag.h"
#include "report/report.h"
#include "samplers/sample.h"

void pipeline__default_options(struct nl_report_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->text = true;
	opts->top = 10;
	opts->command = "report";
}

/* Returns 0, or -ENOMEM when the aggregate could not take a record. */
static int drain(struct nl_source *src, struct nl_aggregate *agg,
		 const struct nl_report_options *opts, bool *interrupted)
{
	struct nl_record rec;
	int ret;

	for (;;) {
		if (opts->stop && *opts->stop)
			*interrupted = true;
		ret = nl_source__next(src, &rec);
		if (ret <= 0)
			break;
		if (aggregate__add(agg, &rec))
			return -ENOMEM;
	}
	if (ret < 0 && !src->stats.stopped_at) {
		src->stats.stopped_at = src->stats.records ? src->stats.records : 1;
		snprintf(src->stats.stop_reason, sizeof(src->stats.stop_reason),
			 "the source failed: %s", strerror(-ret));
	}
	return 0;
}

static int render(const struct nl_report_input *in, const struct nl_report_options *opts)
{
	bool json_on_stdout = opts->json_path && !strcmp(opts->json_path, "-");
	struct nl_error err;
	int ret;

	if (opts->text && !json_on_stdout) {
		ret = report_text__write(stdout, in, opts->top);
		if (ret) {
			diag__error("stdout", strerror(-ret), "free space on the target of the redirection");
			return NL_EXIT_ERROR;
		}
	}
	if (opts->json_path && report_json__write(opts->json_path, in, &err)) {
		diag__print(json_on_stdout ? "stdout" : opts->json_path, &err);
		return NL_EXIT_ERROR;
	}
	return NL_EXIT_OK;
}

int pipeline__run(struct nl_source *src, const struct nl_report_options *opts)
{
	struct nl_aggregate *agg = aggregate__new(src->info.topology);
	const struct nl_profile *profile;
	struct nl_report_input in;
	bool interrupted = false;
	int status;

	if (!agg || drain(src, agg, opts, &interrupted) || !(profile = aggregate__finish(agg))) {
		diag__error(src->info.path, "out of memory while aggregating",
			    "profile a shorter interval or fewer processes");
		aggregate__free(agg);
		return NL_EXIT_ERROR;
	}
	memset(&in, 0, sizeof(in));
	in.profile = profile;
	in.info = &src->info;
	in.stats = &src->stats;
	in.command = opts->command;
	in.source_kind = src->ops->name;
	in.interrupted = interrupted;
	in.verbose = opts->verbose;
	status = render(&in, opts);
	if (status == NL_EXIT_OK && src->stats.stopped_at) {
		char cause[256];

		snprintf(cause, sizeof(cause), "%s (at byte %llu)", src->stats.stop_reason,
			 (unsigned long long)src->stats.stopped_at);
		diag__error(src->info.path, cause,
			    "the report covers what came before; copy or record the file again");
		status = NL_EXIT_PARTIAL;
	}
	aggregate__free(agg);
	return status;
}
