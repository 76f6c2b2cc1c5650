/*
 * unwind.c - user stacks through libdw's CFI unwinder.  See unwind.h.
 *
 * Lifecycle of one struct proc (one image's Dwfl: the processes forked
 * from one exec'd process share its code layout, addrspace__image, so 90
 * DataLoader workers are one Dwfl, not 90 that push each other out):
 *   1. created at the first stack of the image: an empty Dwfl, not attached;
 *   2. each pc of an unwind whose DSO is not yet in the Dwfl gets it
 *      reported (dwfl_report_begin_add .. dwfl_report_end), at the bias
 *      that maps its ELF addresses to the run-time ones; a mapping that
 *      cannot be reported is remembered (refused) and not retried;
 *   3. after the first module, dwfl_attach_state with the callbacks below
 *      (the Dwfl's architecture comes from that module);
 *   4. a pc whose module names another DSO, or the same at another bias,
 *      than the sample's address space has there (exec, munmap + mmap, a
 *      process of the image that mapped otherwise) drops the Dwfl: it is
 *      rebuilt from 1;
 *   5. dropped for the LRU bound, or at unwind__free: dwfl_end closes its
 *      files.
 * The sample being unwound is u->cur; libdw reads its registers through
 * set_initial_registers and its stack through memory_read, both callbacks
 * of the one Dwfl_Thread_Callbacks table.
 */
#include "profiler/unwind.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "profiler/addrspace.h"
#include "profiler/symbols.h"
#include "samplers/base/map.h"

enum arch { ARCH_NONE, ARCH_X86_64, ARCH_AARCH64 };

struct proc {
	int pid;                /* the image (addrspace__image) */
	Dwfl *dwfl;             /* NULL: free slot */
	bool attached;
	uint64_t used;          /* tick of the last unwind */
};

struct nl_unwinder {
	struct nl_symbols *syms;
	struct nl_addrspaces *as;
	enum arch arch;
	struct proc procs[UNWIND_MAX_PROCS];
	struct nl_map by_pid;           /* image pid -> procs index */
	struct nl_map refused;          /* (image pid, mapping start) -> 1 */
	struct nl_map own;              /* pid -> 1: mapped otherwise than its
					   image, so unwound in a Dwfl of its own */
	uint64_t tick;
	/* the unwind in progress */
	const struct nl_sample *cur;
	struct proc *cur_proc;
	uint64_t sp;                    /* user stack pointer of cur */
	uint64_t *ips;
	uint32_t n, max;
	nl_unwind_enough_fn enough;     /* NULL: to max */
	void *enough_ctx;
	bool stale;                     /* step 4: drop cur_proc afterwards */
	struct nl_unwind_stats stats;
};

/* --- registers ------------------------------------------------------------ */

/* perf_regs index of the pc and sp (arch/x86/include/uapi/asm/perf_regs.h,
   arch/arm64/include/uapi/asm/perf_regs.h). */
#define X86_PERF_IP 8
#define X86_PERF_SP 7
#define ARM64_PERF_SP 31
#define ARM64_PERF_PC 32

/* x86_64 DWARF register n (rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip) in
   perf_regs numbering. */
static const int x86_dwarf_to_perf[17] = { 0, 3, 2, 1, 4, 5, 6, 7, 16, 17, 18, 19,
					   20, 21, 22, 23, 8 };

/* OUT *v: perf register idx of s, if the sample carries it. */
static bool reg(const struct nl_sample *s, int idx, uint64_t *v)
{
	uint64_t below;

	if (idx > 63 || !(s->regs_mask >> idx & 1))
		return false;
	below = (uint64_t)__builtin_popcountll(s->regs_mask & ((1ull << idx) - 1));
	memcpy(v, (const uint8_t *)s->regs_user + below * 8, 8);
	return true;
}

static bool pc_sp(const struct nl_unwinder *u, const struct nl_sample *s, uint64_t *pc,
		  uint64_t *sp)
{
	if (u->arch == ARCH_X86_64)
		return reg(s, X86_PERF_IP, pc) && reg(s, X86_PERF_SP, sp);
	if (u->arch == ARCH_AARCH64)
		return reg(s, ARM64_PERF_PC, pc) && reg(s, ARM64_PERF_SP, sp);
	return false;
}

/* --- callbacks ------------------------------------------------------------ */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	(void)dwfl; (void)arg; (void)thread_arg;
	return 0;       /* threads are named by dwfl_getthread_frames only */
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	(void)dwfl; (void)tid;
	*thread_arg = arg;
	return true;
}

