/*
 * test_fixtures.c - every real perf.data in ../shared/fixtures/perfdata
 * against what perf itself printed for it (expected/<name>.txt).
 *
 * The oracle is perf's text: sample counts per event, event names and
 * sample_type, hostname, cpudesc, node cpu lists, socket count, field
 * presence counts, CPUs seen, and perf's own decoding of data_src
 * ("op=LOAD lvl=HIT|L1 lvl_num=L1 ...").  That decoding is mapped to a
 * numalens class here from perf's words, not from data_src bits, so a
 * decoder bug in numalens cannot agree with itself.
 */
#include <dirent.h>
#include <stdbool.h>

#include "check.h"
#include "report_run.h"

#define MAX_LINES 4096

struct expected {
	char *lines[MAX_LINES];
	int nr;
	char *text;
};

static int load_expected(struct expected *e, const char *path)
{
	FILE *f = fopen(path, "r");
	long size;

	memset(e, 0, sizeof(*e));
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	e->text = calloc(1, (size_t)size + 1);
	if (fread(e->text, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	for (char *p = strtok(e->text, "\n"); p && e->nr < MAX_LINES; p = strtok(NULL, "\n"))
		e->lines[e->nr++] = p;
	return 0;
}

/* Value after "prefix" on the first line that starts with it (trimmed). */
static const char *after(const struct expected *e, const char *prefix, int from)
{
	size_t n = strlen(prefix);

	for (int i = from; i < e->nr; i++)
		if (!strncmp(e->lines[i], prefix, n))
			return e->lines[i] + n;
	return NULL;
}

static int line_of(const struct expected *e, const char *prefix)
{
	for (int i = 0; i < e->nr; i++)
		if (!strncmp(e->lines[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

static long number_after(const struct expected *e, const char *prefix, int from)
{
	const char *v = after(e, prefix, from);

	return v ? strtol(v, NULL, 10) : -1;
}

/* perf's words for one data_src line -> numalens class name. */
static const char *class_of_perf_words(const char *w)
{
	bool remote = strstr(w, "REMOTE") != NULL;

	if (strstr(w, "op=NA"))
		return "na";
	if (strstr(w, "lvl_num=NA"))
		return remote ? "remote_unknown" : "unknown";
	if (strstr(w, "lvl_num=L1 "))
		return "l1";
	if (strstr(w, "lvl_num=LFB"))
		return "lfb";
	if (strstr(w, "lvl_num=L2"))
		return "l2";
	if (strstr(w, "lvl_num=L3") || strstr(w, "lvl_num=L4"))
		return "l3";
	if (strstr(w, "lvl_num=RAM"))
		return remote ? "remote_ram" : "local_ram";
	if (strstr(w, "lvl_num=ANY_CACHE") && remote)
		return strstr(w, "hops0") ? "peer_cache"
		       : strstr(w, "HITM") ? "remote_cache_hitm" : "remote_cache";
	return NULL;
}

static void check_levels(const struct expected *e, const cJSON *json)
{
	int start = line_of(e, "  data_src decoded");
	const cJSON *levels = cJSON_GetObjectItem(json, "levels");
	const cJSON *lvl;
	double want[64] = { 0 };
	const char *names[64];
	int nr = 0;

	if (start < 0)
		return;
	for (int i = start + 1; i < e->nr && !strncmp(e->lines[i], "    op=", 7); i++) {
		const char *cls = class_of_perf_words(e->lines[i]);
		long count = strtol(strrchr(e->lines[i], ' ') + 1, NULL, 10);
		int k;

		CHECK(cls != NULL);
		if (!cls)
			continue;
		for (k = 0; k < nr && strcmp(names[k], cls); k++)
			;
		if (k == nr)
			names[nr++] = cls;
		want[k] += (double)count;
	}
	CHECK(nr > 0);
	for (int k = 0; k < nr; k++) {
		lvl = cJSON_GetObjectItem(levels, names[k]);
		CHECK(cJSON_IsNumber(lvl));
		if (cJSON_IsNumber(lvl) && lvl->valuedouble != want[k])
			fprintf(stderr, "  level %s: numalens %.0f, perf %.0f\n", names[k],
				lvl->valuedouble, want[k]);
		CHECK(cJSON_IsNumber(lvl) && lvl->valuedouble == want[k]);
	}
}

/* Every bit perf names in want appears in have, and they count the same bits. */
static void check_sample_type(const char *have, const char *want)
{
	char a[256], b[256];
	int na = 0, nb = 0;

	snprintf(a, sizeof(a), "%s", want);
	snprintf(b, sizeof(b), "%s", have ? have : "");
	for (char *t = strtok(b, "|"); t; t = strtok(NULL, "|"))
		nb++;
	for (char *t = strtok(a, "|"); t; t = strtok(NULL, "|"), na++)
		CHECK(have && strstr(have, t) != NULL);
	CHECK_EQ_U64(nb, na);
}

/* "<name> stats:" followed by "SAMPLE events: N"; no block means none. */
static long samples_of_event(const struct expected *e, const char *name)
{
	char key[300];
	const char *v;
	int at;

	snprintf(key, sizeof(key), "%s stats:", name);
	at = line_of(e, key);
	if (at < 0 || at + 1 >= e->nr)
		return 0;
	v = strstr(e->lines[at + 1], "SAMPLE events:");
	return v ? strtol(v + strlen("SAMPLE events:"), NULL, 10) : 0;
}

/* Every "NAME: type: .., sample_type: X, .." line of perf evlist -v. */
static void check_events(const struct expected *e, const cJSON *json)
{
	int start = line_of(e, "=== perf evlist -v");
	const cJSON *events = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "source"), "events");
	int idx = 0;

	CHECK(start >= 0);
	for (int i = start + 1; i < e->nr && strncmp(e->lines[i], "===", 3); i++, idx++) {
		const char *l = e->lines[i];
		const char *cut = strstr(l, ": type: ") ? strstr(l, ": type: ") : strstr(l, ": size: ");
		const char *st = strstr(l, "sample_type: ");
		const cJSON *ev = cJSON_GetArrayItem(events, idx);
		char name[256], stype[256];

		CHECK(cut && st && ev);
		if (!cut || !st || !ev)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(cut - l), l);
		st += strlen("sample_type: ");
		snprintf(stype, sizeof(stype), "%.*s", (int)strcspn(st, ","), st);
		CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "name")), name);
		check_sample_type(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "sample_type")), stype);
		CHECK_EQ_U64(json_num(ev, "samples"), samples_of_event(e, name));
	}
	CHECK_EQ_U64(cJSON_GetArraySize(events), idx);
}

