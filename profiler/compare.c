/*
 * compare.c - baseline vs candidate report, matched by role.  See compare.h.
 */
#include "profiler/compare.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/diag.h"

#define MAX_GROUPS 512

/* Accesses and exposure of one role (summed over its processes). */
struct group {
	char key[128];          /* what matches across runs */
	char subject[160];      /* what the row says (as long as the caller's buffer) */
	double local, remote;
	double exposure_sum;
	int exposure_n;
};

struct view {
	const cJSON *root;
	struct group groups[MAX_GROUPS];
	int nr_groups;
	int workers;
};

static double num(const cJSON *obj, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static const char *str(const cJSON *obj, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));

	return s ? s : "?";
}

static struct group *group_get(struct view *v, const char *key, const char *subject)
{
	for (int i = 0; i < v->nr_groups; i++)
		if (!strcmp(v->groups[i].key, key))
			return &v->groups[i];
	if (v->nr_groups == MAX_GROUPS)
		return NULL;
	memset(&v->groups[v->nr_groups], 0, sizeof(v->groups[0]));
	snprintf(v->groups[v->nr_groups].key, sizeof(v->groups[0].key), "%s", key);
	snprintf(v->groups[v->nr_groups].subject, sizeof(v->groups[0].subject), "%s", subject);
	return &v->groups[v->nr_groups++];
}

static void group_add(struct group *g, const cJSON *p)
{
	double local = num(p, "local"), remote = num(p, "remote"), expo = num(p, "remote_exposure");

	if (!g)
		return;
	g->local += isnan(local) ? 0 : local;
	g->remote += isnan(remote) ? 0 : remote;
	if (!isnan(expo)) {
		g->exposure_sum += expo;
		g->exposure_n++;
	}
}

static bool has_pid(const cJSON *procs, double pid)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, procs)
		if (num(p, "pid") == pid)
			return true;
	return false;
}

static int children_of(const cJSON *procs, double pid)
{
	const cJSON *p;
	int n = 0;

	cJSON_ArrayForEach(p, procs)
		n += num(p, "ppid") == pid && num(p, "pid") != pid;
	return n;
}

/* The root of the tree: parent outside the report, most children, most samples. */
static const cJSON *find_main(const cJSON *procs)
{
	const cJSON *p, *best = NULL;
	int best_children = -1;

	cJSON_ArrayForEach(p, procs) {
		int kids;

		if (has_pid(procs, num(p, "ppid")) && num(p, "ppid") != num(p, "pid"))
			continue;
		kids = children_of(procs, num(p, "pid"));
		if (kids > best_children ||
		    (kids == best_children && num(p, "samples") > num(best, "samples"))) {
			best = p;
			best_children = kids;
		}
	}
	return best;
}

static int cmp_pid(const void *x, const void *y)
{
	double a = num(*(const cJSON *const *)x, "pid"), b = num(*(const cJSON *const *)y, "pid");

	return a < b ? -1 : a > b;
}

