/*
 * live_attach.c - events and descriptors; attaching to the tree.
 * See live_attach.h for the contract and live_internal.h for the state.
 */
#include "samplers/live_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#include "samplers/allocprobe.h"
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
#include "samplers/proctree.h"
#include "samplers/ring.h"
#include "samplers/live_internal.h"

/* --- events and descriptors ----------------------------------------------- */

/* The user registers an unwinder needs (perf's PERF_REGS_MASK): x86_64
   without DS, ES, FS, GS; aarch64 x0..x30, sp, pc. */
static uint64_t user_regs_mask(void)
{
#if defined(__x86_64__)
	return ((1ull << 24) - 1) & ~(0xfull << 12);
#elif defined(__aarch64__)
	return (1ull << 33) - 1;
#else
	return 0;
#endif
}

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
	/* The uprobe PMU reads its path (config1) from user memory again when
	   an event is inherited, in the forking task, where numalens' pointer
	   is not mapped: clone(2) then fails with EFAULT.  Allocation probes
	   are opened on each new task instead (live_attach__open_probes). */
	a->inherit = !s->cpu_wide && !s->no_inherit &&
		     (s->kind != NL_EV_ALLOC_PROBE || s->type == PERF_TYPE_TRACEPOINT);
	a->read_format = s->read_format;
	a->enable_on_exec = launch_mode(lv) && !s->cpu_wide;
	a->sample_id_all = 1;
	a->sample_regs_user = s->regs_user;
	a->sample_stack_user = s->stack_user;
	a->exclude_callchain_kernel = s->kind == NL_EV_ALLOC_PROBE;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	if ((s->sample_type & PERF_SAMPLE_STACK_USER) && s->kind != NL_EV_ALLOC_PROBE) {
		a->sample_regs_user = user_regs_mask();
		a->sample_stack_user = lv->opt.stack_user;
		a->exclude_callchain_user = 1;  /* the user part is unwound */
	}
	if (s->sideband) {
		a->task = 1;
		a->comm = 1;
		a->comm_exec = 1;
		a->mmap = 1;
		a->context_switch = 1;
	}
	if (s->cpu_switches)
		a->context_switch = 1;
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

/*
 * Busy tasks outside the target share cores too: with a per-CPU switch
 * event they count; without one (permissions) the HT view is the target's
 * own tasks, and a note says so.
 */
static void cpu_switches(struct live *lv, const struct nl_ev_options *o, struct nl_ev_plan *plan)
{
	/* counting only (like perf stat) wants no switch stream */
	int e = lv->topo && lv->topo->nr_cpus && !lv->opt.counters_only
		? events__add_cpu_switches(o, probe, lv, plan) : -ENODEV;

	lv->cpu_switches = !e;
	lv->self_pid = getpid();
	if (e && e != -ENODEV && plan->nr_notes < NL_EV_MAX)
		snprintf(plan->notes[plan->nr_notes++], sizeof(plan->notes[0]),
			 "HT contention: system-wide context switches: %s - busy tasks outside the "
			 "target are not seen (the target's own switches are used); run as root or "
			 "set kernel.perf_event_paranoid<=0", strerror(-e));
}

/*
 * HT contention's IPC cost: the cycles/instructions group (events.h) where
 * a core PMU exists; a group the kernel refuses is one note, never fatal.
 */
static void ipc_group(struct live *lv, const struct nl_ev_options *o, struct nl_ev_plan *plan)
{
	int e;

	if (lv->opt.counters_only || !lv->topo || lv->base.info.cpu_pmu != NL_PMU_PRESENT)
		return;
	e = events__add_ipc_group(o, probe, lv, plan);
	if (!e && plan->ev[plan->nr - 1].no_inherit)
		lv->probes_per_task = true;     /* opened on each new task at its FORK */
	if (e && plan->nr_notes < NL_EV_MAX)
		snprintf(plan->notes[plan->nr_notes++], sizeof(plan->notes[0]),
			 "HT contention: cycles/instructions group: %s - the IPC cost of sharing a "
			 "core is not measured; run as root or set kernel.perf_event_paranoid<=1",
			 strerror(-e));
}

