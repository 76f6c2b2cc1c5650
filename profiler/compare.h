/*
 * compare.h - two JSON reports (schema numalens.report/1) side by side: the
 * model behind `numalens diff`, the CI gate.
 *
 * Owns the matching of what the two runs measured and the verdict of each
 * metric.  PIDs differ between runs, so processes are matched by role:
 *   - "main": the root of the profiled tree (a process whose parent is not
 *     in the report; the one with the most children, then most samples);
 *   - "workers": main's children, as a group, and "worker #i" one by one in
 *     order of creation (ascending PID);
 *   - any other process by command name ("comm NAME", summed).
 * Functions (the report's `functions`, when both have them) match by
 * function@dso, data objects (the report's `objects`, profiler/objects.h)
 * by their key (mapping name + allocation site, stable across runs), each
 * with its remote_ratio; an object enters only with at least
 * NL_CMP_MIN_OBJECT_SAMPLES samples of known data node in both runs (fewer
 * are noise).  At most 10 of each, in the candidate's order.  Metrics: remote_ratio (sampled accesses), exposure
 * (remote_exposure: access-weighted where the report has it), smt.corun
 * (share of busy tasks that shared a core >= 50 % of their run time).
 *
 * A rule "METRIC>+X" fails a row whose candidate exceeds its baseline by
 * more than X; "METRIC>X" fails a candidate above X.  A rule applies to
 * every row of its metric, or, prefixed "function." or "object."
 * ("object.remote_ratio>+0.1"), to the rows of that scope only.  A value either side
 * could not measure (null) is shown and never fails.  The result is plain
 * data for the command line to print as text, JSON or CI annotations.
 */
#ifndef NUMALENS_COMPARE_H
#define NUMALENS_COMPARE_H

#include <stdbool.h>

struct cJSON;
struct nl_error;

enum nl_cmp_verdict { NL_CMP_NA = 0, NL_CMP_OK, NL_CMP_IMPROVED, NL_CMP_REGRESSED };

#define NL_CMP_MIN_OBJECT_SAMPLES 50

struct nl_cmp_rule {
	char metric[24];        /* remote_ratio, exposure, smt.corun */
	char scope[12];         /* "" every row, "function" or "object" only */
	bool relative;          /* limit on candidate - baseline, else on candidate */
	double limit;
	char text[64];          /* as given ("remote_ratio>+0.05") */
};

struct nl_cmp_row {
	char metric[24];
	char scope[12];         /* "summary", "process", "function", "object" */
	char subject[256];      /* "summary", "main (python3)", "worker #2 (python3)",
				   "function f (dso)", "object 64 MiB allocation ..." */
	double a, b;            /* baseline, candidate; NAN when not measured */
	enum nl_cmp_verdict verdict;
	const struct nl_cmp_rule *failed; /* the first rule it broke, or NULL */
};

struct nl_comparison {
	int nr_rows;
	struct nl_cmp_row *rows;
	int regressions;
	int workers_a, workers_b;       /* main's children in each report */
};

/*
 * Parses "METRIC>+X" or "METRIC>X" (X a fraction, e.g. 0.05).  0, or
 * -EINVAL with err filled (a usage error naming the rule).
 */
int compare__parse_rule(const char *text, struct nl_cmp_rule *out, struct nl_error *err);

/*
 * Compares report a (baseline) with b (candidate) under rules.  OUT: *out
 * (free with compare__free).  0 or -ENOMEM.
 */
int compare__run(const struct cJSON *a, const struct cJSON *b, const struct nl_cmp_rule *rules,
		 int nr_rules, struct nl_comparison *out);
void compare__free(struct nl_comparison *c);

const char *compare__verdict_name(enum nl_cmp_verdict v);

#endif
