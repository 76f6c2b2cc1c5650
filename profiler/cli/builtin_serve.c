/*
 * builtin_serve.c - `numalens serve --listen ADDR (-p PID | --match REGEX
 * | --all)`: profile continuously and answer GET /metrics with the latest
 * interval (profiler/cli/http.h), the way Prometheus scrapes exporters.
 *
 * Owns the command line, the choice of the target (a PID, the root of the
 * processes whose command line matches REGEX, or every process: the tree
 * of PID 1) and the session loop: a target that ends is waited for again
 * (--match) with the counters carried on, so a trainer restarted by its
 * scheduler keeps one growing series.  The source is samplers/live.c, the
 * intervals profiler/interval.h via live_outputs.h; serve feeds them
 * directly and builds no report (no symbols, no code profile), so its
 * memory follows one interval, not the run.
 */
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "profiler/cli/http.h"
#include "profiler/cli/live_outputs.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "samplers/live.h"
#include "samplers/sample.h"

static volatile sig_atomic_t stop_requested;

/* A daemon's memory is bounded (see --help): the page -> node cache holds
   at most this many pages (about 12 MiB), then starts over. */
#define SERVE_MAX_CACHED_PAGES (256u * 1024)

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct serve_args {
	int pid;                        /* -p */
	const char *match;              /* --match REGEX */
	bool all;                       /* --all */
	const char *listen;             /* --listen HOST:PORT */
	bool allow_remote;
	int top;
	bool verbose;
	struct nl_live_outputs_options outputs;
};

