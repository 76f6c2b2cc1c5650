/*
 * proctree.c - target tree discovery from /proc, the task table, event
 * ownership, launching a command, synthetic records.  See proctree.h.
 *
 * Discovery is breadth first from the root process, so parents are added
 * before their children: for each process, /proc/PID/task lists the
 * threads and /proc/PID/task/TID/children the processes each thread
 * forked.  Kernels built without CONFIG_PROC_CHILDREN have no children
 * files; then a pass over every /proc/PID/stat gives the PPID relation.
 */
#include "samplers/proctree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samplers/base/array.h"
#include "samplers/base/map.h"
#include "samplers/base/sys.h"

struct synth {
	struct nl_record rec;
	size_t str;             /* offset of comm/filename in strs */
};

#define RECENT_FORGOTTEN 1024

struct nl_proctree {
	const struct nl_sys *sys;
	struct nl_map owners;   /* (0, event id) -> tid it was opened on */
	struct nl_task *tasks;  /* dense, in insertion order */
	int nr;
	size_t cap;
	struct nl_map index;    /* (0, tid) -> index in tasks */
	int nr_alive;
	uint64_t forgotten;     /* tasks dropped by proctree__forget */
	int32_t recent[RECENT_FORGOTTEN]; /* the last tids forgotten, a ring:
				   a late record of one is not a new task */
	uint64_t *scratch;      /* proctree__forget: the tids */
	size_t nr_scratch, cap_scratch;
	uint64_t *owner_keys;   /* ... and the keys of their event ids */
	size_t cap_owner_keys;
	/* synthetic records */
	struct synth *synth;
	uint32_t nr_synth;
	size_t cap_synth;
	char *strs;
	size_t strs_len, strs_cap;
};

/* A /proc PID and what its stat file says. */
struct proc_stat {
	int ppid;
	char state;
	char comm[16];
	int processor;          /* CPU it last ran on, -1 unknown */
};

/* --- table ----------------------------------------------------------------- */

struct nl_proctree *proctree__new(const struct nl_sys *sys)
{
	struct nl_proctree *pt = calloc(1, sizeof(*pt));

	if (pt)
		pt->sys = sys;
	return pt;
}

void proctree__free(struct nl_proctree *pt)
{
	if (!pt)
		return;
	free(pt->tasks);
	map__free(&pt->index);
	free(pt->synth);
	free(pt->strs);
	map__free(&pt->owners);
	free(pt->scratch);
	free(pt->owner_keys);
	free(pt);
}

struct nl_task *proctree__find(const struct nl_proctree *pt, int tid)
{
	const uint64_t *i = map__find(&pt->index, 0, (uint32_t)tid);

	return i ? &pt->tasks[*i] : NULL;
}

/* Adds a new tid (must not be in the table).  NULL on -ENOMEM. */
static struct nl_task *add(struct nl_proctree *pt, int pid, int tid, int ppid)
{
	struct nl_task *t;

	if (array__reserve((void **)&pt->tasks, &pt->cap, (size_t)pt->nr + 1,
			   sizeof(*pt->tasks)) ||
	    map__put(&pt->index, 0, (uint32_t)tid, (uint64_t)pt->nr))
		return NULL;
	t = &pt->tasks[pt->nr++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	t->ppid = ppid;
	t->owner = -1;
	pt->nr_alive++;
	return t;
}

/* Promise 1: a reused tid is revived in place. */
static void revive(struct nl_proctree *pt, struct nl_task *t, int pid, int ppid)
{
	if (t->exited)
		pt->nr_alive++;
	t->pid = pid;
	t->ppid = ppid;
	t->exited = false;
	t->opened = false;
	t->announced = false;
	t->owner = -1;
	t->comm[0] = '\0';
}

struct nl_task *proctree__fork(struct nl_proctree *pt, int pid, int tid, int ppid)
{
	struct nl_task *t = proctree__find(pt, tid);
	struct nl_task *proc;