/* Only the copied stack is readable: the target itself may be gone. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct nl_unwinder *u = arg;

	(void)dwfl;
	if (addr < u->sp || addr - u->sp > u->cur->stack_size ||
	    u->cur->stack_size - (addr - u->sp) < 8)
		return false;
	memcpy(result, (const uint8_t *)u->cur->stack_user + (addr - u->sp), 8);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct nl_unwinder *u = arg;
	const struct nl_sample *s = u->cur;
	uint64_t v;

	if (u->arch == ARCH_X86_64) {
		for (int d = 0; d < 17; d++)
			if (reg(s, x86_dwarf_to_perf[d], &v) &&
			    !dwfl_thread_state_registers(thread, d, 1, &v))
				return false;
		return true;
	}
	/* aarch64: x0..x30 and sp are DWARF 0..31 as in perf_regs; pc apart. */
	for (int d = 0; d <= ARM64_PERF_SP; d++)
		if (reg(s, d, &v) && !dwfl_thread_state_registers(thread, d, 1, &v))
			return false;
	if (!reg(s, ARM64_PERF_PC, &v))
		return false;
	dwfl_thread_state_register_pc(thread, v);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* No separate debug files: .eh_frame in the file itself is what unwinds. */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name;
	(void)debuglink_file; (void)debuglink_crc; (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = no_debuginfo,
};

/* --- processes -------------------------------------------------------------- */

struct nl_unwinder *unwind__new(struct nl_symbols *syms, struct nl_addrspaces *as,
				const char *arch)
{
	struct nl_unwinder *u = calloc(1, sizeof(*u));
	struct utsname un;

	if (!u)
		return NULL;
	u->syms = syms;
	u->as = as;
	if ((!arch || !arch[0]) && !uname(&un))
		arch = un.machine;
	if (arch && !strcmp(arch, "x86_64"))
		u->arch = ARCH_X86_64;
	else if (arch && !strcmp(arch, "aarch64"))
		u->arch = ARCH_AARCH64;
	return u;
}

static void drop(struct nl_unwinder *u, struct proc *p)
{
	map__del(&u->by_pid, 0, (uint64_t)(uint32_t)p->pid);
	dwfl_end(p->dwfl);
	memset(p, 0, sizeof(*p));
}

void unwind__free(struct nl_unwinder *u)
{
	if (!u)
		return;
	for (int i = 0; i < UNWIND_MAX_PROCS; i++)
		if (u->procs[i].dwfl)
			dwfl_end(u->procs[i].dwfl);
	map__free(&u->by_pid);
	map__free(&u->refused);
	map__free(&u->own);
	free(u);
}

void unwind__stats(const struct nl_unwinder *u, struct nl_unwind_stats *out)
{
	*out = u->stats;
	out->arch_unsupported = u->arch == ARCH_NONE;
}

static struct proc *proc_of(struct nl_unwinder *u, int pid)
{
	struct proc *p = NULL;
	uint64_t v;

	if (map__get(&u->by_pid, 0, (uint64_t)(uint32_t)pid, &v))
		return &u->procs[v];
	for (int i = 0; i < UNWIND_MAX_PROCS; i++) {
		if (!u->procs[i].dwfl) {
			p = &u->procs[i];
			break;
		}
		if (!p || u->procs[i].used < p->used)
			p = &u->procs[i];
	}
	if (p->dwfl) {
		drop(u, p);
		u->stats.processes_dropped++;
	}
	p->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!p->dwfl)
		return NULL;
	u->stats.dwfls++;
	if (map__put(&u->by_pid, 0, (uint64_t)(uint32_t)pid, (uint64_t)(p - u->procs))) {
		dwfl_end(p->dwfl);
		p->dwfl = NULL;
		return NULL;
	}
	p->pid = pid;
	return p;
}

/*
 * Makes sure the DSO holding pc is in p's Dwfl.  Returns 1 when it is, 0
 * when pc is in no usable file mapping, -1 when the Dwfl no longer matches
 * the address space (step 4).
 */
