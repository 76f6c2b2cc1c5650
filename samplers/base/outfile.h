/*
 * outfile.h - creating the files numalens writes (--record, --json) with
 * perf's care.
 *
 * Owns: how an output path is created.  Promises:
 *   1. A symbolic link at the path is never followed (lstat, then
 *      O_NOFOLLOW|O_EXCL on creation): a link planted in a sticky
 *      world-writable directory such as /tmp cannot redirect the write.
 *      The caller gets -ELOOP and prints one line.
 *   2. NL_OUTFILE_PRIVATE: the file is created 0600 whatever the umask
 *      (fchmod after creation), as `perf record` does: a recording holds
 *      command lines, mappings and data addresses.
 *   3. NL_OUTFILE_KEEP_OLD: an existing non-empty regular file is renamed
 *      to PATH.old first (perf's habit), replacing an older PATH.old.
 *   4. Run as root, a file created in a directory owned by another user is
 *      given to that user (fchown to the directory's uid and gid), so the
 *      user can read and remove what numalens wrote on their behalf.
 *   5. An existing non-regular file (/dev/null, a FIFO) is opened for
 *      writing as it is, never created, renamed or chmod-ed.
 * Does not: print, or keep state.
 */
#ifndef NUMALENS_OUTFILE_H
#define NUMALENS_OUTFILE_H

#include <stdio.h>

enum {
	NL_OUTFILE_PRIVATE = 1u << 0,   /* mode 0600 */
	NL_OUTFILE_KEEP_OLD = 1u << 1,  /* existing file -> PATH.old */
};

/*
 * Creates (or truncates) path for writing as the promises above say.
 * Returns the fd (O_CLOEXEC) or -errno: -ELOOP for a symbolic link at path,
 * the rename's -errno when PATH.old cannot be made.
 */
int outfile__create(const char *path, unsigned flags);

/* outfile__create + fdopen(fd, "w").  NULL with errno set on failure. */
FILE *outfile__fopen(const char *path, unsigned flags);

/*
 * Replaces path with the len bytes at data atomically: they are written to
 * PATH.tmp (created as outfile__create does, flags applied), flushed, and
 * renamed over path, so a reader (node_exporter's textfile collector) sees
 * the old file or the new one, never half of one.  A symbolic link at path
 * is replaced, not followed.  0, or -errno (PATH.tmp then removed).
 */
int outfile__replace(const char *path, unsigned flags, const void *data, size_t len);

/* The cause to print for an outfile__create error ("is a symbolic link ..."). */
const char *outfile__strerror(int err);

#endif
