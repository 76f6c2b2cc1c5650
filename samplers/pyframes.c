/*
 * pyframes.c - Python frame chains read from running CPython processes.
 * See pyframes.h for the lifecycle.
 *
 * Per process (struct proc): its runtime (pyruntime.h), tid -> PyThreadState
 * address (checked at each use against native_thread_id, the list walked
 * again when stale), code address -> decoded code (struct code).  A code
 * object is re-validated at each use by its name, file and line-table
 * pointers (one small read), so a freed and reused address is decoded anew.
 * Strings are interned once for the profile; a frame id is the interned
 * (function, file, line).  Memory reads, interning and code objects are in
 * pyframes_code.c, the state both share in pyframes_internal.h.
 */
#include "samplers/pyframes_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/diag.h"
#include "samplers/base/map.h"
#include "samplers/base/sys.h"
#include "samplers/pylayout.h"
#include "samplers/pyruntime.h"


struct nl_pyframes *pyframes__new(const struct nl_sys *sys)
{
	struct nl_pyframes *p = calloc(1, sizeof(*p));

	if (p)
		p->sys = sys ? sys : sys__default();
	return p;
}

static void proc_free(struct proc *pr)
{
	if (!pr)
		return;
	for (size_t i = 0; i < pr->nr_code; i++) {
		free(pr->code[i].range_end);
		free(pr->code[i].range_line);
	}
	free(pr->code);
	map__free(&pr->codes);
	map__free(&pr->tstates);
	free(pr);
}

void pyframes__free(struct nl_pyframes *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_proc; i++)
		proc_free(p->proc[i]);
	free(p->proc);
	for (size_t i = 0; i < p->nr_str; i++)
		free(p->str[i]);
	free(p->str);
	free(p->frame);
	free(p->burst);
	free(p->fbuf);
	for (size_t i = 0; i < p->nr_history; i++)
		free(p->history[i].look);
	free(p->history);
	for (size_t i = 0; i < p->nr_kept; i++)
		free(p->kept[i].frames);
	free(p->kept);
	free(p->lbuf);
	map__free(&p->histories);
	map__free(&p->kept_ids);
	free(p->stacks);
	map__free(&p->procs);
	map__free(&p->execs);
	map__free(&p->strings);
	map__free(&p->frame_ids);
	map__free(&p->bursts);
	free(p);
}

/* --- processes and threads ------------------------------------------------------- */

static void note_status(struct nl_pyframes *p, const struct proc *pr)
{
	const char *f = pr->rt.file;

	if (p->quiet)
		return;
	switch (pr->status) {
	case -ENOENT:
		p->st.not_python++;
		break;
	case -ENOEXEC:
		p->st.other_python++;
		if (!p->noted_other++)
			diag__note("pid %d: %s: not CPython (PyPy?) - its Python frames are not read; "
				   "native frames only", pr->pid, f);
		break;
	case -ENODATA:
		p->st.no_symbols++;
		if (!p->noted_nosym++)
			diag__note("pid %d: %s: no _PyRuntime/Py_Version symbols (stripped?) - Python "
				   "frames need an interpreter with its symbol table", pr->pid, f);
		break;
	case -ENOTSUP:
		p->st.unknown_version++;
		if (!p->noted_version++ && !pr->rt.version)
			diag__note("pid %d: %s: a CPython before 3.11 (no Py_Version) - Python frames are "
				   "read for CPython 3.11 to 3.13", pr->pid, f);
		else if (p->noted_version == 1)
			diag__note("pid %d: %s: Python %u.%u has no known layout - Python frames are read "
				   "for CPython 3.11 to 3.13", pr->pid, f, pr->rt.version >> 24,
				   (pr->rt.version >> 16) & 0xff);
		break;
	case -EPERM:
	case -EACCES:
		p->st.denied++;
		if (!p->noted_denied++)
			diag__note("pid %d: its memory (process_vm_readv, /proc/PID/maps): %s - no Python "
				   "frames; run numalens as root or with CAP_SYS_PTRACE, or 'sysctl "
				   "kernel.yama.ptrace_scope=0'", pr->pid, strerror(-pr->status));
		break;
	case -ESRCH:
		p->st.gone++;
		break;
	default:
		p->st.unknown_version++;
		break;
	}
}

