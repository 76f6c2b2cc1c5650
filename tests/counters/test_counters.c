/*
 * test_counters.c - counting events (samplers/counters.h,
 * profiler/nodecount.h, report/counters_render.h).
 *
 * USAGE: test_counters encode PMU   encodings under LIBPFM_FORCE_PMU=PMU
 *        test_counters encode-raw   AMD rows where libpfm4 knows no name: PMCx043
 *        test_counters generic      the generic rows vs the kernel's table
 *        test_counters unit         decoding, scaling, agreement, the module
 *        test_counters inject       a PMU injected through the syscall table:
 *                                   the report shows exactly its counts
 *
 * Expected encodings are restated from the sources, not from numalens:
 * perf_event_open(2) for PERF_TYPE_HW_CACHE (NODE 6, READ 0, WRITE 1,
 * ACCESS 0, MISS 1), AMD's PPR for PMCx043 (Zen 2, 3, 4: unit mask 0x08
 * local DRAM, 0x40 remote DRAM, 0x10 remote cache), Intel's SDM for event
 * 0xD3 (MEM_LOAD_L3_MISS_RETIRED, and the Haswell-EP unit masks).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <math.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "profiler/nodecount.h"
#include "report_run.h"
#include "samplers/base/sys.h"
#include "samplers/counters.h"
#include "samplers/events.h"
#include "samplers/live.h"
#include "samplers/ring.h"

/* --- encodings ------------------------------------------------------------ */

struct want { const char *row; uint64_t config; };

static const struct {
	const char *pmu;
	const struct nl_event_vendor *v;
	struct want w[4];
} encodings[] = {
	{ "amd64_fam17h_zen2", &events_amd, { { "local-fills", 0x0843 }, { "remote-fills", 0x5043 } } },
	{ "amd64_fam19h_zen3", &events_amd, { { "local-fills", 0x0843 }, { "remote-fills", 0x5043 } } },
	{ "amd64_fam19h_zen4", &events_amd, { { "local-fills", 0x0843 }, { "remote-fills", 0x5043 } } },
	{ "skx", &events_intel, { { "local-dram", 0x1d3 }, { "remote-dram", 0x2d3 },
				  { "remote-hitm", 0x4d3 }, { "remote-fwd", 0x8d3 } } },
	{ "icx", &events_intel, { { "local-dram", 0x1d3 }, { "remote-dram", 0x2d3 },
				  { "remote-hitm", 0x4d3 }, { "remote-fwd", 0x8d3 } } },
	{ "spr", &events_intel, { { "local-dram", 0x1d3 }, { "remote-dram", 0x2d3 },
				  { "remote-hitm", 0x4d3 }, { "remote-fwd", 0x8d3 } } },
	{ "hsw_ep", &events_intel, { { "local-dram", 0x1d3 }, { "remote-dram", 0x4d3 },
				     { "remote-hitm", 0x10d3 }, { "remote-fwd", 0x20d3 } } },
};

static const struct nl_counter_row *row_named(const struct nl_event_vendor *v, const char *name)
{
	for (int i = 0; i < v->nr_counters; i++)
		if (!strcmp(v->counters[i].name, name))
			return &v->counters[i];
	return NULL;
}

static int test_encode(const char *pmu)
{
	struct nl_ev_options o = { .sys = sys__default(), .sysfs = "/sys",
				   .cpuinfo = "/proc/cpuinfo" };

	/* libpfm4 reads the variable once, at the first encoding */
	setenv("LIBPFM_FORCE_PMU", pmu, 1);
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		if (strcmp(encodings[i].pmu, pmu))
			continue;
		for (int k = 0; k < 4 && encodings[i].w[k].row; k++) {
			const struct nl_counter_row *row = row_named(encodings[i].v, encodings[i].w[k].row);
			struct nl_ev_spec spec;

			CHECK(row != NULL);
			if (!row)
				continue;
			CHECK_EQ_U64(events__encode_counter(&o, row, &spec), 0);
			CHECK_EQ_U64(spec.type, PERF_TYPE_RAW);
			CHECK_EQ_U64(spec.config, encodings[i].w[k].config);
			CHECK_EQ_STR(spec.name, encodings[i].w[k].row);
		}
		return check_done();
	}
	fprintf(stderr, "unknown PMU %s\n", pmu);
	return 2;
}