/* Appends one planned event (spec) to lv's events.  0 or -ENOMEM. */
static int add_event(struct live *lv, const struct nl_ev_spec *spec)
{
	struct perf_event_layout layout;
	int i = lv->nr_events;

	lv->ev[i].spec = *spec;
	attr_of(lv, spec, &lv->ev[i].attr);
	events__describe(spec, &lv->desc[i]);
	lv->desc[i].attr_size = sizeof(lv->ev[i].attr);
	perf_layout__from_attr(&layout, &lv->ev[i].attr, sizeof(lv->ev[i].attr));
	if (perf_event_set__add(&lv->set, &layout) < 0)
		return -ENOMEM;
	lv->nr_events++;
	return 0;
}

/*
 * Allocation tracking (allocprobe.h): the syscall tracepoints where tracefs
 * has them and numalens may open them, else uprobes on the target's libc;
 * when neither can be had, one note says why and the profile goes on
 * without them.  -ENOMEM only.
 */
static int plan_alloc_probes(struct live *lv)
{
	struct nl_allocprobe_options o = { .malloc_family = lv->opt.alloc_malloc,
					   .min_size = lv->opt.alloc_min,
					   .no_syscalls = lv->opt.alloc_uprobes,
					   .tracefs = "/sys/kernel/tracing" };
	struct nl_allocprobe_set *set = &lv->probes;
	int pid = launch_mode(lv) ? 0 : lv->opt.pid ? lv->opt.pid : lv->opt.tid;
	char *note = lv->nr_notes < NL_EV_MAX ? lv->notes[lv->nr_notes] : NULL;
	char scratch[200];
	int e;

	allocdec__init(&lv->adec, o.min_size);
again:
	if (allocprobe__plan(lv->sys, pid, "/sys", &o, set, note ? note : scratch,
			     sizeof(scratch))) {
		lv->nr_notes += note != NULL;
		return 0;
	}
	/* a syscall tracepoint numalens may not open (perf_event_paranoid,
	   no CAP_PERFMON): the uprobes instead */
	if (set->syscalls && probe(&set->spec[0], lv)) {
		allocprobe__remove(lv->sys, set);
		o.no_syscalls = true;
		goto again;
	}
	/* Per task, never on every CPU: a probe without a task is installed in
	   every process on the machine that maps libc (seconds, and a copied
	   page of libc in each).  Each open registers a uprobe consumer, which
	   waits for an RCU grace period: only the first spec is tried here. */
	for (int i = 0; i < set->nr && i < 1 && !set->tracefs[0] && !set->syscalls; i++) {
		/* (probes defined in tracefs: numalens is root, no trial needed) */
		if ((e = probe(&set->spec[i], lv))) {
			snprintf(note ? note : scratch, sizeof(scratch),
				 "allocation sites off: uprobe on %.80s: %s - %s", set->libc,
				 strerror(-e), e == -EACCES || e == -EPERM ?
				 "run as root (the uprobe PMU needs CAP_PERFMON)" :
				 "use --alloc-sites=none");
			lv->nr_notes += note != NULL;
			return 0;
		}
	}
	/* the malloc family off beside the syscall tracepoints: said, not fatal */
	if (note && note[0])
		lv->nr_notes++;
	if (set->mounted && lv->nr_notes < NL_EV_MAX)
		snprintf(lv->notes[lv->nr_notes++], sizeof(lv->notes[0]),
			 "allocation tracking: mounted tracefs at %s for its %s (left mounted)",
			 o.tracefs, set->syscalls ? "syscall tracepoints" : "uprobe events");
	for (int i = 0; i < set->nr && lv->nr_events < NL_EV_MAX; i++) {
		if (add_event(lv, &set->spec[i]))
			return -ENOMEM;
		lv->probes_per_task |= set->spec[i].type != PERF_TYPE_TRACEPOINT;
		allocdec__bind(&lv->adec, (uint32_t)lv->nr_events - 1, set->spec[i].name);
	}
	return 0;
}

/*
 * The node of each new page as it lands (faultnode.h), where tracefs has
 * the two tracepoints and numalens may open them; else one note, and the
 * nodes come from move_pages alone.  -ENOMEM only.
 */
