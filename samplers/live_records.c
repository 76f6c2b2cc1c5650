/*
 * live_records.c - records from the rings into the queue.
 * See live_records.h for the contract and live_internal.h for the state.
 */
#include "samplers/live_records.h"

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
#include "samplers/counters.h"
#include "samplers/events.h"
#include "samplers/faultnode.h"
#include "samplers/perf_record.h"
#include "samplers/perfdata_writer.h"
#include "samplers/placement.h"
#include "samplers/proctree.h"
#include "samplers/pyframes.h"
#include "samplers/ring.h"
#include "samplers/live_attach.h"
#include "samplers/live_internal.h"

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

/* Copies n bytes into the arena, 8-byte aligned (callchains are u64s). */
static const void *keep_bytes(struct live *lv, const void *p, size_t n)
{
	char *d;

	lv->arena_used = (lv->arena_used + 7) & ~(size_t)7;
	d = lv->arena + lv->arena_used;
	memcpy(d, p, n);
	lv->arena_used += n;
	return d;
}

/* What a sample points at in the ring, into the arena (invariant 3). */
static void keep_sample(struct live *lv, struct nl_sample *s)
{
	if (s->nr_callchain)
		s->callchain = keep_bytes(lv, s->callchain, (size_t)s->nr_callchain * 8);
	if (s->regs_user)
		s->regs_user = keep_bytes(lv, s->regs_user, (size_t)s->nr_regs_user * 8);
	if (s->stack_user)
		s->stack_user = keep_bytes(lv, s->stack_user, s->stack_size);
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
	if (rec->task.exec && lv->py)       /* another program now: another interpreter */
		pyframes__exec(lv->py, rec->task.pid);
	rec->task.comm = keep_str(lv, rec->task.comm);
	return true;
}

void live_records__page_to_writer(int pid, uint64_t page, int node, int method, void *ctx)
{
	perfdata_writer__page_node(ctx, pid, page, node, method);
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
		counters__open_new(lv->ctr, rec->task.pid, rec->task.tid, t->owner);
		if (!t->opened && lv->probes_per_task && live_attach__open_probes(lv, t))
			lv->probe_open_failed++;
	}
	return true;
}

static bool admit_sample(struct live *lv, struct nl_record *rec, int owner)
{
	struct nl_sample *s = &rec->sample;

	if (s->event < (uint32_t)lv->nr_events && lv->ev[s->event].spec.cpu_wide) {
		const struct nl_task *t = proctree__find(lv->tree, s->tid);

		if (!t || t->exited)
			lv->stats.foreign++;
		if (t && !t->exited)
			keep_sample(lv, s);
		return t && !t->exited;
	}
	if (proctree__accept(lv->tree, s->pid, s->tid, owner)) {
		keep_sample(lv, s);
		return true;
	}
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
		if (lv->py && rec->task.tid == rec->task.pid)
			pyframes__forget(lv->py, rec->task.pid);
		counters__task_exit(lv->ctr, rec->task.tid);
		faultnode__forget(&lv->fnode, rec->task.tid);
		if (rec->task.tid == rec->task.pid)
			allocdec__forget(&lv->adec, rec->task.pid);
		if (rec->task.tid == rec->task.pid)   /* the process ended */
			placement__process_exit(lv->pl, rec->task.pid,
						lv->writer ? live_records__page_to_writer : NULL, lv->writer);
		return true;
	case NL_REC_MMAP:
		if (!proctree__accept(lv->tree, rec->mmap.pid, rec->mmap.tid, owner))
			return false;
		rec->mmap.filename = keep_str(lv, rec->mmap.filename);
		if (lv->py)
			pyframes__mapped(lv->py, rec->mmap.pid, rec->mmap.filename);
		return true;
	default:
		return true;    /* LOST, THROTTLE, UNTHROTTLE */
	}
}

