/*
 * test_builder.c - the topology__add_* builder API as samplers/perfdata.c
 * uses it: a full header (per-CPU ids), an old header (sibling strings
 * only), out-of-order and sparse nodes, memory ranges, and bad input.
 */
#include <errno.h>

#include "check.h"
#include "samplers/base/topology.h"
#include "report/topology_render.h"

#define GIB (1ull << 30)

/* 2 nodes x 1 package x 2 cores x 2 threads: cpu n and n+4 are siblings. */
static struct nl_topology *two_nodes(void)
{
	struct nl_topology *t = topology__new("perf.data:test");

	CHECK(t != NULL);
	CHECK(topology__add_node(t, 1, "2-3,6-7", 8 << 20, 4 << 20) == 0);
	CHECK(topology__set_distance(t, 1, 1, 10) == 0);
	/* Node 0 arrives after a distance was set: the matrix is re-laid out. */
	CHECK(topology__add_node(t, 0, "0-1,4-5", 16 << 20, 1 << 20) == 0);
	CHECK(topology__set_distance(t, 0, 1, 21) == 0);
	CHECK(topology__set_distance(t, 1, 0, 21) == 0);
	CHECK(topology__set_distance(t, 0, 0, 10) == 0);
	for (int c = 0; c < 8; c++)
		CHECK(topology__set_cpu(t, c, c != 7, (c / 2) % 2, -1, c % 4) == 0);
	CHECK(topology__add_siblings(t, "0,4") == 0);
	CHECK(topology__add_siblings(t, "1,5") == 0);
	CHECK(topology__add_siblings(t, "2,6") == 0);
	CHECK(topology__add_siblings(t, "3,7") == 0);
	/* Out of order, adjacent and overlapping ranges. */
	CHECK(topology__add_memory_range(t, 2 * GIB, 3 * GIB, 1) == 0);
	CHECK(topology__add_memory_range(t, 1 * GIB, 2 * GIB, 0) == 0);
	CHECK(topology__add_memory_range(t, 0, 1 * GIB, 0) == 0);
	CHECK(topology__add_memory_range(t, 2 * GIB + 4096, 4 * GIB, 1) == 0);
	CHECK(topology__finish(t) == 0);
	return t;
}

static void test_full_header(void)
{
	struct nl_topology *t = two_nodes();

	CHECK_EQ_U64(t->nr_nodes, 2);
	CHECK_EQ_U64(t->nodes[0].id, 0);
	CHECK_EQ_U64(t->nodes[1].id, 1);
	CHECK_EQ_U64(t->nodes[0].mem_total_kb, 16 << 20);
	CHECK_EQ_U64(topology__node_of_cpu(t, 4), 0);
	CHECK_EQ_U64(topology__node_of_cpu(t, 6), 1);
	CHECK_EQ_U64(topology__node_of_cpu(t, 8), (uint64_t)-1);
	CHECK_EQ_U64(topology__node_of_cpu(t, -1), (uint64_t)-1);
	CHECK_EQ_U64(topology__distance(t, 0, 1), 21);
	CHECK_EQ_U64(topology__distance(t, 1, 1), 10);
	CHECK_EQ_U64(topology__distance(t, 0, 0), 10);
	CHECK_EQ_U64(topology__distance(t, 0, 5), 0);
	CHECK_EQ_U64(topology__nr_packages(t), 2);
	CHECK_EQ_U64(topology__nr_online_cpus(t), 7);
	CHECK(cpuset__has(&t->cpus[4].siblings, 0));
	CHECK_EQ_U64(cpuset__count(&t->cpus[4].siblings), 2);

	/* [0,2G) node 0 merged; [2G,4G) node 1 merged over the overlap. */
	CHECK_EQ_U64(t->nr_ranges, 2);
	CHECK_EQ_U64(topology__node_of_phys(t, 0), 0);
	CHECK_EQ_U64(topology__node_of_phys(t, GIB + 5), 0);
	CHECK_EQ_U64(topology__node_of_phys(t, 2 * GIB), 1);
	CHECK_EQ_U64(topology__node_of_phys(t, 4 * GIB - 1), 1);
	CHECK_EQ_U64(topology__node_of_phys(t, 4 * GIB), (uint64_t)-1);
	topology__free(t);
}

/*
 * An old perf.data header: NUMA_TOPOLOGY cpulists, CPU_TOPOLOGY core
 * siblings (one per socket) and thread siblings (one per core), no ids.
 */
static void test_siblings_only(void)
{
	struct nl_topology *t = topology__new("perf.data:old");

	CHECK(topology__add_node(t, 0, "0-7,16-23", 0, 0) == 0);
	CHECK(topology__add_node(t, 1, "8-15,24-31", 0, 0) == 0);
	CHECK(topology__add_package_siblings(t, "0-7,16-23") == 0);
	CHECK(topology__add_package_siblings(t, "8-15,24-31") == 0);
	CHECK(topology__add_package_siblings(t, "0-7,16-23") == 0);  /* dup */
	for (int c = 0; c < 16; c++) {
		char list[32];

		snprintf(list, sizeof(list), "%d,%d", c, c + 16);
		CHECK(topology__add_siblings(t, list) == 0);
	}
	CHECK(topology__finish(t) == 0);
	CHECK_EQ_U64(t->nr_cpus, 32);
	CHECK_EQ_U64(topology__nr_online_cpus(t), 32);
	CHECK_EQ_U64(topology__nr_packages(t), 2);
	CHECK_EQ_U64(t->cpus[3].package, 0);
	CHECK_EQ_U64(t->cpus[27].package, 1);
	CHECK(t->cpus[5].core >= 0);
	CHECK_EQ_U64(t->cpus[21].core, t->cpus[5].core);
	CHECK(t->cpus[6].core != t->cpus[5].core);
	CHECK_EQ_U64(topology__node_of_cpu(t, 24), 1);
	topology__free(t);
}