static int plan_fault_nodes(struct live *lv)
{
	static const char tracefs[] = "/sys/kernel/tracing";
	char *note = lv->nr_notes < NL_EV_MAX ? lv->notes[lv->nr_notes] : NULL;
	char scratch[200];
	struct nl_ev_spec spec[2];
	bool mounted = false;
	int e = -ENOSPC;

	if (!note)
		note = scratch;
	/* Two more records per fault beside samples that each copy the user
	   stack overflow the rings (symbols_end_to_end lost samples so): with
	   --call-graph dwarf the landing is asked for by name only. */
	if (lv->opt.stack_user && !lv->opt.page_landing) {
		snprintf(note, sizeof(scratch), "page nodes as pages land: off with --call-graph dwarf "
			 "(its stack copies and the landing's records overflow the rings) - "
			 "--page-landing turns it on");
		lv->nr_notes += note != scratch;
		return 0;
	}
	if (lv->nr_events + 2 > NL_EV_MAX)
		goto off;
	e = -ENODEV;
	if (!lv->topo || !lv->topo->memory_block_size)
		goto off;
	if (!allocprobe__tracefs_ready(lv->sys, tracefs, "events/kmem/mm_page_alloc/id",
				       O_RDONLY, &mounted))
		e = geteuid() == 0 ? -ENOENT : -EACCES;
	else if (!(e = faultnode__plan(lv->sys, tracefs, &lv->fnode, spec)) &&
		 !(e = probe(&spec[0], lv)))
		e = probe(&spec[1], lv);
	if (e)
		goto off;
	if (mounted)
		snprintf(note, sizeof(scratch), "page nodes: mounted tracefs at %s for the "
			 "exceptions:page_fault_user and kmem:mm_page_alloc tracepoints (left mounted)",
			 tracefs);
	lv->nr_notes += mounted && note != scratch;
	for (int i = 0; i < 2; i++) {
		if (add_event(lv, &spec[i]))
			return -ENOMEM;
		faultnode__bind(&lv->fnode, (uint32_t)lv->nr_events - 1, spec[i].name);
	}
	return 0;
off:
	/* cut to the note's size if need be (its return value used: gcc's
	   -Wformat-truncation then does not stop a Debug build) */
	if (snprintf(note, sizeof(scratch), "page nodes as pages land: off (%.30s: %.30s) - %.45s; "
		 "move_pages only: pages of processes that exit first stay unknown",
		 e == -ENODEV ? "no memory-block map" : e == -ENOSPC ? "no event slot" :
		 "page_fault_user/mm_page_alloc", strerror(-e),
		 e == -EACCES || e == -EPERM ? "run as root" :
		 e == -ENOENT ? "mount tracefs at /sys/kernel/tracing" :
		 e == -ENOSPC ? "use --alloc-sites=mmap to leave it a slot" : "nothing to do") < 0)
		note[0] = '\0';
	lv->nr_notes += note != scratch;
	return 0;
}

