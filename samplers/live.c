/*
 * live.c - the live source: attach to a process tree (or start a command),
 * read the per-CPU rings, hand out normalized records.  See live.h.
 *
 * Divisions: events and descriptors; attaching (rings, tasks); record
 * handling (decode, de-duplication, context switches); the state machine
 * behind next(); open and close.  The task table, launching and synthetic
 * records live in proctree.c, the rings in ring.c.
 *
 * Lifecycle of struct live (invariants):
 *   1. After live__open every event fd is open, redirected to its CPU's
 *      ring (SET_OUTPUT) and enabled, or armed with enable_on_exec in
 *      launch mode; its id is known to the decoder (set), to the writer
 *      (ev[].ids) and to the tree (the tid it was opened on).
 *   2. state only moves forward:
 *        SYNTH   synthetic FORK/COMM/MMAP of the tasks found at attach
 *        RUN     queue served, refilled from the rings (refill) until a
 *                stop condition (should_stop) holds
 *        DRAIN   events disabled and final snapshots taken (begin_drain);
 *                rings read until empty
 *        FINAL   final placement records, then RUNTIME records
 *        DONE    next() returns 0 for ever
 *   3. q[q_head, q_len) are records not handed out yet; their strings live
 *      in arena; the queue is refilled only when empty, so a record's
 *      pointers stay valid until the next call of next().
 *   4. Start placement records are handed out only between two queue
 *      batches, and snapshots are only taken then (maintenance).
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
#include "samplers/base/topology.h"
#include "samplers/counters.h"
#include "samplers/events.h"
#include "samplers/perf_record.h"
#include "samplers/perfdata_writer.h"
#include "samplers/proctree.h"
#include "samplers/ring.h"
#include "samplers/base/sys.h"

#define QCAP 1024
#define ARENA_SIZE (256 * 1024)
#define ARENA_RESERVE 4400      /* the longest string one record can carry */
#define POLL_MS 100
#define TICK_NS 250000000ull
/*
 * numa_maps makes the kernel walk a process's page tables: its cost grows
 * with resident memory.  New processes get their first
 * snapshot at once; refreshing all of them (for those that may exit before
 * the final snapshot) waits at least SNAPSHOT_MIN_NS and SNAPSHOT_BUDGET
 * times what the last refresh cost, so snapshots stay under 2% of a CPU.
 */
#define SNAPSHOT_MIN_NS 5000000000ull
#define SNAPSHOT_BUDGET 50
#define REAP_NS 1000000000ull           /* look for exited processes */
/* The reader must keep up with rings filled by many busy tasks: it asks
   for this nice value when allowed (root or CAP_SYS_NICE). */
#define READER_NICE (-10)
#define RESCANS 5

enum state { ST_SYNTH, ST_RUN, ST_DRAIN, ST_FINAL, ST_RUNTIME, ST_DONE };

struct live_event {
	struct nl_ev_spec spec;
	struct perf_event_attr attr;
	uint64_t *ids;
	uint32_t nr_ids;
	size_t cap_ids;
};

struct live {
	struct nl_source base;          /* first: the source contract */
	struct nl_live_options opt;
	const struct nl_sys *sys;
	enum state state;
	/* events and descriptors */
	int nr_events;
	struct live_event ev[NL_EV_MAX];
	struct nl_event_desc desc[NL_EV_MAX];
	struct perf_event_set set;
	int nr_notes;                   /* printed once attached */
	char notes[NL_EV_MAX][200];
	int skipped;                    /* tasks refused (EACCES) after the first */
	int *fds;
	uint32_t nr_fds;
	size_t cap_fds;
	struct nl_ringset rs;           /* one ring per online CPU */
	/* target */
	struct nl_proctree *tree;
	struct nl_placement *pl;
	struct nl_topology *topo;
	struct nl_spawn child;          /* launch mode */
	int child_status;
	bool child_done;
	/* queue */
	struct nl_record q[QCAP];
	int q_head, q_len;
	char *arena;
	size_t arena_used;
	struct nl_sample *batch[QCAP];
	uint32_t synth_cursor;          /* next synthetic record (proctree) */
	/* time, CLOCK_MONOTONIC ns */
	uint64_t t0, t_stop, deadline, next_tick, next_snapshot, next_reap;
	int reader_nice;                /* nice value numalens got, 0 if none */
	struct perfdata_writer *writer;
	struct nl_counters *ctr;        /* counting group per task, NULL none */
	struct nl_live_stats stats;
};

