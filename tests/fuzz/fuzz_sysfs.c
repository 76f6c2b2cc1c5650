/*
 * fuzz_sysfs.c - the sysfs topology reader (samplers/base/topology.c) over a
 * tree the input describes, and the cpulist / cpumask parsers
 * (samplers/base/cpuset.c) on every file body.
 *
 * Input: entries "RELATIVE/PATH\0BODY\0" (paths under the root, no "..";
 * e.g. "sys/devices/system/node/node0/cpulist\0" "0-3\n\0"), written into
 * a fresh directory on each run and read with topology__read_sysfs(), the
 * path `numalens topology --sysfs-root` takes.  Seeds are the real trees
 * of ../shared/fixtures/sysfs in this form (tests/fuzz/seeds.py).
 *
 * Checked beyond the sanitizers: a cpulist that parses formats back to the
 * same set.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "samplers/base/cpuset.h"
#include "samplers/base/diag.h"
#include "samplers/base/topology.h"

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void clear_root(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
	clear_root();
	rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "/dev/shm/nl-fuzz-sysfs-%d", (int)getpid());
	if (mkdir(root, 0700) && errno != EEXIST)
		snprintf(root, sizeof(root), "/tmp/nl-fuzz-sysfs-%d", (int)getpid());
	mkdir(root, 0700);
	atexit(cleanup);
	return 0;
}

static bool safe_path(const char *p)
{
	if (!*p || *p == '/' || strlen(p) > 200)
		return false;
	for (const char *s = p; *s; s++)
		if ((s[0] == '.' && s[1] == '.') || (unsigned char)*s < ' ')
			return false;
	return true;
}

/* Creates root/rel with body (parents made as needed). */
static void put_file(const char *rel, const char *body, size_t len)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, body, len) < 0) {
		/* an unwritable path is an input the reader will not see */
	}
	close(fd);
}

static void check_cpulist(const char *text)
{
	struct nl_cpuset a = { 0 }, b = { 0 };
	char out[8192];

	if (!cpuset__parse_list(&a, text) && cpuset__count(&a) < 2000) {
		cpuset__format(&a, out, sizeof(out));
		if (strlen(out) < sizeof(out) - 1 &&
		    (cpuset__parse_list(&b, out) || !cpuset__equal(&a, &b)))
			fuzz_fail("cpulist '%s' formats as '%s', which parses differently", text, out);
	}
	cpuset__free(&a);
	cpuset__free(&b);
	cpuset__parse_mask(&a, text);
	cpuset__free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 2), *p, *end;
	struct nl_topology *topo;
	struct nl_error err;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = copy[size + 1] = '\0';
	end = copy + size;
	clear_root();
	for (p = copy; p < end;) {
		char *path = p, *body = p + strlen(p) + 1;
		size_t len = body < end ? strlen(body) : 0;

		if (body > end)
			break;
		if (safe_path(path))
			put_file(path, body, len);
		if (len < 256)
			check_cpulist(body);
		p = body + len + 1;
	}
	topo = topology__read_sysfs(root, &err);
	if (topo) {
		for (int i = 0; i < topo->nr_cpus; i++)
			(void)topology__node_of_cpu(topo, i);
		(void)topology__nr_packages(topo);
		(void)topology__nr_online_cpus(topo);
	}
	topology__free(topo);
	free(copy);
	return 0;
}