int live_attach__plan_events(struct live *lv, struct nl_error *err)
{
	struct nl_ev_options o = {
		.sys = lv->sys, .sysfs = "/sys", .cpuinfo = "/proc/cpuinfo",
		.freq = lv->opt.freq, .period = lv->opt.period, .ldlat = lv->opt.ldlat,
		.exclude_kernel = events__exclude_kernel(lv->sys),
	};
	struct nl_ev_plan plan;
	int e;

	faultnode__init(&lv->fnode, lv->topo);
	e = lv->opt.counters_only ? events__plan_sideband(&o, probe, lv, &plan) :
		events__plan(&o, probe, lv, &plan);

	if (e == -EACCES || e == -EPERM)
		return live__fail(err, e, "set kernel.perf_event_paranoid<=1 or run as root",
			    "perf_event_open");
	if (e)
		return live__fail(err, e, "this kernel lacks perf events (CONFIG_PERF_EVENTS)",
			    "perf_event_open");
	cpu_switches(lv, &o, &plan);
	ipc_group(lv, &o, &plan);
	lv->nr_events = 0;
	for (int i = 0; i < plan.nr; i++) {
		bool ipc = plan.ev[i].kind == NL_EV_IPC_CYCLES ||
			   plan.ev[i].kind == NL_EV_IPC_INSTRUCTIONS;

		/* Frame-pointer stacks come with the sample; unwinding is the reader's. */
		if (lv->opt.callchain && !ipc)
			plan.ev[i].sample_type |= PERF_SAMPLE_CALLCHAIN;
		if (lv->opt.stack_user && user_regs_mask() && !ipc)
			plan.ev[i].sample_type |= PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
						  PERF_SAMPLE_STACK_USER;
		if (add_event(lv, &plan.ev[i]))
			return live__fail(err, -ENOMEM, NULL, "numalens");
	}
	lv->nr_notes = plan.nr_notes;
	memcpy(lv->notes, plan.notes, sizeof(lv->notes));
	if (!lv->opt.counters_only && !lv->opt.no_alloc_sites && plan_alloc_probes(lv))
		return live__fail(err, -ENOMEM, NULL, "numalens");
	if (!lv->opt.counters_only && !lv->opt.no_page_landing && plan_fault_nodes(lv))
		return live__fail(err, -ENOMEM, NULL, "numalens");
	perf_event_set__finish(&lv->set);
	lv->base.info.nr_events = (uint32_t)lv->nr_events;
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
	if (e->spec.kind == NL_EV_ALLOC_PROBE) {
		if (array__reserve((void **)&lv->probe_fds, &lv->cap_probe_fds,
				   lv->nr_probe_fds + 1, sizeof(uint32_t))) {
			lv->sys->close(fd);
			return -ENOMEM;
		}
		lv->probe_fds[lv->nr_probe_fds++] = lv->nr_fds;
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
	/* a group member follows its leader, opened just before for every CPU */
	int group = lv->ev[event].spec.group_member && lv->nr_fds >= (uint32_t)lv->rs.nr
		    ? lv->fds[lv->nr_fds - (uint32_t)lv->rs.nr] : -1;
	int fd = lv->sys->perf_event_open(&lv->ev[event].attr, pid, lv->rs.cpus[i], group,
					  PERF_FLAG_FD_CLOEXEC);
	const char *filter;
	int err;

	if (fd < 0)
		return fd;
	err = lv->sys->ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, (unsigned long)lv->rs.rings[i].fd);
	if (err) {
		lv->sys->close(fd);
		return err;
	}
	filter = faultnode__filter(&lv->fnode, (uint32_t)event);
	/* refused on some kernels (no filter support): the reader checks anyway */
	if (filter && lv->sys->ioctl(fd, PERF_EVENT_IOC_SET_FILTER, (unsigned long)filter))
		lv->fnode.filters_refused++;
	return add_fd(lv, fd, event, owner_tid);
}

/* Last opened first: a group member (opened after its leader) enabled
   while its leader is still off does not count yet, so the group starts
   counting at once when the leader is enabled - the IPC group's cycles and
   instructions cover the same time, even when the ioctls are far apart. */
static void enable_from(struct live *lv, uint32_t first)
{
	for (uint32_t i = lv->nr_fds; i-- > first;)
		lv->sys->ioctl(lv->fds[i], PERF_EVENT_IOC_ENABLE, 0);
}

/* --- attaching ------------------------------------------------------------- */