static const struct nl_source_ops live_ops;

/* Fills err (object printf-formatted, cause strerror(code)); returns code. */
static int fail(struct nl_error *err, int code, const char *fix,
		const char *object_fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct nl_error *err, int code, const char *fix,
		const char *object_fmt, ...)
{
	va_list ap;

	diag__set(err, code, fix, "%s", strerror(-code));
	va_start(ap, object_fmt);
	vsnprintf(err->object, sizeof(err->object), object_fmt, ap);
	va_end(ap);
	return code;
}

static bool launch_mode(const struct live *lv)
{
	return lv->opt.argv != NULL;
}

/* --- events and descriptors ----------------------------------------------- */

static void attr_of(const struct live *lv, const struct nl_ev_spec *s,
		    struct perf_event_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = s->type;
	a->config = s->config;
	a->config1 = s->config1;
	a->config2 = s->config2;
	a->sample_type = s->sample_type;
	a->freq = s->freq;
	a->sample_period = s->period;   /* union with sample_freq */
	a->precise_ip = s->precise;
	a->exclude_kernel = s->exclude_kernel;
	a->exclude_hv = s->exclude_kernel;
	a->disabled = 1;
	a->inherit = !s->cpu_wide;
	a->enable_on_exec = launch_mode(lv) && !s->cpu_wide;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	if (s->sideband) {
		a->task = 1;
		a->comm = 1;
		a->comm_exec = 1;
		a->mmap = 1;
		a->context_switch = 1;
	}
}

/* events__plan's probe: open spec on numalens itself, then close it. */
static int probe(struct nl_ev_spec *spec, void *ctx)
{
	struct live *lv = ctx;
	struct perf_event_attr a;
	int fd;

	attr_of(lv, spec, &a);
	fd = lv->sys->perf_event_open(&a, spec->cpu_wide ? -1 : 0,
				      spec->cpu_wide ? lv->rs.cpus[0] : -1, -1,
				      PERF_FLAG_FD_CLOEXEC);
	if ((fd == -EACCES || fd == -EPERM) && (spec->sample_type & PERF_SAMPLE_PHYS_ADDR)) {
		spec->sample_type &= ~(uint64_t)PERF_SAMPLE_PHYS_ADDR;
		return probe(spec, ctx);
	}
	if (fd >= 0)
		lv->sys->close(fd);
	return fd < 0 ? fd : 0;
}

static int plan_events(struct live *lv, struct nl_error *err)
{
	struct nl_ev_options o = {
		.sys = lv->sys, .sysfs = "/sys", .cpuinfo = "/proc/cpuinfo",
		.freq = lv->opt.freq, .period = lv->opt.period, .ldlat = lv->opt.ldlat,
		.exclude_kernel = events__exclude_kernel(lv->sys),
	};
	struct nl_ev_plan plan;
	int e = lv->opt.counters_only ? events__plan_sideband(&o, probe, lv, &plan) :
		events__plan(&o, probe, lv, &plan);

	if (e == -EACCES || e == -EPERM)
		return fail(err, e, "set kernel.perf_event_paranoid<=1 or run as root",
			    "perf_event_open");
	if (e)
		return fail(err, e, "this kernel lacks perf events (CONFIG_PERF_EVENTS)",
			    "perf_event_open");
	lv->nr_events = plan.nr;
	for (int i = 0; i < plan.nr; i++) {
		struct perf_event_layout layout;

		lv->ev[i].spec = plan.ev[i];
		attr_of(lv, &plan.ev[i], &lv->ev[i].attr);
		events__describe(&plan.ev[i], &lv->desc[i]);
		lv->desc[i].attr_size = sizeof(lv->ev[i].attr);
		perf_layout__from_attr(&layout, &lv->ev[i].attr, sizeof(lv->ev[i].attr));
		if (perf_event_set__add(&lv->set, &layout) < 0)
			return fail(err, -ENOMEM, NULL, "numalens");
	}
	perf_event_set__finish(&lv->set);
	lv->nr_notes = plan.nr_notes;
	memcpy(lv->notes, plan.notes, sizeof(lv->notes));
	lv->base.info.nr_events = (uint32_t)plan.nr;
	lv->base.info.events = lv->desc;
	return 0;
}