/* Pipe-mode perf.data: header features arrive in pieces, finish after each. */
static void test_finish_again(void)
{
	struct nl_topology *t = topology__new("perf.data:pipe");
	cJSON *null_json = topology_render__json(NULL);

	CHECK(topology__add_node(t, 0, "0-3", 0, 0) == 0);
	CHECK(topology__finish(t) == 0);
	CHECK_EQ_U64(topology__nr_online_cpus(t), 4);
	CHECK_EQ_U64(topology__nr_packages(t), 0);
	CHECK(topology__add_package_siblings(t, "0-1") == 0);
	CHECK(topology__add_package_siblings(t, "2-3") == 0);
	CHECK(topology__add_siblings(t, "0") == 0);
	CHECK(topology__add_siblings(t, "1") == 0);
	CHECK(topology__finish(t) == 0);
	CHECK_EQ_U64(topology__nr_packages(t), 2);
	CHECK_EQ_U64(t->cpus[3].package, 1);
	CHECK(t->cpus[0].core >= 0 && t->cpus[1].core >= 0);
	CHECK(t->cpus[0].core != t->cpus[1].core);
	CHECK(topology__finish(t) == 0);            /* idempotent */
	CHECK_EQ_U64(topology__nr_packages(t), 2);
	CHECK(cJSON_IsNull(null_json));
	cJSON_Delete(null_json);
	topology__free(t);
}

/* Sparse ids (0, 8, 250-255), CPU-less nodes, no distances. */
static void test_sparse(void)
{
	struct nl_topology *t = topology__new("x");
	static const int ids[] = { 255, 8, 250, 0, 252, 251, 254, 253 };

	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++)
		CHECK(topology__add_node(t, ids[i], ids[i] < 250 ? "0" : NULL, 1, 1) == 0);
	CHECK(topology__add_node(t, 8, "88-91", 2, 2) == 0);      /* update */
	CHECK(topology__finish(t) == 0);
	CHECK_EQ_U64(t->nr_nodes, 8);
	for (int i = 1; i < t->nr_nodes; i++)
		CHECK(t->nodes[i - 1].id < t->nodes[i].id);
	CHECK_EQ_U64(topology__node_index(t, 250), 2);
	CHECK_EQ_U64(topology__node_index(t, 7), (uint64_t)-1);
	CHECK_EQ_U64(topology__node_of_cpu(t, 90), 8);
	CHECK_EQ_U64(t->nodes[1].mem_total_kb, 2);
	CHECK_EQ_U64(topology__distance(t, 0, 8), 0);
	CHECK(t->distance == NULL);
	topology__free(t);
}

static void test_bad_input(void)
{
	struct nl_topology *t = topology__new("bad");

	CHECK(topology__add_node(t, 0, "0-", 0, 0) == -EINVAL);
	CHECK(topology__add_node(t, -1, "0", 0, 0) == -EINVAL);
	CHECK(topology__set_distance(t, 0, 1, 10) == -ENOENT);
	CHECK(topology__set_cpu(t, -2, true, 0, 0, 0) == -EINVAL);
	CHECK(topology__add_siblings(t, "x") == -EINVAL);
	CHECK(topology__add_package_siblings(t, "1,,2") == -EINVAL);
	CHECK(topology__add_memory_range(t, 10, 10, 0) == -EINVAL);
	CHECK(topology__finish(t) == 0);
	CHECK_EQ_U64(t->nr_nodes, 0);
	CHECK_EQ_U64(topology__node_of_phys(t, 0), (uint64_t)-1);
	CHECK_EQ_U64(topology__nr_packages(t), 0);
	topology__free(t);
	topology__free(NULL);
}

/* Thousands of CPUs and > 64 packages (the nr_packages slow path). */
static void test_big(void)
{
	struct nl_topology *t = topology__new("big");
	cJSON *json;

	CHECK(topology__add_node(t, 0, "0-4095", 0, 0) == 0);
	CHECK(topology__add_node(t, 1, "4096-8191", 0, 0) == 0);
	for (int c = 0; c < 8192; c++)
		CHECK(topology__set_cpu(t, c, true, c / 64, -1, c % 64) == 0);
	CHECK(topology__finish(t) == 0);
	CHECK_EQ_U64(topology__nr_packages(t), 128);
	CHECK_EQ_U64(topology__nr_online_cpus(t), 8192);
	CHECK_EQ_U64(topology__node_of_cpu(t, 8191), 1);
	json = topology_render__json(t);
	CHECK(json != NULL);
	CHECK_EQ_U64(cJSON_GetArraySize(cJSON_GetObjectItem(json, "packages")), 128);
	cJSON_Delete(json);
	topology__free(t);
}

int main(void)
{
	test_full_header();
	test_siblings_only();
	test_finish_again();
	test_sparse();
	test_bad_input();
	test_big();
	return check_done();
}