static void check_header(const struct expected *e, const cJSON *json)
{
	const cJSON *src = cJSON_GetObjectItem(json, "source");
	const cJSON *topo = cJSON_GetObjectItem(json, "topology");
	const cJSON *nodes = cJSON_GetObjectItem(topo, "nodes");
	long sockets = number_after(e, "socket count (sibling sockets lines):", 0);
	long nr_nodes = number_after(e, "numa nodes in header:", 0);
	const char *v;

	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(src, "hostname")),
		     after(e, "# hostname : ", 0));
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(src, "cpudesc")),
		     after(e, "# cpudesc : ", 0));
	CHECK_EQ_U64(json_num(src, "nr_cpus_online"), number_after(e, "# nrcpus online : ", 0));
	CHECK_EQ_U64(cJSON_GetArraySize(nodes), nr_nodes);
	for (int n = 0; n < nr_nodes; n++) {
		char key[64];

		snprintf(key, sizeof(key), "# node%d cpu list : ", n);
		v = after(e, key, 0);
		CHECK(v != NULL);
		CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, n), "cpus")), v);
	}
	CHECK_EQ_U64(cJSON_GetArraySize(cJSON_GetObjectItem(topo, "packages")), sockets);
}

static void check_stats(const struct expected *e, const cJSON *json)
{
	const cJSON *sum = cJSON_GetObjectItem(json, "summary");
	long total = number_after(e, "  data_src_field", 0);
	const char *cpus = strstr(e->text, "distinct CPUs in samples: ");
	long throttle = -1;
	int at = line_of(e, "=== perf report --stats");

	CHECK_EQ_U64(json_num(sum, "samples"), number_after(e, "samples parsed from perf report -D: ", 0));
	CHECK_EQ_U64(json_num(sum, "samples_with_data_src"), total);
	CHECK_EQ_U64(json_num(sum, "samples_with_addr"), number_after(e, "  addr_nonzero", 0));
	CHECK_EQ_U64(json_num(sum, "samples_with_phys_addr"), number_after(e, "  phys_nonzero", 0));
	if (cpus)
		CHECK_EQ_U64(cJSON_GetArraySize(cJSON_GetObjectItem(json, "cpus")),
			     strtol(cpus + strlen("distinct CPUs in samples: "), NULL, 10));
	for (int i = at; at >= 0 && i < e->nr && strncmp(e->lines[i], "=== sample", 10); i++) {
		const char *t = strstr(e->lines[i], " THROTTLE events:");
		if (t && !strstr(e->lines[i], "UNTHROTTLE"))
			throttle = strtol(t + strlen(" THROTTLE events:"), NULL, 10);
	}
	CHECK_EQ_U64(json_num(sum, "throttled"), throttle < 0 ? 0 : throttle);
	CHECK_EQ_U64(json_num(sum, "bad_records"), 0);
}

int main(void)
{
	const char *shared = check_shared_dir();
	char dir[4096], path[8192], exp_path[8192];
	struct dirent *d;
	DIR *dp;
	int files = 0;

	snprintf(dir, sizeof(dir), "%s/fixtures/perfdata", shared);
	dp = opendir(dir);
	if (!dp)
		check_skip("fixtures/perfdata is absent");
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);
		struct expected e;
		struct nl_error err;
		cJSON *json;

		if (len < 11 || strcmp(d->d_name + len - 10, ".perf.data"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		snprintf(exp_path, sizeof(exp_path), "%s/expected/%.*s.txt", dir, (int)(len - 10),
			 d->d_name);
		printf("%s\n", d->d_name);
		CHECK(load_expected(&e, exp_path) == 0);
		json = report_run__file(path, &err);
		CHECK(json != NULL);
		if (json) {
			check_header(&e, json);
			check_events(&e, json);
			check_stats(&e, json);
			check_levels(&e, json);
		}
		cJSON_Delete(json);
		free(e.text);
		files++;
	}
	closedir(dp);
	CHECK(files >= 4);
	return check_done();
}