/* The layout checked against the file's DWARF once per interpreter file (by
   its mapped name: forked workers share it), DWARF winning when they differ. */
static void check_layout(struct nl_pyframes *p, struct proc *pr)
{
	struct nl_pylayout dw;
	char dpath[600];
	int i;

	for (i = 0; i < p->nr_files; i++) {
		if (!strcmp(p->files[i].path, pr->rt.file) &&
		    p->files[i].layout.minor == pr->rt.layout.minor) {
			pr->rt.layout = p->files[i].layout;
			return;
		}
	}
	if (!pylayout__from_dwarf(pr->rt.open_path, NULL, pr->rt.layout.major, pr->rt.layout.minor,
				  &dw, dpath, sizeof(dpath)) && pr->rt.layout.minor < 13) {
		int diff = 0;

		p->st.layout_dwarf_checked++;
		for (int f = 0; f < NL_PY_FIELD_COUNT; f++) {
			if (dw.off[f] == NL_PYOFF_NONE || dw.off[f] == pr->rt.layout.off[f])
				continue;
			if (!p->noted_mismatch++)
				diag__note("%s: %s is at %u in its DWARF (%s), %u in numalens' %s table - "
					   "the DWARF offsets are used; report this CPython build",
					   pr->rt.file, pylayout__field_name(f), dw.off[f], dpath,
					   pr->rt.layout.off[f], pr->rt.layout.origin);
			pr->rt.layout.off[f] = dw.off[f];
			diff++;
		}
		if (diff) {
			p->st.layout_dwarf_mismatch++;
			pr->rt.layout.origin = "DWARF";
		}
	}
	if (p->nr_files < MAX_FILES) {
		snprintf(p->files[p->nr_files].path, sizeof(p->files[0].path), "%s", pr->rt.file);
		p->files[p->nr_files++].layout = pr->rt.layout;
	}
}

static struct proc *proc_get(struct nl_pyframes *p, int pid)
{
	uint64_t v, t0;
	struct proc *pr;

	if (map__get(&p->procs, 0, (uint32_t)pid, &v) && v)
		return p->proc[v - 1];
	pr = calloc(1, sizeof(*pr));
	if (!pr || array__reserve((void **)&p->proc, &p->cap_proc, p->nr_proc + 1, sizeof(*p->proc)) ||
	    map__put(&p->procs, 0, (uint32_t)pid, p->nr_proc + 1)) {
		free(pr);
		return NULL;
	}
	p->proc[p->nr_proc++] = pr;
	pr->pid = pid;
	p->st.processes++;
	t0 = p->sys->now_ns();
	pr->status = pyruntime__find_cached(p->sys, pid, &p->syms, &pr->rt);
	if (pr->status) {
		note_status(p, pr);
	} else {
		p->st.python++;
		check_layout(p, pr);
		if (map__find(&p->execs, 0, (uint32_t)pid)) {
			pr->exec = true;
			map__del(&p->execs, 0, (uint32_t)pid);
		}
	}
	p->st.find_ns += p->sys->now_ns() - t0;
	return pr;
}

/* The slot stays (indexes are stable); a new process of that pid starts afresh. */
static void proc_drop(struct nl_pyframes *p, int pid)
{
	uint64_t *v = map__find(&p->procs, 0, (uint32_t)pid);

	size_t i;

	if (!v || !*v)
		return;
	i = *v - 1;
	proc_free(p->proc[i]);
	map__del(&p->procs, 0, (uint32_t)pid);
	/* the last one takes the slot: a churn of processes keeps no holes */
	if (i != --p->nr_proc) {
		p->proc[i] = p->proc[p->nr_proc];
		*map__find(&p->procs, 0, (uint32_t)p->proc[i]->pid) = i + 1;
	}
}