/*
 * A libpfm4 that knows none of the AMD names (forced to an Intel PMU here,
 * as Debian 12's 4.13 on a Zen 5 host): the PPR's PMCx043 configs on AMD
 * families 17h-1Ah only, from a fake /proc/cpuinfo.
 */
static int test_encode_raw(void)
{
	static const struct { int family; int want; } cases[] = {
		{ 0x1a, 0 }, { 0x19, 0 }, { 0x17, 0 }, { 0x15, -ENOENT }, { 0x1b, -ENOENT },
	};
	char path[] = "/tmp/nl-cpuinfo-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return check_done();
	close(fd);
	setenv("LIBPFM_FORCE_PMU", "skx", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nl_ev_options o = { .sys = sys__default(), .sysfs = "/sys", .cpuinfo = path };
		FILE *f = fopen(path, "w");

		CHECK(f != NULL);
		if (!f)
			break;
		fprintf(f, "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: %d\n"
			"model\t\t: 2\n", cases[i].family);
		fclose(f);
		for (int k = 0; k < events_amd.nr_counters; k++) {
			const struct nl_counter_row *row = &events_amd.counters[k];
			struct nl_ev_spec spec;
			int err = events__encode_counter(&o, row, &spec);

			CHECK_EQ_U64(err, cases[i].want);
			if (err)
				continue;
			CHECK_EQ_U64(spec.type, PERF_TYPE_RAW);
			CHECK_EQ_U64(spec.config, k ? 0x5043 : 0x0843);
			CHECK_EQ_STR(spec.name, k ? "remote-fills" : "local-fills");
		}
	}
	unlink(path);
	return check_done();
}

/* The generic rows against the man page's formula and libpfm4's perf:: PMU. */
static int test_generic(void)
{
	static const struct { const char *row, *pfm; uint64_t config; } g[] = {
		{ "node-loads", "perf::NODE-LOADS", 6 | 0 << 8 | 0 << 16 },
		{ "node-load-misses", "perf::NODE-LOAD-MISSES", 6 | 0 << 8 | 1 << 16 },
		{ "node-stores", "perf::NODE-STORES", 6 | 1 << 8 | 0 << 16 },
		{ "node-store-misses", "perf::NODE-STORE-MISSES", 6 | 1 << 8 | 1 << 16 },
	};
	struct nl_ev_options o = { .sys = sys__default(), .sysfs = "/sys",
				   .cpuinfo = "/proc/cpuinfo" };

	unsetenv("LIBPFM_FORCE_PMU");
	CHECK_EQ_U64(pfm_initialize(), PFM_SUCCESS);
	CHECK_EQ_U64(events_generic.nr_counters, 4);
	for (int i = 0; i < 4; i++) {
		const struct nl_counter_row *row = row_named(&events_generic, g[i].row);
		struct perf_event_attr attr;
		pfm_perf_encode_arg_t arg;
		struct nl_ev_spec spec;

		CHECK(row != NULL);
		if (!row)
			continue;
		CHECK_EQ_U64(events__encode_counter(&o, row, &spec), 0);
		CHECK_EQ_U64(spec.type, PERF_TYPE_HW_CACHE);
		CHECK_EQ_U64(spec.config, g[i].config);
		memset(&attr, 0, sizeof(attr));
		memset(&arg, 0, sizeof(arg));
		arg.attr = &attr;
		arg.size = sizeof(arg);
		CHECK_EQ_U64(pfm_get_os_event_encoding(g[i].pfm, PFM_PLM3, PFM_OS_PERF_EVENT, &arg),
			     PFM_SUCCESS);
		CHECK_EQ_U64(attr.type, spec.type);
		CHECK_EQ_U64(attr.config, spec.config);
	}
	/* the roles the report folds them into */
	CHECK_EQ_U64(row_named(&events_generic, "node-loads")->role, NL_CTR_NODE_LOADS);
	CHECK_EQ_U64(row_named(&events_generic, "node-load-misses")->role, NL_CTR_NODE_LOAD_MISSES);
	CHECK_EQ_U64(row_named(&events_amd, "local-fills")->role, NL_CTR_LOCAL_LOADS);
	CHECK_EQ_U64(row_named(&events_intel, "remote-hitm")->role, NL_CTR_NODE_LOAD_MISSES);
	return check_done();
}

