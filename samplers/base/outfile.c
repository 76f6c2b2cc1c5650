/*
 * outfile.c - output files created without following links, privately
 * when asked, kept as PATH.old, owned by the directory's user when root
 * writes them.  See outfile.h.
 */
#include "samplers/base/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory part of path into buf ("." when there is none). */
static void dir_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, size, ".");
	else if (slash == path)
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

/* Promise 4: root writing into another user's directory hands the file over. */
static void give_to_dir_owner(int fd, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		return;
	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) || st.st_uid == 0)
		return;
	/* best effort: on a filesystem without owners the file stays root's */
	if (fchown(fd, st.st_uid, st.st_gid))
		return;
}

static int keep_old(const char *path)
{
	char old[PATH_MAX];

	if (snprintf(old, sizeof(old), "%s.old", path) >= (int)sizeof(old))
		return -ENAMETOOLONG;
	return rename(path, old) ? -errno : 0;
}

int outfile__create(const char *path, unsigned flags)
{
	mode_t mode = flags & NL_OUTFILE_PRIVATE ? 0600 : 0666;
	struct stat st;
	int fd, err;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISREG(st.st_mode)) {     /* promise 5 */
			fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
			return fd < 0 ? -errno : fd;
		}
		if ((flags & NL_OUTFILE_KEEP_OLD) && st.st_size > 0)
			err = keep_old(path);
		else
			err = unlink(path) && errno != ENOENT ? -errno : 0;
		if (err)
			return err;
	} else if (errno != ENOENT) {
		return -errno;
	}
	/* O_EXCL: whatever appeared at path since the lstat is not followed */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		err = -errno;
		return err == -EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) ? -ELOOP : err;
	}
	if ((flags & NL_OUTFILE_PRIVATE) && fchmod(fd, 0600)) {
		err = -errno;
		close(fd);
		return err;
	}
	give_to_dir_owner(fd, path);
	return fd;
}

FILE *outfile__fopen(const char *path, unsigned flags)
{
	int fd = outfile__create(path, flags);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

const char *outfile__strerror(int err)
{
	if (err == -ELOOP)
		return "a symbolic link is there and numalens does not follow it";
	return strerror(-err);
}

int outfile__replace(const char *path, unsigned flags, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = outfile__create(tmp, flags & ~(unsigned)NL_OUTFILE_KEEP_OLD);
	if (fd < 0)
		return fd;
	while (len && !err) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			p += n, len -= (size_t)n;
	}
	if (!err && fdatasync(fd) && errno != EINVAL)
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