/* A read of pr at time t found frames: the first one dates its start-up. */
static void found_frames(struct proc *pr, uint64_t t)
{
	if (pr->exec && !pr->first_frames)
		pr->first_frames = t;
}

/* Whether s, a sample of pr (NULL: not known), is of an exec'd process'
   start-up (pyframes__exec). */
static bool in_start_up(const struct proc *pr, const struct nl_sample *s)
{
	return pr && pr->exec && pr->first_frames && (s->valid & NL_SAMPLE_TIME) &&
	       s->time + NL_PY_START_NS < pr->first_frames;
}

/* pid's process if it is known (never made here). */
static struct proc *proc_find(const struct nl_pyframes *p, int pid)
{
	const uint64_t *v = map__find(&p->procs, 0, (uint32_t)pid);

	return v && *v ? p->proc[*v - 1] : NULL;
}

void pyframes__attach(struct nl_pyframes *p, int pid)
{
	uint64_t t0 = p->sys->now_ns();
	struct proc *pr;

	p->quiet = true;
	pr = proc_get(p, pid);
	p->quiet = false;
	/* not readable (yet): the first sample tries again, and says why */
	if (pr && pr->status) {
		pyframes__forget(p, pid);
		p->st.processes--;
	}
	p->st.ns += p->sys->now_ns() - t0;
}

void pyframes__mapped(struct nl_pyframes *p, int pid, const char *path)
{
	const struct proc *pr = proc_find(p, pid);
	int status = pr ? pr->status : 0;

	/* a stub executable (no symbols) may be followed by its libpython */
	if ((status == -ENOENT || status == -ENODATA) && pyruntime__candidate(path)) {
		proc_drop(p, pid);      /* an exec mark stays */
		p->st.processes--;
		if (status == -ENOENT)
			p->st.not_python--;
		else
			p->st.no_symbols--;
	}
}

void pyframes__forget(struct nl_pyframes *p, int pid)
{
	proc_drop(p, pid);
	map__del(&p->execs, 0, (uint32_t)pid);
}

void pyframes__exec(struct nl_pyframes *p, int pid)
{
	uint64_t *v;

	proc_drop(p, pid);
	if (map__add(&p->execs, 0, (uint32_t)pid, &v) >= 0)
		*v = 1;
}

/* The PyThreadState of tid: the cached one if it still names tid, else a walk. */
static int tstate_of(struct nl_pyframes *p, struct proc *pr, int tid, uint64_t *ts)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t v, interp, t, native;
	int e, n = 0;

	if (map__get(&pr->tstates, 0, (uint32_t)tid, &v) &&
	    !pyframes__read_ptr(p, pr->pid, v + l->off[NL_PY_TS_NATIVE_TID], &native) && native == (uint64_t)tid) {
		*ts = v;
		return 0;
	}
	if ((e = pyframes__read_ptr(p, pr->pid, pr->rt.runtime + l->off[NL_PY_RT_INTERP_HEAD], &interp)) ||
	    (e = pyframes__read_ptr(p, pr->pid, interp + l->off[NL_PY_IS_THREADS_HEAD], &t)))
		return e;
	*ts = 0;
	/* a list that loops (memory that lies) ends when it comes back to a
	   mark moved at each power of two steps (Brent), not at MAX_THREADS */
	for (uint64_t mark = t, lap = 1, since = 0; t && n < MAX_THREADS; n++) {
		if ((e = pyframes__read_ptr(p, pr->pid, t + l->off[NL_PY_TS_NATIVE_TID], &native)))
			return e;
		if (native && native < (1u << 31))
			map__put(&pr->tstates, 0, (uint32_t)native, t);
		if (native == (uint64_t)tid)
			*ts = t;
		if ((e = pyframes__read_ptr(p, pr->pid, t + l->off[NL_PY_TS_NEXT], &t)))
			return e;
		if (t == mark)
			break;
		if (++since == lap) {
			mark = t;
			lap *= 2;
			since = 0;
		}
	}
	return *ts ? 0 : -ENOENT;
}

