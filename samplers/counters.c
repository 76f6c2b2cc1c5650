/*
 * counters.c - the counting group per task: plan, open, read, per-thread
 * records.  See counters.h.
 *
 * Divisions: decoding; the plan; tasks; reading; records.
 *
 * State (invariants):
 *   1. task[] holds every task a group was opened on: attached ones
 *      (owner -1, inherited) first in the order opened, then new ones
 *      (owner: the index of their attached task); fd[] of a task whose
 *      EXIT was seen is closed (-1) after its last read.
 *   2. task[i].val/enabled/running are its last complete read; for an
 *      attached task they include everything it created.
 *   3. After finish() (the first counters__next), an attached task's own
 *      values are its read minus its new tasks' reads.
 */
#include "samplers/counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/sys.h"
#include "samplers/events.h"

#define READ_FORMAT (PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | \
		     PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID)

struct ctr_task {
	int pid, tid;
	int owner;                      /* invariant 1 */
	int fd[NL_CTR_MAX];             /* leader first; -1 closed */
	uint64_t id[NL_CTR_MAX];
	uint64_t val[NL_CTR_MAX], enabled, running; /* invariant 2 */
	uint64_t kid_val[NL_CTR_MAX], kid_enabled, kid_running;
};

struct nl_counters {
	struct nl_counters_options o;
	const struct nl_sys *sys;
	int nr;                         /* events in the group */
	struct nl_ev_spec spec[NL_CTR_MAX];
	uint8_t role[NL_CTR_MAX];
	char origin[16];
	struct ctr_task *task;
	int nr_task, cap_task;
	uint64_t t_start, t_end;
	bool finished;
	int cursor;
	struct nl_counters_stats stats;
};

/* --- decoding ------------------------------------------------------------- */

int counters__decode_group(const void *buf, size_t len, struct nl_group_read *out)
{
	const uint8_t *p = buf;
	uint64_t nr;

	memset(out, 0, sizeof(*out));
	if (len < 24)
		return -EINVAL;
	memcpy(&nr, p, 8);
	if (nr == 0 || nr > NL_CTR_MAX || len < 24 + 16 * nr)
		return -EINVAL;
	out->nr = (uint32_t)nr;
	memcpy(&out->time_enabled, p + 8, 8);
	memcpy(&out->time_running, p + 16, 8);
	for (uint64_t i = 0; i < nr; i++) {
		memcpy(&out->value[i], p + 24 + 16 * i, 8);
		memcpy(&out->id[i], p + 32 + 16 * i, 8);
	}
	return 0;
}

uint64_t counters__scale(uint64_t value, uint64_t enabled, uint64_t running)
{
	if (running == 0)
		return 0;
	if (running >= enabled)
		return value;
	return (uint64_t)((double)value * (double)enabled / (double)running + 0.5);
}

/* --- the plan -------------------------------------------------------------- */

static void attr_of(const struct nl_counters *c, int member, bool inherit,
		    struct perf_event_attr *a)
{
	const struct nl_ev_spec *s = &c->spec[member];

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = s->type;
	a->config = s->config;
	a->config1 = s->config1;
	a->config2 = s->config2;
	a->read_format = READ_FORMAT;
	a->inherit = inherit;           /* no inherit_stat: see counters.h */
	a->exclude_kernel = c->o.exclude_kernel;
	a->exclude_hv = c->o.exclude_kernel;
	a->disabled = member == 0;
	a->enable_on_exec = member == 0 && inherit && c->o.enable_on_exec;
}

/* Opens the group on task pid (any CPU): fds[nr].  0 or -errno (nothing left open). */
static int open_group(struct nl_counters *c, int pid, bool inherit, int *fds)
{
	for (int m = 0; m < c->nr; m++) {
		struct perf_event_attr a;

		attr_of(c, m, inherit, &a);
		fds[m] = c->sys->perf_event_open(&a, pid, -1, m ? fds[0] : -1,
						 PERF_FLAG_FD_CLOEXEC);
		if (fds[m] < 0) {
			int err = fds[m];

			while (m-- > 0)
				c->sys->close(fds[m]);
			return err;
		}
	}
	return 0;
}

/* The group as numalens itself would run it.  0 or the first -errno. */
static int probe_group(struct nl_counters *c)
{
	int fds[NL_CTR_MAX];
	int err = open_group(c, 0, true, fds);

	if (!err)
		for (int m = 0; m < c->nr; m++)
			c->sys->close(fds[m]);
	return err;
}

/*
 * Encodes the rows of v (optional ones only when with_optional) and probes
 * them as one group.  0 (c->nr set) or -errno.
 */
