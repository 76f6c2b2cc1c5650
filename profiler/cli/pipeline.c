/*
 * pipeline.c - analyse a source (profiler/analysis.c), then render it.
 * See pipeline.h for the contract.
 */
#include "profiler/cli/pipeline.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profiler/analysis.h"
#include "profiler/codeprofile.h"
#include "profiler/cli/builtin.h"
#include "samplers/base/diag.h"
#include "report/code_render.h"
#include "report/html.h"
#include "report/report.h"
#include "samplers/sample.h"

void pipeline__default_options(struct nl_report_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->text = true;
	opts->top = 10;
	opts->command = "report";
}

void pipeline__options_parsed(struct nl_report_options *opts)
{
	if (opts->quiet) {
		opts->text = false;
		diag__set_quiet(1);
	}
}

/* --html: the page is drawn from the JSON document, as `numalens html` does. */
static int write_html(const struct nl_report_model *m, const char *path)
{
	struct cJSON *doc = report_json__build(m);
	struct nl_error err;
	int ret = doc ? html__write_file(path, doc, &err)
		      : diag__set(&err, -ENOMEM, NULL, "out of memory building the report");

	cJSON_Delete(doc);
	return ret ? diag__exit(!strcmp(path, "-") ? "stdout" : path, &err) : NL_EXIT_OK;
}

static int render(const struct nl_report_model *m, const struct nl_report_options *opts)
{
	bool json_on_stdout = (opts->json_path && !strcmp(opts->json_path, "-")) ||
			      (opts->html_path && !strcmp(opts->html_path, "-"));
	struct nl_error err;
	int ret;

	if (opts->text && !json_on_stdout) {
		ret = report_text__write(stdout, m, opts->top);
		if (ret) {
			diag__set(&err, ret, "free space on the target of the redirection", "%s",
				  strerror(-ret));
			return diag__exit("stdout", &err);
		}
	}
	if (opts->json_path && report_json__write(opts->json_path, m, &err))
		return diag__exit(!strcmp(opts->json_path, "-") ? "stdout" : opts->json_path, &err);
	if (opts->html_path)
		return write_html(m, opts->html_path);
	return NL_EXIT_OK;
}

void pipeline__input(const struct nl_source *src, struct nl_analysis *an,
		     const struct nl_report_options *opts, struct nl_report_input *in)
{
	memset(in, 0, sizeof(*in));
	in->profile = an->profile;
	in->info = &src->info;
	in->stats = &src->stats;
	in->command = opts->command;
	in->source_kind = src->ops->name;
	in->interrupted = an->interrupted;
	in->verbose = opts->verbose;
	in->code = an->code;
	in->objects = an->objects;
	in->bandwidth = opts->bandwidth;
	/* no controller counted it: the estimate from sampled DRAM accesses,
	   saying why the controllers did not (and RDT's split, if any) */
	if (an->has_bw_estimate && (!opts->bandwidth || !opts->bandwidth->measured)) {
		if (opts->bandwidth) {
			snprintf(an->bw_estimate.why, sizeof(an->bw_estimate.why), "%s",
				 opts->bandwidth->why);
			an->bw_estimate.rdt = opts->bandwidth->rdt;
		}
		in->bandwidth = &an->bw_estimate;
	}
}

static int write_folded(const struct nl_report_options *opts, const struct nl_code_profile *code)
{
	struct nl_error err;
	const char *by;
	int ret;

	if (!opts->folded_path)
		return NL_EXIT_OK;
	ret = report_code__folded(opts->folded_path, code, &by);
	if (ret) {
		diag__set(&err, ret, "write the folded stacks elsewhere", "%s", strerror(-ret));
		return diag__exit(opts->folded_path, &err);
	}
	if (!code->nr_stacks)
		diag__note("%s: no call stacks in this input - record with --call-graph fp "
			   "(perf record -g) to get them", opts->folded_path);
	else if (strcmp(by, "remote memory samples"))
		diag__note("%s: no remote memory samples; the stacks are weighted by %s",
			   opts->folded_path, by);
	return NL_EXIT_OK;
}

int pipeline__run(struct nl_source *src, const struct nl_report_options *opts)
{
	struct nl_report_input in;
	struct nl_analysis an;
	struct nl_error err;
	struct nl_report_model model;
	int status;

	if (analysis__run_tapped(src, opts->stop, &opts->symbols, opts->tap, &an)) {
		diag__set(&err, -ENOMEM, "profile a shorter interval or fewer processes",
			  "out of memory while aggregating");
		return diag__exit(src->info.path, &err);
	}
	if (opts->drained)
		opts->drained(opts->drained_ctx);
	pipeline__input(src, &an, opts, &in);
	if (report_model__build(&model, &in)) {
		diag__set(&err, -ENOMEM, "profile a shorter interval or fewer processes",
			  "out of memory while building the report");
		analysis__free(&an);
		return diag__exit(src->info.path, &err);
	}
	status = render(&model, opts);
	report_model__free(&model);
	if (status == NL_EXIT_OK)
		status = write_folded(opts, an.code);
	if (status == NL_EXIT_OK && src->stats.stopped_at) {
		diag__set(&err, -EIO,
			  "the report covers what came before; copy or record the file again",
			  "%s (at byte %llu)", src->stats.stop_reason,
			  (unsigned long long)src->stats.stopped_at);
		err.status = NL_EXIT_PARTIAL;
		status = diag__exit(src->info.path, &err);
	}
	analysis__free(&an);
	return status;
}