#define ARGS struct serve_args
static const struct cli_option options[] = {
	CLI_OPT_PID(ARGS, pid, "profile process PID and all its descendants"),
	CLI_OPT(0, "match", "REGEX", CLI_STRING, ARGS, match, 0, "an extended regular expression",
		"profile the processes whose command line matches REGEX (the root of their "
		"tree), and the next ones when they end (a restarted job)"),
	CLI_OPT(0, "all", NULL, CLI_FLAG, ARGS, all, 0, NULL,
		"profile every process of the machine (the tree of PID 1; numalens' own "
		"samples are left out, not its cost)"),
	CLI_OPT(0, "listen", "HOST:PORT", CLI_STRING, ARGS, listen, 0, "an address",
		"where to answer GET /metrics (default 127.0.0.1:9466)"),
	CLI_OPT(0, "allow-remote", NULL, CLI_FLAG, ARGS, allow_remote, 0, NULL,
		"accept a --listen address that is not loopback"),
	CLI_OPT(0, "top", "N", CLI_COUNT, ARGS, top, 1000, "a positive number",
		"processes with series of their own (default 10; the rest in one row per role)"),
	LIVE_OUTPUTS_OPTIONS(ARGS, outputs),
	CLI_OPT_VERBOSE(ARGS, verbose, "say when targets start and end"),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ARGS

const struct cli_command serve_command = {
	.name = "serve",
	.purpose = "profile continuously and serve the metrics to Prometheus",
	.usage = (const char *const[]){ "[OPTIONS] -p PID", "[OPTIONS] --match REGEX",
					"[OPTIONS] --all", NULL },
	.description =
		"Answers GET /metrics with the latest interval (--interval, default 10 s) in\n"
		"the Prometheus text format 0.0.4, or OpenMetrics 1.0 when the Accept header\n"
		"asks for application/openmetrics-text.  Counters (_total) grow across\n"
		"intervals and restarts of a --match target.  Scrapes never wait for the\n"
		"sampling: each interval is rendered once and swapped in.  The endpoint is\n"
		"read-only and listens on loopback unless --allow-remote is given.\n"
		"--match waits (and says so) until a process matches.  Ctrl-C/SIGTERM end it.\n"
		"Memory is bounded: the page -> node cache holds at most 256 Ki pages\n"
		"(~12 MiB, then starts over) and per-process state leaves a few intervals\n"
		"after the process, so --all on a busy machine stays flat.  No allocation\n"
		"sites nor Python frames are read (the metrics use neither).\n",
	.options = options,
	.examples = (const char *const[]){
		"numalens serve --match 'python.*train\\.py'",
		"numalens serve -p $(pidof mysqld) --interval 15",
		"numalens serve --all --listen 10.0.0.5:9466 --allow-remote",
		NULL },
	.exit_status = "0 ended by Ctrl-C/SIGTERM, 1 error, 2 usage",
};

static int parse_args(struct serve_args *a, int argc, char **argv)
{
	struct cli_operands ops;
	struct nl_error err;
	int r = cli__parse(&serve_command, argc, argv, a, &ops, &err);

	if (r)
		return r > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	if (ops.argc) {
		diag__usage(&err, ops.argv[0], "see 'numalens serve --help'", "unexpected operand");
		return diag__exit(NULL, &err);
	}
	if (!!a->pid + !!a->match + a->all != 1) {
		diag__usage(&err, "serve", "-p PID, --match REGEX or --all (see 'numalens serve "
			    "--help')", "give one target");
		return diag__exit(NULL, &err);
	}
	return -1;
}

/* --- targets ----------------------------------------------------------- */

/* Field 22 (starttime) and 4 (ppid) of /proc/PID/stat.  0 or -errno. */
static int proc_stat(int pid, int *ppid, unsigned long long *start)
{
	char path[64], *buf = NULL, *p;
	size_t len;
	int e;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((e = sys__read_file(sys__default(), path, 4096, &buf, &len)))
		return e;
	p = strrchr(buf, ')');
	e = p && sscanf(p + 2, "%*c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			"%*s %*s %*s %llu", ppid, start) == 2 ? 0 : -EINVAL;
	free(buf);
	return e;
}

/* /proc/PID/cmdline with its NULs as spaces into buf.  0 or -errno. */
static int cmdline_of(int pid, char *buf, size_t size)
{
	char path[64], *raw = NULL;
	size_t len;
	int e;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((e = sys__read_file(sys__default(), path, 1 << 16, &raw, &len)))
		return e;
	if (!len) {
		free(raw);
		return -ENOENT;        /* a kernel thread or a zombie */
	}
	while (len && !raw[len - 1])
		len--;
	for (size_t i = 0; i < len; i++)
		if (!raw[i])
			raw[i] = ' ';
	snprintf(buf, size, "%.*s", (int)len, raw);
	free(raw);
	return 0;
}

static bool matches(const regex_t *re, int pid)
{
	static char cmd[1 << 16];

	return !cmdline_of(pid, cmd, sizeof(cmd)) && !regexec(re, cmd, 0, NULL, 0);
}

/* numalens itself and its ancestors (the shell that started it) never count. */
static bool is_self_or_ancestor(int pid)
{
	unsigned long long start;
	int p = getpid(), ppid;

	for (int i = 0; p > 1 && i < 64; i++) {
		if (p == pid)
			return true;
		if (proc_stat(p, &ppid, &start))
			break;
		p = ppid;
	}
	return false;
}

/* The oldest matching process whose parent does not match: the root of
   the matching tree (a trainer, not one of its workers).  0 when none. */
static int find_match(const regex_t *re)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned long long start, best_start = ~0ull, pstart;
	int best = 0, pid, ppid, pp;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid = atoi(e->d_name);
		if (pid <= 0 || !matches(re, pid) || is_self_or_ancestor(pid) ||
		    proc_stat(pid, &ppid, &start))
			continue;
		if (ppid > 1 && matches(re, ppid) && !is_self_or_ancestor(ppid) &&
		    !proc_stat(ppid, &pp, &pstart))
			continue;
		if (start < best_start) {
			best_start = start;
			best = pid;
		}
	}
	closedir(d);
	return best;
}

static void sleep_a_while(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	for (int i = 0; i < 5 && !stop_requested; i++)
		nanosleep(&ts, NULL);
}

/* --- sessions ---------------------------------------------------------- */

static void publish(void *ctx, const struct nl_metrics *m)
{
	http__publish(ctx, m);
}

/* A record about numalens' own process (its samples, threads, mappings). */
static bool is_own(const struct nl_record *r)
{
	static int self;

	if (!self)
		self = getpid();
	switch (r->kind) {
	case NL_REC_SAMPLE:
		return r->sample.pid == self;
	case NL_REC_COMM:
	case NL_REC_FORK:
	case NL_REC_EXIT:
		return r->task.pid == self;
	case NL_REC_MMAP:
		return r->mmap.pid == self;
	case NL_REC_PLACEMENT:
		return r->placement.pid == self;
	default:
		return false;
	}
}

/*
 * Profiles the tree of pid until it ends or stop: every record into the
 * intervals, each interval published.  *last (IN/OUT) carries the totals.
 * 0, or an exit status to end with.
 */
static int session(const struct serve_args *a, int pid, struct nl_http *http,
		   struct nl_metrics *last)
{
	struct nl_live_options lo = { 0 };
	struct nl_live_outputs_options oo = a->outputs;
	struct nl_live_outputs *outs;
	const struct nl_analysis_tap *tap;
	struct nl_source *src;
	struct nl_record rec;
	struct nl_error err;
	int r, status = 0;