/* --- a PMU behind the syscall table ------------------------------------------ */

#define MAX_FAKE 256
#define ENABLED 1200000000ull   /* ns */
#define RUNNING 600000000ull    /* ns: multiplexed, scaling 0.5 */

/* Per unit: node-loads, node-load-misses, node-stores, node-store-misses. */
static const uint64_t per_copy[4] = { 500, 125, 50, 5 };
/* A task's reads return units(pid) x per_copy and x the times. */
static int parent_units = 1;
static bool broken_groups;      /* reads as after exit: each event alone */

static struct { int fd, member, cpu, pid; bool used; } fakes[MAX_FAKE];
static int target_copies;      /* groups opened on a task, not a probe */

/* Zen mode: the kernel maps no node-* events, the PMU takes PMCx043 fills. */
static bool zen;

static int member_of(const struct perf_event_attr *a)
{
	if (a->type == PERF_TYPE_RAW)   /* local fills first, as the AMD table */
		return a->config == 0x5043;
	return (int)((a->config >> 8 & 0xff) * 2 + (a->config >> 16 & 0xff));
}

static int fake_open(struct perf_event_attr *a, pid_t pid, int cpu, int group, unsigned long fl)
{
	bool node = a->type == PERF_TYPE_HW_CACHE && (a->config & 0xff) == PERF_COUNT_HW_CACHE_NODE;
	bool fill = a->type == PERF_TYPE_RAW && (a->config == 0x843 || a->config == 0x5043);

	if (zen && node)
		return -ENOENT;         /* Zen: the kernel's table has no NODE entries */
	/* cycles: a PMU; the IPC group (cycles samples reading their group) is
	   refused as if the kernel could not sample it: it is not this test's */
	if (zen && a->type == PERF_TYPE_HARDWARE && !(a->sample_type & PERF_SAMPLE_READ))
		return sys__default()->open("/dev/null", O_RDONLY);
	if (node || (zen && fill)) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		for (int i = 0; fd >= 0 && i < MAX_FAKE; i++)
			if (!fakes[i].used) {
				fakes[i].used = true;
				fakes[i].fd = fd;
				fakes[i].member = member_of(a);
				fakes[i].cpu = cpu;
				fakes[i].pid = pid;
				if (pid > 0 && fakes[i].member == 0)
					target_copies++;
				/* the kernel's group rules the module relies on */
				if ((group < 0) != (fakes[i].member == 0) || cpu != -1 ||
				    a->inherit_stat || a->read_format != (PERF_FORMAT_GROUP |
				    PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING |
				    PERF_FORMAT_ID) || a->sample_period ||
				    a->disabled != (fakes[i].member == 0))
					check_failed++, fprintf(stderr, "bad counting attr\n");
				return fd;
			}
		return -EMFILE;
	}
	if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_RAW)
		return -ENOENT;         /* no sampling PMU: the software paths sample */
	return sys__default()->perf_event_open(a, pid, cpu, group, fl);
}

static int fake_index(int fd)
{
	for (int i = 0; i < MAX_FAKE; i++)
		if (fakes[i].used && fakes[i].fd == fd)
			return i;
	return -1;
}

static int fake_ioctl(int fd, unsigned long req, unsigned long arg)
{
	if (fake_index(fd) < 0)
		return sys__default()->ioctl(fd, req, arg);
	if (req == PERF_EVENT_IOC_ID)
		*(uint64_t *)arg = 5000 + (uint64_t)fd;
	return 0;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	int i = fake_index(fd), nr = 0;
	uint64_t v[3 + 2 * 4], units;

	if (i < 0)
		return sys__default()->read(fd, buf, len);
	if (len < sizeof(v))
		return -EINVAL;
	if (fakes[i].member != 0 && !broken_groups)
		return -EINVAL;         /* a member's read would be its leader's group */
	units = fakes[i].pid == 100 ? (uint64_t)parent_units : 1;
	v[1] = ENABLED * units;
	v[2] = RUNNING * units;
	for (int j = 0; j < MAX_FAKE; j++) {    /* the group's events, each with its id */
		int m = fakes[j].member;

		if (!fakes[j].used || fakes[j].pid != fakes[i].pid || fakes[j].cpu != fakes[i].cpu ||
		    (broken_groups && j != i))
			continue;
		v[3 + 2 * nr] = per_copy[m] * units;
		v[4 + 2 * nr] = 5000 + (uint64_t)fakes[j].fd;
		nr++;
	}
	v[0] = (uint64_t)nr;
	memcpy(buf, v, 24 + 16 * (size_t)nr);
	return 24 + 16 * nr;
}