static int index_roles(struct view *v)
{
	const cJSON *procs = cJSON_GetObjectItemCaseSensitive(v->root, "processes");
	const cJSON *main = find_main(procs), *p;
	const cJSON **workers;
	int n = cJSON_GetArraySize(procs), nw = 0;
	char key[128], subject[160];

	workers = calloc((size_t)(n ? n : 1), sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	cJSON_ArrayForEach(p, procs) {
		if (p == main) {
			snprintf(subject, sizeof(subject), "main (%s)", str(p, "comm"));
			group_add(group_get(v, "main", subject), p);
		} else if (main && num(p, "ppid") == num(main, "pid")) {
			workers[nw++] = p;
			group_add(group_get(v, "workers", "workers"), p);
		} else {
			snprintf(key, sizeof(key), "comm %s", str(p, "comm"));
			group_add(group_get(v, key, key), p);
		}
	}
	qsort(workers, (size_t)nw, sizeof(*workers), cmp_pid);
	for (int i = 0; i < nw; i++) {
		snprintf(key, sizeof(key), "worker #%d", i + 1);
		snprintf(subject, sizeof(subject), "worker #%d (%s)", i + 1, str(workers[i], "comm"));
		group_add(group_get(v, key, subject), workers[i]);
	}
	v->workers = nw;
	free(workers);
	return 0;
}

/* --------------------------------------------------------------- rules */

int compare__parse_rule(const char *text, struct nl_cmp_rule *out, struct nl_error *err)
{
	const char *gt = strchr(text, '>');
	char *end;
	size_t len = gt ? (size_t)(gt - text) : 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%s", text);
	/* a scope: functions' and objects' rows only (they have remote_ratio alone) */
	for (const char *const *sc = (const char *const[]){ "function", "object", NULL }; *sc; sc++)
		if (!strncmp(text, *sc, strlen(*sc)) && text[strlen(*sc)] == '.') {
			snprintf(out->scope, sizeof(out->scope), "%s", *sc);
			text += strlen(*sc) + 1;
			len -= strlen(*sc) + 1;
			break;
		}
	if (!gt || !len || len >= sizeof(out->metric))
		goto bad;
	memcpy(out->metric, text, len);
	if (strcmp(out->metric, "remote_ratio") && strcmp(out->metric, "exposure") &&
	    strcmp(out->metric, "smt.corun"))
		goto bad;
	if (out->scope[0] && strcmp(out->metric, "remote_ratio"))
		goto bad;
	out->relative = gt[1] == '+';
	errno = 0;
	out->limit = strtod(gt + 1 + out->relative, &end);
	if (errno || end == gt + 1 + out->relative || *end || !isfinite(out->limit) ||
	    out->limit < 0)
		goto bad;
	return 0;
bad:
	diag__usage(err, "diff", "write METRIC>+X (a rise) or METRIC>X (a ceiling), METRIC one of "
		    "remote_ratio, exposure, smt.corun, function.remote_ratio, "
		    "object.remote_ratio, X a fraction such as 0.05",
		    "--fail-on '%s' is not a rule", out->text);
	return -EINVAL;
}

/* ----------------------------------------------------------------- rows */

static double group_ratio(const struct group *g)
{
	return g && g->local + g->remote > 0 ? g->remote / (g->local + g->remote) : NAN;
}

static double group_exposure(const struct group *g)
{
	return g && g->exposure_n ? g->exposure_sum / g->exposure_n : NAN;
}

static const struct group *group_find(const struct view *v, const char *key)
{
	for (int i = 0; i < v->nr_groups; i++)
		if (!strcmp(v->groups[i].key, key))
			return &v->groups[i];
	return NULL;
}

/* Busy tasks that shared a core >= 50 % of their run time, of all busy tasks. */
static double smt_corun(const cJSON *root)
{
	const cJSON *smt = cJSON_GetObjectItemCaseSensitive(root, "smt");
	double busy = num(smt, "busy_tasks");

	if (!cJSON_IsObject(smt) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(smt, "has_smt")) ||
	    !(busy > 0))
		return NAN;
	return num(smt, "busy_tasks_shared_half") / busy;
}

