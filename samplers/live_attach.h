/*
 * live_attach.h - events and descriptors of the live source, and attaching
 * to the target tree.
 *
 * Owns: the event plan (events.h) turned into perf_event_attr, every event
 * fd (lv->fds) with its id known to the decoder, the writer's list and the
 * tree's owners (invariant 1 of live_internal.h), the per-CPU rings, and
 * the RLIMIT_NOFILE budget.  Every call returns 0 or -errno with err filled
 * (object, cause, fix); fds opened before a failure stay in lv->fds for
 * live_close to close.
 */
#ifndef NUMALENS_LIVE_ATTACH_H
#define NUMALENS_LIVE_ATTACH_H

struct live;
struct nl_error;

/* Probes and chooses the events, fills lv->ev, lv->set and the info's events. */
int live_attach__plan_events(struct live *lv, struct nl_error *err);
/* One ring per online CPU, sized by lv->opt.ring_pages. */
int live_attach__open_rings(struct live *lv, struct nl_error *err);
/* The CPU-wide events (context switches ...), enabled at once. */
/*
 * Opens the per-task events that are not inherited (allocation probes: see
 * attr_of; the IPC group where the kernel refuses it inherited) on t, a
 * task created after attach, for the owner that follows it.  0, or the
 * -errno of the first probe open that failed (the task then goes without);
 * an IPC group that fails is counted (ipc.open_errors), not returned.
 */
struct nl_task;
int live_attach__open_probes(struct live *lv, const struct nl_task *t);

/* Closes the allocation probes' descriptors, in parallel (their fds[]
   slots become -1); the other descriptors stay open. */
void live_attach__close_probes(struct live *lv);
int live_attach__open_cpu_wide(struct live *lv, struct nl_error *err);
/* Opens the tasks found by a scan that no event covers yet (budget first). */
int live_attach__open_pending(struct live *lv, struct nl_error *err);
/* Scan, open, and scan again until no task appears the kernel does not follow. */
int live_attach__tree(struct live *lv, struct nl_error *err);

#endif