/* Keeps fd: its id goes to the decoder, the writer's list and the tree's owners. */
static int add_fd(struct live *lv, int fd, int event, int owner_tid)
{
	struct live_event *e = &lv->ev[event];
	uint64_t id;
	int err;

	if (array__reserve((void **)&lv->fds, &lv->cap_fds, lv->nr_fds + 1, sizeof(int))) {
		lv->sys->close(fd);
		return -ENOMEM;
	}
	lv->fds[lv->nr_fds++] = fd;
	lv->stats.fds++;
	err = lv->sys->ioctl(fd, PERF_EVENT_IOC_ID, (unsigned long)&id);
	if (err)
		return err;
	if (array__reserve((void **)&e->ids, &e->cap_ids, e->nr_ids + 1, sizeof(uint64_t)) ||
	    perf_event_set__add_id(&lv->set, id, event) || proctree__add_id(lv->tree, id, owner_tid))
		return -ENOMEM;
	e->ids[e->nr_ids++] = id;
	return 0;
}

/* Opens event on (pid, cpu index i), redirected to that CPU's ring. */
static int open_one(struct live *lv, int event, int pid, int i, int owner_tid)
{
	int fd = lv->sys->perf_event_open(&lv->ev[event].attr, pid, lv->rs.cpus[i], -1,
					  PERF_FLAG_FD_CLOEXEC);
	int err;

	if (fd < 0)
		return fd;
	err = lv->sys->ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, (unsigned long)lv->rs.rings[i].fd);
	if (err) {
		lv->sys->close(fd);
		return err;
	}
	return add_fd(lv, fd, event, owner_tid);
}

static void enable_from(struct live *lv, uint32_t first)
{
	for (uint32_t i = first; i < lv->nr_fds; i++)
		lv->sys->ioctl(lv->fds[i], PERF_EVENT_IOC_ENABLE, 0);
}

/* --- attaching ------------------------------------------------------------- */

static int open_rings(struct live *lv, struct nl_error *err)
{
	int cpu, e = ringset__open(&lv->rs, lv->sys, lv->opt.ring_pages,
				   lv->ev[0].attr.sample_type, lv->ev[0].attr.exclude_kernel,
				   &cpu);

	if (e == -EPERM || e == -ENOMEM)
		return fail(err, e, "raise kernel.perf_event_mlock_kb or run as root",
			    "perf ring buffer on cpu %d", cpu);
	if (e)
		return fail(err, e, NULL, "perf ring buffer on cpu %d", cpu);
	return 0;
}

static uint32_t fds_per_task(const struct live *lv)
{
	uint32_t n = 0;

	for (int e = 0; e < lv->nr_events; e++)
		n += !lv->ev[e].spec.cpu_wide;
	return n * (uint32_t)lv->rs.nr + counters__fds_per_task(lv->ctr);
}

/* RLIMIT_NOFILE: soft raised to hard when nr_tasks more tasks need it. */
static int fd_budget(struct live *lv, int nr_tasks, struct nl_error *err)
{
	uint64_t need = lv->nr_fds + (uint64_t)nr_tasks * fds_per_task(lv) +
			(uint64_t)lv->rs.nr * (1 + (uint64_t)lv->nr_events) + 64;
	struct rlimit rl;
	char fix[160];

	if (lv->sys->getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : rl.rlim_max;
		lv->sys->setrlimit(RLIMIT_NOFILE, &rl);
		lv->sys->getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= need)
		return 0;
	snprintf(fix, sizeof(fix), "run 'ulimit -n %llu' first (as root to raise the hard limit)",
		 (unsigned long long)need);
	diag__set(err, -EMFILE, fix,
		  "%llu tasks x %d CPUs x %u events need %llu descriptors, the limit is %llu",
		  (unsigned long long)(lv->stats.tasks_opened + (uint64_t)nr_tasks), lv->rs.nr,
		  fds_per_task(lv) / (uint32_t)lv->rs.nr, (unsigned long long)need,
		  (unsigned long long)rl.rlim_cur);
	return diag__set_object(err, "open files");
}

