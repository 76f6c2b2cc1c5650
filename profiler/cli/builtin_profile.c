/*
 * builtin_profile.c - `numalens profile -p PID | -t TID | -- CMD ARGS`:
 * profile a running process tree, one thread, or a command, live, and
 * report it like `numalens report` does (text, --json), optionally keeping
 * the recording (--record FILE, readable by `numalens report`).
 *
 * Owns only the command line (the option table below) and the signals:
 * the source is samplers/live.c, the report profiler/cli/pipeline.c.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"
#include "profiler/cli/live_outputs.h"
#include "profiler/cli/pipeline.h"
#include "profiler/cli/progress.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"
#include "samplers/live.h"
#include "samplers/uncore.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct profile_args {
	struct nl_live_options live;
	struct nl_report_options report;
	const char *call_graph;         /* --call-graph MODE: "fp", "dwarf[,SIZE]" */
	struct nl_live_outputs_options outputs; /* --interval, --json-lines, --openmetrics */
	const char *alloc_sites;        /* --alloc-sites mmap|mmap-uprobes|malloc|none */
	const char *alloc_min;          /* --alloc-min SIZE */
	char cmdline[1024];
};

#define ARGS struct profile_args
static const struct cli_option options[] = {
	CLI_OPT_PID(ARGS, live.pid, "profile process PID and all its descendants"),
	CLI_OPT_TID(ARGS, live.tid, "profile one thread (and the tasks it creates)"),
	CLI_OPT_DURATION(ARGS, live.duration, "sample for SECONDS once attached (fractions allowed; the summary gives the window the samples cover)"),
	CLI_OPT('F', "freq", "HZ", CLI_COUNT, ARGS, live.freq, 10000000, "a frequency in Hz",
		"sampling frequency of cpu-clock and PMU events (default 1000)"),
	CLI_OPT('c', "period", "N", CLI_COUNT, ARGS, live.period, LLONG_MAX, "a positive period",
		"sampling period instead of a frequency"),
	CLI_OPT(0, "ldlat", "CYCLES", CLI_COUNT, ARGS, live.ldlat, 65535, "a number of cycles",
		"load latency threshold of PEBS/IBS load sampling (default 30)"),
	CLI_OPT(0, "record", "FILE", CLI_STRING, ARGS, live.record_path, 0, "a file name",
		"keep the recording as a perf.data ('numalens report FILE')"),
	CLI_OPT(0, "counters-only", NULL, CLI_FLAG, ARGS, live.counters_only, 0, NULL,
		"count node-loads, node-load-misses, node-stores and node-store-misses per "
		"task, sample nothing (like perf stat)"),
	CLI_OPT(0, "no-access", NULL, CLI_FLAG, ARGS, live.no_access, 0, NULL,
		"no referenced-bits access signal: exposure by page placement only (the "
		"signal writes /proc/PID/clear_refs at each placement refresh, which perturbs "
		"the kernel's page aging slightly)"),
	CLI_OPT(0, "no-page-landing", NULL, CLI_FLAG, ARGS, live.no_page_landing, 0, NULL,
		"do not take each new page's node as it lands (on by default as root with "
		"tracefs: page_fault_user + mm_page_alloc, the allocations filtered in the "
		"kernel, so processes that exit at once keep their pages' nodes; costs two "
		"small records per fault in a ring shared with the samples)"),
	CLI_OPT(0, "page-landing", NULL, CLI_FLAG, ARGS, live.page_landing, 0, NULL,
		"the default, except with --call-graph dwarf (whose stack copies and the landing's "
		"records would overflow the rings): there only this turns it on"),
	CLI_OPT(0, "no-python-frames", NULL, CLI_FLAG, ARGS, live.no_python, 0, NULL,
		"do not read the Python frames of CPython 3.11+ processes (read by default "
		"from outside with process_vm_readv, never stopping them)"),
	CLI_OPT('g', "call-graph", "MODE", CLI_STRING, ARGS, call_graph, 0, "fp",
		"record call stacks with every sample: fp (frame pointers), or dwarf[,SIZE]: "
		"a copy of SIZE bytes of user stack (default 8192, as perf) unwound with "
		"libdw, for code built without frame pointers (Debian's libc, libpython)"),
	CLI_OPT(0, "alloc-sites", "WHICH", CLI_STRING, ARGS, alloc_sites, 0,
		"mmap, mmap-uprobes, malloc or none",
		"allocation sites: mmap (default: mmap, munmap, mremap and brk by the syscall "
		"tracepoints where tracefs has them, as root: no trap, any libc or a static binary, "
		"4-9 us per mmap+munmap pair in the target and ~7 us in numalens in KVM guests; else "
		"uprobes on the target's glibc (mmap, munmap, mremap, sbrk), 21-39 us per pair there), "
		"mmap-uprobes (the glibc uprobes even where the tracepoints are), malloc (mmap's, plus "
		"uprobes on malloc, calloc, realloc, free: 3.6-6.8 us per malloc+free pair in KVM "
		"guests, where each trap exits "
		"the VM; tests/bench/alloc/RESULTS.md), none"),
	CLI_OPT(0, "alloc-min", "SIZE", CLI_STRING, ARGS, alloc_min, 0, "a size (4096, 64K, 1M)",
		"--alloc-sites=malloc keeps calls of SIZE bytes or more (default 64K)"),
	PIPELINE_OPTIONS(ARGS, report),
	LIVE_OUTPUTS_OPTIONS(ARGS, outputs),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ARGS

const struct cli_command profile_command = {
	.name = "profile",
	.purpose = "profile a running process tree or a command, live",
	.usage = (const char *const[]){ "[OPTIONS] -p PID", "[OPTIONS] -t TID",
					"[OPTIONS] -- COMMAND [ARGS...]", NULL },
	.description =
		"-p follows the whole tree: every thread of PID, every descendant process\n"
		"(also those forked before attach) and whatever they start later.  With a\n"
		"COMMAND, the events are armed before it execs; numalens exits with its\n"
		"status.  The profile ends with -d, Ctrl-C/SIGTERM, or when the target ends.\n"
		"Without a hardware PMU numalens samples page faults (first touch) and\n"
		"cpu-clock, and resolves data nodes with move_pages while the target lives;\n"
		"as root with tracefs (mounted at /sys/kernel/tracing if needed), also from\n"
		"the page each user fault allocates (page_fault_user + mm_page_alloc), so\n"
		"processes that exit at once keep their pages' nodes (--no-page-landing: off).\n"
		"Exposure is weighted by what each process accesses: PMU samples where there\n"
		"are any, else referenced bits (clear_refs + smaps Referenced per mapping).\n",
	.options = options,
	.examples = (const char *const[]){
		"numalens profile -p $(pidof mysqld) -d 30",
		"numalens profile --json report.json -- ./stream 4",
		"numalens profile -d 10 --record app.perf.data -p 4242 && numalens report app.perf.data",
		"numalens profile -p 4242 --interval 5 --json-lines intervals.jsonl",
		"numalens profile -p 4242 --interval 15 --openmetrics "
		"/var/lib/prometheus/node-exporter/numalens.prom",
		NULL },
	.exit_status = "0 ok (with a COMMAND: its status), 1 error, 2 usage",
	.operands_end_options = true,
};

static void join_cmdline(struct profile_args *a, int argc, char **argv)
{
	size_t used = (size_t)snprintf(a->cmdline, sizeof(a->cmdline), "numalens");

	for (int i = 0; i < argc && used < sizeof(a->cmdline); i++)
		used += (size_t)snprintf(a->cmdline + used, sizeof(a->cmdline) - used,
					 " %s", argv[i]);
	a->live.cmdline = a->cmdline;
}

/* perf's largest user stack copy: a sample record is at most 64 KiB. */
#define STACK_USER_MAX 65528

/* --call-graph fp | dwarf[,SIZE] (SIZE rounded up to 8 bytes, as perf does). */
static int parse_call_graph(struct profile_args *a, const char *mode, struct nl_error *err)
{
	char *end;
	unsigned long size = 8192;

	if (!strcmp(mode, "fp")) {
		a->live.callchain = true;
		return 0;
	}
	if (strncmp(mode, "dwarf", 5) || (mode[5] && mode[5] != ',')) {
		diag__usage(err, "--call-graph", "use fp (frame pointers) or dwarf[,SIZE]",
			    "unknown mode '%s'", mode);
		return -EINVAL;
	}
	if (mode[5]) {
		errno = 0;
		size = strtoul(mode + 6, &end, 10);
		if (errno || end == mode + 6 || *end || !size || size > STACK_USER_MAX) {
			diag__usage(err, "--call-graph", "give dwarf,SIZE with SIZE 8..65528 bytes",
				    "bad stack size '%s'", mode + 6);
			return -EINVAL;
		}
	}
	a->live.stack_user = (uint32_t)((size + 7) & ~7ul);
	return 0;
}

/* A size with an optional K, M or G suffix (powers of 1024).  0 or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* --alloc-sites and --alloc-min into a->live.  0 or -EINVAL (err filled). */
static int alloc_args(struct profile_args *a, struct nl_error *err)
{
	const char *w = a->alloc_sites ? a->alloc_sites : "mmap";

	a->live.alloc_min = 64 << 10;
	if (!strcmp(w, "none"))
		a->live.no_alloc_sites = true;
	else if (!strcmp(w, "malloc"))
		a->live.alloc_malloc = true;
	else if (!strcmp(w, "mmap-uprobes"))
		a->live.alloc_uprobes = true;
	else if (strcmp(w, "mmap"))
		return diag__usage(err, "--alloc-sites", "use mmap, mmap-uprobes, malloc or none",
				   "unknown allocator set '%s'", w);
	if (a->alloc_min && parse_size(a->alloc_min, &a->live.alloc_min))
		return diag__usage(err, "--alloc-min", "give bytes, or a number with K, M or G",
				   "not a size '%s'", a->alloc_min);
	return 0;
}

/* Fills a from argv.  -1 to go on, else the exit status. */
static int parse_args(struct profile_args *a, int argc, char **argv)
{
	struct cli_operands ops;
	struct nl_error err;
	int r = cli__parse(&profile_command, argc, argv, a, &ops, &err);

	if (r)
		return r > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	pipeline__options_parsed(&a->report);
	a->live.verbose = a->report.verbose;
	if (a->call_graph && parse_call_graph(a, a->call_graph, &err))
		return diag__exit(NULL, &err);
	if (alloc_args(a, &err))
		return diag__exit(NULL, &err);
	if (ops.argc)
		a->live.argv = ops.argv;
	if (!!a->live.pid + !!a->live.tid + !!a->live.argv != 1) {
		diag__usage(&err, "profile", "-p PID, -t TID or -- COMMAND "
			    "(see 'numalens profile --help')", "give one target");
		return diag__exit(NULL, &err);
	}
	return -1;
}

/* The report's status, or the command's in launch mode. */
static int final_status(struct nl_source *src, int report_status, const char *record)
{
	int rec = live__end_record(src);
	int child = live__exit_status(src);

	if (rec) {
		struct nl_error err;

		diag__set(&err, rec, "free space there or record elsewhere", "%s", strerror(-rec));
		report_status = diag__exit(record, &err);
	}
	if (report_status != NL_EXIT_OK || child < 0)
		return report_status;
	return child;
}

/*
 * The bandwidth monitor: memory-controller counters read once a second on
 * a thread of its own while the pipeline drains, stopped before rendering.
 * Not being able to count is a reason in the report, never an error.
 */
struct bw_monitor {
	struct nl_uncore_discovery disc;
	struct nl_uncore *u;
	struct nl_resctrl *rdt;
	struct nl_rdt_result rdt_res;   /* kept apart: uncore__stop fills bw whole */
	struct nl_bandwidth bw;
	pthread_t thread;
	bool running;
	volatile sig_atomic_t done;
	const struct nl_sys *sys;
};

static void *bw_loop(void *arg)
{
	struct bw_monitor *m = arg;

	while (!m->done) {
		for (int i = 0; i < 10 && !m->done; i++)
			usleep(100000);
		if (!m->done) {
			uncore__tick(m->u);
			resctrl__tick(m->rdt);
		}
	}
	return NULL;
}

static void bw_start(struct bw_monitor *m, const struct nl_live_options *live)
{
	struct nl_topology *topo = topology__read_sysfs("/", NULL);
	struct nl_error err;

	memset(m, 0, sizeof(*m));
	m->sys = live->sys ? live->sys : sys__default();
	int e = uncore__discover(m->sys, "/sys", topo, &m->disc);

	if (e)
		snprintf(m->bw.why, sizeof(m->bw.why), "/sys/bus/event_source/devices: %s",
			 strerror(-e));
	else if (uncore__start(m->sys, &m->disc, &m->u, &err))
		snprintf(m->bw.why, sizeof(m->bw.why), "%.200s - %.190s", err.cause,
			 err.fix[0] ? err.fix : "no fix known");
	resctrl__start(m->sys, "/sys/fs/resctrl", "/sys", topo, &m->rdt, &m->rdt_res);
	if ((m->u || m->rdt) && !pthread_create(&m->thread, NULL, bw_loop, m))
		m->running = true;
	topology__free(topo);
}

/* pipeline's drained hook: stop counting, keep the result. */
static void bw_stop(void *arg);

/* What the drained hook ends: the bandwidth monitor and the live outputs. */
struct drained {
	struct bw_monitor *bw;
	struct nl_live_outputs *outputs;
	int status;             /* of the live outputs: their first error */
};

static void on_drained(void *arg)
{
	struct drained *d = arg;
	struct nl_error err;

	bw_stop(d->bw);
	if (live_outputs__finish(d->outputs, NULL, &err))
		d->status = diag__exit(NULL, &err);
}

static void bw_stop(void *arg)
{
	struct bw_monitor *m = arg;

	if (m->running) {
		m->done = 1;
		pthread_join(m->thread, NULL);
		m->running = false;
	}
	if (m->u) {
		uncore__stop(m->u, &m->bw);
		m->u = NULL;
	}
	if (m->rdt) {
		resctrl__stop(m->rdt, &m->rdt_res);
		m->rdt = NULL;
	}
	m->bw.rdt = m->rdt_res;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a;
	struct bw_monitor bw;
	struct drained drained = { 0 };
	struct nl_error err;
	struct nl_source *src;
	int status;

	memset(&a, 0, sizeof(a));
	pipeline__default_options(&a.report);
	a.report.command = "profile";
	join_cmdline(&a, argc, argv);     /* before parsing reorders argv */
	status = parse_args(&a, argc, argv);
	if (status >= 0)
		return status;
	install_signals();
	/* big tables (page maps, rings' copies) in their own mappings: freed or
	   shrunk, they go back to the kernel at once, and a doubling moves by
	   mremap instead of leaving the old block in the heap (a fixed
	   threshold also stops glibc raising it after each such free) */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	a.live.stop = &stop_requested;
	a.report.stop = &stop_requested;
	a.live.ticks = true;
	if (a.outputs.interval > 0)
		a.live.refresh = a.live.tick_grid = a.outputs.interval;
	if (live__open(&a.live, &src, &err))
		return diag__exit(NULL, &err);
	a.outputs.lines = a.report.text && !(a.report.json_path && !strcmp(a.report.json_path, "-"));
	a.outputs.status = progress__wanted(stderr, a.report.quiet);
	a.outputs.duration = a.live.duration;
	a.outputs.top = a.report.top;
	a.outputs.origin_ns = live__start_ns(src);
	if (live_outputs__open(&a.outputs, src, &drained.outputs, &err)) {
		nl_source__close(src);
		return diag__exit(NULL, &err);
	}
	bw_start(&bw, &a.live);
	drained.bw = &bw;
	drained.status = NL_EXIT_OK;
	a.report.drained = on_drained;
	a.report.drained_ctx = &drained;
	a.report.bandwidth = &bw.bw;
	a.report.tap = live_outputs__tap(drained.outputs);
	status = pipeline__run(src, &a.report);
	bw_stop(&bw);
	live_outputs__free(drained.outputs);
	if (status == NL_EXIT_OK)
		status = drained.status;
	uncore__result_free(&bw.bw);
	status = final_status(src, status, a.live.record_path);
	nl_source__close(src);
	return status;
}
