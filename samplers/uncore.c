/*
 * uncore.c - DRAM traffic per node from the memory controllers' counters.
 * See uncore.h for the contract.
 */
#include "samplers/uncore.h"

#include <errno.h>
#include <stdarg.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/cpuset.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"
#include "samplers/events.h"

/* Controller families whose DRAM events the kernel names in sysfs. */
static const struct family {
	const char *prefix;     /* PMU name up to its number */
	const char *read, *write;
} families[] = {
	{ "uncore_imc_", "cas_count_read", "cas_count_write" },       /* Intel, SNB..ICX */
	{ "uncore_imc_free_running_", "data_read", "data_write" },    /* Intel client, SPR */
};

/*
 * Controllers that publish no named events in sysfs (perf's JSON has them):
 * the terms are data, encoded with the PMU's own format/ files; each count
 * is bytes_per_count bytes (perf's umc_mem_read_bandwidth: umc_cas_cmd.rd x
 * 64 B, AMD Zen 4 and later, Linux 6.9+ amd_umc_N, one per controller).
 */
static const struct term_family {
	const char *prefix;
	const char *read, *write;       /* terms, "event=0x0a,rdwrmask=0x1" */
	double bytes_per_count;
} term_families[] = {
	{ "amd_umc_", "event=0x0a,rdwrmask=0x1", "event=0x0a,rdwrmask=0x2", 64 },
};

/*
 * AMD's data fabric PMU "amd_df" (one PMU; its cpumask names one CPU per DF
 * instance: per socket on Zen 2/3, per die on Zen 1).  DF v1 (Zen 1-3) has
 * perf's dram_channel_data_controller_0..7 (pmu-events amdzen1-3
 * data-fabric.json: event 0x07 + 0x40 x channel, umask 0x38, ScaleUnit
 * 6.1e-5MiB, i.e. 64 B per count), each one DRAM channel's reads and writes
 * together: perf's nps1_die_to_dram metric sums the eight.  DF v2 (Zen 4+,
 * the kernel's umask format "config:8-15,24-27") counts other events; its
 * DRAM traffic is amd_umc_N's (above), so a DF v2 is found, not encoded.
 */
#define DF_PMU "amd_df"
#define DF_CHANNELS 8
#define DF_CHANNEL_TERMS "event=0x%x,umask=0x38"
#define DF_BYTES_PER_COUNT 64

#define DEVICES "bus/event_source/devices"

static int read_small(const struct nl_sys *sys, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int read_small(const struct nl_sys *sys, char *buf, size_t size, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return sys__read_small(sys, path, buf, size);
}

/* "event=0x04,umask=0x03" with the PMU's format/ files into a config. */
static int encode(const struct nl_sys *sys, const char *pmu_dir, const char *terms,
		  uint64_t *config)
{
	char copy[256], *save, *term;

	snprintf(copy, sizeof(copy), "%s", terms);
	*config = 0;
	for (term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(term, '='), fmt[64], *end;
		unsigned long long v = 1;
		uint64_t field[3] = { 0 }, bits[3] = { 0 };
		int width;

		if (eq) {
			*eq = '\0';
			v = strtoull(eq + 1, &end, 0);
			if (*end)
				return -EINVAL;
		}
		/* "config:0-7,32-35": the value's bits spread over the ranges in
		   order (events.c, the one format parser); config1/2: not used here */
		if (read_small(sys, fmt, sizeof(fmt), "%s/format/%s", pmu_dir, term) < 0 ||
		    events__apply_format(fmt, ~0ull, bits) || bits[1] || bits[2])
			return -EINVAL;
		width = __builtin_popcountll(bits[0]);
		if (width < 64 && v >> width)
			return -EINVAL;         /* the value does not fit its field */
		events__apply_format(fmt, v, field);
		*config |= field[0];
	}
	return 0;
}

static double unit_bytes(const char *unit)
{
	static const struct { const char *name; double bytes; } units[] = {
		{ "B", 1 }, { "Bytes", 1 }, { "bytes", 1 }, { "KiB", 1024.0 },
		{ "MiB", 1048576.0 }, { "GiB", 1073741824.0 }, { "KB", 1e3 }, { "MB", 1e6 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].name))
			return units[i].bytes;
	return 0;
}

/*
 * One event of one PMU: a named one (name: events/NAME holds the terms,
 * NAME.scale and NAME.unit the scale), else the terms given, each count
 * bytes_per_count bytes (scale 1).  False when absent or malformed.
 */
