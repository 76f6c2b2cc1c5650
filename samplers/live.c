/*
 * live.c - the live source: attach to a process tree (or start a command),
 * read the per-CPU rings, hand out normalized records.  See live.h.
 *
 * This file: open and close (setup, the source info, --record) and the
 * public calls.  Attaching is in live_attach.c, records from the rings in
 * live_records.c, the state machine behind next() in live_run.c (their
 * state and lifecycle: live_internal.h).  The task table, launching and
 * synthetic records live in proctree.c, the rings in ring.c.
 */
#include "samplers/live.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "samplers/base/array.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/outfile.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"
#include "samplers/faultnode.h"
#include "samplers/access.h"
#include "samplers/counters.h"
#include "samplers/events.h"
#include "samplers/live_attach.h"
#include "samplers/live_internal.h"
#include "samplers/live_records.h"
#include "samplers/live_run.h"
#include "samplers/perf_record.h"
#include "samplers/perfdata_writer.h"
#include "samplers/placement.h"
#include "samplers/proctree.h"
#include "samplers/pyframes.h"
#include "samplers/ring.h"

static const struct nl_source_ops live_ops;

int live__fail(struct nl_error *err, int code, const char *fix,
	       const char *object_fmt, ...)
{
	va_list ap;

	diag__set(err, code, fix, "%s", strerror(-code));
	va_start(ap, object_fmt);
	vsnprintf(err->object, sizeof(err->object), object_fmt, ap);
	va_end(ap);
	return code;
}

/* --- open and close ---------------------------------------------------------------- */

/* Finishes --record (features, header).  0 or -errno; no-op without a writer. */
static int end_record(struct live *lv)
{
	int err;

	if (!lv->writer)
		return 0;
	perfdata_writer__page_size(lv->writer, placement__page_size(lv->pl));
	placement__each_page(lv->pl, live_records__page_to_writer, lv->writer);
	err = perfdata_writer__close(lv->writer, &lv->base.info, lv->topo);
	lv->writer = NULL;
	return err;
}

static void live_close(struct nl_source *src)
{
	struct live *lv = (struct live *)src;

	if (lv->writer)
		end_record(lv);
	proctree__spawn_close(&lv->child);
	if (lv->child.pid && !lv->child_done) {
		lv->sys->kill(lv->child.pid, SIGKILL);
		live_run__reap_child(lv, 0);
	}
	live_attach__close_probes(lv);
	for (uint32_t i = 0; i < lv->nr_fds; i++)
		if (lv->fds[i] >= 0)
			lv->sys->close(lv->fds[i]);
	counters__free(lv->ctr);
	allocprobe__remove(lv->sys, &lv->probes);      /* their events are closed */
	ringset__close(&lv->rs, lv->sys);
	for (int i = 0; i < lv->nr_events; i++)
		free(lv->ev[i].ids);
	perf_event_set__free(&lv->set);
	allocdec__free(&lv->adec);
	faultnode__free(&lv->fnode);
	proctree__free(lv->tree);
	placement__free(lv->pl);
	access__free(lv->ac);
	pyframes__free(lv->py);
	topology__free(lv->topo);
	free(lv->fds);
	free(lv->probe_fds);
	free(lv->arena);
	free(lv);
}

static const struct nl_source_ops live_ops = {
	.name = "live",
	.next = live_run__next,
	.close = live_close,
};

/* perf's x86 CPUID string: "vendor,family,model,stepping" ("" elsewhere). */
static void cpuid_of(const struct nl_sys *sys, char *buf, size_t size)
{
	char v[32], f[16], m[16], st[16] = "0";

	buf[0] = '\0';
	if (sys__file_field(sys, "/proc/cpuinfo", "vendor_id", v, sizeof(v)) > 0 &&
	    sys__file_field(sys, "/proc/cpuinfo", "cpu family", f, sizeof(f)) > 0 &&
	    sys__file_field(sys, "/proc/cpuinfo", "model", m, sizeof(m)) > 0) {
		sys__file_field(sys, "/proc/cpuinfo", "stepping", st, sizeof(st));
		snprintf(buf, size, "%s,%s,%s,%s", v, f, m, st);
	}
}