/* Opens every per-task event of t on every CPU.  0 (also when t is gone) or -errno. */
static int open_task(struct live *lv, struct nl_task *t)
{
	uint32_t first = lv->nr_fds;

	for (int e = 0; e < lv->nr_events; e++) {
		if (lv->ev[e].spec.cpu_wide)
			continue;
		for (int i = 0; i < lv->rs.nr; i++) {
			int err = open_one(lv, e, t->tid, i, t->tid);

			if (err == -ESRCH) {
				proctree__exit(lv->tree, t->tid);
				return 0;
			}
			if (err)
				return err;
		}
	}
	if (!launch_mode(lv))
		enable_from(lv, first);
	if (lv->ctr)
		counters__open_task(lv->ctr, t->pid, t->tid);   /* never fatal */
	t->opened = true;
	t->owner = t->tid;
	lv->stats.tasks_opened++;
	return 0;
}

static int open_failed(const struct nl_task *t, int e, struct nl_error *err)
{
	if (e == -EMFILE || e == -ENFILE)
		return fail(err, e, "raise the open-file limit with 'ulimit -n'", "open files");
	if (e == -EACCES || e == -EPERM)
		return fail(err, e, "profile a process you own, or run as root", "pid %d",
			    t->pid);
	return fail(err, e, NULL, "perf_event_open on tid %d", t->tid);
}

/* A task of the tree numalens may not follow: one note for all of them. */
static void skip_task(struct live *lv, struct nl_task *t)
{
	int slot = lv->skipped ? lv->nr_notes - 1 : lv->nr_notes;

	proctree__exit(lv->tree, t->tid);
	if (slot >= NL_EV_MAX)
		return;
	lv->skipped++;
	lv->nr_notes = slot + 1;
	snprintf(lv->notes[slot], sizeof(lv->notes[slot]),
		 "pid %d: Permission denied - %d task%s of the tree not followed; run as root "
		 "to include them", t->pid, lv->skipped, lv->skipped > 1 ? "s" : "");
}

/* Opens the tasks found by a scan that no event covers yet. */
static int open_pending(struct live *lv, struct nl_error *err)
{
	int todo = 0, e;

	for (int i = 0; i < proctree__nr(lv->tree); i++) {
		struct nl_task *t = proctree__at(lv->tree, i);

		todo += t->pre_existing && !t->opened && !t->exited;
	}
	if ((e = fd_budget(lv, todo, err)))
		return e;
	for (int i = 0; i < proctree__nr(lv->tree); i++) {
		struct nl_task *t = proctree__at(lv->tree, i);

		if (!t->pre_existing || t->opened || t->exited)
			continue;
		e = open_task(lv, t);
		if ((e == -EACCES || e == -EPERM) && lv->stats.tasks_opened) {
			skip_task(lv, t);       /* e.g. a setuid child: follow the rest */
			continue;
		}
		if (e)
			return open_failed(t, e, err);
	}
	return 0;
}

static int peek_fork(const struct perf_event_header *h, void *ctx)
{
	struct live *lv = ctx;
	uint32_t v[4];

	if (h->type != PERF_RECORD_FORK || h->size < sizeof(*h) + sizeof(v))
		return 0;
	memcpy(v, h + 1, sizeof(v));
	if (!proctree__find(lv->tree, (int)v[2]))
		proctree__track_fork(lv->tree, (int)v[0], (int)v[1], (int)v[2], (int)v[3]);
	return 0;
}

static int scan_target(struct live *lv, int round, struct nl_error *err)
{
	int added = 0, e;

	if (lv->opt.tid)
		e = round ? 0 : proctree__scan_thread(lv->tree, lv->opt.tid);
	else
		e = proctree__scan(lv->tree, lv->opt.pid, &added);
	if (e == -ESRCH && round == 0)
		return fail(err, e, lv->opt.tid ? "check the thread id with 'ps -eLf'" :
			    "check the PID with 'ps -p PID'", "%s %d", lv->opt.tid ? "tid" : "pid",
			    lv->opt.tid ? lv->opt.tid : lv->opt.pid);
	if (e && e != -ESRCH)
		return fail(err, e, NULL, "/proc/%d", lv->opt.tid ? lv->opt.tid : lv->opt.pid);
	return added;
}