static bool add_event(const struct nl_sys *sys, const char *dir, const char *pmu,
		      const char *name, const char *given_terms, double bytes_per_count,
		      bool write, int cpu, const struct nl_topology *topo,
		      struct nl_uncore_discovery *out)
{
	struct nl_uncore_event *e = &out->events[out->nr_events];
	char terms[256], buf[64];
	long long type;
	struct nl_cpuset mask = { 0 };

	if (out->nr_events == (int)(sizeof(out->events) / sizeof(out->events[0])))
		return false;
	if (name && read_small(sys, terms, sizeof(terms), "%s/events/%s", dir, name) < 0)
		return false;
	if (!name)
		snprintf(terms, sizeof(terms), "%s", given_terms);
	memset(e, 0, sizeof(*e));
	snprintf(e->pmu, sizeof(e->pmu), "%s", pmu);
	if (read_small(sys, buf, sizeof(buf), "%s/type", dir) < 0 ||
	    sscanf(buf, "%lld", &type) != 1 || type < 0 || encode(sys, dir, terms, &e->config))
		return false;
	e->type = (uint32_t)type;
	e->scale = 1;
	if (name && read_small(sys, buf, sizeof(buf), "%s/events/%s.scale", dir, name) > 0)
		e->scale = strtod(buf, NULL);
	e->unit_bytes = name ? 1 : bytes_per_count;
	if (name && read_small(sys, buf, sizeof(buf), "%s/events/%s.unit", dir, name) > 0)
		e->unit_bytes = unit_bytes(buf);
	if (!(e->scale > 0) || !(e->unit_bytes > 0))
		return false;
	e->cpu = cpu;
	if (cpu < 0) {
		e->cpu = 0;
		if (read_small(sys, buf, sizeof(buf), "%s/cpumask", dir) > 0 &&
		    !cpuset__parse_list(&mask, buf))
			e->cpu = cpuset__next(&mask, 0) < 0 ? 0 : cpuset__next(&mask, 0);
		cpuset__free(&mask);
	}
	e->node = topo ? topology__node_of_cpu(topo, e->cpu) : -1;
	e->write = write;
	out->nr_events++;
	return true;
}

/* A DF v1 not encoded (a term missing): counted as found, like an old UMC. */
static void df_unencoded(struct nl_uncore_discovery *out)
{
	if (!out->nr_unencoded)
		snprintf(out->unencoded_example, sizeof(out->unencoded_example), DF_PMU);
	out->nr_unencoded++;
}

/*
 * amd_df (see DF_PMU): the eight channel events on every DF instance (each
 * CPU of cpumask), mapped to that CPU's node, counting both directions.
 * Nothing when the PMU is absent, or when a controller PMU already counts
 * DRAM (amd_umc_N on Zen 4+: its reads and writes are split).
 */
static void discover_df(const struct nl_sys *sys, const char *devices,
			const struct nl_topology *topo, struct nl_uncore_discovery *out)
{
	char dir[512], buf[256], terms[64];
	struct nl_cpuset mask = { 0 };
	int before = out->nr_events, cpu;

	snprintf(dir, sizeof(dir), "%s/" DF_PMU, devices);
	if (read_small(sys, buf, sizeof(buf), "%s/type", dir) < 0)
		return;
	if (out->nr_events)
		return;
	if (read_small(sys, buf, sizeof(buf), "%s/format/umask", dir) < 0 || strchr(buf, ',')) {
		df_unencoded(out);      /* DF v2 (Zen 4+) or no umask term */
		return;
	}
	if (read_small(sys, buf, sizeof(buf), "%s/cpumask", dir) <= 0 ||
	    cpuset__parse_list(&mask, buf) || cpuset__next(&mask, 0) < 0) {
		cpuset__free(&mask);
		df_unencoded(out);
		return;
	}
	for (cpu = cpuset__next(&mask, 0); cpu >= 0; cpu = cpuset__next(&mask, cpu + 1))
		for (int ch = 0; ch < DF_CHANNELS; ch++) {
			snprintf(terms, sizeof(terms), DF_CHANNEL_TERMS, 0x07 + 0x40 * ch);
			if (!add_event(sys, dir, DF_PMU, NULL, terms, DF_BYTES_PER_COUNT, false, cpu,
				       topo, out)) {
				out->nr_events = before;        /* all or none */
				cpuset__free(&mask);
				df_unencoded(out);
				return;
			}
			out->events[out->nr_events - 1].both = true;
		}
	cpuset__free(&mask);
}

