/*
 * counters.c - the counting group per task: plan, open, read, READ
 * records, per-thread records.  See counters.h.
 *
 * Divisions: decoding; the plan; tasks and the id table; reading; records.
 *
 * State (invariants):
 *   1. task[i].fd / .id hold nr_cpus x nr entries, [cpu * nr + member],
 *      leader first; ids (the one map) takes every id to (task, member, copy).
 *   2. task[i].val/enabled/running are the last read, summed over CPUs
 *      (enabled: the largest copy); they include inherited descendants.
 *   3. exits[] holds one entry per exited inherited tid, with the task it
 *      was inherited from: each event's value once per CPU copy (a copy
 *      writes up to one READ per event, with overlapping values), summed
 *      over the copies; the times likewise.
 *   4. After finish() (called by the first counters__next), own values are
 *      task - its exits, and records go out in order tasks, then exits.
 */
#include "samplers/counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "samplers/base/map.h"
#include "samplers/base/sys.h"
#include "samplers/events.h"
#include "samplers/ring.h"

#define READ_FORMAT (PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | \
		     PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID)
#define TRAILER_TYPE (PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_IDENTIFIER)
#define TRAILER_SIZE 24

struct ctr_task {
	int pid, tid;
	int *fd;                        /* invariant 1 */
	uint64_t *id;
	uint64_t val[NL_CTR_MAX], enabled, running; /* invariant 2 */
	uint64_t kid_val[NL_CTR_MAX], kid_enabled, kid_running;
};

struct ctr_exit {
	int pid, tid, owner;            /* owner: index into task[] */
	uint64_t val[NL_CTR_MAX], enabled, running;
	/* seen[copy * (nr + 1) + member]: that value taken; [.. + nr]: the
	   copy's times taken (invariant 3: each once, see on_record) */
	uint8_t *seen;
};

struct id_slot {
	uint64_t id;
	int task, member, copy;         /* copy: index of the CPU in rings */
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
	struct ctr_exit *exits;
	int nr_exits, cap_exits, last_exit;
	struct nl_map ids;              /* event id -> its id_slot, packed */
	uint64_t t_start, t_end;
	bool finished;
	int cursor;
	struct nl_counters_stats stats;
};

/* --- decoding ------------------------------------------------------------- */

