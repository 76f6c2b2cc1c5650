/*
 * test_synthetic.c - topology__read_sysfs on small trees written here, for
 * the layouts the real-machine fixtures do not have: old kernels (cpumap and
 * thread_siblings masks only, no cpu/present), no NUMA directory, memory
 * block maps both ways, dangling symlinks and garbage files, a bad root, and
 * 2048 CPUs.  Expected values are the facts written into each tree.
 */
#include <errno.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/diag.h"
#include "sysfs_tree.h"
#include "samplers/base/topology.h"

static struct nl_topology *read_root(void)
{
	struct nl_error err = { .code = 1 };
	struct nl_topology *t = topology__read_sysfs(root, &err);

	CHECK(t != NULL);
	CHECK_EQ_U64(err.code, 0);
	if (!t)
		fprintf(stderr, "read_sysfs: %s: %s\n", err.object, err.cause);
	return t;
}

#define SYS "sys/devices/system/"

struct file {
	const char *path, *text;        /* path under root; NULL ends a table */
};

/* A fresh root holding files[], read back (NULL when the read failed). */
static struct nl_topology *tree(const struct file *files)
{
	fresh_root();
	for (; files->path; files++)
		put(files->text, "%s", files->path);
	return read_root();
}

/* 2.6-era tree: cpumap and thread_siblings masks, cpuN dirs, no cpu lists. */
static void test_old_kernel(void)
{
#define OLD_CPU(c, pkg, mask)                                                  \
	{ SYS "cpu/cpu" #c "/topology/physical_package_id", pkg },            \
	{ SYS "cpu/cpu" #c "/topology/core_id", "0\n" },                      \
	{ SYS "cpu/cpu" #c "/topology/thread_siblings", mask }
	static const struct file files[] = {
		OLD_CPU(0, "0\n", "00000003\n"), OLD_CPU(1, "0\n", "00000003\n"),
		OLD_CPU(2, "1\n", "0000000c\n"), OLD_CPU(3, "1\n", "0000000c\n"),
		{ SYS "node/node0/cpumap", "00000003\n" },
		{ SYS "node/node1/cpumap", "0000000c\n" },
		{ SYS "node/node0/distance", "10 20\n" },
		{ SYS "node/node1/distance", "20 10\n" },
		{ SYS "node/node1/meminfo",
		  "Node 1 MemTotal:  2048 kB\nNode 1 MemFree:  1024 kB\n" },
		{ NULL, NULL },
	};
#undef OLD_CPU
	struct nl_topology *t = tree(files);

	if (!t)
		return;
	CHECK_EQ_U64(t->nr_nodes, 2);
	CHECK_EQ_U64(t->nr_cpus, 4);
	CHECK_EQ_U64(topology__nr_online_cpus(t), 4);
	CHECK_EQ_U64(topology__node_of_cpu(t, 1), 0);
	CHECK_EQ_U64(topology__node_of_cpu(t, 3), 1);
	CHECK_EQ_U64(topology__distance(t, 1, 0), 20);
	CHECK_EQ_U64(t->nodes[1].mem_total_kb, 2048);
	CHECK_EQ_U64(t->nodes[1].mem_free_kb, 1024);
	CHECK(cpuset__has(&t->cpus[2].siblings, 3));
	CHECK_EQ_U64(topology__nr_packages(t), 2);
	CHECK_EQ_U64(t->memory_block_size, 0);
	topology__free(t);
}

/* Offline nodes: distance files list one value per *online* node. */
static void test_offline_nodes(void)
{
	static const struct file files[] = {
		{ SYS "cpu/present", "0-1\n" },
		{ SYS "node/possible", "0-3\n" },
		{ SYS "node/online", "0,2\n" },
		{ SYS "node/node0/cpulist", "0\n" },
		{ SYS "node/node2/cpulist", "1\n" },
		{ SYS "node/node0/distance", "10 20\n" },
		{ SYS "node/node2/distance", "20 10\n" },
		{ NULL, NULL },
	};
	struct nl_topology *t = tree(files);

	if (!t)
		return;
	CHECK_EQ_U64(t->nr_nodes, 4);
	CHECK(t->nodes[0].online && !t->nodes[1].online && t->nodes[2].online);
	CHECK_EQ_U64(topology__distance(t, 0, 2), 20);
	CHECK_EQ_U64(topology__distance(t, 2, 2), 10);
	CHECK_EQ_U64(topology__distance(t, 0, 1), 0);
	CHECK_EQ_U64(topology__node_of_cpu(t, 1), 2);
	topology__free(t);
}

/* No node directory: one node 0 with the online CPUs and /proc/meminfo. */
static void test_no_numa(void)
{
	static const struct file files[] = {
		{ SYS "cpu/present", "0-5\n" },
		{ SYS "cpu/online", "0-3,5\n" },
		{ SYS "cpu/possible", "0-7\n" },
		{ "proc/meminfo", "MemTotal:  8000 kB\nMemFree:  6000 kB\n" },
		{ NULL, NULL },
	};
	struct nl_topology *t = tree(files);

	if (!t)
		return;
	CHECK_EQ_U64(t->nr_nodes, 1);
	CHECK_EQ_U64(t->nodes[0].id, 0);
	CHECK_EQ_U64(cpuset__count(&t->nodes[0].cpus), 5);
	CHECK_EQ_U64(t->nodes[0].mem_total_kb, 8000);
	CHECK_EQ_U64(t->nr_cpus, 8);
	CHECK(t->cpus[4].present && !t->cpus[4].online);
	CHECK(!t->cpus[6].present);
	CHECK_EQ_U64(topology__node_of_cpu(t, 5), 0);
	CHECK_EQ_U64(topology__node_of_cpu(t, 4), (uint64_t)-1);
	CHECK_EQ_U64(topology__node_of_cpu(t, 6), (uint64_t)-1);
	topology__free(t);
}

/* Memory blocks: nodeN/memoryM entries first, memory/memoryM/nodeN second. */
static void test_memory_blocks(bool via_node_dir)
{
	static const struct file files[] = {
		{ SYS "cpu/present", "0-1\n" },
		{ SYS "node/node0/cpulist", "0\n" },
		{ SYS "node/node1/cpulist", "1\n" },
		{ SYS "memory/block_size_bytes", "8000000\n" },
		{ NULL, NULL },
	};
	uint64_t bs = 128ull << 20;
	struct nl_topology *t;

	topology__free(tree(files));    /* the base tree; blocks follow */
	for (int b = 0; b < 8; b++) {
		int node = b < 4 ? 0 : b == 6 ? -1 : 1;  /* block 6: a hole */

		if (node < 0)
			continue;
		if (via_node_dir)
			put("", SYS "node/node%d/memory%d", node, b);
		else
			put("", SYS "memory/memory%d/node%d", b, node);
	}
	t = read_root();
	if (!t)
		return;
	CHECK_EQ_U64(t->memory_block_size, bs);
	CHECK_EQ_U64(t->nr_ranges, 3);
	CHECK_EQ_U64(topology__node_of_phys(t, 0), 0);
	CHECK_EQ_U64(topology__node_of_phys(t, 4 * bs - 1), 0);
	CHECK_EQ_U64(topology__node_of_phys(t, 4 * bs), 1);
	CHECK_EQ_U64(topology__node_of_phys(t, 6 * bs + 5), (uint64_t)-1);
	CHECK_EQ_U64(topology__node_of_phys(t, 7 * bs), 1);
	CHECK_EQ_U64(topology__node_of_phys(t, 8 * bs), (uint64_t)-1);
	topology__free(t);
}

/* Dangling symlinks and garbage never abort the read; they read as unknown. */
static void test_damaged(void)
{
	struct nl_topology *t;
	char link[1024];

	fresh_root();
	put("0-1\n", SYS "cpu/online");
	put("0\n", SYS "cpu/cpu0/topology/core_id");
	put("0\n", SYS "cpu/cpu1/topology/physical_package_id");
	snprintf(link, sizeof(link), "%s/" SYS "cpu/cpu1/topology/core_id", root);
	CHECK(symlink("../../nowhere/core_id", link) == 0);
	put("garbage\n", SYS "node/node0/cpulist");
	put("ten twenty\n", SYS "node/node0/distance");
	put("", SYS "node/node0/meminfo");
	snprintf(link, sizeof(link), "%s/" SYS "node/node1", root);
	CHECK(symlink("../../../nowhere/node1", link) == 0);
	put("0-1\n", SYS "node/online");
	t = read_root();
	if (!t)
		return;
	CHECK_EQ_U64(t->nr_nodes, 2);
	CHECK_EQ_U64(t->cpus[1].core, (uint64_t)-1);
	CHECK_EQ_U64(t->cpus[1].package, 0);
	CHECK_EQ_U64(t->cpus[0].core, 0);
	CHECK_EQ_U64(cpuset__count(&t->nodes[0].cpus), 0);
	CHECK_EQ_U64(topology__distance(t, 0, 1), 0);
	CHECK_EQ_U64(topology__node_of_cpu(t, 0), (uint64_t)-1);
	topology__free(t);
}

/* Missing root, a file as root, a root without sys/devices/system/cpu. */
static void test_bad_root(void)
{
	char path[512];
	struct nl_error err;

	CHECK(topology__read_sysfs("/nonexistent/nl-root", &err) == NULL);
	CHECK_EQ_U64(err.code, (uint64_t)-ENOENT);
	CHECK(strstr(err.object, "/nonexistent/nl-root") != NULL);
	fresh_root();
	put("x", "file");
	snprintf(path, sizeof(path), "%s/file", root);
	CHECK(topology__read_sysfs(path, &err) == NULL);
	CHECK_EQ_U64(err.code, (uint64_t)-ENOTDIR);
	CHECK(topology__read_sysfs(root, NULL) == NULL);
	CHECK(topology__read_sysfs(root, &err) == NULL);
	CHECK_EQ_U64(err.code, (uint64_t)-ENOENT);
}

/* 2048 CPUs, 16 nodes, SMT2 (n, n+1024), full distance matrix. */
static void test_big_tree(void)
{
	struct nl_topology *t;
	char list[64], dist[256];

	fresh_root();
	put("0-2047\n", SYS "cpu/present");
	put("0-15\n", SYS "node/online");
	for (int c = 0; c < 2048; c++) {
		int core = c % 1024;

		snprintf(list, sizeof(list), "%d,%d\n", core, core + 1024);
		put(list, SYS "cpu/cpu%d/topology/thread_siblings_list", c);
		snprintf(list, sizeof(list), "%d\n", core / 64);
		put(list, SYS "cpu/cpu%d/topology/physical_package_id", c);
		snprintf(list, sizeof(list), "%d\n", core % 64);
		put(list, SYS "cpu/cpu%d/topology/core_id", c);
		snprintf(list, sizeof(list), "%d\n", core % 64 / 32);
		put(list, SYS "cpu/cpu%d/topology/die_id", c);
	}
	for (int n = 0; n < 16; n++) {
		int len = 0;

		snprintf(list, sizeof(list), "%d-%d,%d-%d\n", n * 64, n * 64 + 63,
			 1024 + n * 64, 1024 + n * 64 + 63);
		put(list, SYS "node/node%d/cpulist", n);
		for (int m = 0; m < 16; m++)
			len += snprintf(dist + len, sizeof(dist) - (size_t)len, "%d ",
					m == n ? 10 : 20 + (n + m) % 3);
		put(dist, SYS "node/node%d/distance", n);
	}
	t = read_root();
	if (!t)
		return;
	CHECK_EQ_U64(t->nr_cpus, 2048);
	CHECK_EQ_U64(topology__nr_online_cpus(t), 2048);
	CHECK_EQ_U64(t->nr_nodes, 16);
	CHECK_EQ_U64(topology__nr_packages(t), 16);
	CHECK_EQ_U64(topology__node_of_cpu(t, 2047), 15);
	CHECK_EQ_U64(topology__node_of_cpu(t, 1024 + 70), 1);
	CHECK_EQ_U64(topology__distance(t, 3, 7), 20 + 10 % 3);
	CHECK(cpuset__has(&t->cpus[1500].siblings, 1500 - 1024));
	CHECK_EQ_U64(t->cpus[1500].core, (1500 - 1024) % 64);
	CHECK_EQ_U64(t->cpus[1500].die, (1500 - 1024) % 64 / 32);
	CHECK_EQ_U64(t->cpus[1500].package, (1500 - 1024) / 64);
	topology__free(t);
}

int main(void)
{
	test_old_kernel();
	test_no_numa();
	test_offline_nodes();
	test_memory_blocks(true);
	test_memory_blocks(false);
	test_damaged();
	test_bad_root();
	test_big_tree();
	remove_root();
	return check_done();
}