/*
 * Scan, open, and scan again until no task appears that the kernel does
 * not already follow (a FORK record in a ring says it does).
 */
static int attach_tree(struct live *lv, struct nl_error *err)
{
	for (int round = 0; round < RESCANS; round++) {
		int added, e;

		for (int i = 0; round && i < lv->rs.nr; i++)
			ring__peek_each(&lv->rs.rings[i], peek_fork, lv);
		added = scan_target(lv, round, err);
		if (added < 0)
			return added;
		if (round && !added)
			break;
		if ((e = open_pending(lv, err)))
			return e;
		if (lv->opt.tid)
			break;
	}
	return 0;
}

static int open_cpu_wide(struct live *lv, struct nl_error *err)
{
	for (int e = 0; e < lv->nr_events; e++) {
		uint32_t first = lv->nr_fds;

		if (!lv->ev[e].spec.cpu_wide)
			continue;
		for (int i = 0; i < lv->rs.nr; i++) {
			int r = open_one(lv, e, -1, i, -1);

			if (r)
				return fail(err, r, "run as root or set kernel.perf_event_paranoid<=0",
					    "%s", lv->ev[e].spec.name);
		}
		enable_from(lv, first);
	}
	return 0;
}

/* --- record handling ------------------------------------------------------------- */

static const char *keep_str(struct live *lv, const char *s)
{
	size_t n = strnlen(s, ARENA_RESERVE - 1);
	char *d = lv->arena + lv->arena_used;

	memcpy(d, s, n);
	d[n] = '\0';
	lv->arena_used += n + 1;
	return d;
}

static bool admit_comm(struct live *lv, struct nl_record *rec, int owner)
{
	struct nl_task *t;

	if (!proctree__accept(lv->tree, rec->task.pid, rec->task.tid, owner))
		return false;
	t = proctree__find(lv->tree, rec->task.tid);
	if (t && !rec->task.exec && !strncmp(t->comm, rec->task.comm, sizeof(t->comm) - 1)) {
		lv->stats.duplicates++;
		return false;
	}
	if (t)
		snprintf(t->comm, sizeof(t->comm), "%s", rec->task.comm);
	rec->task.comm = keep_str(lv, rec->task.comm);
	return true;
}

static bool admit_fork(struct live *lv, struct nl_record *rec, int owner)
{
	struct nl_task *t = proctree__find(lv->tree, rec->task.tid);

	if (t && t->announced && !t->exited) {
		lv->stats.duplicates++;
		return false;
	}
	t = proctree__track_fork(lv->tree, rec->task.pid, rec->task.ppid, rec->task.tid, rec->task.ptid);
	if (t) {
		if (t->owner < 0)
			t->owner = owner;
		t->announced = true;
	}
	return true;
}

static bool admit_sample(struct live *lv, struct nl_record *rec, int owner)
{
	const struct nl_sample *s = &rec->sample;

	if (s->event < (uint32_t)lv->nr_events && lv->ev[s->event].spec.cpu_wide) {
		const struct nl_task *t = proctree__find(lv->tree, s->tid);

		if (!t || t->exited)
			lv->stats.foreign++;
		return t && !t->exited;
	}
	if (proctree__accept(lv->tree, s->pid, s->tid, owner))
		return true;
	lv->stats.duplicates++;
	return false;
}

/* Whether a decoded record goes out (and updates the task table). */
static bool admit(struct live *lv, struct nl_record *rec, int owner)
{
	switch (rec->kind) {
	case NL_REC_SAMPLE:
		return admit_sample(lv, rec, owner);
	case NL_REC_COMM:
		return admit_comm(lv, rec, owner);
	case NL_REC_FORK:
		return admit_fork(lv, rec, owner);
	case NL_REC_EXIT:
		if (!proctree__exit(lv->tree, rec->task.tid))
			return false;
		placement__task_exit(lv->pl, rec->task.tid, rec->task.time);
		return true;
	case NL_REC_MMAP:
		if (!proctree__accept(lv->tree, rec->mmap.pid, rec->mmap.tid, owner))
			return false;
		rec->mmap.filename = keep_str(lv, rec->mmap.filename);
		return true;
	default:
		return true;    /* LOST, THROTTLE, UNTHROTTLE */
	}
}

