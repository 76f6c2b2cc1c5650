/*
 * live_run.c - the state machine behind next().
 * See live_run.h for the contract and live_internal.h for the state.
 */
#include "samplers/live_run.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <malloc.h>
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
#include "samplers/access.h"
#include "samplers/counters.h"
#include "samplers/events.h"
#include "samplers/live_records.h"
#include "samplers/perf_record.h"
#include "samplers/perfdata_writer.h"
#include "samplers/placement.h"
#include "samplers/proctree.h"
#include "samplers/pyframes.h"
#include "samplers/ring.h"
#include "samplers/live_internal.h"

/* --- the state machine behind next() ------------------------------------------ */


void live_run__reap_child(struct live *lv, int options)
{
	int status;

	if (!lv->child.pid || lv->child_done)
		return;
	if (lv->sys->waitpid(lv->child.pid, &status, options) == lv->child.pid) {
		lv->child_status = status;
		lv->child_done = true;
	}
}

/*
 * The access signal is budgeted like the snapshots: a new process starts
 * its first interval with its first snapshot; a refresh of all snapshots
 * ends an interval (smaps) and starts the next (clear_refs) only when at
 * least SNAPSHOT_MIN_NS and SNAPSHOT_BUDGET times what the last round of
 * them cost have passed (the first round's estimate: the clears at
 * attach).  The end of the profile always ends the last interval.
 */
void live_run__access_budget(struct live *lv, uint64_t now, uint64_t ns_before)
{
	uint64_t cost = access__stats(lv->ac)->ns - ns_before;

	lv->next_access = now + (cost * SNAPSHOT_BUDGET > SNAPSHOT_MIN_NS
				 ? cost * SNAPSHOT_BUDGET : SNAPSHOT_MIN_NS);
}

void live_run__access_begin(struct live *lv, int pid)
{
	int e = access__start(lv->ac, pid);

	/* one line for the first refusal; the report names the basis per process */
	if ((e == -EACCES || e == -EPERM) && access__stats(lv->ac)->denied == 1)
		diag__note("pid %d: clear_refs: %s - its exposure is by page placement only "
			   "(run numalens as root or as the target's owner)", pid, strerror(-e));
}

static void access_tick(struct live *lv, int pid, bool all, uint64_t now)
{
	if (!lv->ac)
		return;
	if (!access__has(lv->ac, pid))
		live_run__access_begin(lv, pid);
	else if (all || access__first_due(lv->ac, pid, now, ACCESS_FIRST_NS))
		access__sample(lv->ac, pid, true);
}

uint64_t live_run__refresh_ns(const struct live *lv)
{
	if (lv->opt.refresh > 0 && lv->opt.refresh * 1e9 < (double)SNAPSHOT_MIN_NS)
		return (uint64_t)(lv->opt.refresh * 1e9);
	return SNAPSHOT_MIN_NS;
}

/* Snapshots of processes new since the last tick, and of all every second. */
static void maintain(struct live *lv, uint64_t now)
{
	bool all = now >= lv->next_snapshot;
	bool access_all = all && lv->ac && now >= lv->next_access;
	uint64_t cost, access_ns = lv->ac ? access__stats(lv->ac)->ns : 0;

	placement__retire_due(lv->pl, lv->writer ? live_records__page_to_writer : NULL, lv->writer);
	live_run__reap_child(lv, WNOHANG);
	if (now >= lv->next_reap) {
		lv->next_reap = now + REAP_NS;
		if (!launch_mode(lv))
			proctree__reap(lv->tree, live_records__lost_exit, lv);
	}
	/* what ended workers' state freed goes back to the kernel, so a long
	   profile's RSS follows what it holds, not its high-water mark (glibc
	   trims only the top of the heap by itself) */
	if (now >= lv->next_trim) {
		lv->next_trim = now + TRIM_NS;
		malloc_trim(0);
	}
	for (int i = 0; i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited && (all || !placement__has(lv->pl, t->pid))) {
			bool refresh = placement__has(lv->pl, t->pid);

			live_records__look_ahead(lv, false);    /* a snapshot may take long */
			/* a refresh is handed out only to who asked (intervals) */
			if (!placement__snapshot(lv->pl, t->pid) && refresh && lv->opt.refresh > 0)
				placement__reemit(lv->pl, t->pid);
		}
		if (t->tid == t->pid && !t->exited) {
			live_records__look_ahead(lv, false);
			access_tick(lv, t->pid, access_all, now);
		}
	}
	if (access_all)
		live_run__access_budget(lv, now, access_ns);
	if (all) {
		counters__read(lv->ctr, now);
		cost = lv->sys->now_ns() - now;
		lv->next_snapshot = now + (cost * SNAPSHOT_BUDGET > live_run__refresh_ns(lv)
					   ? cost * SNAPSHOT_BUDGET : live_run__refresh_ns(lv));
	}
}

