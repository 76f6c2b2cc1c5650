/*
 * proctree.h - the tasks of a target tree: the process, every thread,
 * every descendant process and its threads.
 *
 * Owns: one table of tasks keyed by tid, filled from /proc at attach
 * (proctree__scan: the /proc/PID/task directory and each task's children
 * file, or a PPID scan of /proc when the kernel has no children files) and
 * kept up to date from FORK/COMM/EXIT records afterwards; which event family
 * delivers each task's records (proctree__accept); starting a command as
 * the root of a tree (proctree__spawn); and the synthetic FORK/COMM/MMAP
 * records that introduce the tasks found at attach.
 *
 * Promises:
 *   1. A tid is in the table at most once; a tid that is reused after its
 *      EXIT is revived in place (new pid, ppid, comm).
 *   2. nr_alive counts tasks added and not exited; proctree__exit() of an
 *      unknown or already exited tid changes nothing.
 *   3. ppid is the parent *process* of the task's process (-1 unknown), the
 *      same for every thread of a process.
 *   4. Lookups allocate nothing; the table grows by doubling when a new tid
 *      is added.
 *   5. Ownership: a task's records are kept from one event family only (the
 *      events opened on one tid, with everything they were inherited into):
 *      its own when events were opened on it, else the first family that
 *      delivered a record for it.  A task created while its parent was
 *      being attached is followed twice; this keeps it counted once.
 * Does not: open events or read perf records (live.c does).
 */
#ifndef NUMALENS_PROCTREE_H
#define NUMALENS_PROCTREE_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/sample.h"

struct nl_sys;

struct nl_task {
	int32_t pid, tid;
	int32_t ppid;           /* parent process, -1 unknown */
	int32_t owner;          /* tid whose events deliver this task's
				   records (see live.c), -1 not yet known */
	char comm[16];
	bool exited;
	bool opened;            /* events were opened on this tid directly */
	bool pre_existing;      /* found by a scan, not by a FORK record */
	bool running;           /* the scan found it runnable (state R) ... */
	int32_t last_cpu;       /* ... on this CPU (stat field 39), -1 unknown */
	bool announced;         /* COMM/FORK for it were handed out */
};

struct nl_proctree;

/* An empty tree; NULL on -ENOMEM. */
struct nl_proctree *proctree__new(const struct nl_sys *sys);
/* Frees the table, the owners and the synthetic records; NULL is fine. */
void proctree__free(struct nl_proctree *pt);

/*
 * Adds root's process, its threads and all descendant processes with their
 * threads that are not in the table yet (pre_existing = true), parents
 * before children.  OUT: *nr_added.  Returns 0, -ESRCH when root does not
 * exist or is a zombie, -EACCES/-errno when /proc cannot be read, -ENOMEM.
 * Tasks that vanish during the walk are skipped.
 */
int proctree__scan(struct nl_proctree *pt, int root, int *nr_added);

/* Adds the single thread tid (for -t): 0, -ESRCH, -ENOMEM. */
int proctree__scan_thread(struct nl_proctree *pt, int tid);

/* The task with this tid, or NULL. */
struct nl_task *proctree__find(const struct nl_proctree *pt, int tid);

/*
 * Records a task created after attach (FORK) or revives an exited tid.
 * comm is copied from the task's process when known.  Returns the task or
 * NULL on -ENOMEM.
 */
struct nl_task *proctree__fork(struct nl_proctree *pt, int pid, int tid, int ppid);

/* Marks tid exited.  Returns true when it was alive. */
bool proctree__exit(struct nl_proctree *pt, int tid);

/*
 * Finds every task not marked exited whose /proc entry is gone or a zombie
 * (a safety net for EXIT records lost in a full ring).  gone(t, arg) is
 * called for each and must end it as an EXIT record would (proctree__exit
 * and whatever else the caller retires); gone == NULL just marks it
 * exited.  Returns how many were found.
 */
int proctree__reap(struct nl_proctree *pt, void (*gone)(const struct nl_task *t, void *arg),
		   void *arg);

/*
 * Records a task creation from a FORK record (pid, ppid, tid, ptid as the
 * kernel gives them; ppid == pid for a new thread).  The task gets its
 * parent process and, until a COMM says otherwise, its creator's comm.
 * Returns the task or NULL on -ENOMEM.
 */
struct nl_task *proctree__track_fork(struct nl_proctree *pt, int pid, int ppid,
				     int tid, int ptid);

/*
 * Promise 5: whether a record of (pid, tid) delivered by the events opened
 * on tid owner should be kept.  owner < 0 (a per-CPU event) is always kept.
 * An unknown tid is added (its FORK may come later from another ring),
 * unless it is one of the last 1,024 tids forgotten (a record read after
 * its process retired: kept, the task not revived).
 */
bool proctree__accept(struct nl_proctree *pt, int pid, int tid, int owner);

/* Remembers that event id was opened on tid (-1: a per-CPU event).  0 or -ENOMEM. */
int proctree__add_id(struct nl_proctree *pt, uint64_t id, int tid);
/* The tid event id was opened on, or -1 (per-CPU or unknown id). */
int proctree__owner_of_id(const struct nl_proctree *pt, uint64_t id);

/*
 * pid ended and every record naming it was read: its exited tasks leave
 * the table, and the event ids opened on them (a tid revived later is a new
 * task).  The table then holds live tasks and ended ones not yet retired,
 * not every task a long profile saw.  Indexes and task pointers move.
 * Returns the tasks dropped.  Never allocates more than a scratch array.
 */
int proctree__forget(struct nl_proctree *pt, int pid);
/* Tasks ever in the table: proctree__nr() plus those forgotten. */
uint64_t proctree__nr_seen(const struct nl_proctree *pt);

/* Tasks in the table (alive or exited), and those alive. */
int proctree__nr(const struct nl_proctree *pt);
int proctree__nr_alive(const struct nl_proctree *pt);
/* Task i, 0 <= i < proctree__nr(); stable until the next add. */
struct nl_task *proctree__at(const struct nl_proctree *pt, int i);

/* --- launching a command -------------------------------------------------- */

struct nl_spawn {
	int pid;                /* the command, stopped before exec */
	int go_fd, fail_fd;     /* -1 once released */
};

/*
 * Forks argv[0] (searched in PATH) and adds it to the tree as its root
 * (pre_existing, comm = basename of argv[0], parent = numalens).  The child
 * waits before exec until proctree__release().  OUT: *sp.  0 or -errno.
 */
int proctree__spawn(struct nl_proctree *pt, char *const *argv, struct nl_spawn *sp);
/* Lets the child exec.  Returns 0, or the -errno of a failed exec. */
int proctree__release(struct nl_spawn *sp);
/* Closes what is left of sp (a child never released exits 127). */
void proctree__spawn_close(struct nl_spawn *sp);

/* --- synthetic records ------------------------------------------------------- */

/*
 * Builds FORK then COMM for every pre_existing task, parents first, and
 * (when mmaps) MMAP records of each process' executable file mappings from
 * /proc/PID/maps; marks those tasks announced.  time stamps them.
 * 0 or -ENOMEM.
 */
int proctree__synthesize(struct nl_proctree *pt, uint64_t time, bool mmaps);
uint32_t proctree__nr_synth(const struct nl_proctree *pt);
/* Synthetic record i; its strings live as long as the tree. */
void proctree__synth(const struct nl_proctree *pt, uint32_t i, struct nl_record *out);

#endif