static int fake_close(int fd)
{
	int i = fake_index(fd);

	if (i >= 0)
		fakes[i].used = false;
	return sys__default()->close(fd);
}

static struct nl_sys fake_pmu(void)
{
	struct nl_sys s = *sys__default();

	s.perf_event_open = fake_open;
	s.ioctl = fake_ioctl;
	s.read = fake_read;
	s.close = fake_close;
	return s;
}

/* --- unit ----------------------------------------------------------------------- */

static void test_decode_and_scale(void)
{
	uint64_t group[3 + 4] = { 2, 1000, 250, 11, 901, 22, 902 };
	struct nl_group_read g;

	CHECK_EQ_U64(counters__decode_group(group, sizeof(group), &g), 0);
	CHECK(g.nr == 2 && g.time_enabled == 1000 && g.time_running == 250);
	CHECK(g.value[0] == 11 && g.id[0] == 901 && g.value[1] == 22 && g.id[1] == 902);
	CHECK(counters__decode_group(group, sizeof(group) - 8, &g) == -EINVAL);
	group[0] = NL_CTR_MAX + 1;
	CHECK(counters__decode_group(group, sizeof(group), &g) == -EINVAL);
	/* multiplexing: running a quarter of enabled -> x4; never ran -> 0 */
	CHECK_EQ_U64(counters__scale(1000, 4000, 1000), 4000);
	CHECK_EQ_U64(counters__scale(1000, 4000, 4000), 1000);
	CHECK_EQ_U64(counters__scale(1000, 4000, 0), 0);
	CHECK_EQ_U64(counters__scale(3, 10, 3), 10);
}

static void test_agreement(void)
{
	double err;

	/* 10000 samples at 30% vs counted 31% of 1e6 loads: the error is ~0.92
	   points (Wilson half-width 0.916, counted 2 sigma 0.092) */
	CHECK_EQ_U64(nodecount__agree(3000, 10000, 0.31, 1000000, &err), NL_AGREE_NO);
	CHECK(err > 0.0091 && err < 0.0093);
	CHECK_EQ_U64(nodecount__agree(3000, 10000, 0.305, 1000000, &err), NL_AGREE_YES);
	/* 10 samples all local vs 20% counted: too few samples to disagree
	   (0 of 10 happens with p 0.11 at a true 20%); 0 of 100 does not */
	CHECK_EQ_U64(nodecount__agree(0, 10, 0.20, 1000000, &err), NL_AGREE_YES);
	CHECK_EQ_U64(nodecount__agree(0, 100, 0.20, 1000000, &err), NL_AGREE_NO);
	CHECK_EQ_U64(nodecount__agree(0, 0, 0.20, 1000000, &err), NL_AGREE_UNKNOWN);
	CHECK(err < 0);
}