/* maintain(), at most once a tick, timed. */
static void maintenance(struct live *lv)
{
	uint64_t now = lv->sys->now_ns();

	if (now < lv->next_tick)
		return;
	lv->next_tick = now + TICK_NS;
	maintain(lv, now);
	lv->tm.maintenance += lv->sys->now_ns() - now;
}


/*
 * Raises numalens' own priority when allowed, after the launched command
 * was forked, so the target never inherits it.  Unprivileged: stays at 0.
 */
void live_run__boost_reader(struct live *lv)
{
	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, READER_NICE) == 0)
		lv->reader_nice = READER_NICE;
}

static bool should_stop(struct live *lv)
{
	if (lv->opt.stop && *lv->opt.stop)
		return true;
	if (lv->deadline && lv->sys->now_ns() >= lv->deadline)
		return true;
	if (launch_mode(lv)) {
		live_run__reap_child(lv, WNOHANG);
		return lv->child_done;
	}
	return proctree__nr_alive(lv->tree) == 0;
}

static int poll_timeout(struct live *lv)
{
	uint64_t now = lv->sys->now_ns();
	/* Python frames are read when a batch is drained: drain often so they
	   are read close to their samples */
	int ms = lv->py && pyframes__active(lv->py) ? PY_POLL_MS : POLL_MS;

	if (lv->deadline && lv->deadline > now && lv->deadline - now < (uint64_t)ms * 1000000ull)
		ms = (int)((lv->deadline - now) / 1000000) + 1;
	/* the grid's next point: rounded up, so the poll returns past it */
	if (lv->next_grid && (lv->next_grid <= now || lv->next_grid - now < (uint64_t)ms * 1000000ull))
		ms = lv->next_grid <= now ? 0 : (int)((lv->next_grid - now + 999999) / 1000000);
	return ms;
}

/* Passed a tick_grid point?  Then the next one is set (points missed are
   skipped: the grid stays start + k * tick_grid). */
static bool grid_due(struct live *lv)
{
	uint64_t now, g;

	if (!lv->next_grid || (now = lv->sys->now_ns()) < lv->next_grid)
		return false;
	g = (uint64_t)(lv->opt.tick_grid * 1e9);
	lv->next_grid = lv->t0 + ((now - lv->t0) / g + 1) * g;
	return true;
}

/* Launch mode, stopped early: TERM, up to 2 s, then KILL. */
static void stop_child(struct live *lv)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	if (!lv->child.pid || lv->child_done)
		return;
	lv->sys->kill(lv->child.pid, SIGTERM);
	for (int i = 0; i < 200 && !lv->child_done; i++) {
		nanosleep(&tick, NULL);
		live_run__reap_child(lv, WNOHANG);
	}
	if (!lv->child_done) {
		lv->sys->kill(lv->child.pid, SIGKILL);
		live_run__reap_child(lv, 0);
	}
}

static void begin_drain(struct live *lv)
{
	lv->t_stop = lv->sys->now_ns();
	for (uint32_t i = 0; i < lv->nr_fds; i++)
		lv->sys->ioctl(lv->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	/* the rings are drained after the final snapshots: their Python frames now */
	live_records__look_ahead(lv, true);
	for (int i = 0; i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited) {
			live_records__look_ahead(lv, false);
			placement__snapshot(lv->pl, t->pid);
			if (lv->ac)
				access__sample(lv->ac, t->pid, false);
		}
	}
	placement__numastat(lv->pl);
	counters__stop(lv->ctr, lv->t_stop);
	stop_child(lv);
	lv->tm.stop += lv->sys->now_ns() - lv->t_stop;
}

