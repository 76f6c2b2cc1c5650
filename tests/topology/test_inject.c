/*
 * test_inject.c - topology__read_sysfs_with: the sysfs reader's opens,
 * reads and directory listings go through the nl_sys table
 * (samplers/base/sys.h), so failures a real tree rarely shows can be
 * injected: a read error on a node's cpulist, a refused cpu directory, a
 * failing listing, a node directory that cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"

#define SYS "sys/devices/system/"

static char root[256];
static struct nl_sys fake;
static int fake_opens;          /* opens seen by the fake table */

/* The injected failure: op on a path ending in suffix fails with err. */
static struct {
	enum { F_NONE, F_OPEN, F_READ, F_LIST } op;
	const char *suffix[2];
	int err;
} inj;

static void put(const char *text, const char *rel)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static bool hit(const char *path)
{
	size_t n = strlen(path);

	for (int i = 0; i < 2; i++) {
		const char *s = inj.suffix[i];

		if (s && n >= strlen(s) && !strcmp(path + n - strlen(s), s))
			return true;
	}
	return false;
}

/* fd -> whether reads on it fail (F_READ). */
static bool bad_fd[4096];

static int fake_open(const char *path, int flags)
{
	int fd;

	fake_opens++;
	if (inj.op == F_OPEN && hit(path))
		return inj.err;
	fd = sys__default()->open(path, flags);
	if (fd >= 0 && fd < 4096)
		bad_fd[fd] = inj.op == F_READ && hit(path);
	return fd;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	if (fd >= 0 && fd < 4096 && bad_fd[fd])
		return inj.err;
	return sys__default()->read(fd, buf, len);
}

static int fake_list_ids(const char *dir, const char *prefix, int *ids, int cap)
{
	if (inj.op == F_LIST && hit(dir))
		return inj.err;
	return sys__default()->list_ids(dir, prefix, ids, cap);
}

/* Two nodes, CPUs 0-1 on node 0 and 2-3 on node 1, two packages. */
static void make_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/nl-topo-inject-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	put("0-3\n", SYS "cpu/present");
	put("0-3\n", SYS "cpu/possible");
	put("0-3\n", SYS "cpu/online");
	for (int c = 0; c < 4; c++) {
		char rel[128], v[16];

		snprintf(v, sizeof(v), "%d\n", c / 2);
		snprintf(rel, sizeof(rel), SYS "cpu/cpu%d/topology/physical_package_id", c);
		put(v, rel);
		snprintf(v, sizeof(v), "%d\n", c % 2);
		snprintf(rel, sizeof(rel), SYS "cpu/cpu%d/topology/core_id", c);
		put(v, rel);
		snprintf(v, sizeof(v), "%d\n", c);
		snprintf(rel, sizeof(rel), SYS "cpu/cpu%d/topology/thread_siblings_list", c);
		put(v, rel);
	}
	put("0-1\n", SYS "node/online");
	put("0-1\n", SYS "node/possible");
	put("0-1\n", SYS "node/node0/cpulist");
	put("2-3\n", SYS "node/node1/cpulist");
	put("10 20\n", SYS "node/node0/distance");
	put("20 10\n", SYS "node/node1/distance");
}

static struct nl_topology *read_with(int *err, char *errbuf, size_t len)
{
	memset(bad_fd, 0, sizeof(bad_fd));
	fake_opens = 0;
	*err = 1;
	errbuf[0] = '\0';
	return topology__read_sysfs_with(&fake, root, err, errbuf, (int)len);
}

static void test_through_table(void)
{
	char errbuf[256];
	int err;
	struct nl_topology *t;

	inj.op = F_NONE;
	t = read_with(&err, errbuf, sizeof(errbuf));
	CHECK(t != NULL);
	CHECK_EQ_U64(err, 0);
	CHECK(fake_opens > 10);                 /* the reads went through the table */
	if (t) {
		CHECK_EQ_U64(t->nr_nodes, 2);
		CHECK_EQ_U64(topology__node_of_cpu(t, 3), 1);
		CHECK_EQ_U64(topology__distance(t, 0, 1), 20);
		CHECK_EQ_U64(topology__nr_packages(t), 2);
	}
	topology__free(t);
}

