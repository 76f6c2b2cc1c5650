/*
 * sys.c - the real system calls behind struct nl_sys, and file helpers
 * that read through the table.  See sys.h.
 */
#include "samplers/base/sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- the real calls, all 0/-errno ----------------------------------------- */

static int real_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
				int group_fd, unsigned long flags)
{
	long fd = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);

	return fd < 0 ? -errno : (int)fd;
}

static int real_ioctl(int fd, unsigned long request, unsigned long arg)
{
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

static int real_mmap(int fd, size_t len, int prot, void **addr)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	*addr = NULL;
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

static int real_munmap(void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? -errno : 0;
}

static ssize_t real_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t real_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

static int real_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int real_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

static int real_list_ids(const char *path, const char *prefix, int *ids, int cap)
{
	DIR *dir = opendir(path);
	size_t plen = strlen(prefix);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		const char *p = de->d_name + plen;
		char *end;
		long v;

		if (strncmp(de->d_name, prefix, plen) || *p < '0' || *p > '9')
			continue;
		v = strtol(p, &end, 10);
		if (*end || v > INT32_MAX)
			continue;
		if (n < cap)
			ids[n] = (int)v;
		n++;
	}
	closedir(dir);
	return n;
}

static int real_poll(struct pollfd *fds, nfds_t nr, int timeout_ms)
{
	int n = poll(fds, nr, timeout_ms);

	return n < 0 ? -errno : n;
}

static long real_move_pages(int pid, unsigned long count, void **pages,
			    const int *nodes, int *status, int flags)
{
	long r = syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);

	return r < 0 ? -errno : r;
}

static int real_kill(pid_t pid, int sig)
{
	return kill(pid, sig) < 0 ? -errno : 0;
}

static pid_t real_waitpid(pid_t pid, int *status, int options)
{
	pid_t r = waitpid(pid, status, options);

	return r < 0 ? -errno : r;
}

static int real_getrlimit(int resource, struct rlimit *rl)
{
	return getrlimit(resource, rl) < 0 ? -errno : 0;
}

static int real_setrlimit(int resource, const struct rlimit *rl)
{
	return setrlimit(resource, rl) < 0 ? -errno : 0;
}

static uint64_t real_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static ssize_t real_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return r < 0 ? -errno : r;
}

ssize_t sys__read_memory(const struct nl_sys *sys, pid_t pid, uint64_t addr, void *buf,
			 size_t len)
{
	return sys->read_memory ? sys->read_memory(pid, addr, buf, len) : -ENOSYS;
}

static const struct nl_sys real_sys = {
	.perf_event_open = real_perf_event_open,
	.ioctl = real_ioctl,
	.mmap = real_mmap,
	.munmap = real_munmap,
	.read = real_read,
	.open = real_open,
	.close = real_close,
	.list_ids = real_list_ids,
	.poll = real_poll,
	.move_pages = real_move_pages,
	.kill = real_kill,
	.waitpid = real_waitpid,
	.getrlimit = real_getrlimit,
	.setrlimit = real_setrlimit,
	.now_ns = real_now_ns,
	.write = real_write,
	.read_memory = real_read_memory,
};

const struct nl_sys *sys__default(void)
{
	return &real_sys;
}

/* --- file helpers ----------------------------------------------------------- */

/* Appends the rest of fd to *buf, growing it.  0 or -errno. */
static int slurp(const struct nl_sys *sys, int fd, size_t max, char **buf,
		 size_t *len)
{
	size_t cap = 4096;
	char *p = malloc(cap + 1);

	*len = 0;
	if (!p)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			char *q;

			if (cap >= max) {
				free(p);
				return -EFBIG;
			}
			cap *= 2;
			q = realloc(p, cap + 1);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
		}
		n = sys->read(fd, p + *len, cap - *len);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			free(p);
			return (int)n;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	p[*len] = '\0';
	*buf = p;
	return 0;
}

int sys__read_file(const struct nl_sys *sys, const char *path, size_t max,
		   char **buf, size_t *len)
{
	int fd = sys->open(path, O_RDONLY);
	int err;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return fd;
	err = slurp(sys, fd, max, buf, len);
	sys->close(fd);
	return err;
}

int sys__read_small(const struct nl_sys *sys, const char *path, char *buf,
		    size_t size)
{
	int fd = sys->open(path, O_RDONLY);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return fd;
	n = sys->read(fd, buf, size - 1);
	sys->close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

int sys__read_int(const struct nl_sys *sys, const char *path, long long *out)
{
	char buf[64], *end;
	int n = sys__read_small(sys, path, buf, sizeof(buf));

	*out = 0;
	if (n < 0)
		return n;
	errno = 0;
	*out = strtoll(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int sys__list_ids(const struct nl_sys *sys, const char *dir, const char *prefix,
		  int **ids, int *nr)
{
	int cap = 64;

	*ids = NULL;
	*nr = 0;
	for (;;) {
		int *buf = malloc((size_t)cap * sizeof(*buf));
		int n;

		if (!buf)
			return -ENOMEM;
		n = sys->list_ids(dir, prefix, buf, cap);
		if (n < 0) {
			free(buf);
			return n;
		}
		if (n <= cap) {
			*ids = buf;
			*nr = n;
			return 0;
		}
		free(buf);
		cap = n + 64;
	}
}

/* The value of line when it reads "key<blanks>: value", else NULL. */
static const char *field_value(const char *line, const char *key, size_t klen)
{
	const char *v = line + klen;

	if (strncmp(line, key, klen))
		return NULL;
	v += strspn(v, " \t");
	if (*v != ':')
		return NULL;
	return v + 1 + strspn(v + 1, " \t");
}

int sys__file_field(const struct nl_sys *sys, const char *path, const char *key,
		    char *buf, size_t size)
{
	size_t klen = strlen(key), len;
	char *text;
	int n;

	buf[0] = '\0';
	n = sys__read_file(sys, path, 1 << 22, &text, &len);
	if (n)
		return n;
	n = -ENOENT;
	for (const char *line = text; *line;) {
		const char *v = field_value(line, key, klen);
		const char *nl = strchr(line, '\n');

		if (v) {
			n = snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
			break;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	free(text);
	return n;
}

uint64_t sys__thread_cpu_ns(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t))
		return 0;
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
