/*
 * events.c - encoding the vendor tables and choosing the live event set.
 *
 * FEATURES (what each path gives the report):
 *
 *   path             data addr  latency  data_src  phys addr  per-task
 *   Intel PEBS        loads+st   loads    yes       root       yes
 *   AMD IBS op        yes        yes      6.1+      root       6.2+ (else
 *                                                              per-CPU, root)
 *   Arm SPE           AUX area: not decoded live (perf mem record, perf
 *                     inject --itrace, numalens report)
 *   node-loads/-miss  no         no       no        no         yes
 *   page-faults (sw)  first touch (+ NUMA hinting faults when
 *                     kernel.numa_balancing=1); node via move_pages
 *   cpu-clock (sw)    no address: which thread ran on which CPU
 *
 * This is the only file that includes libpfm4 (its copy of the perf uapi
 * header clashes with linux/perf_event.h), so specs leave it as plain
 * numbers.  See events.h for the contract.
 */
#include "samplers/events.h"

#include <errno.h>
#include <stdarg.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "samplers/perf_record.h"
#include "samplers/sample.h"
#include "samplers/base/sys.h"

#define COMMON_SAMPLE (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | \
		       PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD)
#define DEFAULT_FREQ 1000
#define DEFAULT_LDLAT 30
#define IBS_MIN_LDLAT 128

/* --- sysfs format terms ---------------------------------------------------- */

int events__apply_format(const char *format, uint64_t value, uint64_t config[3])
{
	const char *p = strchr(format, ':');
	int word, shift = 0;

	if (!p)
		return -EINVAL;
	if (!strncmp(format, "config:", 7))
		word = 0;
	else if (!strncmp(format, "config1:", 8))
		word = 1;
	else if (!strncmp(format, "config2:", 8))
		word = 2;
	else
		return -EINVAL;
	for (p++; *p;) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p || lo < 0 || lo > 63)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo || hi > 63)
				return -EINVAL;
		}
		for (long bit = lo; bit <= hi; bit++, shift++)
			if (shift < 64 && (value >> shift & 1))
				config[word] |= 1ull << bit;
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
		else
			break;
	}
	return 0;
}