	if (t && !t->exited)
		return t;
	if (t)
		revive(pt, t, pid, ppid);
	else
		t = add(pt, pid, tid, ppid);
	if (!t)
		return NULL;
	proc = proctree__find(pt, pid);
	if (proc && proc != t)
		memcpy(t->comm, proc->comm, sizeof(t->comm));
	return t;
}

bool proctree__exit(struct nl_proctree *pt, int tid)
{
	struct nl_task *t = proctree__find(pt, tid);

	if (!t || t->exited)
		return false;
	t->exited = true;
	pt->nr_alive--;
	return true;
}

/* Appends v to the scratch array.  0 or -ENOMEM. */
static int scratch_add(struct nl_proctree *pt, uint64_t v)
{
	if (array__reserve((void **)&pt->scratch, &pt->cap_scratch, pt->nr_scratch + 1,
			   sizeof(*pt->scratch)))
		return -ENOMEM;
	pt->scratch[pt->nr_scratch++] = v;
	return 0;
}

/* owners: (0, id) -> tid, an id opened on one of the tids forgotten */
static bool owned_by_gone(uint64_t k0, uint64_t id, uint64_t tid, void *ctx)
{
	const struct nl_proctree *pt = ctx;

	(void)k0;
	(void)id;
	for (size_t i = 0; i < pt->nr_scratch; i++)
		if (pt->scratch[i] == tid)
			return true;
	return false;
}

int proctree__forget(struct nl_proctree *pt, int pid)
{
	size_t gone;
	int w = 0;

	pt->nr_scratch = 0;
	for (int i = 0; i < pt->nr; i++) {
		struct nl_task *t = &pt->tasks[i];

		if (t->pid == pid && t->exited && !scratch_add(pt, (uint32_t)t->tid)) {
			map__del(&pt->index, 0, (uint32_t)t->tid);
			pt->recent[pt->forgotten++ % RECENT_FORGOTTEN] = t->tid;
			continue;
		}
		if (w != i) {
			pt->tasks[w] = *t;
			*map__find(&pt->index, 0, (uint32_t)t->tid) = (uint64_t)w;
		}
		w++;
	}
	pt->nr = w;
	gone = pt->nr_scratch;
	/* the event ids opened on them; an id not deleted for lack of room
	   names a tid no longer in the table, as a late record's unknown id
	   would */
	if (gone)
		map__del_where(&pt->owners, owned_by_gone, pt, &pt->owner_keys, &pt->cap_owner_keys);
	pt->nr_scratch = 0;
	return (int)gone;
}

uint64_t proctree__nr_seen(const struct nl_proctree *pt)
{
	return (uint64_t)pt->nr + pt->forgotten;
}

int proctree__nr(const struct nl_proctree *pt)
{
	return pt->nr;
}

int proctree__nr_alive(const struct nl_proctree *pt)
{
	return pt->nr_alive;
}

struct nl_task *proctree__at(const struct nl_proctree *pt, int i)
{
	return &pt->tasks[i];
}

/* --- /proc ------------------------------------------------------------------ */

/* Parses "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
static int parse_stat(const char *text, struct proc_stat *st)
{
	const char *open = strchr(text, '(');
	const char *close = strrchr(text, ')');
	size_t len;

	if (!open || !close || close < open)
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, len);
	st->comm[len] = '\0';
	if (sscanf(close + 1, " %c %d", &st->state, &st->ppid) != 2)
		return -EINVAL;
	/* processor is field 39; fields 3 (state) .. 38 come before it. */
	st->processor = -1;
	{
		const char *p = close + 1;
		int field = 2;

		while (*p && field < 38)
			if (*p++ == ' ' && *p != ' ')
				field++;
		if (field == 38 && sscanf(p, "%*s %d", &st->processor) != 1)
			st->processor = -1;
	}
	return 0;
}

/* Reads /proc/PID[/task/TID]/stat.  tid 0: the process.  0 or -errno. */
static int read_stat(const struct nl_sys *sys, int pid, int tid,
		     struct proc_stat *st)
{
	char path[64], buf[512];
	int n;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = sys__read_small(sys, path, buf, sizeof(buf));
	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return n;
	return parse_stat(buf, st);
}