static int try_rows(struct nl_counters *c, const struct nl_ev_options *eo,
		    const struct nl_event_vendor *v, bool with_optional)
{
	c->nr = 0;
	for (int i = 0; i < v->nr_counters && c->nr < NL_CTR_MAX; i++) {
		const struct nl_counter_row *row = &v->counters[i];

		if (row->optional && !with_optional)
			continue;
		if (events__encode_counter(eo, row, &c->spec[c->nr])) {
			if (row->optional)
				continue;
			return -ENOENT;
		}
		c->role[c->nr++] = row->role;
	}
	snprintf(c->origin, sizeof(c->origin), "%s", v->name);
	return c->nr ? probe_group(c) : -ENOENT;
}

static int try_vendor(struct nl_counters *c, const struct nl_ev_options *eo,
		      const struct nl_event_vendor *v)
{
	int err;

	if (!v || !v->counters)
		return -ENOENT;
	err = try_rows(c, eo, v, true);
	if (err && err != -EACCES && err != -EPERM)
		err = try_rows(c, eo, v, false);
	if (err)
		c->nr = 0;
	return err;
}

static void note_for(int err, char *note, size_t size)
{
	if (err == -EACCES || err == -EPERM)
		snprintf(note, size, "node-loads (counting): %s - set kernel.perf_event_paranoid<=2 "
			 "or run as root; everything else goes on", strerror(-err));
	else if (err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV)
		snprintf(note, size, "node-loads (counting): no hardware counter here - node-load "
			 "miss ratio not measured; everything else goes on");
	else
		snprintf(note, size, "node-loads (counting): %s - node-load miss ratio not measured; "
			 "everything else goes on", strerror(-err));
}

int counters__new(const struct nl_counters_options *o, struct nl_counters **out,
		  char *note, size_t note_size)
{
	struct nl_ev_options eo = { .sys = o->sys, .sysfs = o->sysfs, .cpuinfo = o->cpuinfo,
				    .exclude_kernel = o->exclude_kernel };
	struct nl_counters *c = calloc(1, sizeof(*c));
	int err;

	*out = NULL;
	note[0] = '\0';
	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->sys = o->sys;
	err = try_vendor(c, &eo, &events_generic);
	if (err && err != -EACCES && err != -EPERM && !events__core_pmu(c->sys, c->o.exclude_kernel))
		err = -ENOENT;          /* no PMU at all: spare libpfm4 its start-up */
	else if (err && err != -EACCES && err != -EPERM) {
		int verr = try_vendor(c, &eo, events__vendor(&eo));

		if (verr == -EACCES || verr == -EPERM)
			err = verr;
		else if (!verr)
			err = 0;
	}
	if (err) {
		note_for(err, note, note_size);
		free(c);
		return 0;
	}
	c->t_start = c->sys->now_ns();
	*out = c;
	return 0;
}

void counters__describe(const struct nl_counters *c, struct nl_source_info *info)
{
	size_t used = 0;

	info->counter_events[0] = '\0';
	for (int m = 0; m < c->nr && used < sizeof(info->counter_events); m++)
		used += (size_t)snprintf(info->counter_events + used,
					 sizeof(info->counter_events) - used, "%s%s",
					 m ? "," : "", c->spec[m].name);
	snprintf(info->counter_origin, sizeof(info->counter_origin), "%s", c->origin);
}

unsigned counters__fds_per_task(const struct nl_counters *c)
{
	return c ? (unsigned)c->nr : 0;
}

/* --- tasks ------------------------------------------------------------------- */

static int find_task(const struct nl_counters *c, int tid)
{
	for (int i = c->nr_task - 1; i >= 0; i--)
		if (c->task[i].tid == tid)
			return i;
	return -1;
}

static void close_task(struct nl_counters *c, struct ctr_task *t)
{
	for (int m = 0; m < c->nr; m++)
		if (t->fd[m] >= 0) {
			c->sys->close(t->fd[m]);
			t->fd[m] = -1;
		}
}

