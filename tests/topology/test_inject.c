/*
 * test_inject.c - topology__read_sysfs_with: the sysfs reader's opens,
 * reads and directory listings go through the nl_sys table
 * (samplers/base/sys.h), so failures a real tree rarely shows can be
 * injected: a read error on a node's cpulist, a refused cpu directory, a
 * failing cpuN listing, a node directory that cannot be opened.
 */
#include <errno.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/sys.h"
#include "samplers/base/diag.h"
#include "samplers/base/topology.h"
#include "sysfs_tree.h"

#define SYS "sys/devices/system/"

static struct nl_sys fake;
static int fake_opens;          /* opens seen by the fake table */

/* The injected failure: op on a path ending in one of suffix[] fails with err. */
static struct {
	enum { F_NONE, F_OPEN, F_READ, F_LIST } op;
	const char *suffix[2];
	int err;
} inj;

static bool bad_fd[4096];       /* reads on fd fail (F_READ) */

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
	fresh_root();
	put("0-3\n", SYS "cpu/present");
	put("0-3\n", SYS "cpu/possible");
	put("0-3\n", SYS "cpu/online");
	for (int c = 0; c < 4; c++) {
		char v[16];

		snprintf(v, sizeof(v), "%d\n", c / 2);
		put(v, SYS "cpu/cpu%d/topology/physical_package_id", c);
		snprintf(v, sizeof(v), "%d\n", c % 2);
		put(v, SYS "cpu/cpu%d/topology/core_id", c);
		snprintf(v, sizeof(v), "%d\n", c);
		put(v, SYS "cpu/cpu%d/topology/thread_siblings_list", c);
	}
	put("0-1\n", SYS "node/online");
	put("0-1\n", SYS "node/possible");
	put("0-1\n", SYS "node/node0/cpulist");
	put("2-3\n", SYS "node/node1/cpulist");
	put("10 20\n", SYS "node/node0/distance");
	put("20 10\n", SYS "node/node1/distance");
}

/*
 * Reads the tree with failure (op, suffixes, err) injected.  want_err 0:
 * returns the topology; else checks NULL, *err and that errbuf names
 * want_msg, and returns NULL.
 */
static struct nl_topology *read_injected(int op, const char *s0, const char *s1,
					 int err, int want_err, const char *want_msg)
{
	char errbuf[512] = "";
	struct nl_error e;
	int got;
	struct nl_topology *t;

	inj.op = op;
	inj.suffix[0] = s0;
	inj.suffix[1] = s1;
	inj.err = err;
	memset(bad_fd, 0, sizeof(bad_fd));
	fake_opens = 0;
	t = topology__read_sysfs_with(&fake, root, &e);
	got = e.code;
	snprintf(errbuf, sizeof(errbuf), "%s: %s", e.object, e.cause);
	CHECK_EQ_U64(got, (uint64_t)want_err);
	CHECK((t == NULL) == (want_err != 0));
	if (want_msg && !strstr(errbuf, want_msg)) {
		CHECK(!"errbuf names the path and cause");
		fprintf(stderr, "errbuf: \"%s\", want \"%s\"\n", errbuf, want_msg);
	}
	return t;
}

static void test_through_table(void)
{
	struct nl_topology *t = read_injected(F_NONE, NULL, NULL, 0, 0, NULL);

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
	struct nl_topology *t = read_injected(F_READ, "node/node1/cpulist",
					      "node/node1/cpumap", -EIO, 0, NULL);

	if (t) {
		CHECK_EQ_U64(t->nr_nodes, 2);
		CHECK_EQ_U64(topology__node_of_cpu(t, 1), 0);
		CHECK(topology__node_of_cpu(t, 3) == -1);
		CHECK_EQ_U64(cpuset__count(&t->nodes[1].cpus), 0);
	}
	topology__free(t);
}

/* The cpu directory cannot be opened: fatal, with path and cause named. */
static void test_cpu_dir_refused(void)
{
	read_injected(F_OPEN, SYS "cpu", NULL, -EACCES, -EACCES,
		      SYS "cpu: Permission denied");
}

/*
 * Without cpu/present the cpuN directories are listed; when that listing
 * fails too it is an error naming the directory, not a machine of 0 CPUs.
 */
static void test_listing_fails(void)
{
	char path[512];
	struct nl_topology *t;

	snprintf(path, sizeof(path), "%s/" SYS "cpu/present", root);
	CHECK(unlink(path) == 0);
	t = read_injected(F_NONE, NULL, NULL, 0, 0, NULL);
	if (t)
		CHECK_EQ_U64(topology__nr_online_cpus(t), 4);
	topology__free(t);
	read_injected(F_LIST, SYS "cpu", NULL, -EIO, -EIO, SYS "cpu: Input/output error");
	put("0-3\n", SYS "cpu/present");
}

/* The node directory cannot be opened: one node holding every online CPU. */
static void test_node_dir_refused(void)
{
	struct nl_topology *t = read_injected(F_OPEN, SYS "node", NULL, -EACCES, 0, NULL);

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
	remove_root();
	return check_done();
}