/* The thread group (process) of tid, from /proc/TID/status.  -errno. */
static int tgid_of(const struct nl_sys *sys, int tid)
{
	char path[64], buf[2048], *p;
	int pid, n;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	n = sys__read_small(sys, path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : n;
	p = strstr(buf, "\nTgid:");
	if (!p || sscanf(p + 6, "%d", &pid) != 1)
		return -EINVAL;
	return pid;
}

static bool is_dead(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

/* Adds one thread of process pid (ppid given) if new. */
static int add_thread(struct nl_proctree *pt, int pid, int tid, int ppid,
		      int *nr_added)
{
	struct proc_stat st;
	struct nl_task *t;

	if (proctree__find(pt, tid) && !proctree__find(pt, tid)->exited)
		return 0;
	if (read_stat(pt->sys, pid, tid, &st) || is_dead(st.state))
		return 0;       /* gone meanwhile */
	t = proctree__fork(pt, pid, tid, ppid);
	if (!t)
		return -ENOMEM;
	memcpy(t->comm, st.comm, sizeof(t->comm));
	t->pre_existing = true;
	t->running = st.state == 'R';
	t->last_cpu = st.processor;
	(*nr_added)++;
	return 0;
}

/* Adds every thread of pid.  OUT: the tids (caller frees).  0 or -errno. */
static int add_process(struct nl_proctree *pt, int pid, int ppid,
		       int **tids, int *nr_tids, int *nr_added)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	err = sys__list_ids(pt->sys, path, "", tids, nr_tids);
	if (err)
		return err == -ENOENT ? 0 : err;
	/* main thread first, so a process is known before its threads */
	err = add_thread(pt, pid, pid, ppid, nr_added);
	for (int i = 0; !err && i < *nr_tids; i++)
		if ((*tids)[i] != pid)
			err = add_thread(pt, pid, (*tids)[i], ppid, nr_added);
	return err;
}

/* A growable queue of pids to visit. */
struct pidq {
	int *v;
	int nr, head;
	size_t cap;
};

static int pidq_push(struct pidq *q, int pid)
{
	for (int i = 0; i < q->nr; i++)
		if (q->v[i] == pid)
			return 0;
	if (array__reserve((void **)&q->v, &q->cap, (size_t)q->nr + 1, sizeof(*q->v)))
		return -ENOMEM;
	q->v[q->nr++] = pid;
	return 0;
}

/* The children file is missing although the thread still exists. */
static bool no_children_files(struct nl_proctree *pt, int pid, int tid)
{
	struct proc_stat st;

	return read_stat(pt->sys, pid, tid, &st) == 0;
}

/*
 * Children of pid through the children files of its threads.
 * Returns 0, -ENOENT when the kernel has no children files, -errno.
 */
static int push_children(struct nl_proctree *pt, int pid, const int *tids,
			 int nr_tids, struct pidq *q)
{
	for (int i = 0; i < nr_tids; i++) {
		char path[96], *text, *p, *end;
		size_t len;
		int err;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tids[i]);
		err = sys__read_file(pt->sys, path, 1 << 20, &text, &len);
		if (err == -ENOENT && no_children_files(pt, pid, tids[i]))
			return -ENOENT;
		if (err)
			continue;       /* thread gone meanwhile */
		for (p = text;; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			if (child > 0 && (err = pidq_push(q, (int)child))) {
				free(text);
				return err;
			}
		}
		free(text);
	}
	return 0;
}

/* PPID fallback: every /proc process whose parent is pid. */
static int push_children_by_ppid(struct nl_proctree *pt, int pid, struct pidq *q)
{
	int *pids, nr, err;

	err = sys__list_ids(pt->sys, "/proc", "", &pids, &nr);
	if (err)
		return err;
	for (int i = 0; !err && i < nr; i++) {
		struct proc_stat st;

		if (!read_stat(pt->sys, pids[i], 0, &st) && st.ppid == pid &&
		    !is_dead(st.state))
			err = pidq_push(q, pids[i]);
	}
	free(pids);
	return err;
}

static int visit(struct nl_proctree *pt, struct pidq *q, int pid, bool *no_children,
		 int *nr_added)
{
	struct proc_stat st;
	int *tids = NULL, nr_tids = 0, err;

	if (read_stat(pt->sys, pid, 0, &st))
		return 0;       /* gone meanwhile */
	err = add_process(pt, pid, st.ppid, &tids, &nr_tids, nr_added);
	if (!err && !*no_children) {
		err = push_children(pt, pid, tids, nr_tids, q);
		if (err == -ENOENT)
			*no_children = true;
	}
	if (*no_children)
		err = push_children_by_ppid(pt, pid, q);
	free(tids);
	return err;
}

int proctree__scan(struct nl_proctree *pt, int root, int *nr_added)
{
	struct pidq q = { 0 };
	struct proc_stat st;
	bool no_children = false;
	int err;

	*nr_added = 0;
	err = tgid_of(pt->sys, root);   /* a thread id names its process */
	if (err < 0)
		return err;
	root = err;
	err = read_stat(pt->sys, root, 0, &st);
	if (err)
		return err;
	err = pidq_push(&q, root);
	while (!err && q.head < q.nr)
		err = visit(pt, &q, q.v[q.head++], &no_children, nr_added);
	free(q.v);
	if (!err && !proctree__find(pt, root) && !*nr_added)
		return -ESRCH;  /* a zombie without live threads */
	return err;
}