static int ensure_module(struct nl_unwinder *u, struct proc *p, uint64_t pc)
{
	struct nl_code_mapping m;
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, pc);
	void **userdata;
	const char *path;
	Dwarf_Addr bias;
	uint64_t vaddr;
	bool known;
	int fd;

	if (!addrspace__code_mapping(u->as, u->cur->pid, pc, &m))
		return mod ? 1 : 0;     /* known before, its mapping not seen (yet) */
	if (mod) {
		/* the image's Dwfl may hold another process' mapping here: the
		   same DSO at the same bias, else it no longer fits */
		dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
		if ((uintptr_t)*userdata != m.dso)
			return -1;
		known = symbols__elf_vaddr(u->syms, m.dso, pc - m.start + m.pgoff, &vaddr);
		return !known || (dwfl_module_getelf(mod, &bias) && bias == pc - vaddr) ? 1 : -1;
	}
	if (map__get(&u->refused, (uint64_t)(uint32_t)p->pid, m.start, NULL))
		return 0;
	fd = symbols__open_for_unwind(u->syms, m.dso, &path);  /* loads its headers */
	known = fd >= 0 && symbols__elf_vaddr(u->syms, m.dso, pc - m.start + m.pgoff, &vaddr);
	if (known) {
		/* base = bias: run-time address minus ELF address. */
		dwfl_report_begin_add(p->dwfl);
		mod = dwfl_report_elf(p->dwfl, path, path, fd, pc - vaddr, true);
		dwfl_report_end(p->dwfl, NULL, NULL);
		if (!mod)
			close(fd);      /* still ours when the report failed */
	} else if (fd >= 0) {
		close(fd);
	}
	if (!mod) {
		u->stats.dsos_refused++;
		map__put(&u->refused, (uint64_t)(uint32_t)p->pid, m.start, 1);
		return 0;
	}
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = (void *)(uintptr_t)m.dso;
	if (!p->attached)
		p->attached = dwfl_attach_state(p->dwfl, NULL, p->pid, &thread_callbacks, u);
	return p->attached ? 1 : 0;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct nl_unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;
	int r;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	/* The first frame is ips[0] already.  A later activation (a signal
	   frame) holds the exact pc: +1, so the caller's "ip - 1" finds it. */
	if (u->n == 1 && pc == u->ips[0])
		return DWARF_CB_OK;
	if (u->n >= u->max)
		return DWARF_CB_ABORT;
	u->ips[u->n++] = activation ? pc + 1 : pc;
	r = ensure_module(u, u->cur_proc, activation ? pc : pc - 1);
	if (r < 0)
		u->stale = true;
	if (r <= 0) {
		u->stats.stopped_unmapped += r == 0;
		return DWARF_CB_ABORT;
	}
	if (u->enough && u->enough(u->enough_ctx, u->ips, u->n))
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

bool unwind__pc_known(struct nl_unwinder *u, const struct nl_sample *s)
{
	uint64_t pc, sp;

	if (!(s->valid & NL_SAMPLE_USER_STACK) || !pc_sp(u, s, &pc, &sp) || s->pid <= 0)
		return true;
	return addrspace__data_mapping(u->as, s->pid, pc) != 0;
}

/* One walk of s in p's Dwfl.  False when the Dwfl did not fit s's
   mappings (step 4): the frames so far are kept, the caller decides. */
static bool walk(struct nl_unwinder *u, const struct nl_sample *s, struct proc *p, uint64_t pc,
		 uint64_t sp, uint64_t *ips, uint32_t max)
{
	int r;

	p->used = ++u->tick;
	u->cur = s;
	u->cur_proc = p;
	u->sp = sp;
	u->ips = ips;
	u->n = 1;
	u->max = max;
	u->stale = false;
	r = ensure_module(u, p, pc);
	if (r > 0)
		dwfl_getthread_frames(p->dwfl, s->tid > 0 ? s->tid : s->pid, on_frame, u);
	u->cur = NULL;
	return r >= 0 && !u->stale;
}

uint32_t unwind__user(struct nl_unwinder *u, const struct nl_sample *s, uint64_t *ips,
		      uint32_t max)
{
	return unwind__user_until(u, s, ips, max, NULL, NULL);
}

uint32_t unwind__user_until(struct nl_unwinder *u, const struct nl_sample *s, uint64_t *ips,
			    uint32_t max, nl_unwind_enough_fn enough, void *ctx)
{
	uint64_t pc, sp, pid = (uint64_t)(uint32_t)s->pid;
	struct proc *p = NULL;
	int key = 0;

	if (!max || !(s->valid & NL_SAMPLE_USER_STACK) || !pc_sp(u, s, &pc, &sp))
		return 0;
	ips[0] = pc;
	u->stats.stacks++;
	u->enough = enough;
	u->enough_ctx = ctx;
	if (s->pid > 0) {
		key = addrspace__image(u->as, s->pid);
		if (key != s->pid && map__get(&u->own, 0, pid, NULL))
			key = s->pid;
		p = proc_of(u, key);
	}
	if (!p) {
		u->stats.single_frame++;
		u->stats.frames++;
		return 1;
	}
	if (!walk(u, s, p, pc, sp, ips, max)) {
		if (key != s->pid && !map__put(&u->own, 0, pid, 1)) {
			/* s mapped code otherwise than its image, whose Dwfl still
			   fits the others: s's process gets one of its own */
			u->stats.own_layout++;
			p = proc_of(u, s->pid);
			if (p && !walk(u, s, p, pc, sp, ips, max))
				drop(u, p);
		} else {
			drop(u, p);
		}
	}
	u->stats.frames += u->n;
	u->stats.single_frame += u->n == 1;
	return u->n;
}