/* A switch of a task of the tree: run time per CPU, and the record goes out (HT). */
static bool admit_switch(struct live *lv, const struct nl_switch_event *sw, int owner)
{
	if (!proctree__accept(lv->tree, sw->pid, sw->tid, owner))
		return false;
	placement__switch(lv->pl, sw->pid, sw->tid, sw->cpu, sw->time, sw->out);
	lv->stats.switches++;
	return true;
}

static void handle(struct live *lv, const struct perf_event_header *h)
{
	struct nl_record *rec = &lv->q[lv->q_len];
	int owner = proctree__owner_of_id(lv->tree, perf_record__id(&lv->set, h, h->size));
	int r;

	if (counters__on_record(lv->ctr, h))
		return;
	r = perf_record__decode(&lv->set, h, h->size, rec);
	if (r < 0) {
		if (r == -ENOENT)
			lv->base.stats.unknown_records++;
		else
			lv->base.stats.bad_records++;
		return;
	}
	if (r == 0)
		return;
	if (rec->kind == NL_REC_SWITCH ? !admit_switch(lv, &rec->sw, owner) : !admit(lv, rec, owner))
		return;
	if (lv->writer)
		perfdata_writer__raw(lv->writer, h, h->size);
	lv->q_len++;
}

/* --- the state machine behind next() ------------------------------------------ */

/* Invariant 3: the queue is empty when this runs. */
static void refill(struct live *lv, int timeout_ms)
{
	int n = 0;

	lv->q_head = lv->q_len = 0;
	lv->arena_used = 0;
	ringset__wait(&lv->rs, lv->sys, timeout_ms);
	for (int k = 0; k < lv->rs.nr; k++) {
		struct nl_ring *r = &lv->rs.rings[(lv->rs.rr + (unsigned)k) % (unsigned)lv->rs.nr];
		const struct perf_event_header *h;

		while (lv->q_len < QCAP && lv->arena_used + ARENA_RESERVE <= ARENA_SIZE &&
		       (h = ring__next(r)))
			handle(lv, h);
		ring__release(r);
	}
	lv->rs.rr++;
	for (int i = 0; i < lv->q_len; i++)
		if (lv->q[i].kind == NL_REC_SAMPLE)
			lv->batch[n++] = &lv->q[i].sample;
	placement__resolve(lv->pl, lv->batch, n);
}

static void reap_child(struct live *lv, int options)
{
	int status;

	if (!lv->child.pid || lv->child_done)
		return;
	if (lv->sys->waitpid(lv->child.pid, &status, options) == lv->child.pid) {
		lv->child_status = status;
		lv->child_done = true;
	}
}

/* Snapshots of processes new since the last tick, and of all every second. */
static void maintenance(struct live *lv)
{
	uint64_t now = lv->sys->now_ns();
	bool all = now >= lv->next_snapshot;
	uint64_t cost;

	if (now < lv->next_tick)
		return;
	lv->next_tick = now + TICK_NS;
	reap_child(lv, WNOHANG);
	if (now >= lv->next_reap) {
		lv->next_reap = now + REAP_NS;
		if (!launch_mode(lv))
			proctree__reap(lv->tree);
	}
	for (int i = 0; i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited && (all || !placement__has(lv->pl, t->pid)))
			placement__snapshot(lv->pl, t->pid);
	}
	if (all) {
		counters__read(lv->ctr, now);
		cost = lv->sys->now_ns() - now;
		lv->next_snapshot = now + (cost * SNAPSHOT_BUDGET > SNAPSHOT_MIN_NS
					   ? cost * SNAPSHOT_BUDGET : SNAPSHOT_MIN_NS);
	}
}

/*
 * Raises numalens' own priority when allowed, after the launched command
 * was forked, so the target never inherits it.  Unprivileged: stays at 0.
 */
static void boost_reader(struct live *lv)
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
		reap_child(lv, WNOHANG);
		return lv->child_done;
	}
	return proctree__nr_alive(lv->tree) == 0;
}