/* Multiplexed records, the generic and the vendor fold, summed per process. */
static void test_nodecount(void)
{
	struct nl_nodecount *nc = nodecount__new();
	struct nl_profile p;
	struct nl_counts_event a = { .pid = 10, .tid = 10,
		.roles = 1u << NL_CTR_NODE_LOADS | 1u << NL_CTR_NODE_LOAD_MISSES,
		.value = { [NL_CTR_NODE_LOADS] = 1000, [NL_CTR_NODE_LOAD_MISSES] = 100 },
		.time_enabled = 4000, .time_running = 1000, .wall_ns = 2000000000ull };
	struct nl_counts_event b = { .pid = 10, .tid = 11,
		.roles = 1u << NL_CTR_LOCAL_LOADS | 1u << NL_CTR_NODE_LOAD_MISSES,
		.value = { [NL_CTR_LOCAL_LOADS] = 600, [NL_CTR_NODE_LOAD_MISSES] = 400 },
		.time_enabled = 1000, .time_running = 1000, .wall_ns = 2000000000ull };
	const struct nl_node_counts *r;

	memset(&p, 0, sizeof(p));
	CHECK(nc != NULL);
	CHECK_EQ_U64(nodecount__add(nc, &a), 0);
	CHECK_EQ_U64(nodecount__add(nc, &b), 0);
	r = nodecount__finish(nc, &p);
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_EQ_U64(r->nr_threads, 2);
	CHECK_EQ_U64(r->nr_processes, 1);
	/* tid 10: 4000 loads, 400 remote (x4); tid 11: 1000 loads, 400 remote */
	CHECK_EQ_U64(r->processes[0].loads, 5000);
	CHECK_EQ_U64(r->processes[0].remote_loads, 800);
	CHECK_EQ_U64(r->processes[0].raw_loads, 2000);
	CHECK_EQ_U64(r->processes[0].raw_remote_loads, 500);
	CHECK(fabs(r->processes[0].miss_ratio - 0.16) < 1e-12);
	CHECK(fabs(r->processes[0].scaling - 2000.0 / 5000.0) < 1e-12);
	CHECK(fabs(r->processes[0].loads_per_s - 2500) < 1e-9);
	CHECK(fabs(r->threads[1].miss_ratio - 0.1) < 1e-12 || fabs(r->threads[0].miss_ratio - 0.1) < 1e-12);
	CHECK(r->processes[0].store_miss_ratio < 0 && !r->processes[0].has_stores);
	CHECK_EQ_U64(r->total.loads, 5000);
	CHECK_EQ_U64(r->total.agreement, NL_AGREE_UNKNOWN);
	nodecount__free(nc);
}

/*
 * The module: an attached task's own values are its read minus those of
 * the tasks it created; values are taken by id, also from a group the
 * kernel broke up (as after exit).
 */
static void test_module(void)
{
	struct nl_sys sys = fake_pmu();
	struct nl_counters_options o = { .sys = &sys, .sysfs = "/sys", .cpuinfo = "/proc/cpuinfo" };
	struct nl_counters *c;
	struct nl_record rec;
	char note[200];
	int got = 0;

	memset(fakes, 0, sizeof(fakes));
	target_copies = 0;
	parent_units = 3;               /* 100 counts itself and 101 (inherited) */
	CHECK_EQ_U64(counters__new(&o, &c, note, sizeof(note)), 0);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_U64(counters__fds_per_task(c), 4);
	CHECK_EQ_U64(counters__open_task(c, 100, 100), 0);
	CHECK_EQ_U64(counters__open_new(c, 100, 101, 100), 0);
	CHECK_EQ_U64(counters__open_new(c, 100, 101, 100), 0);  /* known: ignored */
	CHECK(counters__open_new(c, 200, 201, 999) == -ENOENT);  /* not ours */
	CHECK_EQ_U64(target_copies, 2);
	counters__read(c, 500);
	broken_groups = true;           /* 101 exits: its group reads event by event */
	counters__task_exit(c, 101);
	broken_groups = false;
	for (int i = 0; i < MAX_FAKE; i++)
		CHECK(!fakes[i].used || fakes[i].pid != 101);   /* closed at its exit */
	counters__stop(c, 1000);
	while (counters__next(c, &rec) == 1) {
		const struct nl_counts_event *e = &rec.counts;

		CHECK_EQ_U64(rec.kind, NL_REC_COUNTS);
		CHECK_EQ_U64(e->roles, 0xf);
		got++;
		if (e->tid == 100) {    /* 3 units read, 1 of them 101's */
			CHECK_EQ_U64(e->value[NL_CTR_NODE_LOADS], 2 * 500);
			CHECK_EQ_U64(e->value[NL_CTR_NODE_LOAD_MISSES], 2 * 125);
			CHECK_EQ_U64(e->value[NL_CTR_NODE_STORES], 2 * 50);
			CHECK_EQ_U64(e->value[NL_CTR_NODE_STORE_MISSES], 2 * 5);
			CHECK_EQ_U64(e->time_enabled, 2 * ENABLED);
			CHECK_EQ_U64(e->time_running, 2 * RUNNING);
			CHECK(!e->late);
		} else {
			CHECK_EQ_U64(e->tid, 101);
			CHECK_EQ_U64(e->value[NL_CTR_NODE_LOADS], 500);
			CHECK_EQ_U64(e->value[NL_CTR_NODE_LOAD_MISSES], 125);
			CHECK_EQ_U64(e->value[NL_CTR_NODE_STORE_MISSES], 5);
			CHECK_EQ_U64(e->time_enabled, ENABLED);
			CHECK_EQ_U64(e->time_running, RUNNING);
			CHECK(e->late);
		}
	}
	CHECK_EQ_U64(got, 2);
	CHECK_EQ_U64(counters__stats(c)->tasks, 1);
	CHECK_EQ_U64(counters__stats(c)->new_tasks, 1);
	counters__free(c);
	parent_units = 1;
	for (int i = 0; i < MAX_FAKE; i++)
		CHECK(!fakes[i].used);          /* every descriptor closed */
}