/* The thread's current frame address (0: no Python code running). */
static int current_frame(struct nl_pyframes *p, struct proc *pr, uint64_t ts, uint64_t *frame)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint64_t cframe;
	int e;

	if (l->off[NL_PY_TS_CURRENT_FRAME] != NL_PYOFF_NONE)
		return pyframes__read_ptr(p, pr->pid, ts + l->off[NL_PY_TS_CURRENT_FRAME], frame);
	if ((e = pyframes__read_ptr(p, pr->pid, ts + l->off[NL_PY_TS_CFRAME], &cframe)))
		return e;
	return pyframes__read_ptr(p, pr->pid, cframe + l->off[NL_PY_CF_CURRENT_FRAME], frame);
}

/* len bytes of a frame at addr, through the walk's window (WINDOW). */
static int rd_frame(struct nl_pyframes *p, const struct proc *pr, uint64_t addr, void *buf,
		    size_t len)
{
	uint64_t hi = (addr + len + PAGE - 1) & ~(PAGE - 1), lo;
	ssize_t r;

	if (p->no_window || !addr || addr + len < addr)
		return pyframes__read(p, pr->pid, addr, buf, len);
	if (addr >= p->win_lo && addr + len <= p->win_hi) {
		memcpy(buf, p->win + (addr - p->win_lo), len);
		return 0;
	}
	/* the window below the frame (older frames), else its own pages */
	for (int k = 0; k < 2; k++) {
		lo = k == 0 && hi >= WINDOW ? hi - WINDOW : addr & ~(PAGE - 1);
		if (hi - lo > WINDOW)
			break;
		r = sys__read_memory(p->sys, pr->pid, lo, p->win, (size_t)(hi - lo));
		if (r == -EPERM || r == -EACCES)
			return (int)r;
		if (r > 0 && lo + (uint64_t)r >= addr + len) {
			p->win_lo = lo;
			p->win_hi = lo + (uint64_t)r;
			memcpy(buf, p->win + (addr - lo), len);
			return 0;
		}
	}
	return pyframes__read(p, pr->pid, addr, buf, len);
}

/*
 * Walks the frame chain from frame into p->fbuf (appending).  OUT: *nr
 * frames, *flags NL_PYS_TRUNCATED.  0, or -ENOMEM / -EPERM (the walk is
 * bounded and its other failures only truncate it).
 */
