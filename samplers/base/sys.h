/*
 * sys.h - the system calls of the live sampler, behind one table.
 *
 * Owns: struct nl_sys, a table of thin wrappers (perf_event_open, ioctl,
 * mmap, munmap, read, open, close, list_ids, poll, move_pages, kill,
 * waitpid, rlimits, clock, write) that every live module and the sysfs
 * topology reader call instead of libc.  Tests copy
 * sys__default(), replace one entry and hand the copy to live__open() to
 * inject a failure (EACCES from perf_event_open, ESRCH from move_pages,
 * a short file ...).  Like sqlite's aSyscall[], but passed as a context
 * pointer instead of a global.
 *
 * Promises: every wrapper returns a value >= 0 on success and -errno on
 * failure (never -1 with errno); pointers come back through OUT parameters.
 * The helpers below the table read whole /proc and /sys files through it.
 * Does not: retry, print, or keep state.
 */
#ifndef NUMALENS_SYS_H
#define NUMALENS_SYS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct perf_event_attr;

struct nl_sys {
	/* fd, or -errno */
	int (*perf_event_open)(struct perf_event_attr *attr, pid_t pid, int cpu,
			       int group_fd, unsigned long flags);
	int (*ioctl)(int fd, unsigned long request, unsigned long arg);
	/* OUT: *addr is the mapping; 0 or -errno */
	int (*mmap)(int fd, size_t len, int prot, void **addr);
	int (*munmap)(void *addr, size_t len);
	/* bytes read (0 at end of file), or -errno */
	ssize_t (*read)(int fd, void *buf, size_t len);
	/* fd, or -errno */
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	/*
	 * N of every entry "<prefix>N" of a directory into ids[cap]: prefix ""
	 * for /proc and /proc/PID/task, "cpu", "node", "memory" in sysfs.
	 * Returns how many there are (more than cap: call again with a larger
	 * array) or -errno.
	 */
	int (*list_ids)(const char *dir, const char *prefix, int *ids, int cap);
	/* ready fds, 0 on timeout, -errno (-EINTR when a signal arrived) */
	int (*poll)(struct pollfd *fds, nfds_t nr, int timeout_ms);
	/* move_pages(2) in query mode when nodes is NULL; 0 or -errno */
	long (*move_pages)(int pid, unsigned long count, void **pages,
			   const int *nodes, int *status, int flags);
	int (*kill)(pid_t pid, int sig);
	/* pid, 0 (WNOHANG, still running) or -errno */
	pid_t (*waitpid)(pid_t pid, int *status, int options);
	int (*getrlimit)(int resource, struct rlimit *rl);
	int (*setrlimit)(int resource, const struct rlimit *rl);
	/* CLOCK_MONOTONIC in ns: the clock the live events use */
	uint64_t (*now_ns)(void);
	/* bytes written, or -errno (access.c: /proc/PID/clear_refs) */
	ssize_t (*write)(int fd, const void *buf, size_t len);
	/* len bytes of pid's memory at addr (process_vm_readv, never a ptrace
	   stop; samplers/pyframes.c): bytes read (short when the range ends
	   in unmapped memory), or -errno.  NULL in a test's table: -ENOSYS. */
	ssize_t (*read_memory)(pid_t pid, uint64_t addr, void *buf, size_t len);
};

/*
 * list_ids through the table into a malloc'd array.
 * OUT: *ids (caller frees), *nr.  0 or -errno (*ids NULL).
 */
int sys__list_ids(const struct nl_sys *sys, const char *dir, const char *prefix,
		  int **ids, int *nr);

/* sys->read_memory, or -ENOSYS when the table has none. */
ssize_t sys__read_memory(const struct nl_sys *sys, pid_t pid, uint64_t addr, void *buf,
			 size_t len);

/* The real system calls.  Never NULL; the table is read-only. */
const struct nl_sys *sys__default(void);

/*
 * Reads all of path into a malloc'd, NUL-terminated buffer: the one file
 * slurp (/proc, /sys, and the JSON reports `numalens diff` reads).
 * OUT: *buf (caller frees), *len (bytes, without the NUL).
 * Returns 0 or -errno (*buf NULL).  A file over max bytes is -EFBIG.
 */
int sys__read_file(const struct nl_sys *sys, const char *path, size_t max,
		   char **buf, size_t *len);

/*
 * Reads at most size-1 bytes of path into buf (NUL-terminated, trailing
 * newline removed).  For small sysfs/proc files.  Returns the length or
 * -errno (buf then "").
 */
int sys__read_small(const struct nl_sys *sys, const char *path, char *buf,
		    size_t size);

/*
 * The value of the first "key<spaces>: value" line of a small text file
 * (/proc/cpuinfo, /proc/meminfo) into buf, NUL-terminated.  Returns its
 * length, -ENOENT when no line has the key, or -errno.
 */
int sys__file_field(const struct nl_sys *sys, const char *path, const char *key,
		    char *buf, size_t size);

/* sys__read_small + strtoll.  0 or -errno (-EINVAL when not a number). */
int sys__read_int(const struct nl_sys *sys, const char *path, long long *out);

/*
 * The calling thread's CPU time in ns (0 when the clock fails): what a
 * piece of numalens' own analysis costs, whatever else runs.  Not in the
 * table: it measures numalens, not the target.
 */
uint64_t sys__thread_cpu_ns(void);

#endif