/* --- inject: the whole profile with the fake PMU ------------------------------------ */

static char *text_of(struct nl_source *src, cJSON **json)
{
	struct nl_aggregate *agg = aggregate__new(src->info.topology);
	struct nl_report_input in = { 0 };
	struct nl_record rec;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	while (nl_source__next(src, &rec) > 0)
		aggregate__add(agg, &rec);
	in.profile = aggregate__finish(agg);
	in.info = &src->info;
	in.stats = &src->stats;
	in.command = "profile";
	in.source_kind = src->ops->name;
	{
		struct nl_report_model model;

		*json = NULL;
		if (!report_model__build(&model, &in)) {
			*json = report_json__build(&model);
			out = open_memstream(&text, &len);
			report_text__write(out, &model, 10);
			fclose(out);
			report_model__free(&model);
		}
	}
	aggregate__free(agg);
	return text;
}

/* The injected profile's JSON against the published schema (when jsonschema is there). */
static void validate(const cJSON *json)
{
	const char *dir = getenv("NL_SOURCE_DIR");
	char path[] = "/tmp/nl-counters-XXXXXX", cmd[1024];
	char *text = cJSON_Print(json);
	int fd = mkstemp(path), rc;

	if (!dir || fd < 0 || !text) {
		printf("note: NL_SOURCE_DIR unset: schema not checked\n");
		free(text);
		if (fd >= 0)
			close(fd);
		return;
	}
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/report/validate_schema.py "
		 "%s/report/numalens.report-1.schema.json %s >&2", dir, dir, path);
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && (WEXITSTATUS(rc) == 0 || WEXITSTATUS(rc) == 77));
	unlink(path);
	free(text);
}

/*
 * Zen: the fills encoded for this host's model (PMCx043 on Zen 2-5: by
 * libpfm4, or from the PPR where libpfm4 is older than the CPU), local 500
 * and remote 125 per read: node loads = 625, 20% remote,
 * no stores.
 */
static int test_inject_zen(struct nl_source *src)
{
	const cJSON *nc, *t;
	cJSON *json;
	char *text;

	CHECK_EQ_STR(src->info.counter_events, "local-fills,remote-fills");
	CHECK_EQ_STR(src->info.counter_origin, "amd");
	text = text_of(src, &json);
	nc = cJSON_GetObjectItemCaseSensitive(json, "node_counters");
	t = cJSON_GetObjectItemCaseSensitive(nc, "total");
	CHECK_EQ_U64(json_num(t, "raw.loads"), 625);
	CHECK_EQ_U64(json_num(t, "raw.remote_loads"), 125);
	CHECK_EQ_U64(json_num(t, "loads"), 1250);
	CHECK(json_num(t, "miss_ratio") == 0.2);
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "stores")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "store_miss_ratio")));
	CHECK(text && strstr(text, "Counted: node-load miss ratio 20.0% ("));
	validate(json);
	if ((check_failed || getenv("NL_SHOW_REPORT")) && text)
		fputs(text, stderr);
	free(text);
	cJSON_Delete(json);
	nl_source__close(src);
	for (int i = 0; i < MAX_FAKE; i++)
		CHECK(!fakes[i].used);
	return check_done();
}