static int poll_timeout(const struct live *lv)
{
	uint64_t now = lv->sys->now_ns();

	if (lv->deadline && lv->deadline > now && lv->deadline - now < POLL_MS * 1000000ull)
		return (int)((lv->deadline - now) / 1000000) + 1;
	return POLL_MS;
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
		reap_child(lv, WNOHANG);
	}
	if (!lv->child_done) {
		lv->sys->kill(lv->child.pid, SIGKILL);
		reap_child(lv, 0);
	}
}

static void begin_drain(struct live *lv)
{
	lv->t_stop = lv->sys->now_ns();
	for (uint32_t i = 0; i < lv->nr_fds; i++)
		lv->sys->ioctl(lv->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	for (int i = 0; i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited)
			placement__snapshot(lv->pl, t->pid);
	}
	placement__numastat(lv->pl);
	counters__stop(lv->ctr, lv->t_stop);
	stop_child(lv);
}

static void count(struct live *lv, const struct nl_record *out)
{
	struct nl_source_stats *s = &lv->base.stats;

	/* records read, as the perf.data source counts them: not the extras */
	s->records += out->kind != NL_REC_PLACEMENT && out->kind != NL_REC_RUNTIME;
	nl_source__count(&lv->base, out);
	switch (out->kind) {
	case NL_REC_PLACEMENT:
	case NL_REC_RUNTIME:
		if (lv->writer)
			perfdata_writer__extra(lv->writer, out);
		break;
	default:
		break;
	}
}

