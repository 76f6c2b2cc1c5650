/*
 * test_this_machine.c - topology__read_sysfs("/") against independent
 * sources on the machine running the test: sysconf and sched_getaffinity
 * for the CPU count, libnuma for nodes, cpu->node and distances, and (when
 * /proc/self/pagemap shows frame numbers, i.e. as root) the kernel's own
 * node of a touched page (get_mempolicy) for node_of_phys.
 */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/diag.h"
#include "samplers/base/topology.h"

static void check_cpus(const struct nl_topology *t)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t mask;

	CHECK_EQ_U64(topology__nr_online_cpus(t), online);
	if (sched_getaffinity(0, sizeof(mask), &mask) == 0)
		CHECK(topology__nr_online_cpus(t) >= CPU_COUNT(&mask));
	CHECK(t->nr_cpus >= online);
	for (int c = 0; c < t->nr_cpus; c++)
		if (t->cpus[c].online)
			CHECK(t->cpus[c].present);
	printf("this machine: %d online CPUs, %d nodes, %d packages\n",
	       topology__nr_online_cpus(t), t->nr_nodes, topology__nr_packages(t));
}

static void check_nodes(const struct nl_topology *t)
{
	int online_nodes = 0;

	if (numa_available() < 0) {
		CHECK_EQ_U64(t->nr_nodes, 1);   /* no NUMA: one node 0 */
		return;
	}
	for (int i = 0; i < t->nr_nodes; i++)
		online_nodes += t->nodes[i].online;
	CHECK_EQ_U64(online_nodes, numa_num_configured_nodes());
	for (int c = 0; c < t->nr_cpus; c++)
		if (t->cpus[c].online)
			CHECK_EQ_U64(topology__node_of_cpu(t, c), numa_node_of_cpu(c));
	for (int i = 0; i < t->nr_nodes; i++)
		for (int j = 0; j < t->nr_nodes; j++)
			if (t->nodes[i].online && t->nodes[j].online)
				CHECK_EQ_U64(topology__distance(t, t->nodes[i].id,
								t->nodes[j].id),
					     numa_distance(t->nodes[i].id, t->nodes[j].id));
	for (int i = 0; i < t->nr_nodes; i++) {
		long long free_b, total = numa_node_size64(t->nodes[i].id, &free_b);

		if (t->nodes[i].online && total > 0)
			CHECK_EQ_U64(t->nodes[i].mem_total_kb, (uint64_t)total / 1024);
	}
}

/* Physical address of a touched page via /proc/self/pagemap, 0 if hidden. */
static uint64_t phys_of(const void *p)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry),
		  (off_t)((uintptr_t)p / (uintptr_t)page * sizeof(entry))) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry >> 63 & 1) || !(entry & ((1ull << 55) - 1)))
		return 0;
	return (entry & ((1ull << 55) - 1)) * (uint64_t)page + (uintptr_t)p % (uintptr_t)page;
}

static void check_memory(const struct nl_topology *t)
{
	long page = sysconf(_SC_PAGESIZE);
	char *buf;
	uint64_t phys;
	int node = -1;

	if (!t->memory_block_size) {
		printf("no memory block map here: node_of_phys not checked\n");
		return;
	}
	CHECK(t->nr_ranges > 0);
	for (int i = 1; i < t->nr_ranges; i++)
		CHECK(t->ranges[i - 1].end <= t->ranges[i].start);
	buf = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	if (buf == MAP_FAILED)
		return;
	buf[0] = 1;
	phys = phys_of(buf);
	if (phys && get_mempolicy(&node, NULL, 0, buf, MPOL_F_NODE | MPOL_F_ADDR) == 0)
		CHECK_EQ_U64(topology__node_of_phys(t, phys), node);
	else
		printf("pagemap hides frame numbers (not root): node_of_phys not checked\n");
	munmap(buf, (size_t)page);
}

int main(void)
{
	struct nl_error err;
	struct nl_topology *t = topology__read_sysfs("/", &err);

	if (!t) {
		if (err.code == -ENOENT)
			check_skip("no /sys/devices/system/cpu on this machine");
		fprintf(stderr, "%s: %s\n", err.object, err.cause);
		return 1;
	}
	CHECK_EQ_STR(t->origin, "sysfs:/");
	check_cpus(t);
	check_nodes(t);
	check_memory(t);
	topology__free(t);
	return check_done();
}
