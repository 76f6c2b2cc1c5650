/*
 * builtin_diff.c - `numalens diff A.json B.json`: did locality regress from
 * A (baseline) to B (candidate)?  The CI gate.
 *
 * Reads both reports, lets profiler/compare.c match them by role (main,
 * workers by order of creation, other processes by name, functions by
 * function@dso) and judge each metric, then prints the rows as text, as
 * JSON (--json) or as CI annotations (--format github).  Rules: the two
 * --max-*-increase thresholds always apply; --fail-on adds more.
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
#include "profiler/compare.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "report/report.h"

struct diff_args {
	double max_remote, max_exposure;        /* fractions */
	struct cli_strings fail_on;             /* more rules */
	const char *json;                       /* --json FILE ("-" = stdout) */
	const char *format;                     /* "text" or "github" */
};

#define ARGS struct diff_args
static const struct cli_option options[] = {
	CLI_OPT(0, "max-remote-increase", "PP", CLI_POINTS, ARGS, max_remote, 0,
		"a number of percentage points (0-100)",
		"allowed rise of a remote ratio, percentage points (default 5)"),
	CLI_OPT(0, "max-exposure-increase", "PP", CLI_POINTS, ARGS, max_exposure, 0,
		"a number of percentage points (0-100)",
		"allowed rise of a remote exposure, percentage points (default 5)"),
	CLI_OPT(0, "fail-on", "RULE", CLI_STRINGS, ARGS, fail_on, 0, "a rule",
		"also fail on RULE: METRIC>+X (a rise of X) or METRIC>X (above X), METRIC one "
		"of remote_ratio, exposure, smt.corun, X a fraction; function.remote_ratio or "
		"object.remote_ratio apply to those rows only; repeatable"),
	CLI_OPT_JSON(ARGS, json, "write the comparison as JSON to FILE (- or none = stdout)"),
	CLI_OPT(0, "format", "FORMAT", CLI_STRING, ARGS, format, 0, "text or github",
		"text (default), or github: one ::error annotation per regression"),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ARGS

const struct cli_command diff_command = {
	.name = "diff",
	.purpose = "compare two JSON reports; fail when locality regressed",
	.usage = (const char *const[]){ "[OPTIONS] BASELINE.json CANDIDATE.json", NULL },
	.description =
		"Processes are matched by role, not PID: main (the root of the profiled\n"
		"tree), its workers as a group and one by one in order of creation, other\n"
		"processes by command name, functions by name and DSO and data objects by\n"
		"allocation site and mapping when both reports have them.  A value either\n"
		"report could not measure is shown, never failed.\n",
	.options = options,
	.examples = (const char *const[]){
		"numalens profile --json new.json -- ./train.py && numalens diff base.json new.json",
		"numalens diff --max-remote-increase 2 base.json new.json || echo regressed",
		"numalens diff --fail-on 'remote_ratio>+0.05' --fail-on 'smt.corun>0.2' a.json b.json",
		"numalens diff --format github --json diff.json base.json new.json",
		NULL },
	.exit_status = "0 no regression, 1 error (unreadable report), 2 usage, 4 regression",
};

struct report_view {
	const char *path;
	cJSON *root;
};

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
	return 0;
}

static void pct(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", v * 100);
}

static void print_text(const struct report_view *v, const struct nl_comparison *c)
{
	printf("numalens diff: %s -> %s (workers matched by order: %d -> %d)\n", v[0].path,
	       v[1].path, c->workers_a, c->workers_b);
	printf("  %-12s %-40s %9s %9s %8s  %s\n", "metric", "subject", "baseline", "candidate",
	       "pp", "verdict");
	for (int i = 0; i < c->nr_rows; i++) {
		const struct nl_cmp_row *r = &c->rows[i];
		char sa[16], sb[16], sd[16] = "-";

		pct(sa, sizeof(sa), r->a);
		pct(sb, sizeof(sb), r->b);
		if (!isnan(r->a) && !isnan(r->b))
			snprintf(sd, sizeof(sd), "%+.1f", (r->b - r->a) * 100);
		printf("  %-12s %-40.40s %9s %9s %8s  %s%s%s\n", r->metric, r->subject, sa, sb, sd,
		       compare__verdict_name(r->verdict), r->failed ? " " : "",
		       r->failed ? r->failed->text : "");
	}
	printf("%d regression%s\n", c->regressions, c->regressions == 1 ? "" : "s");
}