void live_records__lost_exit(const struct nl_task *t, void *arg)
{
	struct live *lv = arg;
	struct nl_record *rec;

	if (lv->q_len >= QCAP)
		return;
	rec = &lv->q[lv->q_len];
	memset(rec, 0, sizeof(*rec));
	rec->kind = NL_REC_EXIT;
	rec->task.pid = t->pid;
	rec->task.tid = t->tid;
	rec->task.ppid = t->ppid;
	rec->task.ptid = t->ppid;
	if (admit(lv, rec, -1))
		lv->q_len++;
}

/* A switch of a task of the tree: run time per CPU, and the record goes out (HT). */
static bool admit_switch(struct live *lv, struct nl_switch_event *sw, int owner)
{
	if (sw->cpu_wide) {
		const struct nl_task *t = proctree__find(lv->tree, sw->tid);

		/* numalens itself is measurement, not a neighbour: its CPU reads
		   as idle (its switch-in dropped, the one before it switched out) */
		if (sw->pid == lv->self_pid)
			return false;

		/* every task of the CPU: the target's count as its own, the rest
		   make siblings busy (tid 0, idle, is neither) */
		sw->outside = sw->tid > 0 && (!t || t->exited);
		if (!sw->outside && sw->tid > 0)
			placement__switch(lv->pl, sw->pid, sw->tid, sw->cpu, sw->time, sw->out);
		lv->stats.switches++;
		return true;
	}
	if (lv->cpu_switches)
		return false;   /* the per-CPU event reports this switch too */
	if (!proctree__accept(lv->tree, sw->pid, sw->tid, owner))
		return false;
	placement__switch(lv->pl, sw->pid, sw->tid, sw->cpu, sw->time, sw->out);
	lv->stats.switches++;
	return true;
}

/*
 * A fault or page-allocation tracepoint hit of the tree: a page that landed
 * goes to the placement cache before this batch's samples are resolved
 * (live_records__refill), so the fault sample on it finds its node even
 * when its process is gone by then.
 */
static void page_landing(struct live *lv, const struct nl_sample *s, int owner)
{
	struct nl_faultnode_page pg;

	if (!proctree__accept(lv->tree, s->pid, s->tid, owner)) {
		lv->stats.duplicates++;
		return;
	}
	if (faultnode__sample(&lv->fnode, s, &pg) == 1)
		placement__page_landed(lv->pl, pg.pid, pg.addr, pg.len, pg.node);
}

static void handle(struct live *lv, const struct perf_event_header *h)
{
	struct nl_record *rec = &lv->q[lv->q_len];
	int owner = proctree__owner_of_id(lv->tree, perf_record__id(&lv->set, h, h->size));
	int r;

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
	if (rec->kind == NL_REC_SAMPLE && faultnode__owns(&lv->fnode, &rec->sample)) {
		page_landing(lv, &rec->sample, owner);
		return;         /* consumed here: never queued, never recorded */
	}
	if (rec->kind == NL_REC_SWITCH ? !admit_switch(lv, &rec->sw, owner) : !admit(lv, rec, owner))
		return;
	if (lv->writer)
		perfdata_writer__raw(lv->writer, h, h->size);
	lv->q_len++;
}

/* Probe hits into NL_REC_ALLOC records, in queue order, after their Python
   frames were read (the allocation carries its return hit's s->py); an
   entry half waits for its return and leaves the queue. */
static void convert_allocs(struct live *lv)
{
	int m = 0;

	for (int i = 0; i < lv->q_len; i++) {
		if (lv->q[i].kind == NL_REC_SAMPLE && allocdec__convert(&lv->adec, &lv->q[i]) == 0)
			continue;
		if (m != i)
			lv->q[m] = lv->q[i];
		m++;
	}
	lv->q_len = m;
}

static void prune_looks(struct live *lv);