/* Opens and enables a group on tid; 0 and task[] grown, or -errno. */
static int add_task(struct nl_counters *c, int pid, int tid, int owner, bool enable)
{
	struct ctr_task *t;
	int err;

	if (c->nr_task == c->cap_task) {
		int cap = c->cap_task ? c->cap_task * 2 : 64;
		struct ctr_task *q = realloc(c->task, (size_t)cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		c->task = q;
		c->cap_task = cap;
	}
	t = &c->task[c->nr_task];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	t->owner = owner;
	err = open_group(c, tid, owner < 0, t->fd);
	for (int m = 0; err && m < NL_CTR_MAX; m++)
		t->fd[m] = -1;          /* open_group closed what it opened */
	for (int m = 0; !err && m < c->nr; m++)
		err = c->sys->ioctl(t->fd[m], PERF_EVENT_IOC_ID, (unsigned long)&t->id[m]);
	if (err) {
		close_task(c, t);
		c->stats.open_errors += err != -ESRCH;
		return err;
	}
	if (enable)
		c->sys->ioctl(t->fd[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
	c->nr_task++;
	return 0;
}

int counters__open_task(struct nl_counters *c, int pid, int tid)
{
	int err;

	if (!c || find_task(c, tid) >= 0)
		return 0;
	err = add_task(c, pid, tid, -1, !c->o.enable_on_exec);
	c->stats.tasks += !err;
	return err;
}

int counters__open_new(struct nl_counters *c, int pid, int tid, int owner_tid)
{
	int owner, err;

	if (!c || find_task(c, tid) >= 0)
		return 0;
	owner = find_task(c, owner_tid);
	if (owner < 0 || c->task[owner].owner >= 0)
		return -ENOENT;         /* not under an attached task of ours */
	err = add_task(c, pid, tid, owner, true);
	c->stats.new_tasks += !err;
	return err;
}

/* --- reading ------------------------------------------------------------------ */

/* Invariant 2.  Values by id: a read may hold fewer events than the group. */
static void read_task(struct nl_counters *c, struct ctr_task *t)
{
	uint8_t buf[24 + 16 * NL_CTR_MAX];
	uint64_t val[NL_CTR_MAX] = { 0 };
	struct nl_group_read g;
	unsigned got = 0, all = (1u << c->nr) - 1;
	bool timed = false;

	for (int m = 0; m < c->nr && got != all; m++) {
		ssize_t n;

		if ((got & 1u << m) || t->fd[m] < 0)
			continue;
		n = c->sys->read(t->fd[m], buf, sizeof(buf));
		if (n <= 0 || counters__decode_group(buf, (size_t)n, &g))
			continue;
		for (uint32_t i = 0; i < g.nr; i++)
			for (int k = 0; k < c->nr; k++)
				if (g.id[i] == t->id[k] && !(got & 1u << k)) {
					got |= 1u << k;
					val[k] = g.value[i];
				}
		if (!timed) {
			timed = true;
			t->enabled = g.time_enabled;
			t->running = g.time_running;
		}
	}
	if (got != all)
		return;                 /* keep the last complete read */
	memcpy(t->val, val, sizeof(val));
	c->stats.reads++;
}

void counters__task_exit(struct nl_counters *c, int tid)
{
	int i = c ? find_task(c, tid) : -1;

	if (i < 0 || c->task[i].owner < 0)
		return;                 /* attached tasks are read until the end */
	read_task(c, &c->task[i]);
	close_task(c, &c->task[i]);
}

void counters__read(struct nl_counters *c, uint64_t now)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_task; i++)
		if (c->task[i].fd[0] >= 0)
			read_task(c, &c->task[i]);
	c->t_end = now;
}

void counters__stop(struct nl_counters *c, uint64_t now)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_task; i++)
		if (c->task[i].fd[0] >= 0)
			c->sys->ioctl(c->task[i].fd[0], PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
	counters__read(c, now);
}

/* --- records --------------------------------------------------------------------- */

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Invariant 3. */
static void finish(struct nl_counters *c)
{
	for (int i = 0; i < c->nr_task; i++) {
		const struct ctr_task *x = &c->task[i];
		struct ctr_task *t;

		if (x->owner < 0)
			continue;
		t = &c->task[x->owner];
		for (int m = 0; m < c->nr; m++)
			t->kid_val[m] += x->val[m];
		t->kid_enabled += x->enabled;
		t->kid_running += x->running;
	}
	c->finished = true;
}

int counters__next(struct nl_counters *c, struct nl_record *out)
{
	const struct ctr_task *t;
	struct nl_counts_event *e = &out->counts;

	if (!c)
		return 0;
	if (!c->finished)
		finish(c);
	if (c->cursor >= c->nr_task)
		return 0;
	t = &c->task[c->cursor++];
	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_COUNTS;
	e->pid = t->pid;
	e->tid = t->tid;
	for (int m = 0; m < c->nr; m++) {
		e->roles |= 1u << c->role[m];
		e->value[c->role[m]] += minus(t->val[m], t->kid_val[m]);
	}
	e->time_enabled = minus(t->enabled, t->kid_enabled);
	e->time_running = minus(t->running, t->kid_running);
	e->wall_ns = minus(c->t_end, c->t_start);
	e->late = t->owner >= 0;
	return 1;
}

const struct nl_counters_stats *counters__stats(const struct nl_counters *c)
{
	return &c->stats;
}

void counters__free(struct nl_counters *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_task; i++)
		close_task(c, &c->task[i]);
	free(c->task);
	free(c);
}