/*
 * The profiled command's argv for the advice (NUL-separated, as
 * /proc/PID/cmdline): the command numalens starts, or the target's own.
 */
static void target_cmdline(struct live *lv, struct nl_source_info *info)
{
	char path[64], *buf = NULL;
	size_t len = 0, used = 0;
	int who = lv->opt.pid ? lv->opt.pid : lv->opt.tid;

	for (char *const *a = lv->opt.argv; a && *a; a++) {
		size_t n = strlen(*a) + 1;

		if (used + n > sizeof(info->target_cmdline))
			break;
		memcpy(info->target_cmdline + used, *a, n);
		used += n;
	}
	if (!lv->opt.argv && who > 0) {
		snprintf(path, sizeof(path), "/proc/%d/cmdline", who);
		if (!sys__read_file(lv->sys, path, 1 << 16, &buf, &len) && len) {
			if (len > sizeof(info->target_cmdline)) {
				/* a cut argument is dropped whole: the command stays runnable */
				len = sizeof(info->target_cmdline);
				while (len && buf[len - 1])
					len--;
			}
			memcpy(info->target_cmdline, buf, len);
			used = len;
		}
		free(buf);
	}
	/* without the trailing NUL: target_cmdline_len covers the arguments */
	info->target_cmdline_len = (uint32_t)(used && !info->target_cmdline[used - 1] ? used - 1 : used);
}