static int walk(struct nl_pyframes *p, struct proc *pr, uint64_t frame, int32_t *nr,
		uint32_t *flags)
{
	const struct nl_pylayout *l = &pr->rt.layout;
	uint16_t need = 0;
	uint8_t fb[128];
	int depth = 0, n = 0, e = 0;

	for (int f = NL_PY_FR_CODE; f <= NL_PY_FR_IS_ENTRY; f++)
		if (l->off[f] != NL_PYOFF_NONE && l->off[f] + 8 > need)
			need = (uint16_t)(l->off[f] + 8);
	if (need > sizeof(fb))
		return -EINVAL;
	*flags = 0;
	for (; frame; depth++) {
		const struct code *c;
		uint64_t code, prev, instr;
		uint8_t owner;
		uint32_t id;

		if (depth == NL_PY_MAX_DEPTH) {
			p->st.too_deep++;
			*flags |= NL_PYS_TRUNCATED;
			break;
		}
		for (int k = 0; k < depth; k++) {
			if (p->walk[k] == frame) {
				p->st.loops++;
				*flags |= NL_PYS_TRUNCATED;
				goto done;
			}
		}
		p->walk[depth] = frame;
		if ((e = rd_frame(p, pr, frame, fb, need)))
			break;
		code = pyframes__u64_at(fb, l->off[NL_PY_FR_CODE]);
		prev = pyframes__u64_at(fb, l->off[NL_PY_FR_PREVIOUS]);
		instr = pyframes__u64_at(fb, l->off[NL_PY_FR_INSTR]);
		owner = fb[l->off[NL_PY_FR_OWNER]];
		frame = prev;
		if (owner == NL_PY_OWNED_BY_CSTACK && l->minor >= 12) {
			/* the shim under an evaluator activation: its callee began one */
			if (n)
				p->fbuf[p->nr_fbuf + (size_t)n - 1].flags |= NL_PYF_ENTRY;
			continue;
		}
		c = pyframes__code_get(p, pr, code, &e);
		if (!c) {
			if (e == -ENOMEM || e == -EPERM)
				return e;
			if (e == -EINVAL && l->executable_may_not_be_code) {
				e = 0;
				continue;       /* not a code object (3.13 None executable) */
			}
			break;
		}
		id = pyframes__frame_id(p, c->function, c->file,
			      pyframes__line_of(c, instr ? (int64_t)(instr - (code + l->off[NL_PY_CO_CODE_ADAPTIVE])) / 2
					       : -1));  /* unsigned difference: a hostile instr must not overflow */
		if (id == UINT32_MAX ||
		    array__reserve((void **)&p->fbuf, &p->cap_fbuf, p->nr_fbuf + (size_t)n + 1, sizeof(*p->fbuf)))
			return -ENOMEM;
		p->fbuf[p->nr_fbuf + (size_t)n] = p->frame[id];
		if (l->off[NL_PY_FR_IS_ENTRY] != NL_PYOFF_NONE && fb[l->off[NL_PY_FR_IS_ENTRY]])
			p->fbuf[p->nr_fbuf + (size_t)n].flags |= NL_PYF_ENTRY;
		n++;
	}
	if (e) {
		if (e == -EPERM || e == -EACCES)
			return e;
		p->st.unreadable++;
		*flags |= NL_PYS_TRUNCATED;
	}
done:
	*nr = n;
	p->st.frames += (uint64_t)n;
	return 0;
}

/* One (pid, tid) read into b.  b->nr -1 when the thread runs no Python. */
static void read_thread(struct nl_pyframes *p, struct proc *pr, int tid, struct burst *b)
{
	uint64_t ts, frame, again;
	int e;

	b->nr = -1;
	b->start = (int32_t)p->nr_fbuf;
	e = tstate_of(p, pr, tid, &ts);
	if (!e)
		e = current_frame(p, pr, ts, &frame);
	if (e == -EPERM || e == -EACCES) {      /* the target's memory is closed to us */
		pr->status = e;
		note_status(p, pr);
		return;
	}
	if (e || !frame)
		return;
	p->st.reads++;
	for (int attempt = 0;; attempt++) {
		p->walk_ns = p->sys->now_ns();
		p->win_lo = p->win_hi = 0;      /* each walk sees memory as it is now */
		e = walk(p, pr, frame, &b->nr, &b->flags);
		if (e == -EPERM || e == -EACCES) {
			pr->status = e;
			note_status(p, pr);
			b->nr = -1;
			return;
		}
		if (e) {
			b->nr = -1;
			return;
		}
		/* the thread moved on while read: the chain may mix two stacks */
		if (current_frame(p, pr, ts, &again) || again == frame)
			break;
		if (attempt == NL_PY_RETRIES) {
			p->st.changed++;
			break;
		}
		p->st.retries++;
		frame = again;
		if (!frame) {
			b->nr = -1;
			return;
		}
	}
	if (b->nr == 0)
		b->nr = -1;
	else
		p->nr_fbuf += (size_t)b->nr;
}