static void count(struct live *lv, const struct nl_record *out)
{
	struct nl_source_stats *s = &lv->base.stats;

	/* records read, as the perf.data source counts them: not the extras */
	s->records += out->kind != NL_REC_PLACEMENT && out->kind != NL_REC_RUNTIME &&
		      out->kind != NL_REC_ACCESS && out->kind != NL_REC_RETIRE &&
		      out->kind != NL_REC_TICK;
	nl_source__count(&lv->base, out);
	switch (out->kind) {
	case NL_REC_PLACEMENT:
	case NL_REC_RUNTIME:
	case NL_REC_ACCESS:
		if (lv->writer)
			perfdata_writer__extra(lv->writer, out);
		break;
	default:
		break;
	}
}

/*
 * An ended process' final placement, access and run-time records, then
 * NL_REC_RETIRE, then its state in placement and access is freed: 1 and out
 * filled, or 0.
 * Each call runs after the consumer took the previous record, so freeing
 * the strings that record pointed to is safe here.
 */
static int retire_step(struct live *lv, struct nl_record *out)
{
	int pid = placement__retiring(lv->pl);

	if (!pid)
		return 0;
	if (placement__next_final_of(lv->pl, pid, out))
		return 1;
	if (lv->ac && access__next_of(lv->ac, pid, out))
		return 1;
	if (placement__next_runtime_of(lv->pl, pid, out))
		return 1;
	placement__retired(lv->pl);
	placement__runtime_forget(lv->pl, pid);
	if (lv->ac)
		access__forget(lv->ac, pid);
	/* again: a sample read after its EXIT (another CPU's ring) made a new state */
	if (lv->py)
		pyframes__forget(lv->py, pid);
	proctree__forget(lv->tree, pid);
	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_RETIRE;
	out->task.pid = out->task.tid = pid;
	return 1;
}

/* One step: 1 (out filled), 0 (end), or -EAGAIN (state moved, call again). */
static int step(struct live *lv, struct nl_record *out)
{
	switch (lv->state) {
	case ST_SYNTH:
		if (lv->synth_cursor < proctree__nr_synth(lv->tree)) {
			proctree__synth(lv->tree, lv->synth_cursor++, out);
			/* tasks running at attach belong to the CPU-wide view when it runs */
			if (out->kind == NL_REC_SWITCH)
				out->sw.cpu_wide = lv->cpu_switches;
			return 1;
		}
		/* -d counts from here: attaching to a large tree (90 workers, a
		   thousand mappings each) and handing out what it synthesized can
		   outlast a short -d, and a profile that starts past its deadline
		   runs no interval, no access reading and no snapshot between its
		   first and its last */
		if (lv->opt.duration > 0)
			lv->deadline = lv->sys->now_ns() + (uint64_t)(lv->opt.duration * 1e9);
		lv->state = ST_RUN;
		return -EAGAIN;
	case ST_RUN:
	case ST_DRAIN:
		if (lv->q_head < lv->q_len) {
			*out = lv->q[lv->q_head++];
			return 1;
		}
		if (placement__next_start(lv->pl, out))
			return 1;
		if (retire_step(lv, out))
			return 1;
		if (lv->state == ST_DRAIN) {
			if (ringset__has_data(&lv->rs))
				live_records__refill(lv, 0);
			else
				lv->state = ST_FINAL;
		} else if (should_stop(lv)) {
			begin_drain(lv);
			lv->state = ST_DRAIN;
		} else {
			live_records__refill(lv, poll_timeout(lv));
			maintenance(lv);
			/* a grid point ticks even before queued records: cut on time */
			if (lv->opt.ticks && (grid_due(lv) || lv->q_head == lv->q_len)) {
				memset(out, 0, sizeof(*out));
				out->kind = NL_REC_TICK;
				return 1;
			}
		}
		return -EAGAIN;
	case ST_FINAL:
		if (counters__next(lv->ctr, out))
			return 1;
		if (placement__next_final(lv->pl, out))
			return 1;
		if (lv->ac && access__next(lv->ac, out))
			return 1;
		placement__runtime_stop(lv->pl, lv->t_stop);
		lv->state = ST_RUNTIME;
		return -EAGAIN;
	case ST_RUNTIME:
		if (placement__next_runtime(lv->pl, out))
			return 1;
		lv->state = ST_DONE;
		return -EAGAIN;
	default:
		return 0;
	}
}