/* Invariant 3: the queue is empty when this runs. */
void live_records__refill(struct live *lv, int timeout_ms)
{
	uint64_t t0 = lv->sys->now_ns(), t1, t2;
	int n = 0;

	lv->q_head = lv->q_len = 0;
	lv->arena_used = 0;
	ringset__wait(&lv->rs, lv->sys, timeout_ms);
	t1 = lv->sys->now_ns();
	for (int k = 0; k < lv->rs.nr; k++) {
		struct nl_ring *r = &lv->rs.rings[(lv->rs.rr + (unsigned)k) % (unsigned)lv->rs.nr];
		const struct perf_event_header *h;

		while (lv->q_len < QCAP && lv->arena_used + ARENA_RESERVE <= ARENA_SIZE &&
		       (h = ring__next(r))) {
			int before = lv->q_len;

			handle(lv, h);
			if (lv->q_len > before && lv->q[before].kind == NL_REC_SAMPLE &&
			    (lv->q[before].sample.valid & NL_SAMPLE_TIME))
				r->drained_time = lv->q[before].sample.time;
		}
		ring__release(r);
	}
	lv->rs.rr++;
	lv->tm.refills++;
	lv->tm.full += lv->q_len == QCAP || lv->arena_used + ARENA_RESERVE > ARENA_SIZE;
	for (int i = 0; i < lv->q_len; i++)
		if (lv->q[i].kind == NL_REC_SAMPLE)
			lv->batch[n++] = &lv->q[i].sample;
	t2 = lv->sys->now_ns();
	placement__resolve(lv->pl, lv->batch, n);
	lv->tm.wait += t1 - t0;
	lv->tm.drain += t2 - t1;
	lv->tm.placement += lv->sys->now_ns() - t2;
	/* Python frames now, while the threads may still be where they were sampled */
	if (lv->py) {
		pyframes__resolve(lv->py, lv->batch, n, lv->sys->now_ns());
		for (int i = 0; lv->writer && i < n; i++)
			if (lv->batch[i]->py)
				perfdata_writer__pystack(lv->writer, lv->batch[i]);
		prune_looks(lv);
	}
	convert_allocs(lv);
	lv->tm.refilled = lv->sys->now_ns();
}

/*
 * Looks no sample left in the rings can need: a ring's records come in time
 * order, so its next sample is no older than the last one drained from it;
 * an empty ring's next samples come after the last look.
 */
static void prune_looks(struct live *lv)
{
	uint64_t before = lv->tm.next_look > LOOK_NS ? lv->tm.next_look - LOOK_NS : 0;

	for (int k = 0; k < lv->rs.nr; k++) {
		const struct nl_ring *r = &lv->rs.rings[k];

		if (ring__has_data(r) && r->drained_time < before)
			before = r->drained_time;
	}
	pyframes__prune(lv->py, before);
}

struct look_pass {
	struct live *lv;
	uint64_t now;
};

static int look_at(const struct perf_event_header *h, void *ctx)
{
	struct look_pass *lp = ctx;
	struct live *lv = lp->lv;
	const struct nl_task *t;
	struct nl_record rec;

	if (h->type != PERF_RECORD_SAMPLE ||
	    perf_record__decode(&lv->set, h, h->size, &rec) <= 0 || rec.kind != NL_REC_SAMPLE ||
	    !(rec.sample.valid & NL_SAMPLE_TID))
		return 0;
	t = proctree__find(lv->tree, rec.sample.tid);
	if (t && !t->exited)    /* the target's threads only (CPU-wide events see all) */
		pyframes__look(lv->py, rec.sample.pid, rec.sample.tid, lp->now);
	return 0;
}

void live_records__look_ahead(struct live *lv, bool now)
{
	struct look_pass lp = { lv, 0 };

	if (!lv->py || !pyframes__active(lv->py))
		return;
	lp.now = lv->sys->now_ns();
	if (!now && (lp.now < lv->tm.next_look || lp.now - lv->tm.refilled < LOOK_NS))
		return;
	lv->tm.next_look = lp.now + LOOK_NS;
	for (int k = 0; k < lv->rs.nr; k++) {
		struct nl_ring *r = &lv->rs.rings[k];

		r->peeked = ring__peek_from(r, r->peeked, look_at, &lp);
	}
	lv->tm.look += lv->sys->now_ns() - lp.now;
}