static int pmu_path(const struct nl_ev_options *o, const char *pmu,
		    const char *file, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/bus/event_source/devices/%s/%s",
			 o->sysfs, pmu, file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Applies one "[?]name=value" term.  value "%u" is the ldlat threshold. */
static int apply_term(const struct nl_ev_options *o, const char *pmu,
		      const char *term, size_t len, uint64_t config[3])
{
	char name[64], path[512], format[128];
	bool optional = term[0] == '?';
	const char *eq;
	uint64_t value;

	if (optional) {
		term++;
		len--;
	}
	eq = memchr(term, '=', len);
	if (!eq || (size_t)(eq - term) >= sizeof(name))
		return -EINVAL;
	memcpy(name, term, (size_t)(eq - term));
	name[eq - term] = '\0';
	value = strtoull(eq + 1, NULL, 0);
	snprintf(format, sizeof(format), "format/%s", name);
	if (pmu_path(o, pmu, format, path, sizeof(path)))
		return -EINVAL;
	if (sys__read_small(o->sys, path, format, sizeof(format)) < 0)
		return optional ? 0 : -ENOENT;
	return events__apply_format(format, value, config);
}

/* IBS-style load latency filter: only when asked for and supported. */
static int apply_ldlat_term(const struct nl_ev_options *o, const char *pmu,
			    uint64_t config[3])
{
	char term[32];

	if (o->ldlat < IBS_MIN_LDLAT)
		return 0;
	snprintf(term, sizeof(term), "?ldlat=%u", o->ldlat);
	return apply_term(o, pmu, term, strlen(term), config);
}

static int encode_pmu(const struct nl_ev_options *o, const struct nl_event_row *row,
		      struct nl_ev_spec *spec)
{
	char path[512];
	long long type;
	uint64_t config[3] = { 0, 0, 0 };
	int err;

	if (pmu_path(o, row->pmu, "type", path, sizeof(path)) ||
	    sys__read_int(o->sys, path, &type))
		return -ENOENT;
	for (const char *t = row->terms; t && *t;) {
		size_t len = strcspn(t, ",");

		err = apply_term(o, row->pmu, t, len, config);
		if (err)
			return err;
		t += len + (t[len] == ',');
	}
	if ((row->flags & NL_EVROW_LDLAT) && (err = apply_ldlat_term(o, row->pmu, config)))
		return err;
	spec->type = (uint32_t)type;
	spec->config = config[0];
	spec->config1 = config[1];
	spec->config2 = config[2];
	return 0;
}

/* --- libpfm4 --------------------------------------------------------------- */

static int pfm_encode_one(const struct nl_ev_options *o, const char *fmt,
			  struct nl_ev_spec *spec)
{
	static int init_state;  /* 0 not tried, 1 ready, -1 failed: libpfm4 is global */
	struct perf_event_attr attr;
	pfm_perf_encode_arg_t arg;
	char name[256];
	int plm = PFM_PLM3 | (o->exclude_kernel ? 0 : PFM_PLM0);

	if (!init_state)
		init_state = pfm_initialize() == PFM_SUCCESS ? 1 : -1;
	if (init_state < 0)
		return -ENOENT;
	snprintf(name, sizeof(name), fmt, o->ldlat ? o->ldlat : DEFAULT_LDLAT);
	memset(&attr, 0, sizeof(attr));
	memset(&arg, 0, sizeof(arg));
	arg.attr = &attr;
	arg.size = sizeof(arg);
	if (pfm_get_os_event_encoding(name, plm, PFM_OS_PERF_EVENT, &arg) != PFM_SUCCESS)
		return -ENOENT;
	spec->type = attr.type;
	spec->config = attr.config;
	spec->config1 = attr.config1;
	spec->config2 = attr.config2;
	return 0;
}

static int encode_pfm(const struct nl_ev_options *o, const struct nl_event_row *row,
		      struct nl_ev_spec *spec)
{
	int err = pfm_encode_one(o, row->pfm, spec);

	if (err && row->pfm_alt)
		err = pfm_encode_one(o, row->pfm_alt, spec);
	return err;
}

/* --- specs ------------------------------------------------------------------- */

static void fill_common(const struct nl_ev_options *o, const struct nl_event_row *row,
			struct nl_ev_spec *spec)
{
	snprintf(spec->name, sizeof(spec->name), "%s", row->name);
	spec->sample_type = COMMON_SAMPLE | row->sample_type;
	if (row->flags & NL_EVROW_PHYS)
		spec->sample_type |= PERF_SAMPLE_PHYS_ADDR;
	spec->precise = row->precise;
	spec->exclude_kernel = o->exclude_kernel;
	spec->sideband = row->flags & NL_EVROW_SIDEBAND;
	if ((row->flags & NL_EVROW_FIXED_PERIOD) || (o->period == 0 && row->period)) {
		spec->period = row->period;
	} else if (o->period) {
		spec->period = o->period;
	} else {
		spec->period = o->freq ? o->freq : DEFAULT_FREQ;
		spec->freq = true;
	}
}

int events__encode(const struct nl_ev_options *o, const struct nl_event_row *row,
		   struct nl_ev_spec *spec)
{
	int err = 0;

	memset(spec, 0, sizeof(*spec));
	if (row->pfm)
		err = encode_pfm(o, row, spec);
	else if (row->pmu)
		err = encode_pmu(o, row, spec);
	else {
		spec->type = row->type;
		spec->config = row->config;
	}
	if (!err)
		fill_common(o, row, spec);
	return err;
}

static const struct nl_event_row page_faults_row = {
	.name = "page-faults", .what = "page faults",
	.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_PAGE_FAULTS,
	.sample_type = PERF_SAMPLE_ADDR,
	.period = 1, .flags = NL_EVROW_FIXED_PERIOD,
};

static const struct nl_event_row cpu_clock_row = {
	.name = "cpu-clock", .what = "cpu-clock",
	.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK,
	.flags = NL_EVROW_SIDEBAND,
};

/* --- the plan --------------------------------------------------------------- */

const struct nl_event_vendor *events__vendor(const struct nl_ev_options *o)
{
	char id[64];

	if (sys__file_field(o->sys, o->cpuinfo, "vendor_id", id, sizeof(id)) > 0) {
		if (!strcmp(id, "GenuineIntel"))
			return &events_intel;
		if (!strcmp(id, "AuthenticAMD") || !strcmp(id, "HygonGenuine"))
			return &events_amd;
	}
	if (sys__file_field(o->sys, o->cpuinfo, "CPU implementer", id, sizeof(id)) > 0)
		return &events_arm;
	return NULL;
}

/* Probes spec, stepping precise_ip down to 1 when the top level is refused. */
static int probe_precise(struct nl_ev_spec *spec, nl_ev_probe_fn probe, void *ctx)
{
	int err = probe(spec, ctx);

	while (err && spec->precise > 1) {
		spec->precise--;
		err = probe(spec, ctx);
	}
	return err;
}

static const char *fix_for(int err, const struct nl_event_row *row)
{
	if (row->flags & NL_EVROW_AUX)
		return "not decoded live; 'perf mem record', then 'perf inject --itrace -o mem.data' "
		       "and 'numalens report mem.data'";
	if (err == -EACCES || err == -EPERM)
		return "run as root or set kernel.perf_event_paranoid<=0";
	return "the kernel or hypervisor does not expose it";
}

static void note(struct nl_ev_plan *plan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct nl_ev_plan *plan, const char *fmt, ...)
{
	va_list ap;

	if (plan->nr_notes == NL_EV_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(plan->notes[plan->nr_notes++], sizeof(plan->notes[0]), fmt, ap);
	va_end(ap);
}

static void note_unavailable(struct nl_ev_plan *plan, const struct nl_event_row *row,
			     int err)
{
	note(plan, "%s (%s): %s - %s", row->name, row->what,
	     row->flags & NL_EVROW_AUX ? "delivers samples in the AUX area" :
	     strerror(-err), fix_for(err, row));
}

/* Encodes and probes one row; 0 and adds it to plan, or -errno. */
static int try_row(const struct nl_ev_options *o, const struct nl_event_row *row,
		   enum nl_ev_kind kind, nl_ev_probe_fn probe, void *ctx,
		   struct nl_ev_plan *plan)
{
	struct nl_ev_spec *spec = &plan->ev[plan->nr];
	int err;

	if (plan->nr == NL_EV_MAX)
		return -ENOSPC;
	err = events__encode(o, row, spec);
	if (!err && (row->flags & NL_EVROW_AUX))
		err = -EOPNOTSUPP;
	if (!err) {
		spec->kind = kind;
		err = probe_precise(spec, probe, ctx);
	}
	if (err && !spec->cpu_wide && (row->flags & NL_EVROW_CPU_WIDE_OK) &&
	    (err == -EINVAL || err == -EOPNOTSUPP)) {
		spec->cpu_wide = true;
		err = probe(spec, ctx);
	}
	if (!err)
		plan->nr++;
	return err;
}

/* Is there a core PMU at all?  Asked of the kernel, with a cycles event. */
static bool has_core_pmu(const struct nl_ev_options *o, nl_ev_probe_fn probe,
			 void *ctx)
{
	struct nl_ev_spec spec = {
		.name = "cycles", .type = PERF_TYPE_HARDWARE,
		.config = PERF_COUNT_HW_CPU_CYCLES, .sample_type = COMMON_SAMPLE,
		.period = DEFAULT_FREQ, .freq = true,
		.exclude_kernel = o->exclude_kernel,
	};

	return probe(&spec, ctx) == 0;
}

static void plan_hardware(const struct nl_ev_options *o, nl_ev_probe_fn probe,
			  void *ctx, struct nl_ev_plan *plan)
{
	const struct nl_event_vendor *v = events__vendor(o);
	bool core = has_core_pmu(o, probe, ctx);
	bool addr = false;
	int err;

	snprintf(plan->vendor, sizeof(plan->vendor), "%s", v ? v->name : "unknown");
	for (int k = 0; v && k < NL_EV_HW_COUNT; k++) {
		const struct nl_event_row *row = &v->rows[k];

		if (!row->name || (!core && !row->pmu))
			continue;
		err = try_row(o, row, k, probe, ctx, plan);
		if (!err)
			addr = true;
		else if (core || err != -ENOENT)
			note_unavailable(plan, row, err);
	}
	for (int k = NL_EV_NODE_LOADS; core && !addr && k <= NL_EV_NODE_MISSES; k++) {
		err = try_row(o, &events_generic.rows[k], k, probe, ctx, plan);
		if (err)
			note_unavailable(plan, &events_generic.rows[k], err);
	}
	plan->hw_pmu = plan->nr > 0;
	if (!core && !addr)
		note(plan, "no hardware PMU: load sampling unavailable; "
		     "using page faults and cpu-clock");
	else if (core && !addr)
		note(plan, "no address-sampling PMU event: using page faults "
		     "and cpu-clock for data addresses");
}

int events__plan(const struct nl_ev_options *o, nl_ev_probe_fn probe,
		 void *ctx, struct nl_ev_plan *plan)
{
	struct nl_ev_plan sw;
	int err;

	memset(plan, 0, sizeof(*plan));
	memset(&sw, 0, sizeof(sw));
	/* Software first: if these fail, nothing will work (permissions). */
	err = try_row(o, &page_faults_row, NL_EV_PAGE_FAULTS, probe, ctx, &sw);
	if (!err)
		err = try_row(o, &cpu_clock_row, NL_EV_CPU_CLOCK, probe, ctx, &sw);
	if (err)
		return err;
	plan_hardware(o, probe, ctx, plan);
	for (int i = 0; i < sw.nr && plan->nr < NL_EV_MAX; i++)
		plan->ev[plan->nr++] = sw.ev[i];
	return 0;
}

int events__encode_counter(const struct nl_ev_options *o, const struct nl_counter_row *row,
			   struct nl_ev_spec *spec)
{
	int err = -ENOENT;

	memset(spec, 0, sizeof(*spec));
	if (!row->pfm[0]) {
		spec->type = row->type;
		spec->config = row->config;
		err = 0;
	}
	for (int i = 0; err && i < 4 && row->pfm[i]; i++)
		err = pfm_encode_one(o, row->pfm[i], spec);
	if (err && row->raw_family[1]) {
		char family[16] = "";
		long f = sys__file_field(o->sys, o->cpuinfo, "cpu family", family,
					 sizeof(family)) > 0 ? strtol(family, NULL, 10) : -1;

		if (f >= row->raw_family[0] && f <= row->raw_family[1]) {
			spec->type = PERF_TYPE_RAW;
			spec->config = row->raw_config;
			err = 0;
		}
	}
	if (!err)
		snprintf(spec->name, sizeof(spec->name), "%s", row->name);
	return err;
}

static const struct nl_event_row sideband_row = {
	.name = "dummy", .what = "side-band records",
	.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_DUMMY,
	.period = 1, .flags = NL_EVROW_FIXED_PERIOD | NL_EVROW_SIDEBAND,
};

int events__plan_sideband(const struct nl_ev_options *o, nl_ev_probe_fn probe,
			  void *ctx, struct nl_ev_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	snprintf(plan->vendor, sizeof(plan->vendor), "none");
	return try_row(o, &sideband_row, NL_EV_CPU_CLOCK, probe, ctx, plan);
}

static const struct nl_event_row cpu_switches_row = {
	.name = "switches-cpu-wide", .what = "context switches of every task per CPU",
	.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_DUMMY,
	.period = 1, .flags = NL_EVROW_FIXED_PERIOD,
};

int events__add_cpu_switches(const struct nl_ev_options *o, nl_ev_probe_fn probe,
			     void *ctx, struct nl_ev_plan *plan)
{
	struct nl_ev_spec spec;
	int err;

	if (plan->nr >= NL_EV_MAX)
		return -ENOSPC;
	err = events__encode(o, &cpu_switches_row, &spec);
	if (err)
		return err;
	spec.kind = NL_EV_CPU_CLOCK;    /* it never samples: only switch records */
	spec.cpu_wide = true;
	spec.cpu_switches = true;
	err = probe(&spec, ctx);
	if (!err)
		plan->ev[plan->nr++] = spec;
	return err;
}

static const struct nl_counter_row ipc_rows[2] = {
	{ .name = "cycles", .pfm = { "perf::PERF_COUNT_HW_CPU_CYCLES" },
	  .type = PERF_TYPE_HARDWARE, .config = PERF_COUNT_HW_CPU_CYCLES },
	{ .name = "instructions", .pfm = { "perf::PERF_COUNT_HW_INSTRUCTIONS" },
	  .type = PERF_TYPE_HARDWARE, .config = PERF_COUNT_HW_INSTRUCTIONS },
};

int events__add_ipc_group(const struct nl_ev_options *o, nl_ev_probe_fn probe, void *ctx,
			  struct nl_ev_plan *plan)
{
	struct nl_ev_spec ev[2];
	int err;

	if (plan->nr + 2 > NL_EV_MAX)
		return -ENOSPC;
	for (int i = 0; i < 2; i++) {
		if (events__encode_counter(o, &ipc_rows[i], &ev[i])) {
			/* libpfm4 without its perf PMU: the generic numbers are the same */
			ev[i].type = ipc_rows[i].type;
			ev[i].config = ipc_rows[i].config;
			snprintf(ev[i].name, sizeof(ev[i].name), "%s", ipc_rows[i].name);
		}
		ev[i].kind = i ? NL_EV_IPC_INSTRUCTIONS : NL_EV_IPC_CYCLES;
		ev[i].sample_type = COMMON_SAMPLE | PERF_SAMPLE_READ;
		ev[i].read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID;
		ev[i].exclude_kernel = o->exclude_kernel;
	}
	ev[0].period = NL_EV_IPC_PERIOD;
	ev[1].group_member = true;      /* period 0: counts, never samples */
	err = probe(&ev[0], ctx);
	if (err == -EINVAL) {
		ev[0].no_inherit = ev[1].no_inherit = true;
		err = probe(&ev[0], ctx);
	}
	if (!err)
		err = probe(&ev[1], ctx);
	if (err)
		return err;
	plan->ev[plan->nr++] = ev[0];
	plan->ev[plan->nr++] = ev[1];
	return 0;
}

bool events__core_pmu(const struct nl_sys *sys, bool exclude_kernel)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.exclude_kernel = exclude_kernel;
	a.exclude_hv = exclude_kernel;
	a.disabled = 1;
	fd = sys->perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0)
		sys->close(fd);
	return fd >= 0 || fd == -EACCES || fd == -EPERM;
}

bool events__exclude_kernel(const struct nl_sys *sys)
{
	long long paranoid = 2;

	if (geteuid() == 0)
		return false;
	sys__read_int(sys, "/proc/sys/kernel/perf_event_paranoid", &paranoid);
	return paranoid >= 2;
}

void events__describe(const struct nl_ev_spec *spec, struct nl_event_desc *d)
{
	snprintf(d->name, sizeof(d->name), "%s", spec->name);
	d->type = spec->type;
	d->config = spec->config;
	d->sample_type = spec->sample_type;
	perf_layout__sample_type_names(d->sample_type, d->sample_type_names,
				       sizeof(d->sample_type_names));
	d->period = spec->period;
	d->freq = spec->freq;
}