static void fill_info(struct live *lv)
{
	struct nl_source_info *info = &lv->base.info;
	struct utsname u;
	char buf[64];

	snprintf(info->path, sizeof(info->path), "live");
	snprintf(info->perf_version, sizeof(info->perf_version), "numalens");
	if (!uname(&u)) {
		snprintf(info->hostname, sizeof(info->hostname), "%s", u.nodename);
		snprintf(info->os_release, sizeof(info->os_release), "%s", u.release);
		snprintf(info->arch, sizeof(info->arch), "%.31s", u.machine);
	}
	snprintf(info->cmdline, sizeof(info->cmdline), "%s",
		 lv->opt.cmdline ? lv->opt.cmdline : "numalens profile");
	target_cmdline(lv, info);
	sys__file_field(lv->sys, "/proc/cpuinfo", "model name", info->cpudesc,
			sizeof(info->cpudesc));
	cpuid_of(lv->sys, info->cpuid, sizeof(info->cpuid));
	info->nr_cpus_online = (uint32_t)lv->rs.nr;
	info->nr_cpus_avail = (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
	if (sys__file_field(lv->sys, "/proc/meminfo", "MemTotal", buf, sizeof(buf)) > 0)
		info->total_mem_kb = strtoull(buf, NULL, 10);
	lv->topo = topology__read_sysfs_with(lv->sys, "/", NULL);
	info->topology = lv->topo;
	info->cpu_pmu = events__core_pmu(lv->sys, true) ? NL_PMU_PRESENT : NL_PMU_ABSENT;
}

/* Says which paths cannot run here; only once the profile has started. */
static void notes(const struct live *lv)
{
	long long on = 0;

	for (int i = 0; i < lv->nr_notes; i++)
		diag__note("%s", lv->notes[i]);

	if (!lv->topo || lv->topo->nr_nodes < 2)
		return;
	sys__read_int(lv->sys, "/proc/sys/kernel/numa_balancing", &on);
	if (!on)
		diag__note("numa hinting faults: kernel.numa_balancing is off - page faults "
			   "show first touches only; 'sysctl kernel.numa_balancing=1' samples "
			   "later accesses too");
}

static int open_writer(struct live *lv, struct nl_error *err)
{
	struct nl_pdw_event ev[NL_EV_MAX];
	struct perf_event_attr probe_attr[NL_EV_MAX];
	int e;

	for (int i = 0; i < lv->nr_events; i++) {
		ev[i].attr = &lv->ev[i].attr;
		/* A tracepoint needs its format (TRACING_DATA) for perf report to
		   open the file: allocation probes are written as software dummy
		   events, recognised by their names (the record layout is the
		   same). */
		if (lv->ev[i].spec.kind == NL_EV_ALLOC_PROBE ||
		    lv->ev[i].spec.kind == NL_EV_FAULT_TRACE) {
			probe_attr[i] = lv->ev[i].attr;
			probe_attr[i].type = PERF_TYPE_SOFTWARE;
			probe_attr[i].config = PERF_COUNT_SW_DUMMY;
			ev[i].attr = &probe_attr[i];
		}
		ev[i].attr_size = sizeof(lv->ev[i].attr);
		ev[i].name = lv->ev[i].spec.name;
		ev[i].ids = lv->ev[i].ids;
		ev[i].nr_ids = lv->ev[i].nr_ids;
	}
	e = perfdata_writer__open(lv->opt.record_path, ev, lv->nr_events, &lv->writer);
	if (e) {
		diag__set(err, e, e == -ELOOP ? "remove the link or record to another path" :
			  "choose a writable path for --record", "%s", outfile__strerror(e));
		return diag__set_object(err, "%s", lv->opt.record_path);
	}
	for (uint32_t i = 0; i < proctree__nr_synth(lv->tree); i++) {
		struct nl_record r;

		proctree__synth(lv->tree, i, &r);
		perfdata_writer__synth(lv->writer, &r, lv->ev[0].nr_ids ? lv->ev[0].ids[0] : 0);
	}
	return 0;
}

/* The counting group (samplers/counters.h); its absence is a note, never an error. */
static int open_counters(struct live *lv, struct nl_error *err)
{
	struct nl_counters_options co = {
		.sys = lv->sys, .sysfs = "/sys", .cpuinfo = "/proc/cpuinfo",
		.exclude_kernel = events__exclude_kernel(lv->sys),
		.enable_on_exec = launch_mode(lv),
	};
	char *note = lv->base.info.counters_note;

	if (counters__new(&co, &lv->ctr, note, sizeof(lv->base.info.counters_note)))
		return live__fail(err, -ENOMEM, NULL, "numalens");
	if (lv->ctr)
		counters__describe(lv->ctr, &lv->base.info);
	else if (lv->nr_notes < NL_EV_MAX)
		snprintf(lv->notes[lv->nr_notes++], sizeof(lv->notes[0]), "%s", note);
	return 0;
}

static int start_target(struct live *lv, struct nl_error *err)
{
	int e;

	if (launch_mode(lv) && (e = proctree__spawn(lv->tree, lv->opt.argv, &lv->child)))
		return live__fail(err, e, NULL, "%s", lv->opt.argv[0]);
	/* the interpreter's layout check (DWARF) before the rings fill */
	if (lv->py && lv->opt.pid > 0)
		pyframes__attach(lv->py, lv->opt.pid);
	if ((e = live_attach__open_cpu_wide(lv, err)))
		return e;
	if (launch_mode(lv))
		e = live_attach__open_pending(lv, err);
	else
		e = live_attach__tree(lv, err);
	if (e)
		return e;
	lv->t0 = lv->sys->now_ns();
	lv->tm.setup = lv->t0;
	placement__runtime_start(lv->pl, lv->t0);
	placement__numastat(lv->pl);
	if (proctree__synthesize(lv->tree, lv->t0, !launch_mode(lv)))
		return live__fail(err, -ENOMEM, NULL, "numalens");
	for (int i = 0; !launch_mode(lv) && i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited) {
			live_records__look_ahead(lv, false);    /* samples wait meanwhile */
			placement__snapshot(lv->pl, t->pid);
		}
	}
	for (int i = 0; lv->ac && i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited) {
			live_records__look_ahead(lv, false);
			live_run__access_begin(lv, t->pid);
		}
	}
	if (lv->ac)
		live_run__access_budget(lv, lv->t0, 0);
	if (lv->opt.record_path && (e = open_writer(lv, err)))
		return e;
	if (launch_mode(lv) && (e = proctree__release(&lv->child)))
		return live__fail(err, e, "check the command name and PATH", "%s", lv->opt.argv[0]);
	lv->tm.setup = lv->sys->now_ns() - lv->tm.setup;
	return 0;
}