/* The Python frame reader's counts (python.*), delays in microseconds. */
static void python_counters(struct nl_source_stats *s, const struct nl_pyframes_stats *p)
{
	const struct { const char *name; uint64_t v; } c[] = {
		{ "python.processes", p->python }, { "python.not_cpython", p->other_python },
		{ "python.no_symbols", p->no_symbols }, { "python.unknown_version", p->unknown_version },
		{ "python.denied", p->denied }, { "python.gone", p->gone }, { "python.layout_dwarf_checked", p->layout_dwarf_checked },
		{ "python.layout_dwarf_mismatch", p->layout_dwarf_mismatch },
		{ "python.reads", p->reads }, { "python.samples", p->samples },
		{ "python.samples_no_thread_state", p->samples_no_thread },
		{ "python.samples_approximate", p->approximate },
		{ "python.samples_start_up", p->start_up }, { "python.frames", p->frames },
		{ "python.looks", p->looks }, { "python.samples_looked_ahead", p->samples_looked_ahead },
		{ "python.code_objects", p->codes }, { "python.retries", p->retries },
		{ "python.changed", p->changed }, { "python.loops", p->loops },
		{ "python.unreadable", p->unreadable }, { "python.too_deep", p->too_deep },
		{ "python.read_us", p->ns / 1000 }, { "python.find_us", p->find_ns / 1000 }, { "python.delay_us.p50", p->delay_p50_us },
		{ "python.delay_us.p99", p->delay_p99_us }, { "python.delay_us.max", p->delay_max_us },
		{ "python.approximate_after_us", NL_PY_APPROX_NS / 1000 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		nl_source__set_counter(s, c[i].name, (int64_t)c[i].v);
}

/* What only the live source knows, for the report's source.counters. */
static void publish_counters(struct live *lv)
{
	static const char *const unresolved[NL_UNRES_COUNT] = {
		[NL_UNRES_NOT_PRESENT] = "not_resident",
		[NL_UNRES_FAULT] = "zero_page_or_unmapped",
		[NL_UNRES_GONE] = "process_gone",
		[NL_UNRES_DENIED] = "not_permitted",
		[NL_UNRES_NOT_USER] = "not_user_address",
		[NL_UNRES_OTHER] = "other",
	};
	const struct nl_live_stats *st = live__stats(&lv->base);
	struct nl_source_stats *s = &lv->base.stats;
	char name[56];

	nl_source__set_counter(s, "node_found.move_pages", (int64_t)st->nodes->by_method[NL_NODE_MOVE_PAGES]);
	nl_source__set_counter(s, "node_found.numa_maps", (int64_t)st->nodes->by_method[NL_NODE_NUMA_MAPS]);
	nl_source__set_counter(s, "node_found.phys_addr", (int64_t)st->nodes->by_method[NL_NODE_PHYS_ADDR]);
	if (faultnode__active(&lv->fnode)) {
		const struct nl_faultnode_stats *f = &lv->fnode.stats;

		nl_source__set_counter(s, "node_found.page_alloc",
				       (int64_t)st->nodes->by_method[NL_NODE_PAGE_ALLOC]);
		nl_source__set_counter(s, "page_alloc.faults", (int64_t)f->faults);
		nl_source__set_counter(s, "page_alloc.allocations", (int64_t)f->allocs);
		nl_source__set_counter(s, "page_alloc.landed", (int64_t)f->landed);
		nl_source__set_counter(s, "page_alloc.pages_landed",
				       (int64_t)st->nodes->pages_landed);
		nl_source__set_counter(s, "page_alloc.not_user_page", (int64_t)f->not_user);
		nl_source__set_counter(s, "page_alloc.unpaired", (int64_t)f->unpaired);
		nl_source__set_counter(s, "page_alloc.no_node", (int64_t)f->no_node);
		nl_source__set_counter(s, "page_alloc.bad_records", (int64_t)f->bad);
		nl_source__set_counter(s, "page_alloc.filters_refused",
				       (int64_t)lv->fnode.filters_refused);
		nl_source__set_counter(s, "page_alloc.threads_pending",
				       (int64_t)map__count(&lv->fnode.pending) / 3);
	}
	for (int i = 0; i < NL_UNRES_COUNT; i++) {
		snprintf(name, sizeof(name), "node_unknown.%s", unresolved[i]);
		nl_source__set_counter(s, name, (int64_t)st->nodes->unresolved[i]);
	}
	if (lv->ac) {
		const struct nl_access_stats *a = access__stats(lv->ac);

		nl_source__set_counter(s, "access.referenced.readings", (int64_t)a->readings);
		nl_source__set_counter(s, "access.referenced.clears", (int64_t)a->clears);
		nl_source__set_counter(s, "access.referenced.denied", (int64_t)a->denied);
		nl_source__set_counter(s, "access.referenced.gone", (int64_t)a->gone);
		nl_source__set_counter(s, "access.referenced.errors", (int64_t)a->errors);
		nl_source__set_counter(s, "access.referenced.last_error", a->last_error);
		nl_source__set_counter(s, "access.referenced.us", (int64_t)(a->ns / 1000));
		nl_source__set_counter(s, "access.damon_available", a->damon);
	}
	if (allocdec__active(&lv->adec)) {
		nl_source__set_counter(s, "alloc_probes.calls", (int64_t)lv->adec.calls);
		nl_source__set_counter(s, "alloc_probes.unpaired", (int64_t)lv->adec.unpaired);
		nl_source__set_counter(s, "alloc_probes.small_dropped", (int64_t)lv->adec.dropped_small);
		nl_source__set_counter(s, "alloc_probes.tasks_missed", (int64_t)lv->probe_open_failed);
	}
	if (lv->py)
		python_counters(s, pyframes__stats(lv->py));
	nl_source__set_counter(s, "live.time_us.setup", (int64_t)(lv->tm.setup / 1000));
	nl_source__set_counter(s, "live.time_us.wait", (int64_t)(lv->tm.wait / 1000));
	nl_source__set_counter(s, "live.time_us.drain", (int64_t)(lv->tm.drain / 1000));
	nl_source__set_counter(s, "live.time_us.placement", (int64_t)(lv->tm.placement / 1000));
	nl_source__set_counter(s, "live.time_us.maintenance", (int64_t)(lv->tm.maintenance / 1000));
	nl_source__set_counter(s, "live.time_us.stop", (int64_t)(lv->tm.stop / 1000));
	nl_source__set_counter(s, "live.time_us.consumer", (int64_t)(lv->tm.consumer / 1000));
	nl_source__set_counter(s, "live.time_us.look_ahead", (int64_t)(lv->tm.look / 1000));
	nl_source__set_counter(s, "live.batches", (int64_t)lv->tm.refills);
	nl_source__set_counter(s, "live.batches_full", (int64_t)lv->tm.full);
	nl_source__set_counter(s, "tasks_followed", st->nr_tasks);
	nl_source__set_counter(s, "reader_nice", lv->reader_nice);
	nl_source__set_counter(s, "duplicate_records", (int64_t)st->duplicates);
	nl_source__set_counter(s, "foreign_records", (int64_t)st->foreign);
	nl_source__set_counter(s, "ring_framing_errors", (int64_t)st->framing_errors);
	if (lv->ctr) {  /* counting events: nothing they lose goes unsaid */
		const struct nl_counters_stats *cs = counters__stats(lv->ctr);

		nl_source__set_counter(s, "counters.tasks", (int64_t)cs->tasks);
		nl_source__set_counter(s, "counters.new_tasks", (int64_t)cs->new_tasks);
		nl_source__set_counter(s, "counters.open_errors", (int64_t)cs->open_errors);
	}
	for (int i = 0; i < st->nr_numastat; i++) {
		const struct nl_numastat *n = &st->numastat[i];

		snprintf(name, sizeof(name), "numastat.node%d.numa_miss", n->node);
		nl_source__set_counter(s, name, n->numa_miss);
		snprintf(name, sizeof(name), "numastat.node%d.numa_foreign", n->node);
		nl_source__set_counter(s, name, n->numa_foreign);
		snprintf(name, sizeof(name), "numastat.node%d.local_node", n->node);
		nl_source__set_counter(s, name, n->local_node);
		snprintf(name, sizeof(name), "numastat.node%d.other_node", n->node);
		nl_source__set_counter(s, name, n->other_node);
	}
}

int live_run__next(struct nl_source *src, struct nl_record *out)
{
	struct live *lv = (struct live *)src;
	int r;

	if (lv->tm.returned)
		lv->tm.consumer += lv->sys->now_ns() - lv->tm.returned;
	/* the consumer may take longer than the rings take to fill */
	live_records__look_ahead(lv, false);
	while ((r = step(lv, out)) == -EAGAIN)
		;
	lv->tm.returned = r == 1 ? lv->sys->now_ns() : 0;
	if (r == 1)
		count(lv, out);
	else
		publish_counters(lv);
	return r;
}