int proctree__scan_thread(struct nl_proctree *pt, int tid)
{
	struct proc_stat st;
	int pid = tgid_of(pt->sys, tid), n, added = 0;

	if (pid < 0)
		return pid;
	if (read_stat(pt->sys, pid, 0, &st))
		return -ESRCH;
	n = add_thread(pt, pid, tid, st.ppid, &added);
	if (n)
		return n;
	return added ? 0 : -ESRCH;
}

int proctree__reap(struct nl_proctree *pt, void (*gone_fn)(const struct nl_task *t, void *arg),
		   void *arg)
{
	int gone = 0;

	for (int i = 0; i < pt->nr; i++) {
		struct nl_task *t = &pt->tasks[i];
		struct proc_stat st;

		if (t->exited)
			continue;
		int err = read_stat(pt->sys, t->pid, t->tid, &st);

		if (err != -ESRCH && (err || !is_dead(st.state)))
			continue;
		gone++;
		if (gone_fn)
			gone_fn(t, arg);        /* only flags change: t stays valid */
		else
			proctree__exit(pt, t->tid);
	}
	return gone;
}

/* --- owners and forks ---------------------------------------------------------- */

struct nl_task *proctree__track_fork(struct nl_proctree *pt, int pid, int ppid,
				     int tid, int ptid)
{
	const struct nl_task *parent = proctree__find(pt, ptid);
	const struct nl_task *proc = proctree__find(pt, pid);
	/* a new thread's parent process is its own process' parent */
	int parent_proc = pid == ppid ? (proc ? proc->ppid : -1) : ppid;
	char comm[sizeof(parent->comm)] = "";
	struct nl_task *t;

	/* Copied first: the fork may grow (move) the task array. */
	if (parent)
		memcpy(comm, parent->comm, sizeof(comm));
	t = proctree__fork(pt, pid, tid, parent_proc);
	if (!t)
		return NULL;
	t->ppid = parent_proc;
	if (!t->comm[0])
		memcpy(t->comm, comm, sizeof(t->comm));
	return t;
}

int proctree__add_id(struct nl_proctree *pt, uint64_t id, int tid)
{
	return map__put(&pt->owners, 0, id, (uint64_t)(uint32_t)tid);
}

int proctree__owner_of_id(const struct nl_proctree *pt, uint64_t id)
{
	const uint64_t *tid = map__find(&pt->owners, 0, id);

	return tid ? (int)(uint32_t)*tid : -1;
}

bool proctree__accept(struct nl_proctree *pt, int pid, int tid, int owner)
{
	struct nl_task *t;

	if (owner < 0)
		return true;
	t = proctree__find(pt, tid);
	if (!t) {
		for (uint64_t i = 0; i < pt->forgotten && i < RECENT_FORGOTTEN; i++)
			if (pt->recent[i] == tid)
				return true;    /* read after its retire: kept, not revived */
		t = proctree__fork(pt, pid, tid, -1);
		if (t)
			t->owner = owner;
		return true;
	}
	if (t->opened)
		return owner == t->tid;
	if (t->owner < 0)
		t->owner = owner;
	return t->owner == owner;
}

/* --- launching a command -------------------------------------------------------- */

