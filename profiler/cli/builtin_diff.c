/*
 * builtin_diff.c - `numalens diff A.json B.json`: did locality regress from
 * A (baseline) to B (candidate)?  The CI gate.
 *
 * Compares what both reports measured: the overall remote ratio of sampled
 * accesses, and per command name (PIDs differ between runs, so processes
 * are matched by comm and summed) the remote ratio and the placement-based
 * exposure.  A metric regresses when B exceeds A by more than the threshold
 * (percentage points).  A metric either side could not measure (null) is
 * shown and never fails the gate.
 *
 * Exit (diag.h): 0 no regression, 1 error, 2 usage, 4 NL_EXIT_REGRESSION.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "report/report.h"

#define MAX_COMMS 256

struct diff_args {
	double max_remote, max_exposure;        /* fractions */
};

#define ARGS struct diff_args
static const struct cli_option options[] = {
	CLI_OPT(0, "max-remote-increase", "PP", CLI_POINTS, ARGS, max_remote, 0,
		"a number of percentage points (0-100)",
		"allowed rise of a remote ratio, percentage points (default 5)"),
	CLI_OPT(0, "max-exposure-increase", "PP", CLI_POINTS, ARGS, max_exposure, 0,
		"a number of percentage points (0-100)",
		"allowed rise of a remote exposure, percentage points (default 5)"),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ARGS

const struct cli_command diff_command = {
	.name = "diff",
	.purpose = "compare two JSON reports; fail when locality regressed",
	.usage = (const char *const[]){ "[OPTIONS] BASELINE.json CANDIDATE.json", NULL },
	.options = options,
	.examples = (const char *const[]){
		"numalens profile --json new.json -- ./train.py && numalens diff base.json new.json",
		"numalens diff --max-remote-increase 2 base.json new.json || echo regressed",
		NULL },
	.exit_status = "0 no regression, 1 error, 2 usage, 4 regression",
};

/* One command name's accesses and exposure, summed over its processes. */
struct comm_stats {
	char comm[32];
	double local, remote;
	double exposure_sum;    /* sum of exposures of processes that have one */
	int exposure_n;
};

struct report_view {
	const char *path;
	cJSON *root;
	double remote_ratio;    /* NAN when null */
	struct comm_stats comms[MAX_COMMS];
	int nr_comms;
};

static double number_or_nan(const cJSON *item)
{
	return cJSON_IsNumber(item) ? item->valuedouble : NAN;
}

static struct comm_stats *comm_get(struct report_view *v, const char *comm)
{
	for (int i = 0; i < v->nr_comms; i++)
		if (!strcmp(v->comms[i].comm, comm))
			return &v->comms[i];
	if (v->nr_comms == MAX_COMMS)
		return NULL;
	memset(&v->comms[v->nr_comms], 0, sizeof(v->comms[0]));
	snprintf(v->comms[v->nr_comms].comm, sizeof(v->comms[0].comm), "%s", comm);
	return &v->comms[v->nr_comms++];
}

static void index_processes(struct report_view *v)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItem(v->root, "processes")) {
		const char *comm = cJSON_GetStringValue(cJSON_GetObjectItem(p, "comm"));
		struct comm_stats *c = comm_get(v, comm ? comm : "?");
		double expo = number_or_nan(cJSON_GetObjectItem(p, "remote_exposure"));

		if (!c)
			continue;
		c->local += number_or_nan(cJSON_GetObjectItem(p, "local"));
		c->remote += number_or_nan(cJSON_GetObjectItem(p, "remote"));
		if (!isnan(expo)) {
			c->exposure_sum += expo;
			c->exposure_n++;
		}
	}
}

/* A report larger than this is not one numalens wrote. */
#define REPORT_MAX (1ul << 30)

/* The report's text through the one file slurp.  NULL with err set. */
static char *read_report(const char *path, struct nl_error *err)
{
	char *text;
	size_t len;
	int e = sys__read_file(sys__default(), path, REPORT_MAX, &text, &len);

	if (e == -ENOMEM)
		diag__set(err, e, NULL, "out of memory");
	else if (e)
		diag__set(err, e, "give the path of a 'numalens ... --json' output",
			  "cannot open: %s", strerror(-e));
	return e ? NULL : text;
}