/* The histogram bucket of a delay of us, and that bucket's upper edge. */
static int delay_bucket(uint64_t us)
{
	int k = 0;

	if (us < (uint64_t)DELAY_BUCKETS * DELAY_BUCKET_US)
		return (int)(us / DELAY_BUCKET_US);
	for (us /= 2000000; us && k < DELAY_LATE - 1; us /= 2)
		k++;
	return DELAY_BUCKETS + k;
}

static uint64_t delay_edge_us(int k)
{
	if (k < DELAY_BUCKETS)
		return (uint64_t)(k + 1) * DELAY_BUCKET_US;
	return 2000000ull << (k - DELAY_BUCKETS);
}

static void delay_add(struct nl_pyframes *p, uint64_t ns)
{
	uint64_t us = ns / 1000;

	p->delay_hist[delay_bucket(us)]++;
	p->delays++;
	if (us > p->st.delay_max_us)
		p->st.delay_max_us = us;
}

/* --- look-ahead reads ------------------------------------------------------------ */

/* The kept copy of frames[0..nr) with flags (one per distinct stack): its
   index, or -1 on -ENOMEM. */
static int32_t keep_stack(struct nl_pyframes *p, const struct nl_pyframe *f, uint32_t nr,
			  uint32_t flags)
{
	uint64_t h = map__mix64(nr ^ ((uint64_t)flags << 32)), v;
	struct kept *k;

	for (uint32_t i = 0; i < nr; i++)
		h = map__mix64(h ^ f[i].id ^ ((uint64_t)f[i].flags << 32));
	for (uint64_t probe = h; map__get(&p->kept_ids, 0, probe, &v); probe++) {
		bool same;

		k = &p->kept[v];
		same = k->hash == h && k->nr == nr && k->flags == flags;
		for (uint32_t i = 0; same && i < nr; i++)
			same = k->frames[i].id == f[i].id && k->frames[i].flags == f[i].flags;
		if (same)
			return (int32_t)v;
	}
	if (p->nr_kept >= INT32_MAX ||
	    array__reserve((void **)&p->kept, &p->cap_kept, p->nr_kept + 1, sizeof(*p->kept)))
		return -1;
	k = &p->kept[p->nr_kept];
	k->frames = malloc((nr ? nr : 1) * sizeof(*f));
	if (!k->frames)
		return -1;
	memcpy(k->frames, f, nr * sizeof(*f));
	k->nr = nr;
	k->flags = flags;
	k->hash = h;
	{
		uint64_t probe = h;

		while (map__get(&p->kept_ids, 0, probe, &v))
			probe++;
		if (map__put(&p->kept_ids, 0, probe, p->nr_kept)) {
			free(k->frames);
			return -1;
		}
	}
	return (int32_t)p->nr_kept++;
}