static int test_inject(bool as_zen)
{
	char *const argv[] = { "sleep", "0.3", NULL };
	struct nl_sys sys = fake_pmu();
	struct nl_live_options o = { .argv = argv, .sys = &sys };
	struct nl_error err;
	struct nl_source *src;
	const cJSON *nc, *t;
	cJSON *json;
	char *text;
	double n;

	memset(fakes, 0, sizeof(fakes));
	if (geteuid() != 0) {
		long long paranoid = 3;

		sys__read_int(sys__default(), "/proc/sys/kernel/perf_event_paranoid", &paranoid);
		if (paranoid > 1)
			check_skip("perf_event_paranoid > 1 and not root: no software events to drive");
	}
	CHECK_EQ_U64(live__open(&o, &src, &err), 0);
	if (!src) {
		fprintf(stderr, "live__open: %s: %s\n", err.object, err.cause);
		return check_done();
	}
	if (as_zen) {
		char vendor[32] = "";

		sys__file_field(sys__default(), "/proc/cpuinfo", "vendor_id", vendor, sizeof(vendor));
		if (strcmp(vendor, "AuthenticAMD"))
			check_skip("not an AMD host: libpfm4 encodes Zen events only on one");
		return test_inject_zen(src);
	}
	CHECK_EQ_STR(src->info.counter_events, "node-loads,node-load-misses,node-stores,node-store-misses");
	CHECK_EQ_STR(src->info.counter_origin, "generic");
	CHECK_EQ_STR(src->info.counters_note, "");
	text = text_of(src, &json);
	CHECK_EQ_U64(target_copies, 1);         /* sleep: one task, one group */
	n = 1;
	nc = cJSON_GetObjectItemCaseSensitive(json, "node_counters");
	t = cJSON_GetObjectItemCaseSensitive(nc, "total");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(nc, "available")));
	/* exactly the injected counts: raw as read, scaled x2 (0.5 running) */
	CHECK_EQ_U64(json_num(t, "raw.loads"), n * 500);
	CHECK_EQ_U64(json_num(t, "raw.remote_loads"), n * 125);
	CHECK_EQ_U64(json_num(t, "loads"), n * 1000);
	CHECK_EQ_U64(json_num(t, "remote_loads"), n * 250);
	CHECK_EQ_U64(json_num(t, "stores"), n * 100);
	CHECK_EQ_U64(json_num(t, "remote_stores"), n * 10);
	CHECK(json_num(t, "miss_ratio") == 0.25);
	CHECK(json_num(t, "store_miss_ratio") == 0.1);
	CHECK(json_num(t, "scaling") == 0.5);
	CHECK_EQ_U64(json_num(t, "time_enabled_ns"), ENABLED);
	CHECK_EQ_U64(json_num(t, "time_running_ns"), RUNNING);
	CHECK(json_num(t, "loads_per_second") > 0);
	CHECK_EQ_U64(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(nc, "threads")), 1);
	CHECK_EQ_U64(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(nc, "processes")), 1);
	CHECK(text && strstr(text, "Counted: node-load miss ratio 25.0% ("));
	CHECK(text && strstr(text, "scaling 0.50"));
	CHECK(text && strstr(text, "Node counters: node-loads,node-load-misses,node-stores,"
			     "node-store-misses (generic"));
	validate(json);
	if ((check_failed || getenv("NL_SHOW_REPORT")) && text)
		fputs(text, stderr);
	free(text);
	cJSON_Delete(json);
	CHECK_EQ_U64(live__exit_status(src), 0);
	nl_source__close(src);
	for (int i = 0; i < MAX_FAKE; i++)
		CHECK(!fakes[i].used);
	return check_done();
}

/* --- kernel: the real kernel, software events standing in for node-* --------- */

static const uint64_t stand_in[4] = {
	PERF_COUNT_SW_TASK_CLOCK,       /* as node-loads */
	PERF_COUNT_SW_CONTEXT_SWITCHES, /* as node-load-misses */
	PERF_COUNT_SW_PAGE_FAULTS,      /* as node-stores */
	PERF_COUNT_SW_PAGE_FAULTS_MIN,  /* as node-store-misses */
};