int uncore__discover(const struct nl_sys *sys, const char *sysfs_root,
		     const struct nl_topology *topo, struct nl_uncore_discovery *out)
{
	char devices[256], dir[512], pmu[64];
	int *ids = NULL, n = 0, e;

	memset(out, 0, sizeof(*out));
	snprintf(devices, sizeof(devices), "%s/" DEVICES, sysfs_root);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		e = sys__list_ids(sys, devices, families[f].prefix, &ids, &n);
		if (e == -ENOENT)
			return 0;       /* no perf events in this sysfs */
		if (e)
			return e;
		for (int i = 0; i < n; i++) {
			snprintf(pmu, sizeof(pmu), "%s%d", families[f].prefix, ids[i]);
			snprintf(dir, sizeof(dir), "%s/%s", devices, pmu);
			add_event(sys, dir, pmu, families[f].read, NULL, 0, false, -1, topo, out);
			add_event(sys, dir, pmu, families[f].write, NULL, 0, true, -1, topo, out);
		}
		free(ids);
		ids = NULL;
	}
	for (size_t f = 0; f < sizeof(term_families) / sizeof(term_families[0]); f++) {
		const struct term_family *tf = &term_families[f];

		if (sys__list_ids(sys, devices, tf->prefix, &ids, &n)) {
			free(ids);
			ids = NULL;
			continue;
		}
		for (int i = 0; i < n; i++) {
			int before = out->nr_events;

			snprintf(pmu, sizeof(pmu), "%s%d", tf->prefix, ids[i]);
			snprintf(dir, sizeof(dir), "%s/%s", devices, pmu);
			/* a kernel whose format lacks a term (no rdwrmask: before 6.9)
			   cannot take the event: counted as found, not encoded */
			if (!add_event(sys, dir, pmu, NULL, tf->read, tf->bytes_per_count, false,
				       -1, topo, out) ||
			    !add_event(sys, dir, pmu, NULL, tf->write, tf->bytes_per_count, true,
				       -1, topo, out)) {
				out->nr_events = before;        /* both or neither */
				if (!out->nr_unencoded)
					snprintf(out->unencoded_example,
						 sizeof(out->unencoded_example), "%s", pmu);
				out->nr_unencoded++;
			}
		}
		free(ids);
		ids = NULL;
	}
	discover_df(sys, devices, topo, out);
	return 0;
}

/* ------------------------------------------------------------ counting */

struct counter {
	int fd;
	uint64_t value, enabled, running;       /* at the last read */
	int slot;                               /* index into bw.nodes */
};

struct nl_uncore {
	const struct nl_sys *sys;
	const struct nl_uncore_discovery *disc;
	struct counter counters[NL_UNCORE_MAX_PMUS * 2];
	int nr;
	uint64_t t0, last;
	double total_read[NL_UNCORE_MAX_PMUS], total_write[NL_UNCORE_MAX_PMUS];
	struct nl_bandwidth bw;
};

/* value, time_enabled, time_running.  0 or -errno. */
static int read_counter(const struct nl_sys *sys, int fd, uint64_t v[3])
{
	ssize_t n = sys->read(fd, v, 3 * sizeof(uint64_t));

	return n == 3 * (ssize_t)sizeof(uint64_t) ? 0 : n < 0 ? (int)n : -EIO;
}

static int slot_of(struct nl_bandwidth *bw, int node)
{
	for (int i = 0; i < bw->nr_nodes; i++)
		if (bw->nodes[i].node == node)
			return i;
	if (bw->nr_nodes == NL_UNCORE_MAX_PMUS)
		return -1;
	bw->nodes[bw->nr_nodes].node = node;
	return bw->nr_nodes++;
}

int uncore__start(const struct nl_sys *sys, const struct nl_uncore_discovery *disc,
		  struct nl_uncore **out, struct nl_error *err)
{
	struct nl_uncore *u;