/* In the child: wait for the go byte, exec, report a failed exec's errno. */
static void __attribute__((noreturn)) child_exec(char *const *argv, int go, int failfd)
{
	char c;
	int e;

	if (read(go, &c, 1) != 1)
		_exit(127);
	execvp(argv[0], argv);
	e = errno;
	if (write(failfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int proctree__spawn(struct nl_proctree *pt, char *const *argv, struct nl_spawn *sp)
{
	int go[2], failp[2];
	const char *base = strrchr(argv[0], '/');
	struct nl_task *t;

	sp->pid = 0;
	sp->go_fd = sp->fail_fd = -1;
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(failp, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	sp->pid = fork();
	if (sp->pid == 0) {
		close(go[1]);
		close(failp[0]);
		child_exec(argv, go[0], failp[1]);
	}
	close(go[0]);
	close(failp[1]);
	sp->go_fd = go[1];
	sp->fail_fd = failp[0];
	if (sp->pid < 0)
		return -errno;
	t = proctree__fork(pt, sp->pid, sp->pid, getpid());
	if (!t)
		return -ENOMEM;
	snprintf(t->comm, sizeof(t->comm), "%s", base ? base + 1 : argv[0]);
	t->pre_existing = true;
	return 0;
}

int proctree__release(struct nl_spawn *sp)
{
	int e = 0;
	ssize_t n = 0;

	if (write(sp->go_fd, "g", 1) != 1)
		e = errno;
	else
		n = read(sp->fail_fd, &e, sizeof(e));
	proctree__spawn_close(sp);
	if (n == (ssize_t)sizeof(e) || e)
		return -(e ? e : EIO);
	return 0;
}

void proctree__spawn_close(struct nl_spawn *sp)
{
	if (sp->go_fd >= 0)
		close(sp->go_fd);
	if (sp->fail_fd >= 0)
		close(sp->fail_fd);
	sp->go_fd = sp->fail_fd = -1;
}

/* --- synthetic records ------------------------------------------------------------ */

static int add_synth(struct nl_proctree *pt, const struct nl_record *rec, const char *str)
{
	size_t n = strlen(str) + 1;
	struct synth *s;

	if (array__reserve((void **)&pt->synth, &pt->cap_synth,
			   (size_t)pt->nr_synth + 1, sizeof(*pt->synth)) ||
	    array__reserve((void **)&pt->strs, &pt->strs_cap, pt->strs_len + n, 1))
		return -ENOMEM;
	s = &pt->synth[pt->nr_synth++];
	s->rec = *rec;
	s->str = pt->strs_len;
	memcpy(pt->strs + pt->strs_len, str, n);
	pt->strs_len += n;
	return 0;
}

uint32_t proctree__nr_synth(const struct nl_proctree *pt)
{
	return pt->nr_synth;
}

void proctree__synth(const struct nl_proctree *pt, uint32_t i, struct nl_record *out)
{
	*out = pt->synth[i].rec;
	if (out->kind == NL_REC_COMM)
		out->task.comm = pt->strs + pt->synth[i].str;
	else if (out->kind == NL_REC_MMAP)
		out->mmap.filename = pt->strs + pt->synth[i].str;
}

/* MMAP records for the executable file mappings pid has now. */
static int synth_mmaps(struct nl_proctree *pt, int pid)
{
	char path[64], *text, *save;
	size_t len;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (sys__read_file(pt->sys, path, 1 << 26, &text, &len))
		return 0;
	for (char *line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		struct nl_record r = { .kind = NL_REC_MMAP };
		unsigned long start, end, off;
		char perms[8];
		int name = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &off,
			   &name) < 4 || !name || !strchr(perms, 'x') || line[name] != '/')
			continue;
		r.mmap.pid = r.mmap.tid = pid;
		r.mmap.start = start;
		r.mmap.len = end - start;
		r.mmap.pgoff = off;
		err = add_synth(pt, &r, line + name);
	}
	free(text);
	return err;
}

int proctree__synthesize(struct nl_proctree *pt, uint64_t time, bool mmaps)
{
	for (int i = 0; i < pt->nr; i++) {
		struct nl_task *t = &pt->tasks[i];
		bool main_thread = t->tid == t->pid;
		struct nl_record f = { .kind = NL_REC_FORK }, c = { .kind = NL_REC_COMM };
		int err;

		if (!t->pre_existing || t->announced)
			continue;
		f.task.pid = c.task.pid = t->pid;
		f.task.tid = c.task.tid = t->tid;
		f.task.ppid = f.task.ptid = main_thread ? t->ppid : t->pid;
		c.task.ppid = c.task.ptid = -1;
		f.task.time = c.task.time = time;
		err = add_synth(pt, &f, "");
		if (!err)
			err = add_synth(pt, &c, t->comm);
		if (!err && main_thread && mmaps)
			err = synth_mmaps(pt, t->pid);
		/* Running at attach: no switch-in will say so (HT accounting). */
		if (!err && t->running && t->last_cpu >= 0) {
			struct nl_record w = { .kind = NL_REC_SWITCH };

			w.sw = (struct nl_switch_event){ .pid = t->pid, .tid = t->tid,
				.cpu = t->last_cpu, .time = time, .other_pid = -1, .other_tid = -1 };
			err = add_synth(pt, &w, "");
		}
		if (err)
			return err;
		t->announced = true;
	}
	return 0;
}