/* A node's cpulist (and the cpumap fallback) fails to read: unknown, not fatal. */
static void test_read_error_is_unknown(void)
{
	char errbuf[256];
	int err;
	struct nl_topology *t;

	inj.op = F_READ;
	inj.suffix[0] = "node/node1/cpulist";
	inj.suffix[1] = "node/node1/cpumap";
	inj.err = -EIO;
	t = read_with(&err, errbuf, sizeof(errbuf));
	CHECK(t != NULL);
	CHECK_EQ_U64(err, 0);
	if (t) {
		CHECK_EQ_U64(t->nr_nodes, 2);
		CHECK_EQ_U64(topology__node_of_cpu(t, 1), 0);
		CHECK(topology__node_of_cpu(t, 3) == -1);
		CHECK_EQ_U64(cpuset__count(&t->nodes[1].cpus), 0);
	}
	topology__free(t);
}

/* The cpu directory cannot be opened: the one fatal case, path and cause named. */
static void test_cpu_dir_refused(void)
{
	char errbuf[256];
	int err;
	struct nl_topology *t;

	inj.op = F_OPEN;
	inj.suffix[0] = SYS "cpu";
	inj.suffix[1] = NULL;
	inj.err = -EACCES;
	t = read_with(&err, errbuf, sizeof(errbuf));
	CHECK(t == NULL);
	CHECK_EQ_U64(err, (uint64_t)-EACCES);
	CHECK(strstr(errbuf, SYS "cpu: Permission denied") != NULL);
	if (!strstr(errbuf, SYS "cpu: Permission denied"))
		fprintf(stderr, "errbuf: %s\n", errbuf);
	topology__free(t);
}

/*
 * Without cpu/present the cpuN directories are listed; when that listing
 * fails too it is an error naming the directory, not a machine of 0 CPUs.
 */
static void test_listing_fails(void)
{
	char errbuf[256], path[512];
	int err;
	struct nl_topology *t;

	snprintf(path, sizeof(path), "%s/" SYS "cpu/present", root);
	CHECK(unlink(path) == 0);
	inj.op = F_NONE;
	t = read_with(&err, errbuf, sizeof(errbuf));
	CHECK(t != NULL);
	if (t)
		CHECK_EQ_U64(topology__nr_online_cpus(t), 4);
	topology__free(t);
	inj.op = F_LIST;
	inj.suffix[0] = SYS "cpu";
	inj.suffix[1] = NULL;
	inj.err = -EIO;
	t = read_with(&err, errbuf, sizeof(errbuf));
	CHECK(t == NULL);
	CHECK_EQ_U64(err, (uint64_t)-EIO);
	CHECK(strstr(errbuf, SYS "cpu: Input/output error") != NULL);
	topology__free(t);
	put("0-3\n", SYS "cpu/present");
}

/* The node directory cannot be opened: one node holding every online CPU. */
static void test_node_dir_refused(void)
{
	char errbuf[256];
	int err;
	struct nl_topology *t;

	inj.op = F_OPEN;
	inj.suffix[0] = SYS "node";
	inj.suffix[1] = NULL;
	inj.err = -EACCES;
	t = read_with(&err, errbuf, sizeof(errbuf));
	CHECK(t != NULL);
	if (t) {
		CHECK_EQ_U64(t->nr_nodes, 1);
		CHECK_EQ_U64(topology__node_of_cpu(t, 3), 0);
	}
	topology__free(t);
}

int main(void)
{
	fake = *sys__default();
	fake.open = fake_open;
	fake.read = fake_read;
	fake.list_ids = fake_list_ids;
	make_tree();
	test_through_table();
	test_read_error_is_unknown();
	test_cpu_dir_refused();
	test_listing_fails();
	test_node_dir_refused();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