void pyframes__look(struct nl_pyframes *p, int pid, int tid, uint64_t now)
{
	uint64_t t0 = p->sys->now_ns(), *v;
	struct nl_pyframe *fbuf;
	size_t nr_fbuf, cap_fbuf;
	struct history *h;
	struct burst b;
	struct proc *pr;
	int r;

	if (pid <= 0 || tid <= 0)
		return;
	pr = proc_get(p, pid);
	if (!pr || pr->status)
		goto out;
	r = map__add(&p->histories, (uint32_t)pid, (uint32_t)tid, &v);
	if (r < 0)
		goto out;
	if (r == 1) {
		if (array__reserve((void **)&p->history, &p->cap_history, p->nr_history + 1,
				   sizeof(*p->history))) {
			map__del(&p->histories, (uint32_t)pid, (uint32_t)tid);
			goto out;
		}
		*v = p->nr_history;
		memset(&p->history[p->nr_history++], 0, sizeof(*p->history));
	}
	h = &p->history[*v];
	if (h->n > h->start && h->look[h->n - 1].time >= now)
		goto out;               /* looked at in this look already */
	if (h->start > 64 && h->start * 2 > h->n) {     /* the pruned half goes */
		memmove(h->look, h->look + h->start, (h->n - h->start) * sizeof(*h->look));
		h->n -= h->start;
		h->start = 0;
	}
	if (array__reserve((void **)&h->look, &h->cap, h->n + 1, sizeof(*h->look)))
		goto out;
	/* the batch's frames (p->fbuf) are in use until the next resolve: the
	   walk appends to the look buffer instead */
	fbuf = p->fbuf, nr_fbuf = p->nr_fbuf, cap_fbuf = p->cap_fbuf;
	p->fbuf = p->lbuf, p->nr_fbuf = 0, p->cap_fbuf = p->cap_lbuf;
	memset(&b, 0, sizeof(b));
	/* the read's own time, not the pass's: a pass of many threads takes a while */
	h->look[h->n].time = p->sys->now_ns();
	read_thread(p, pr, tid, &b);
	h->look[h->n].kept = b.nr < 0 ? -1 : keep_stack(p, p->fbuf, (uint32_t)b.nr, b.flags);
	if (b.nr > 0)
		found_frames(pr, h->look[h->n].time);
	if (b.nr < 0 || h->look[h->n].kept >= 0)
		h->n++;
	p->lbuf = p->fbuf, p->cap_lbuf = p->cap_fbuf;
	p->fbuf = fbuf, p->nr_fbuf = nr_fbuf, p->cap_fbuf = cap_fbuf;
	p->st.looks++;
out:
	p->st.ns += p->sys->now_ns() - t0;
}

void pyframes__prune(struct nl_pyframes *p, uint64_t before)
{
	for (size_t i = 0; i < p->nr_history; i++) {
		struct history *h = &p->history[i];

		while (h->start < h->n && h->look[h->start].time < before)
			h->start++;
	}
}

/* The first look at (pid, tid) at or after time t, NULL none. */
static const struct look *look_after(const struct nl_pyframes *p, int pid, int tid, uint64_t t)
{
	uint64_t v;
	const struct history *h;
	size_t lo, hi;

	if (!p->nr_history || !map__get(&p->histories, (uint32_t)pid, (uint32_t)tid, &v))
		return NULL;
	h = &p->history[v];
	lo = h->start, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->look[mid].time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n ? &h->look[lo] : NULL;
}