static int load(struct report_view *v, const char *path, struct nl_error *err)
{
	char *text = read_report(path, err);
	const char *schema;

	memset(v, 0, sizeof(*v));
	v->path = path;
	if (!text)
		return err->code;
	v->root = cJSON_Parse(text);
	free(text);
	if (!v->root)
		return diag__set(err, -EINVAL, "give the output of 'numalens report --json'",
				 "not valid JSON");
	schema = cJSON_GetStringValue(cJSON_GetObjectItem(v->root, "schema"));
	if (!schema || strcmp(schema, NL_REPORT_SCHEMA))
		return diag__set(err, -EINVAL, "compare reports of schema " NL_REPORT_SCHEMA,
				 "schema is '%s', not " NL_REPORT_SCHEMA, schema ? schema : "none");
	v->remote_ratio = number_or_nan(cJSON_GetObjectItem(cJSON_GetObjectItem(v->root, "summary"),
							    "remote_ratio"));
	index_processes(v);
	return 0;
}

static double comm_ratio(const struct comm_stats *c)
{
	return c && c->local + c->remote > 0 ? c->remote / (c->local + c->remote) : NAN;
}

static double comm_exposure(const struct comm_stats *c)
{
	return c && c->exposure_n ? c->exposure_sum / c->exposure_n : NAN;
}

/* Prints one metric; returns 1 when it regressed past limit (fractions). */
static int compare(const char *what, double a, double b, double limit)
{
	char sa[16] = "-", sb[16] = "-", sd[16] = "-";
	const char *verdict = "not comparable";
	int bad = 0;

	if (!isnan(a))
		snprintf(sa, sizeof(sa), "%.1f%%", a * 100);
	if (!isnan(b))
		snprintf(sb, sizeof(sb), "%.1f%%", b * 100);
	if (!isnan(a) && !isnan(b)) {
		snprintf(sd, sizeof(sd), "%+.1f", (b - a) * 100);
		bad = b - a > limit;
		verdict = bad ? "REGRESSED" : b < a ? "improved" : "ok";
	}
	printf("  %-40s %9s %9s %8s  %s\n", what, sa, sb, sd, verdict);
	return bad;
}

static int diff(struct report_view *a, struct report_view *b, double max_remote,
		double max_exposure)
{
	int regressions = 0;

	printf("numalens diff: %s -> %s\n  %-40s %9s %9s %8s\n", a->path, b->path, "metric",
	       "baseline", "candidate", "pp");
	regressions += compare("remote ratio (sampled accesses)", a->remote_ratio,
			       b->remote_ratio, max_remote);
	for (int i = 0; i < b->nr_comms; i++) {
		const struct comm_stats *cb = &b->comms[i], *ca = NULL;
		char what[80];

		for (int k = 0; k < a->nr_comms; k++)
			if (!strcmp(a->comms[k].comm, cb->comm))
				ca = &a->comms[k];
		if (!ca)
			continue;
		snprintf(what, sizeof(what), "%s: remote ratio", cb->comm);
		if (!isnan(comm_ratio(ca)) || !isnan(comm_ratio(cb)))
			regressions += compare(what, comm_ratio(ca), comm_ratio(cb), max_remote);
		snprintf(what, sizeof(what), "%s: remote exposure", cb->comm);
		if (!isnan(comm_exposure(ca)) || !isnan(comm_exposure(cb)))
			regressions += compare(what, comm_exposure(ca), comm_exposure(cb), max_exposure);
	}
	printf("%d regression%s\n", regressions, regressions == 1 ? "" : "s");
	return regressions ? NL_EXIT_REGRESSION : NL_EXIT_OK;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { .max_remote = 0.05, .max_exposure = 0.05 };
	struct report_view *views = NULL;
	struct cli_operands ops;
	struct nl_error err;
	int status = cli__parse(&diff_command, argc, argv, &a, &ops, &err);

	if (status)
		return status > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	if (ops.argc != 2) {
		diag__usage(&err, "diff", "numalens diff BASELINE.json CANDIDATE.json",
			    "needs two reports");
		return diag__exit(NULL, &err);
	}
	views = calloc(2, sizeof(*views));
	if (!views) {
		diag__set(&err, -ENOMEM, "free memory and run it again", "out of memory");
		return diag__exit("diff", &err);
	}
	status = NL_EXIT_ERROR;
	for (int i = 0; i < 2; i++)
		if (load(&views[i], ops.argv[i], &err)) {
			status = diag__exit(ops.argv[i], &err);
			goto out;
		}
	status = diff(&views[0], &views[1], a.max_remote, a.max_exposure);
	if (fflush(stdout)) {
		diag__set(&err, -errno, "free space on the target of the redirection", "%s",
			  strerror(errno));
		status = diag__exit("stdout", &err);
	}
out:
	cJSON_Delete(views[0].root);
	cJSON_Delete(views[1].root);
	free(views);
	return status;
}
