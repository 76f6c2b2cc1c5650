/*
 * pyruntime.h - is this process CPython, and where is its runtime?
 *
 * Owns the lookup of one process' interpreter: its executable or a mapped
 * libpython from /proc/PID/maps, the `_PyRuntime` and `Py_Version` symbols
 * from that file's symbol table (libelf, .symtab then .dynsym) with the load
 * bias of its mapping, the version read from the target, and the layout for
 * it (pylayout.h: built-in 3.11 / 3.12 tables, _Py_DebugOffsets for 3.13).
 * The file is opened through /proc/PID/root, so containers resolve.
 * Promises: reads the target through sys->read_memory only (never a ptrace
 * stop); every refusal has its own code so the report can say which.
 * Does not check the layout against DWARF (pyframes.c does that once per
 * file) nor read frames.
 */
#ifndef NUMALENS_PYRUNTIME_H
#define NUMALENS_PYRUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "samplers/pylayout.h"

struct nl_sys;

struct nl_pyruntime {
	uint64_t runtime;               /* address of _PyRuntime in the target */
	uint32_t version;               /* Py_Version: 0x030b02f0 = 3.11.2 final */
	struct nl_pylayout layout;
	char file[512];                 /* the interpreter file, as mapped */
	char open_path[600];            /* how numalens opened it (/proc/PID/root/...) */
};

/*
 * Finds the interpreter of pid.  OUT: *out.  Returns 0, or:
 *   -ENOENT   no CPython in the process (no python/libpython mapping with
 *             _PyRuntime)
 *   -ENOEXEC  another Python (PyPy): not read
 *   -ENODATA  a python file without the _PyRuntime / Py_Version symbols
 *   -ENOTSUP  a version with no known layout (before 3.11: no Py_Version,
 *             out->version 0; after 3.13)
 *   -EPERM / -EACCES  the target's memory cannot be read (ptrace scope)
 *   -ESRCH    the process is gone; other -errno.
 * out->file names the file for every code but -ENOENT.
 */
int pyruntime__find(const struct nl_sys *sys, int pid, struct nl_pyruntime *out);

/*
 * Symbols of the interpreter files read so far, by file identity (device,
 * inode, size, mtime): a forked DataLoader worker, or another process of
 * the same interpreter, reads only its maps (a symbol table scan takes
 * ~1.5 s under TCG, while samples wait).  Zeroed = empty; full: not cached.
 */
#define NL_PYSYMS_CACHED 8
struct nl_pysyms_cache {
	int nr;
	struct {
		uint64_t dev, ino, size, mtime_ns;
		uint64_t runtime, version, load_vaddr; /* st_value, 0 absent */
		bool exec;
	} file[NL_PYSYMS_CACHED];
};

/* pyruntime__find with the symbols cached in *cache (NULL: none). */
int pyruntime__find_cached(const struct nl_sys *sys, int pid, struct nl_pysyms_cache *cache,
			   struct nl_pyruntime *out);

/* Whether a mapped file's name is one pyruntime__find would look into. */
bool pyruntime__candidate(const char *path);

#endif