static int decode_values(const uint8_t *p, size_t len, struct nl_group_read *out)
{
	uint64_t nr;

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

int counters__decode_group(const void *buf, size_t len, struct nl_group_read *out)
{
	memset(out, 0, sizeof(*out));
	return decode_values(buf, len, out);
}

int counters__decode_read_record(const struct perf_event_header *h, struct nl_group_read *out)
{
	const uint8_t *p = (const uint8_t *)(h + 1);
	size_t body = h->size >= sizeof(*h) + 8 + TRAILER_SIZE ?
		      h->size - sizeof(*h) - 8 - TRAILER_SIZE : 0;

	memset(out, 0, sizeof(*out));
	if (h->type != PERF_RECORD_READ || !body)
		return -EINVAL;
	memcpy(&out->pid, p, 4);
	memcpy(&out->tid, p + 4, 4);
	return decode_values(p + 8, body, out);
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

static void attr_of(const struct nl_counters *c, int member, struct perf_event_attr *a)
{
	const struct nl_ev_spec *s = &c->spec[member];

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = s->type;
	a->config = s->config;
	a->config1 = s->config1;
	a->config2 = s->config2;
	a->read_format = READ_FORMAT;
	a->sample_type = TRAILER_TYPE;
	a->sample_id_all = 1;
	a->use_clockid = 1;             /* SET_OUTPUT wants the rings' clock */
	a->clockid = CLOCK_MONOTONIC;
	a->inherit = 1;
	a->inherit_stat = 1;            /* READ records when an inherited task exits */
	a->exclude_kernel = c->o.exclude_kernel;
	a->exclude_hv = c->o.exclude_kernel;
	a->disabled = member == 0;
	a->enable_on_exec = member == 0 && c->o.enable_on_exec;
}

/* Opens the group on (pid, cpu): fds[nr].  0 or -errno (nothing left open). */
static int open_group(struct nl_counters *c, int pid, int cpu, int *fds)
{
	for (int m = 0; m < c->nr; m++) {
		struct perf_event_attr a;

		attr_of(c, m, &a);
		fds[m] = c->sys->perf_event_open(&a, pid, cpu, m ? fds[0] : -1,
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
	int err = open_group(c, 0, -1, fds);

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
	if (err && err != -EACCES && err != -EPERM) {
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
	return c ? (unsigned)(c->nr * c->o.rings->nr) : 0;
}

/* --- tasks and the id table ---------------------------------------------------- */

/* The one map: (0, id) -> task << 32 | member << 24 | copy. */
static int id_put(struct nl_counters *c, uint64_t id, int task, int member, int copy)
{
	return map__put(&c->ids, 0, id, (uint64_t)(uint32_t)task << 32 |
			(uint64_t)(member & 0xff) << 24 | ((uint32_t)copy & 0xffffff));
}

static const struct id_slot *id_get(const struct nl_counters *c, uint64_t id,
				    struct id_slot *out)
{
	const uint64_t *v = id ? map__find(&c->ids, 0, id) : NULL;

	if (!v)
		return NULL;
	*out = (struct id_slot){ id, (int)(uint32_t)(*v >> 32), (int)(*v >> 24 & 0xff),
				 (int)(*v & 0xffffff) };
	return out;
}

static void close_task_fds(struct nl_counters *c, int *fd, int n)
{
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			c->sys->close(fd[i]);
}

int counters__open_task(struct nl_counters *c, int pid, int tid)
{
	int n = c->nr * c->o.rings->nr, err = 0;
	struct ctr_task *t;

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
	t->fd = malloc((size_t)n * sizeof(int));
	t->id = calloc((size_t)n, sizeof(uint64_t));
	if (!t->fd || !t->id) {
		free(t->fd);
		free(t->id);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		t->fd[i] = -1;
	for (int k = 0; k < c->o.rings->nr && !err; k++) {
		int *fds = t->fd + k * c->nr;

		err = open_group(c, tid, c->o.rings->cpus[k], fds);
		/* every member: each may write its task's last values at exit */
		for (int m = 0; !err && m < c->nr; m++)
			err = c->sys->ioctl(fds[m], PERF_EVENT_IOC_SET_OUTPUT,
					    (unsigned long)c->o.rings->rings[k].fd);
		for (int m = 0; !err && m < c->nr; m++)
			err = c->sys->ioctl(fds[m], PERF_EVENT_IOC_ID,
					    (unsigned long)&t->id[k * c->nr + m]);
		for (int m = 0; !err && m < c->nr; m++)
			err = id_put(c, t->id[k * c->nr + m], c->nr_task, m, k);
	}
	if (err) {
		close_task_fds(c, t->fd, n);
		free(t->fd);
		free(t->id);
		c->stats.open_errors += err != -ESRCH;
		return err;
	}
	if (!c->o.enable_on_exec)
		for (int k = 0; k < c->o.rings->nr; k++)
			c->sys->ioctl(t->fd[k * c->nr], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
	c->nr_task++;
	c->stats.tasks++;
	return 0;
}

/* --- reading ------------------------------------------------------------------ */

static void read_task(struct nl_counters *c, struct ctr_task *t)
{
	uint64_t val[NL_CTR_MAX] = { 0 }, enabled = 0, running = 0;
	uint8_t buf[24 + 16 * NL_CTR_MAX];

	for (int k = 0; k < c->o.rings->nr; k++) {
		struct nl_group_read g;
		ssize_t n = c->sys->read(t->fd[k * c->nr], buf, sizeof(buf));

		if (n <= 0 || counters__decode_group(buf, (size_t)n, &g) || (int)g.nr != c->nr)
			return;         /* keep the last whole read */
		for (int m = 0; m < c->nr; m++)
			val[m] += g.value[m];
		running += g.time_running;
		if (g.time_enabled > enabled)
			enabled = g.time_enabled;
	}
	memcpy(t->val, val, sizeof(val));
	t->enabled = enabled;
	t->running = running;
	c->stats.reads++;
}

void counters__read(struct nl_counters *c, uint64_t now)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_task; i++)
		read_task(c, &c->task[i]);
	c->t_end = now;
}

void counters__stop(struct nl_counters *c, uint64_t now)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_task; i++)
		for (int k = 0; k < c->o.rings->nr; k++)
			c->sys->ioctl(c->task[i].fd[k * c->nr], PERF_EVENT_IOC_DISABLE,
				      PERF_IOC_FLAG_GROUP);
	counters__read(c, now);
}

static struct ctr_exit *exit_of(struct nl_counters *c, int pid, int tid, int owner)
{
	struct ctr_exit *x;

	if (c->last_exit < c->nr_exits && c->exits[c->last_exit].tid == tid &&
	    c->exits[c->last_exit].owner == owner)
		return &c->exits[c->last_exit];     /* a task's records come together */
	for (int i = c->nr_exits - 1; i >= 0; i--)
		if (c->exits[i].tid == tid && c->exits[i].owner == owner)
			return &c->exits[c->last_exit = i];
	if (c->nr_exits == c->cap_exits) {
		int cap = c->cap_exits ? c->cap_exits * 2 : 64;
		struct ctr_exit *q = realloc(c->exits, (size_t)cap * sizeof(*q));

		if (!q)
			return NULL;
		c->exits = q;
		c->cap_exits = cap;
	}
	x = &c->exits[c->nr_exits];
	memset(x, 0, sizeof(*x));
	x->seen = calloc((size_t)c->o.rings->nr * (size_t)(c->nr + 1), 1);
	if (!x->seen)
		return NULL;
	c->last_exit = c->nr_exits++;
	x->pid = pid;
	x->tid = tid;
	x->owner = owner;
	return x;
}

bool counters__on_record(struct nl_counters *c, const struct perf_event_header *h)
{
	struct nl_group_read g;
	struct ctr_exit *x;
	uint8_t *seen;

	if (!c || h->type != PERF_RECORD_READ)
		return false;
	if (counters__decode_read_record(h, &g)) {
		c->stats.unknown_records++;
		return true;
	}
	for (uint32_t i = 0; i < g.nr; i++) {
		struct id_slot slot;
		const struct id_slot *s = id_get(c, g.id[i], &slot);

		if (!s || !(x = exit_of(c, (int)g.pid, (int)g.tid, s->task))) {
			c->stats.unknown_records++;
			continue;
		}
		/*
		 * The kernel writes one READ per event of the exiting copy; the
		 * first holds the group as it still was (several values), later
		 * ones what is left of it: each value and the copy's times count
		 * once.
		 */
		seen = x->seen + s->copy * (c->nr + 1);
		if (!seen[s->member]) {
			seen[s->member] = 1;
			x->val[s->member] += g.value[i];
		}
		if (!seen[c->nr]) {
			seen[c->nr] = 1;
			x->running += g.time_running;
			if (g.time_enabled > x->enabled)
				x->enabled = g.time_enabled;
		}
	}
	c->stats.exit_records++;
	return true;
}

/* --- records --------------------------------------------------------------------- */

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Invariant 4: own values of the attached tasks. */
static void finish(struct nl_counters *c)
{
	for (int i = 0; i < c->nr_exits; i++) {
		const struct ctr_exit *x = &c->exits[i];
		struct ctr_task *t = &c->task[x->owner];

		for (int m = 0; m < c->nr; m++)
			t->kid_val[m] += x->val[m];
		t->kid_enabled += x->enabled;
		t->kid_running += x->running;
	}
	c->finished = true;
}

static void fill(const struct nl_counters *c, struct nl_record *out, int pid, int tid,
		 const uint64_t *val, uint64_t enabled, uint64_t running, bool at_exit)
{
	struct nl_counts_event *e = &out->counts;

	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_COUNTS;
	e->pid = pid;
	e->tid = tid;
	for (int m = 0; m < c->nr; m++) {
		e->roles |= 1u << c->role[m];
		e->value[c->role[m]] += val[m];
	}
	e->time_enabled = enabled;
	e->time_running = running;
	e->wall_ns = minus(c->t_end, c->t_start);
	e->at_exit = at_exit;
}

int counters__next(struct nl_counters *c, struct nl_record *out)
{
	if (!c)
		return 0;
	if (!c->finished)
		finish(c);
	if (c->cursor < c->nr_task) {
		const struct ctr_task *t = &c->task[c->cursor++];
		uint64_t own[NL_CTR_MAX];

		for (int m = 0; m < c->nr; m++)
			own[m] = minus(t->val[m], t->kid_val[m]);
		fill(c, out, t->pid, t->tid, own, minus(t->enabled, t->kid_enabled),
		     minus(t->running, t->kid_running), false);
		return 1;
	}
	if (c->cursor < c->nr_task + c->nr_exits) {
		const struct ctr_exit *x = &c->exits[c->cursor++ - c->nr_task];

		fill(c, out, x->pid, x->tid, x->val, x->enabled, x->running, true);
		return 1;
	}
	return 0;
}

const struct nl_counters_stats *counters__stats(const struct nl_counters *c)
{
	return &c->stats;
}

void counters__free(struct nl_counters *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_task; i++) {
		close_task_fds(c, c->task[i].fd, c->nr * c->o.rings->nr);
		free(c->task[i].fd);
		free(c->task[i].id);
	}
	free(c->task);
	for (int i = 0; i < c->nr_exits; i++)
		free(c->exits[i].seen);
	free(c->exits);
	map__free(&c->ids);
	free(c);
}