void pyframes__resolve(struct nl_pyframes *p, struct nl_sample *const *batch, int n,
		       uint64_t now)
{
	uint64_t t0 = p->sys->now_ns();

	p->nr_burst = p->nr_fbuf = p->nr_stacks = 0;
	map__free(&p->bursts);
	for (int i = 0; i < n; i++) {
		struct nl_sample *s = batch[i];
		const struct look *lk;
		struct proc *pr;
		struct burst *b;
		uint64_t *v, delay;
		int approx, r;

		s->py = NULL;
		if (!(s->valid & NL_SAMPLE_TID) || s->pid <= 0 || s->tid <= 0)
			continue;
		/* a look-ahead read it soon after the sample (even if it exited since) */
		if ((s->valid & NL_SAMPLE_TIME) && (lk = look_after(p, s->pid, s->tid, s->time))) {
			delay = lk->time - s->time;
			if (lk->kept < 0) {
				p->st.samples_no_thread++;
				continue;
			}
			if (in_start_up(proc_find(p, s->pid), s)) {
				p->st.start_up++;
				continue;
			}
			if (array__reserve((void **)&p->stacks, &p->cap_stacks, p->nr_stacks + 1,
					   sizeof(*p->stacks)))
				continue;
			delay_add(p, delay);
			approx = delay > NL_PY_APPROX_NS;
			p->stacks[p->nr_stacks++] = (struct nl_pystack){
				.nr = p->kept[lk->kept].nr,
				.flags = p->kept[lk->kept].flags | (approx ? NL_PYS_APPROXIMATE : 0),
				.frames = p->kept[lk->kept].frames,
			};
			p->st.samples++;
			p->st.samples_looked_ahead++;
			p->st.approximate += (uint64_t)approx;
			s->py = (const struct nl_pystack *)(uintptr_t)p->nr_stacks;
			continue;
		}
		pr = proc_get(p, s->pid);
		if (!pr || pr->status)
			continue;
		r = map__add(&p->bursts, (uint32_t)s->pid, (uint32_t)s->tid, &v);
		if (r < 0)
			continue;
		if (r == 1) {
			if (array__reserve((void **)&p->burst, &p->cap_burst, p->nr_burst + 1, sizeof(*p->burst))) {
				map__del(&p->bursts, (uint32_t)s->pid, (uint32_t)s->tid);
				continue;
			}
			*v = p->nr_burst;
			b = &p->burst[p->nr_burst++];
			memset(b, 0, sizeof(*b));
			b->stack[0] = b->stack[1] = -1;
			read_thread(p, pr, s->tid, b);
			if (b->nr > 0)
				found_frames(pr, now);
		}
		b = &p->burst[*v];
		if (b->nr < 0) {
			p->st.samples_no_thread += pr->status == 0;
			continue;
		}
		if (in_start_up(pr, s)) {
			p->st.start_up++;
			continue;
		}
		delay = (s->valid & NL_SAMPLE_TIME) && now > s->time ? now - s->time : 0;
		delay_add(p, delay);
		approx = delay > NL_PY_APPROX_NS;
		if (b->stack[approx] < 0) {
			if (array__reserve((void **)&p->stacks, &p->cap_stacks, p->nr_stacks + 1,
					   sizeof(*p->stacks)))
				continue;
			b->stack[approx] = (int32_t)p->nr_stacks;
			p->stacks[p->nr_stacks++] = (struct nl_pystack){
				.nr = (uint32_t)b->nr,
				.flags = b->flags | (approx ? NL_PYS_APPROXIMATE : 0),
			};
		}
		p->st.samples++;
		p->st.approximate += (uint64_t)approx;
		/* frames are pointed at once the batch's buffer stops moving */
		s->py = (const struct nl_pystack *)(uintptr_t)(b->stack[approx] + 1);
	}
	for (size_t i = 0; i < p->nr_burst; i++)
		for (int a = 0; a < 2; a++)
			if (p->burst[i].stack[a] >= 0)
				p->stacks[p->burst[i].stack[a]].frames = p->fbuf + p->burst[i].start;
	for (int i = 0; i < n; i++)
		if (batch[i]->py)
			batch[i]->py = &p->stacks[(uintptr_t)batch[i]->py - 1];
	p->st.ns += p->sys->now_ns() - t0;
}

void pyframes__frame_window(struct nl_pyframes *p, bool on)
{
	p->no_window = !on;
}

bool pyframes__active(const struct nl_pyframes *p)
{
	return p->st.python > 0;
}

const struct nl_pyframes_stats *pyframes__stats(struct nl_pyframes *p)
{
	uint64_t acc = 0, p50 = p->delays / 2, p99 = p->delays - p->delays / 100;
	bool have50 = false;

	p->st.delay_p50_us = p->st.delay_p99_us = 0;
	for (int k = 0; k < DELAY_BUCKETS + DELAY_LATE && p->delays; k++) {
		/* a bucket's upper edge, never above the largest delay seen */
		uint64_t edge = delay_edge_us(k) < p->st.delay_max_us ? delay_edge_us(k) : p->st.delay_max_us;

		acc += p->delay_hist[k];
		if (!have50 && acc > p50) {
			p->st.delay_p50_us = edge;
			have50 = true;
		}
		if (acc >= p99 && acc) {
			p->st.delay_p99_us = edge;
			break;
		}
	}
	return &p->st;
}