/* One step: 1 (out filled), 0 (end), or -EAGAIN (state moved, call again). */
static int step(struct live *lv, struct nl_record *out)
{
	switch (lv->state) {
	case ST_SYNTH:
		if (lv->synth_cursor < proctree__nr_synth(lv->tree)) {
			proctree__synth(lv->tree, lv->synth_cursor++, out);
			return 1;
		}
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
		if (lv->state == ST_DRAIN) {
			if (ringset__has_data(&lv->rs))
				refill(lv, 0);
			else
				lv->state = ST_FINAL;
		} else if (should_stop(lv)) {
			begin_drain(lv);
			lv->state = ST_DRAIN;
		} else {
			refill(lv, poll_timeout(lv));
			maintenance(lv);
		}
		return -EAGAIN;
	case ST_FINAL:
		if (counters__next(lv->ctr, out))
			return 1;
		if (placement__next_final(lv->pl, out))
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
	for (int i = 0; i < NL_UNRES_COUNT; i++) {
		snprintf(name, sizeof(name), "node_unknown.%s", unresolved[i]);
		nl_source__set_counter(s, name, (int64_t)st->nodes->unresolved[i]);
	}
	nl_source__set_counter(s, "tasks_followed", st->nr_tasks);
	nl_source__set_counter(s, "reader_nice", lv->reader_nice);
	nl_source__set_counter(s, "duplicate_records", (int64_t)st->duplicates);
	nl_source__set_counter(s, "foreign_records", (int64_t)st->foreign);
	nl_source__set_counter(s, "ring_framing_errors", (int64_t)st->framing_errors);
	if (lv->ctr) {  /* counting events: nothing they lose goes unsaid */
		const struct nl_counters_stats *cs = counters__stats(lv->ctr);

		nl_source__set_counter(s, "counters.tasks", (int64_t)cs->tasks);
		nl_source__set_counter(s, "counters.open_errors", (int64_t)cs->open_errors);
		nl_source__set_counter(s, "counters.exit_records", (int64_t)cs->exit_records);
		nl_source__set_counter(s, "counters.unknown_records", (int64_t)cs->unknown_records);
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

static int live_next(struct nl_source *src, struct nl_record *out)
{
	struct live *lv = (struct live *)src;
	int r;

	while ((r = step(lv, out)) == -EAGAIN)
		;
	if (r == 1)
		count(lv, out);
	else
		publish_counters(lv);
	return r;
}

/* --- open and close ---------------------------------------------------------------- */

static void page_node_to_writer(int pid, uint64_t page, int node, int method, void *ctx)
{
	perfdata_writer__page_node(ctx, pid, page, node, method);
}

/* Finishes --record (features, header).  0 or -errno; no-op without a writer. */
static int end_record(struct live *lv)
{
	int err;

	if (!lv->writer)
		return 0;
	perfdata_writer__page_size(lv->writer, placement__page_size(lv->pl));
	placement__each_page(lv->pl, page_node_to_writer, lv->writer);
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
		reap_child(lv, 0);
	}
	for (uint32_t i = 0; i < lv->nr_fds; i++)
		lv->sys->close(lv->fds[i]);
	counters__free(lv->ctr);
	ringset__close(&lv->rs, lv->sys);
	for (int i = 0; i < lv->nr_events; i++)
		free(lv->ev[i].ids);
	perf_event_set__free(&lv->set);
	proctree__free(lv->tree);
	placement__free(lv->pl);
	topology__free(lv->topo);
	free(lv->fds);
	free(lv->arena);
	free(lv);
}

static const struct nl_source_ops live_ops = {
	.name = "live",
	.next = live_next,
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
	sys__file_field(lv->sys, "/proc/cpuinfo", "model name", info->cpudesc,
			sizeof(info->cpudesc));
	cpuid_of(lv->sys, info->cpuid, sizeof(info->cpuid));
	info->nr_cpus_online = (uint32_t)lv->rs.nr;
	info->nr_cpus_avail = (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
	if (sys__file_field(lv->sys, "/proc/meminfo", "MemTotal", buf, sizeof(buf)) > 0)
		info->total_mem_kb = strtoull(buf, NULL, 10);
	lv->topo = topology__read_sysfs_with(lv->sys, "/", NULL);
	info->topology = lv->topo;
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
	int e;

	for (int i = 0; i < lv->nr_events; i++) {
		ev[i].attr = &lv->ev[i].attr;
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
		.enable_on_exec = launch_mode(lv), .rings = &lv->rs,
	};
	char *note = lv->base.info.counters_note;

	if (counters__new(&co, &lv->ctr, note, sizeof(lv->base.info.counters_note)))
		return fail(err, -ENOMEM, NULL, "numalens");
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
		return fail(err, e, NULL, "%s", lv->opt.argv[0]);
	if ((e = open_cpu_wide(lv, err)))
		return e;
	if (launch_mode(lv))
		e = open_pending(lv, err);
	else
		e = attach_tree(lv, err);
	if (e)
		return e;
	lv->t0 = lv->sys->now_ns();
	placement__runtime_start(lv->pl, lv->t0);
	placement__numastat(lv->pl);
	if (proctree__synthesize(lv->tree, lv->t0, !launch_mode(lv)))
		return fail(err, -ENOMEM, NULL, "numalens");
	for (int i = 0; !launch_mode(lv) && i < proctree__nr(lv->tree); i++) {
		const struct nl_task *t = proctree__at(lv->tree, i);

		if (t->tid == t->pid && !t->exited)
			placement__snapshot(lv->pl, t->pid);
	}
	if (lv->opt.record_path && (e = open_writer(lv, err)))
		return e;
	if (launch_mode(lv) && (e = proctree__release(&lv->child)))
		return fail(err, e, "check the command name and PATH", "%s", lv->opt.argv[0]);
	return 0;
}

static int setup(struct live *lv, struct nl_error *err)
{
	int e;

	if (ringset__read_cpus(&lv->rs, lv->sys))
		return fail(err, -ENOMEM, NULL, "numalens");
	fill_info(lv);
	if ((e = plan_events(lv, err)) || (e = open_rings(lv, err)) ||
	    (e = open_counters(lv, err)))
		return e;
	lv->tree = proctree__new(lv->sys);
	lv->pl = placement__new(lv->sys, lv->topo);
	lv->arena = malloc(ARENA_SIZE);
	if (!lv->tree || !lv->pl || !lv->arena)
		return fail(err, -ENOMEM, NULL, "numalens");
	if ((e = start_target(lv, err)))
		return e;
	if (lv->opt.duration > 0)
		lv->deadline = lv->t0 + (uint64_t)(lv->opt.duration * 1e9);
	lv->next_tick = lv->t0 + TICK_NS;
	lv->next_snapshot = lv->t0 + SNAPSHOT_MIN_NS;
	lv->next_reap = lv->t0 + REAP_NS;
	boost_reader(lv);
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
		return fail(err, -ENOMEM, NULL, "numalens");
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
	lv->stats.nr_tasks = proctree__nr(lv->tree);
	lv->stats.nr_cpus = lv->rs.nr;
	return &lv->stats;
}