static int stand_in_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
			 unsigned long fl)
{
	struct perf_event_attr s = *a;

	if (a->type == PERF_TYPE_HW_CACHE && (a->config & 0xff) == PERF_COUNT_HW_CACHE_NODE) {
		s.type = PERF_TYPE_SOFTWARE;
		s.config = stand_in[member_of(a)];
	} else if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_RAW) {
		return -ENOENT;
	}
	return sys__default()->perf_event_open(&s, pid, cpu, group, fl);
}

/*
 * The whole path on this kernel: the attached shell's inherited group, the
 * groups opened on its children when their FORK shows up, their reads at
 * EXIT, the attribution.  Software events never multiplex: a group with
 * one copy (cpu -1) runs whenever it is enabled.
 */
static int64_t source_counter(const struct nl_source *src, const char *name)
{
	for (uint32_t i = 0; i < src->stats.nr_counters; i++)
		if (!strcmp(src->stats.counters[i].name, name))
			return src->stats.counters[i].value;
	return -1;
}

static int test_kernel(void)
{
	char *const argv[] = { "/bin/sh", "-c", "sleep 0.4 & sleep 0.4 & wait; /bin/true", NULL };
	struct nl_sys sys = *sys__default();
	struct nl_live_options o = { .argv = argv, .sys = &sys };
	struct nl_error err;
	struct nl_source *src;
	struct nl_record rec;
	int late = 0, own = 0;

	sys.perf_event_open = stand_in_open;
	if (geteuid() != 0)
		check_skip("needs root: software events on the launched tree");
	CHECK_EQ_U64(live__open(&o, &src, &err), 0);
	if (!src) {
		fprintf(stderr, "live__open: %s: %s\n", err.object, err.cause);
		return check_done();
	}
	while (nl_source__next(src, &rec) > 0) {
		const struct nl_counts_event *e = &rec.counts;

		if (rec.kind != NL_REC_COUNTS)
			continue;
		printf("  row pid %d tid %d late %d task-clock %" PRIu64 " switches %" PRIu64
		       " faults %" PRIu64 " enabled %" PRIu64 " running %" PRIu64 "\n", e->pid,
		       e->tid, e->late, e->value[0], e->value[1], e->value[2], e->time_enabled,
		       e->time_running);
		CHECK_EQ_U64(e->roles, 0xf);
		if (e->late) {
			late++;
			/* its own group: enabled only while it ran, task-clock = running */
			CHECK_EQ_U64(e->time_running, e->time_enabled);
			CHECK(e->value[0] <= e->time_running + 100000 &&
			      e->value[0] + 100000 >= e->time_running);
		} else {
			/* its children's start-up (exec, first faults) before their
			   FORK was seen is counted here */
			own++;
			CHECK(e->time_running <= e->time_enabled);
			CHECK(e->value[NL_CTR_NODE_STORES] > 0);
		}
	}
	CHECK_EQ_U64(own, 1);           /* the shell, attached at launch */
	CHECK(late >= 2);               /* the two sleeps live long enough to be seen */
	CHECK_EQ_U64(source_counter(src, "counters.new_tasks"), (uint64_t)late);
	CHECK_EQ_U64(source_counter(src, "counters.open_errors"), 0);
	printf("kernel: %d attached + %d later tasks\n", own, late);
	nl_source__close(src);
	return check_done();
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "kernel"))
		return test_kernel();
	if (argc == 3 && !strcmp(argv[1], "encode"))
		return test_encode(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "generic"))
		return test_generic();
	if (argc == 2 && !strcmp(argv[1], "encode-raw"))
		return test_encode_raw();
	if (argc == 2 && !strcmp(argv[1], "inject"))
		return test_inject(false);
	if (argc == 2 && !strcmp(argv[1], "inject-zen")) {
		zen = true;
		return test_inject(true);
	}
	if (argc == 2 && !strcmp(argv[1], "unit")) {
		test_decode_and_scale();
		test_agreement();
		test_nodecount();
		test_module();
		return check_done();
	}
	fprintf(stderr, "usage: test_counters encode PMU | generic | unit | inject\n");
	return 2;
}