/* GitHub Actions workflow commands: one annotation per regression. */
static void print_github(const struct report_view *v, const struct nl_comparison *c)
{
	for (int i = 0; i < c->nr_rows; i++) {
		const struct nl_cmp_row *r = &c->rows[i];

		if (r->verdict == NL_CMP_REGRESSED)
			printf("::error file=%s,title=numalens diff: %s regressed::%s of %s went from "
			       "%.1f%% to %.1f%% (rule %s)\n", v[1].path, r->metric, r->metric,
			       r->subject, r->a * 100, r->b * 100, r->failed->text);
	}
	if (!c->regressions)
		printf("::notice title=numalens diff::no regression (%d metrics compared)\n",
		       c->nr_rows);
}

static cJSON *ratio_json(double v)
{
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static int write_json(const char *path, const struct report_view *v,
		      const struct nl_comparison *c, struct nl_error *err)
{
	cJSON *root = cJSON_CreateObject(), *rows;
	int e;

	if (!root)
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	cJSON_AddStringToObject(root, "schema", "numalens.diff/1");
	cJSON_AddStringToObject(root, "baseline", v[0].path);
	cJSON_AddStringToObject(root, "candidate", v[1].path);
	cJSON_AddNumberToObject(root, "regressions", c->regressions);
	rows = cJSON_AddArrayToObject(root, "rows");
	for (int i = 0; rows && i < c->nr_rows; i++) {
		const struct nl_cmp_row *r = &c->rows[i];
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddStringToObject(o, "metric", r->metric);
		cJSON_AddStringToObject(o, "scope", r->scope);
		cJSON_AddStringToObject(o, "subject", r->subject);
		cJSON_AddItemToObject(o, "baseline", ratio_json(r->a));
		cJSON_AddItemToObject(o, "candidate", ratio_json(r->b));
		cJSON_AddStringToObject(o, "verdict", compare__verdict_name(r->verdict));
		if (r->failed)
			cJSON_AddStringToObject(o, "rule", r->failed->text);
		else
			cJSON_AddNullToObject(o, "rule");
		cJSON_AddItemToArray(rows, o);
	}
	e = report_json__write_doc(path, root, err);
	cJSON_Delete(root);
	return e;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { .max_remote = 0.05, .max_exposure = 0.05, .format = "text" };
	struct nl_cmp_rule rules[2 + CLI_MAX_STRINGS];
	struct report_view *views = NULL;
	struct nl_comparison cmp = { 0 };
	struct cli_operands ops;
	struct nl_error err;
	int nr_rules = 2, status = cli__parse(&diff_command, argc, argv, &a, &ops, &err);

	if (status)
		return status > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	if (ops.argc != 2) {
		diag__usage(&err, "diff", "numalens diff BASELINE.json CANDIDATE.json",
			    "needs two reports");
		return diag__exit(NULL, &err);
	}
	if (strcmp(a.format, "text") && strcmp(a.format, "github")) {
		diag__usage(&err, "diff", "use --format text or --format github",
			    "unknown format '%s'", a.format);
		return diag__exit(NULL, &err);
	}
	rules[0] = (struct nl_cmp_rule){ .metric = "remote_ratio", .relative = true,
					 .limit = a.max_remote };
	snprintf(rules[0].text, sizeof(rules[0].text), "remote_ratio>+%g", a.max_remote);
	rules[1] = (struct nl_cmp_rule){ .metric = "exposure", .relative = true,
					 .limit = a.max_exposure };
	snprintf(rules[1].text, sizeof(rules[1].text), "exposure>+%g", a.max_exposure);
	for (int i = 0; i < a.fail_on.n; i++)
		if (compare__parse_rule(a.fail_on.v[i], &rules[nr_rules++], &err))
			return diag__exit(NULL, &err);
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
	if (compare__run(views[0].root, views[1].root, rules, nr_rules, &cmp)) {
		diag__set(&err, -ENOMEM, "free memory and run it again", "out of memory");
		status = diag__exit("diff", &err);
		goto out;
	}
	status = cmp.regressions ? NL_EXIT_REGRESSION : NL_EXIT_OK;
	if (a.json && write_json(a.json, views, &cmp, &err))
		status = diag__exit(strcmp(a.json, "-") ? a.json : "stdout", &err);
	else if (!a.json || strcmp(a.json, "-")) {
		if (!strcmp(a.format, "github"))
			print_github(views, &cmp);
		else
			print_text(views, &cmp);
	}
	if (fflush(stdout)) {
		diag__set(&err, -errno, "free space on the target of the redirection", "%s",
			  strerror(errno));
		status = diag__exit("stdout", &err);
	}
out:
	compare__free(&cmp);
	cJSON_Delete(views[0].root);
	cJSON_Delete(views[1].root);
	free(views);
	return status;
}