	*out = NULL;
	if (!disc->nr_events) {
		if (disc->nr_unencoded)
			return diag__set(err, -ENODEV, "count them with perf stat and its JSON events "
					 "(perf list | grep -i umc)", "%s: the memory controller "
					 "PMU names no DRAM event in sysfs", disc->unencoded_example);
		return diag__set(err, -ENODEV, "run on bare metal, or where the hypervisor exposes "
				 "uncore PMUs", "no memory-controller PMU in /sys/bus/event_source "
				 "(virtual machines expose none)");
	}
	if (!(u = calloc(1, sizeof(*u))))
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	u->sys = sys;
	u->disc = disc;
	u->bw.series = calloc(NL_UNCORE_MAX_TICKS, sizeof(*u->bw.series));
	if (!u->bw.series) {
		free(u);
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	}
	for (int i = 0; i < disc->nr_events; i++) {
		const struct nl_uncore_event *e = &disc->events[i];
		struct perf_event_attr a;
		struct counter *c = &u->counters[u->nr];
		uint64_t v[3];
		int fd;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = e->type;
		a.config = e->config;
		a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
		fd = sys->perf_event_open(&a, -1, e->cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0 || read_counter(sys, fd, v)) {
			int code = fd < 0 ? fd : -EIO;

			if (fd >= 0)
				sys->close(fd);
			uncore__stop(u, NULL);
			if (code == -EACCES || code == -EPERM)
				return diag__set(err, code, "give numalens CAP_PERFMON or set "
						 "kernel.perf_event_paranoid<=0", "%s: system-wide "
						 "counting refused: %s", e->pmu, strerror(-code));
			return diag__set(err, code, NULL, "%s: %s", e->pmu, strerror(-code));
		}
		c->fd = fd;
		c->value = v[0];
		c->enabled = v[1];
		c->running = v[2];
		c->slot = slot_of(&u->bw, e->node);
		u->bw.directions_combined |= e->both;
		u->nr++;
	}
	u->t0 = u->last = sys->now_ns();
	*out = u;
	return 0;
}

void uncore__tick(struct nl_uncore *u)
{
	double rd[NL_UNCORE_MAX_PMUS] = { 0 }, wr[NL_UNCORE_MAX_PMUS] = { 0 };
	uint64_t now = u->sys->now_ns();
	double dt = (double)(now - u->last) / 1e9;

	for (int i = 0; i < u->nr; i++) {
		const struct nl_uncore_event *e = &u->disc->events[i];
		struct counter *c = &u->counters[i];
		uint64_t v[3];
		double delta, bytes;

		if (c->slot < 0 || read_counter(u->sys, c->fd, v))
			continue;
		delta = (double)(v[0] - c->value);
		/* multiplexed: the counter ran only part of the time enabled */
		if (v[2] - c->running != v[1] - c->enabled) {
			u->bw.multiplexed = true;
			delta = v[2] > c->running ? delta * (double)(v[1] - c->enabled) /
						    (double)(v[2] - c->running) : 0;
		}
		bytes = delta * e->scale * e->unit_bytes;       /* the scale, once */
		(e->write ? wr : rd)[c->slot] += bytes;
		c->value = v[0];
		c->enabled = v[1];
		c->running = v[2];
	}
	for (int n = 0; n < u->bw.nr_nodes; n++) {
		struct nl_bandwidth_node *bn = &u->bw.nodes[n];

		u->total_read[n] += rd[n];
		u->total_write[n] += wr[n];
		if (dt > 0) {
			if (rd[n] / dt > bn->read_peak)
				bn->read_peak = rd[n] / dt;
			if (wr[n] / dt > bn->write_peak)
				bn->write_peak = wr[n] / dt;
			if (u->bw.nr_ticks < NL_UNCORE_MAX_TICKS)
				u->bw.series[u->bw.nr_ticks][n] = (float)((rd[n] + wr[n]) / dt);
		}
	}
	if (dt > 0 && u->bw.nr_ticks < NL_UNCORE_MAX_TICKS)
		u->bw.nr_ticks++;
	u->last = now;
}

int uncore__stop(struct nl_uncore *u, struct nl_bandwidth *bw)
{
	if (!u)
		return 0;
	if (bw && u->nr)
		uncore__tick(u);
	for (int i = 0; i < u->nr; i++)
		u->sys->close(u->counters[i].fd);
	if (bw) {
		*bw = u->bw;
		bw->measured = true;
		bw->seconds = (double)(u->last - u->t0) / 1e9;
		for (int n = 0; n < bw->nr_nodes && bw->seconds > 0; n++) {
			bw->nodes[n].read_mean = u->total_read[n] / bw->seconds;
			bw->nodes[n].write_mean = u->total_write[n] / bw->seconds;
		}
		u->bw.series = NULL;    /* handed over */
	}
	free(u->bw.series);
	free(u);
	return 0;
}

void uncore__result_free(struct nl_bandwidth *bw)
{
	free(bw->series);
	bw->series = NULL;
}