	lo.pid = pid;
	lo.stop = &stop_requested;
	lo.ticks = true;
	lo.refresh = oo.interval;
	lo.tick_grid = oo.interval;
	lo.verbose = a->verbose;
	lo.no_access = true;    /* clear_refs perturbs page aging: not for a daemon */
	lo.max_cached_pages = SERVE_MAX_CACHED_PAGES;
	/* the metrics use neither: no uprobes in every process, no 10 ms polls */
	lo.no_alloc_sites = true;
	lo.no_python = true;
	if (live__open(&lo, &src, &err))
		return diag__exit(NULL, &err);
	oo.top = a->top;
	oo.publish = publish;
	oo.publish_ctx = http;
	oo.continue_from = last;
	oo.append = last->index > 0;
	oo.origin_ns = live__start_ns(src);
	if (live_outputs__open(&oo, src, &outs, &err)) {
		nl_source__close(src);
		return diag__exit(NULL, &err);
	}
	tap = live_outputs__tap(outs);
	while ((r = nl_source__next(src, &rec)) > 0) {
		if (a->all && is_own(&rec))
			continue;       /* --all: numalens is in PID 1's tree, not in its metrics */
		if (tap->record(tap->ctx, &rec, 0))
			break;
	}
	if (live_outputs__finish(outs, last, &err))
		status = diag__exit(NULL, &err);
	if (r < 0)
		diag__note("pid %d: the live source failed: %s - serving what it gave", pid,
			   strerror(-r));
	live_outputs__free(outs);
	nl_source__close(src);
	return status;
}

static int serve(const struct serve_args *a, const regex_t *re, struct nl_http *http)
{
	struct nl_metrics last = { 0 };
	bool said_waiting = false;
	int pid, status;

	last.worst = -1;
	last.remote_ratio = last.smt_corun = -1;
	http__publish(http, &last);
	while (!stop_requested) {
		pid = a->pid ? a->pid : a->all ? 1 : find_match(re);
		if (!pid) {
			if (!said_waiting)
				diag__note("--match '%s': no process matches yet - waiting for one "
					   "(Ctrl-C to stop)", a->match);
			said_waiting = true;
			sleep_a_while();
			continue;
		}
		said_waiting = false;
		if (a->match)
			diag__note("--match '%s': following pid %d", a->match, pid);
		status = session(a, pid, http, &last);
		if (status)
			return status;
		if (stop_requested)
			break;
		if (!a->match) {
			diag__note("pid %d: ended - serving its last metrics until Ctrl-C (--match "
				   "REGEX follows a restarted target)", pid);
			while (!stop_requested)
				sleep_a_while();
			break;
		}
		diag__note("--match '%s': pid %d ended - waiting for the next match", a->match, pid);
	}
	return NL_EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a;
	struct sigaction sa;
	struct nl_error err;
	struct nl_http *http;
	regex_t re;
	int status;

	memset(&a, 0, sizeof(a));
	a.listen = "127.0.0.1:9466";
	a.top = 10;
	a.outputs.interval = 10;
	status = parse_args(&a, argc, argv);
	if (status >= 0)
		return status;
	if (a.match && (status = regcomp(&re, a.match, REG_EXTENDED | REG_NOSUB))) {
		char why[128];

		regerror(status, &re, why, sizeof(why));
		diag__usage(&err, "--match", "give an extended regular expression (regex(7))",
			    "'%s': %s", a.match, why);
		return diag__exit(NULL, &err);
	}
	if (a.pid && kill(a.pid, 0) && errno == ESRCH) {  /* before listening: one line */
		diag__set(&err, -ESRCH, "check the PID with 'ps -p PID'", "%s", strerror(ESRCH));
		diag__set_object(&err, "pid %d", a.pid);
		status = diag__exit(NULL, &err);
		goto out;
	}
	/* The server thread inherits this: a scrape must not queue behind 90
	   busy workers (the live reader asks for the same nice for itself). */
	if (setpriority(PRIO_PROCESS, 0, -10) && a.verbose)
		diag__note("setpriority: %s - scrapes compete with the target for CPU",
			   strerror(errno));
	if (http__start(a.listen, a.allow_remote, &http, &err)) {
		status = diag__exit(NULL, &err);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	diag__note("serving http://%s/metrics", a.listen);
	status = serve(&a, a.match ? &re : NULL, http);
	http__stop(http);
out:
	if (a.match)
		regfree(&re);
	return status;
}