static int setup(struct live *lv, struct nl_error *err)
{
	int e;

	if (ringset__read_cpus(&lv->rs, lv->sys))
		return live__fail(err, -ENOMEM, NULL, "numalens");
	fill_info(lv);
	if ((e = live_attach__plan_events(lv, err)) || (e = live_attach__open_rings(lv, err)) ||
	    (e = open_counters(lv, err)))
		return e;
	lv->tree = proctree__new(lv->sys);
	lv->pl = placement__new(lv->sys, lv->topo);
	lv->ac = lv->opt.no_access ? NULL : access__new(lv->sys);
	lv->arena = malloc(ARENA_SIZE);
	lv->py = lv->opt.no_python || lv->opt.counters_only ? NULL : pyframes__new(lv->sys);
	if (!lv->tree || !lv->pl || !lv->arena || (!lv->opt.no_access && !lv->ac) ||
	    (!lv->opt.no_python && !lv->opt.counters_only && !lv->py))
		return live__fail(err, -ENOMEM, NULL, "numalens");
	if (!lv->opt.record_path)
		placement__limit_pages(lv->pl, lv->opt.max_cached_pages);
	if ((e = start_target(lv, err)))
		return e;
	lv->next_tick = lv->t0 + TICK_NS;
	if (lv->opt.ticks && lv->opt.tick_grid > 0)
		lv->next_grid = lv->t0 + (uint64_t)(lv->opt.tick_grid * 1e9);
	lv->next_snapshot = lv->t0 + live_run__refresh_ns(lv);
	lv->next_reap = lv->t0 + REAP_NS;
	live_run__boost_reader(lv);
	notes(lv);
	return 0;
}

int live__open(const struct nl_live_options *o, struct nl_source **out,
	       struct nl_error *err)
{
	struct live *lv = calloc(1, sizeof(*lv));
	int e;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!lv)
		return live__fail(err, -ENOMEM, NULL, "numalens");
	lv->base.ops = &live_ops;
	lv->opt = *o;
	lv->sys = o->sys ? o->sys : sys__default();
	lv->child.go_fd = lv->child.fail_fd = -1;
	perf_event_set__init(&lv->set);
	e = setup(lv, err);
	if (e) {
		live_close(&lv->base);
		return e;
	}
	*out = &lv->base;
	return 0;
}

uint64_t live__start_ns(const struct nl_source *src)
{
	return ((const struct live *)src)->t0;
}

int live__end_record(struct nl_source *src)
{
	return end_record((struct live *)src);
}

int live__exit_status(const struct nl_source *src)
{
	const struct live *lv = (const struct live *)src;

	if (!lv->child.pid || !lv->child_done)
		return -1;
	if (WIFEXITED(lv->child_status))
		return WEXITSTATUS(lv->child_status);
	if (WIFSIGNALED(lv->child_status))
		return 128 + WTERMSIG(lv->child_status);
	return -1;
}

const struct nl_live_stats *live__stats(const struct nl_source *src)
{
	struct live *lv = (struct live *)src;

	lv->stats.framing_errors = ringset__framing_errors(&lv->rs);
	lv->stats.nodes = placement__node_stats(lv->pl);
	lv->stats.nr_numastat = placement__numastat_delta(lv->pl, &lv->stats.numastat);
	lv->stats.nr_tasks = (int)proctree__nr_seen(lv->tree);
	lv->stats.nr_cpus = lv->rs.nr;
	return &lv->stats;
}