int live_attach__open_rings(struct live *lv, struct nl_error *err)
{
	/* The ring owners sample nothing: no user stack (it needs a size). */
	uint64_t type = lv->ev[0].attr.sample_type &
			~(uint64_t)(PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER);
	int cpu, e = ringset__open(&lv->rs, lv->sys, lv->opt.ring_pages, type,
				   lv->ev[0].attr.exclude_kernel, &cpu);

	if (e == -EPERM || e == -ENOMEM)
		return live__fail(err, e, "raise kernel.perf_event_mlock_kb or run as root",
			    "perf ring buffer on cpu %d", cpu);
	if (e)
		return live__fail(err, e, NULL, "perf ring buffer on cpu %d", cpu);
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

static bool ipc_event(const struct live_event *e)
{
	return e->spec.kind == NL_EV_IPC_CYCLES || e->spec.kind == NL_EV_IPC_INSTRUCTIONS;
}

/*
 * The IPC group could not be opened on a task: never fatal (the task's
 * windows go unmeasured, counted in source counter ipc.open_errors); its
 * member is not tried without its leader.
 */
static void ipc_failed(struct live *lv)
{
	nl_source__set_counter(&lv->base.stats, "ipc.open_errors", (int64_t)++lv->ipc_open_errors);
}

/* Opens every per-task event of t on every CPU.  0 (also when t is gone) or -errno. */
static int open_task(struct live *lv, struct nl_task *t)
{
	uint32_t first = lv->nr_fds;
	bool skip_ipc = false;

	for (int e = 0; e < lv->nr_events; e++) {
		if (lv->ev[e].spec.cpu_wide || (skip_ipc && ipc_event(&lv->ev[e])))
			continue;
		for (int i = 0; i < lv->rs.nr; i++) {
			int err = open_one(lv, e, t->tid, i, t->tid);

			if (err == -ESRCH) {
				proctree__exit(lv->tree, t->tid);
				return 0;
			}
			if (err && err != -ENOMEM && ipc_event(&lv->ev[e])) {
				ipc_failed(lv);
				skip_ipc = true;
				break;
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
		return live__fail(err, e, "raise the open-file limit with 'ulimit -n'", "open files");
	if (e == -EACCES || e == -EPERM)
		return live__fail(err, e, "profile a process you own, or run as root", "pid %d",
			    t->pid);
	return live__fail(err, e, NULL, "perf_event_open on tid %d", t->tid);
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
int live_attach__open_pending(struct live *lv, struct nl_error *err)
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
		return live__fail(err, e, lv->opt.tid ? "check the thread id with 'ps -eLf'" :
			    "check the PID with 'ps -p PID'", "%s %d", lv->opt.tid ? "tid" : "pid",
			    lv->opt.tid ? lv->opt.tid : lv->opt.pid);
	if (e && e != -ESRCH)
		return live__fail(err, e, NULL, "/proc/%d", lv->opt.tid ? lv->opt.tid : lv->opt.pid);
	return added;
}

/*
 * Scan, open, and scan again until no task appears that the kernel does
 * not already follow (a FORK record in a ring says it does).
 */
int live_attach__tree(struct live *lv, struct nl_error *err)
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
		if ((e = live_attach__open_pending(lv, err)))
			return e;
		if (lv->opt.tid)
			break;
	}
	return 0;
}

int live_attach__open_probes(struct live *lv, const struct nl_task *t)
{
	uint32_t first = lv->nr_fds;
	bool skip_ipc = false;
	int err = 0;

	for (int e = 0; e < lv->nr_events && !err; e++) {
		/* allocation uprobes and a group the kernel refuses inherited */
		if (lv->ev[e].spec.cpu_wide || lv->ev[e].attr.inherit ||
		    (skip_ipc && ipc_event(&lv->ev[e])))
			continue;
		for (int i = 0; i < lv->rs.nr && !err; i++)
			err = open_one(lv, e, t->tid, i, t->owner);
		if (err && err != -ENOMEM && err != -ESRCH && ipc_event(&lv->ev[e])) {
			ipc_failed(lv);
			skip_ipc = true;
			err = 0;
		}
	}
	enable_from(lv, first);
	return err;
}

struct closer {
	const struct nl_sys *sys;
	int *fds;
	const uint32_t *idx;
	uint32_t n;
};

static void *close_slice(void *arg)
{
	struct closer *c = arg;

	for (uint32_t i = 0; i < c->n; i++) {
		c->sys->close(c->fds[c->idx[i]]);
		c->fds[c->idx[i]] = -1;
	}
	return NULL;
}

/*
 * Closing a uprobe event waits for an RCU grace period (~0.1 s here, the
 * kernel's uprobe_unregister_sync): one after the other, 90 tasks x 5
 * probes x 64 CPUs would take an hour.  Closers in parallel share grace
 * periods.
 */
void live_attach__close_probes(struct live *lv)
{
	enum { CLOSERS = 64 };
	pthread_t th[CLOSERS];
	struct closer c[CLOSERS];
	bool started[CLOSERS] = { false };
	uint32_t n = lv->nr_probe_fds, nt = n < CLOSERS ? n : CLOSERS, at = 0;

	for (uint32_t k = 0; k < nt; k++) {
		uint32_t len = n / nt + (k < n % nt);

		c[k] = (struct closer){ lv->sys, lv->fds, lv->probe_fds + at, len };
		at += len;
		started[k] = !pthread_create(&th[k], NULL, close_slice, &c[k]);
		if (!started[k])
			close_slice(&c[k]);
	}
	for (uint32_t k = 0; k < nt; k++)
		if (started[k])
			pthread_join(th[k], NULL);
	lv->nr_probe_fds = 0;
}

int live_attach__open_cpu_wide(struct live *lv, struct nl_error *err)
{
	for (int e = 0; e < lv->nr_events; e++) {
		uint32_t first = lv->nr_fds;

		if (!lv->ev[e].spec.cpu_wide)
			continue;
		for (int i = 0; i < lv->rs.nr; i++) {
			int r = open_one(lv, e, -1, i, -1);

			if (r)
				return live__fail(err, r, "run as root or set kernel.perf_event_paranoid<=0",
					    "%s", lv->ev[e].spec.name);
		}
		enable_from(lv, first);
	}
	return 0;
}