static int add_row(struct nl_comparison *c, size_t *cap, const char *scope, const char *metric,
		   const char *subject, double a, double b, const struct nl_cmp_rule *rules,
		   int nr_rules)
{
	struct nl_cmp_row *r;

	if (isnan(a) && isnan(b))
		return 0;
	if (array__reserve((void **)&c->rows, cap, (size_t)c->nr_rows + 1, sizeof(*c->rows)))
		return -ENOMEM;
	r = &c->rows[c->nr_rows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	snprintf(r->scope, sizeof(r->scope), "%s", scope);
	snprintf(r->subject, sizeof(r->subject), "%s", subject);
	r->a = a;
	r->b = b;
	/* a rise needs both values; a ceiling only the candidate's */
	for (int i = 0; i < nr_rules && !r->failed; i++)
		if (!strcmp(rules[i].metric, metric) && !isnan(b) &&
		    (!rules[i].scope[0] || !strcmp(rules[i].scope, scope)) &&
		    (rules[i].relative ? !isnan(a) && b - a > rules[i].limit : b > rules[i].limit))
			r->failed = &rules[i];
	r->verdict = isnan(a) || isnan(b) ? NL_CMP_NA : b < a ? NL_CMP_IMPROVED : NL_CMP_OK;
	if (r->failed) {
		r->verdict = NL_CMP_REGRESSED;
		c->regressions++;
	}
	return 0;
}

/* Functions of both reports, by function@dso, in the candidate's order. */
static int function_rows(struct nl_comparison *c, size_t *cap, const cJSON *a, const cJSON *b,
			 const struct nl_cmp_rule *rules, int nr_rules)
{
	const cJSON *fb, *fa;
	int shown = 0, e = 0;

	cJSON_ArrayForEach(fb, cJSON_GetObjectItemCaseSensitive(b, "functions")) {
		char subject[256];

		if (shown == 10)
			break;
		cJSON_ArrayForEach(fa, cJSON_GetObjectItemCaseSensitive(a, "functions"))
			if (!strcmp(str(fa, "function"), str(fb, "function")) &&
			    !strcmp(str(fa, "dso"), str(fb, "dso")))
				break;
		if (!fa)
			continue;
		snprintf(subject, sizeof(subject), "function %s (%s)", str(fb, "function"),
			 str(fb, "dso"));
		e = add_row(c, cap, "function", "remote_ratio", subject, num(fa, "remote_ratio"),
			    num(fb, "remote_ratio"), rules, nr_rules);
		shown++;
	}
	return e;
}

/* An object's remote share of its samples with a known data node; NAN
   below NL_CMP_MIN_OBJECT_SAMPLES of them. */
static double object_ratio(const cJSON *o)
{
	double local = num(o, "local"), remote = num(o, "remote");

	return local + remote >= NL_CMP_MIN_OBJECT_SAMPLES ? remote / (local + remote) : NAN;
}

/* Data objects of both reports, by key, in the candidate's order. */
static int object_rows(struct nl_comparison *c, size_t *cap, const cJSON *a, const cJSON *b,
		       const struct nl_cmp_rule *rules, int nr_rules)
{
	const cJSON *ob, *oa;
	int shown = 0, e = 0;

	cJSON_ArrayForEach(ob, cJSON_GetObjectItemCaseSensitive(b, "objects")) {
		const cJSON *x;
		char subject[256];
		int nth = 0;    /* objects before it with its key (two mappings of one file) */

		if (shown == 10 || e)
			break;
		for (x = cJSON_GetObjectItemCaseSensitive(b, "objects")->child; x != ob; x = x->next)
			nth += !strcmp(str(x, "key"), str(ob, "key"));
		if (isnan(object_ratio(ob)))
			continue;
		/* the baseline's nth object of that key */
		cJSON_ArrayForEach(oa, cJSON_GetObjectItemCaseSensitive(a, "objects"))
			if (!strcmp(str(oa, "key"), str(ob, "key")) && !nth--)
				break;
		if (!oa || isnan(object_ratio(oa)))
			continue;
		snprintf(subject, sizeof(subject), "object %s", str(ob, "name"));
		e = add_row(c, cap, "object", "remote_ratio", subject, object_ratio(oa),
			    object_ratio(ob), rules, nr_rules);
		shown++;
	}
	return e;
}

int compare__run(const cJSON *a, const cJSON *b, const struct nl_cmp_rule *rules, int nr_rules,
		 struct nl_comparison *out)
{
	struct view *v = calloc(2, sizeof(*v));
	size_t cap = 0;
	int e = 0;

	memset(out, 0, sizeof(*out));
	if (!v)
		return -ENOMEM;
	v[0].root = a;
	v[1].root = b;
	if (index_roles(&v[0]) || index_roles(&v[1])) {
		free(v);
		return -ENOMEM;
	}
	out->workers_a = v[0].workers;
	out->workers_b = v[1].workers;
	e |= add_row(out, &cap, "summary", "remote_ratio", "summary",
		     num(cJSON_GetObjectItemCaseSensitive(a, "summary"), "remote_ratio"),
		     num(cJSON_GetObjectItemCaseSensitive(b, "summary"), "remote_ratio"),
		     rules, nr_rules);
	e |= add_row(out, &cap, "summary", "smt.corun", "summary", smt_corun(a), smt_corun(b),
		     rules, nr_rules);
	/* the candidate's groups, in its order, where the baseline has the role */
	for (int i = 0; !e && i < v[1].nr_groups; i++) {
		const struct group *gb = &v[1].groups[i], *ga = group_find(&v[0], gb->key);

		if (!ga)
			continue;
		e |= add_row(out, &cap, "process", "remote_ratio", gb->subject, group_ratio(ga),
			     group_ratio(gb), rules, nr_rules);
		e |= add_row(out, &cap, "process", "exposure", gb->subject, group_exposure(ga),
			     group_exposure(gb), rules, nr_rules);
	}
	if (!e)
		e = function_rows(out, &cap, a, b, rules, nr_rules);
	if (!e)
		e = object_rows(out, &cap, a, b, rules, nr_rules);
	free(v);
	if (e) {
		compare__free(out);
		return -ENOMEM;
	}
	return 0;
}

void compare__free(struct nl_comparison *c)
{
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

const char *compare__verdict_name(enum nl_cmp_verdict v)
{
	switch (v) {
	case NL_CMP_OK:
		return "ok";
	case NL_CMP_IMPROVED:
		return "improved";
	case NL_CMP_REGRESSED:
		return "REGRESSED";
	default:
		return "not comparable";
	}
}
