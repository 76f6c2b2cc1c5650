/*
 * machine_cost.c - latency and bandwidth per CPU node x memory node.  See
 * machine_cost.h.
 *
 * One cell: map a buffer, bind it to the memory node, then (from a thread
 * pinned to the CPU node) touch it so every page lands there; check a
 * sample of pages with move_pages; chase a random cyclic chain of cache
 * lines for the latency; then every CPU of the node streams its slice for
 * the bandwidth.  The chain is random over the whole buffer so neither the
 * hardware prefetcher nor the caches hide memory.
 */
#include "samplers/machine_cost.h"

#include <errno.h>
#include <stdbool.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "samplers/base/cpuset.h"
#include "samplers/base/diag.h"
#include "samplers/base/topology.h"

#define LINE 64
#define PLACEMENT_PROBES 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) ? -EINVAL : 0;
}

/* The online CPUs of node id (at most max; 0 = all).  Count, -ENOMEM. */
static int cpus_of_node(const struct nl_topology *topo, int node, int max, int **out)
{
	int n = 0, *v = malloc((size_t)(topo->nr_cpus ? topo->nr_cpus : 1) * sizeof(int));

	if (!v)
		return -ENOMEM;
	for (int c = 0; c < topo->nr_cpus && (!max || n < max); c++)
		if (topo->cpus[c].present && topo->cpus[c].online && topo->cpus[c].node == node)
			v[n++] = c;
	*out = v;
	return n;
}

/* An anonymous buffer bound to node, not yet touched.  NULL with -errno. */
static void *map_on(int node, size_t len, int *err)
{
	unsigned long mask[16] = { 0 };
	void *p;

	if (node < 0 || node >= (int)(sizeof(mask) * 8)) {
		*err = -EINVAL;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
	if (mbind(p, len, MPOL_BIND, mask, sizeof(mask) * 8, 0)) {
		*err = -errno;
		munmap(p, len);
		return NULL;
	}
	return p;
}

/* Share of PLACEMENT_PROBES pages of buf that sit on node. */
static double placed_on(void *buf, size_t len, int node)
{
	void *pages[PLACEMENT_PROBES];
	int status[PLACEMENT_PROBES], ok = 0;
	size_t step = len / PLACEMENT_PROBES;
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < PLACEMENT_PROBES; i++)
		pages[i] = (char *)buf + ((size_t)i * step) / (size_t)page * (size_t)page;
	if (move_pages(0, PLACEMENT_PROBES, pages, NULL, status, 0))
		return 0;
	for (int i = 0; i < PLACEMENT_PROBES; i++)
		ok += status[i] == node;
	return (double)ok / PLACEMENT_PROBES;
}

/* xorshift64*: a cheap, seedable shuffle source. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Links every cache line of buf into one random cycle.  0 or -ENOMEM. */
static int build_chain(char *buf, size_t len)
{
	size_t n = len / LINE, i;
	uint32_t *order = malloc(n * sizeof(*order));
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	if (!order)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		size_t j = next_rand(&seed) % (i + 1);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		*(char **)(buf + (size_t)order[i] * LINE) = buf + (size_t)order[(i + 1) % n] * LINE;
	free(order);
	return 0;
}

/* ns per dependent load, chasing for about seconds. */
static double chase(char *start, double seconds)
{
	char *volatile sink;
	char *p = start;
	uint64_t loads = 0;
	double t0 = now_s(), t;

	do {
		for (int i = 0; i < 1 << 14; i++)
			p = *(char **)p;
		loads += 1 << 14;
		t = now_s();
	} while (t - t0 < seconds);
	sink = p;
	(void)sink;
	return (t - t0) * 1e9 / (double)loads;
}

struct reader {
	pthread_t thread;
	int cpu;
	const uint64_t *from;
	size_t words;
	double seconds;
	pthread_barrier_t *go;
	double elapsed;
	uint64_t bytes;
	uint64_t sum;
	int err;
};

static void *stream(void *arg)
{
	struct reader *r = arg;
	double t0;
	uint64_t sum = 0;

	r->err = pin_to(r->cpu);
	pthread_barrier_wait(r->go);
	t0 = now_s();
	do {
		for (size_t i = 0; i < r->words; i++)
			sum += r->from[i];
		r->bytes += r->words * sizeof(uint64_t);
		r->elapsed = now_s() - t0;
	} while (r->elapsed < r->seconds);
	r->sum = sum;
	return NULL;
}

/* GB/s of every cpu reading its slice of buf at once. */
static double bandwidth(const char *buf, size_t len, const int *cpus, int n, double seconds,
			int *err)
{
	struct reader *r = calloc((size_t)n, sizeof(*r));
	pthread_barrier_t go;
	size_t slice = len / (size_t)n / sizeof(uint64_t);
	double longest = 0;
	uint64_t bytes = 0;
	int started = 0;

	if (!r) {
		*err = -ENOMEM;
		return 0;
	}
	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		r[i] = (struct reader){ .cpu = cpus[i], .from = (const uint64_t *)buf + slice * i,
					.words = slice, .seconds = seconds, .go = &go };
		if (pthread_create(&r[i].thread, NULL, stream, &r[i]))
			break;
		started++;
	}
	if (started < n) {
		/* the barrier waits for n: release the started ones by failing the
		 * whole cell (threads cannot be created, report it) */
		*err = -EAGAIN;
		for (int i = started; i < n; i++) {
			r[i] = (struct reader){ .cpu = cpus[0], .words = 0, .seconds = 0, .go = &go };
			pthread_create(&r[i].thread, NULL, stream, &r[i]);
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(r[i].thread, NULL);
		if (r[i].err && !*err)
			*err = r[i].err;
		bytes += r[i].bytes;
		if (r[i].elapsed > longest)
			longest = r[i].elapsed;
	}
	pthread_barrier_destroy(&go);
	free(r);
	return longest > 0 ? (double)bytes / longest / 1e9 : 0;
}

struct cell_job {
	const struct nl_cost_options *opt;
	int cpu, *cpus, nr_cpus;
	struct nl_cost_cell *cell;
	int err;
};

/* Runs on the latency CPU of the source node (first touch happens there). */
static void *measure_cell(void *arg)
{
	struct cell_job *j = arg;
	size_t len = (size_t)j->opt->size_mib << 20;
	char *buf;

	if ((j->err = pin_to(j->cpu)))
		return NULL;
	buf = map_on(j->cell->mem_node, len, &j->err);
	if (!buf)
		return NULL;
	memset(buf, 1, len);                    /* first touch: pages land now */
	j->cell->placed = placed_on(buf, len, j->cell->mem_node);
	if ((j->err = build_chain(buf, len)) == 0) {
		j->cell->latency_ns = chase(buf, j->opt->seconds);
		j->cell->bandwidth_gbs = bandwidth(buf, len, j->cpus, j->nr_cpus,
						   j->opt->seconds, &j->err);
		j->cell->threads = j->nr_cpus;
	}
	munmap(buf, len);
	return NULL;
}

void machine_cost__free(struct nl_machine_cost *cost)
{
	if (!cost)
		return;
	free(cost->cpu_nodes);
	free(cost->mem_nodes);
	free(cost->cells);
	free(cost);
}

const struct nl_cost_cell *machine_cost__cell(const struct nl_machine_cost *cost,
					      int cpu_node, int mem_node)
{
	for (int i = 0; i < cost->nr_cpu_nodes * cost->nr_mem_nodes; i++)
		if (cost->cells[i].cpu_node == cpu_node && cost->cells[i].mem_node == mem_node)
			return &cost->cells[i];
	return NULL;
}

/* Means of the local and remote cells and their ratios. */
static void summarize(struct nl_machine_cost *c)
{
	double lat[2] = { 0 }, bw[2] = { 0 };
	int n[2] = { 0 };

	for (int i = 0; i < c->nr_cpu_nodes * c->nr_mem_nodes; i++) {
		int remote = c->cells[i].cpu_node != c->cells[i].mem_node;

		lat[remote] += c->cells[i].latency_ns;
		bw[remote] += c->cells[i].bandwidth_gbs;
		n[remote]++;
	}
	if (n[0]) {
		c->local_latency_ns = lat[0] / n[0];
		c->local_bandwidth_gbs = bw[0] / n[0];
	}
	if (n[1]) {
		c->remote_latency_ns = lat[1] / n[1];
		c->remote_bandwidth_gbs = bw[1] / n[1];
	}
	if (n[0] && n[1] && c->local_latency_ns > 0 && c->local_bandwidth_gbs > 0) {
		c->latency_ratio = c->remote_latency_ns / c->local_latency_ns;
		c->bandwidth_ratio = c->remote_bandwidth_gbs / c->local_bandwidth_gbs;
	}
}

static int fail(struct nl_error *err, int code, const char *fix, const char *what)
{
	diag__set(err, code, fix, "%s: %s", what, strerror(-code));
	return code;
}

int machine_cost__measure(const struct nl_topology *topo, const struct nl_cost_options *opt_in,
			  struct nl_machine_cost **out, struct nl_error *err)
{
	struct nl_cost_options opt = *opt_in;
	struct nl_machine_cost *c = calloc(1, sizeof(*c));
	double t0 = now_s();
	int e = 0;

	*out = NULL;
	if (!opt.size_mib)
		opt.size_mib = 64;
	if (!(opt.seconds > 0))
		opt.seconds = 0.3;
	if (!c || !(c->cpu_nodes = calloc((size_t)topo->nr_nodes + 1, sizeof(int))) ||
	    !(c->mem_nodes = calloc((size_t)topo->nr_nodes + 1, sizeof(int)))) {
		machine_cost__free(c);
		return fail(err, -ENOMEM, NULL, "measure");
	}
	bool mem_known = false;

	for (int i = 0; i < topo->nr_nodes; i++)
		mem_known |= topo->nodes[i].mem_total_kb > 0;
	for (int i = 0; i < topo->nr_nodes; i++) {
		const struct nl_topology_node *nd = &topo->nodes[i];
		int *cpus, n = cpus_of_node(topo, nd->id, 1, &cpus);

		if (n < 0) {
			machine_cost__free(c);
			return fail(err, n, NULL, "measure");
		}
		free(cpus);
		if (n > 0)
			c->cpu_nodes[c->nr_cpu_nodes++] = nd->id;
		/* memory-less nodes hold nothing to bind; without any meminfo,
		 * every node with CPUs is taken to have memory */
		if (mem_known ? nd->mem_total_kb > 0 : n > 0)
			c->mem_nodes[c->nr_mem_nodes++] = nd->id;
	}
	c->size_mib = opt.size_mib;
	c->cells = calloc((size_t)(c->nr_cpu_nodes * c->nr_mem_nodes) + 1, sizeof(*c->cells));
	if (!c->cells || !c->nr_cpu_nodes) {
		e = c->cells ? -ENODEV : -ENOMEM;
		machine_cost__free(c);
		return fail(err, e, "check that CPUs are online", "no node with online CPUs");
	}
	for (int i = 0; i < c->nr_cpu_nodes && !e; i++) {
		struct cell_job job = { .opt = &opt };
		int n = cpus_of_node(topo, c->cpu_nodes[i], opt.max_threads, &job.cpus);

		if (n <= 0) {
			e = n < 0 ? n : -ENODEV;
			break;
		}
		job.nr_cpus = n;
		job.cpu = job.cpus[0];
		for (int m = 0; m < c->nr_mem_nodes && !e; m++) {
			pthread_t t;

			job.cell = &c->cells[i * c->nr_mem_nodes + m];
			job.cell->cpu_node = c->cpu_nodes[i];
			job.cell->mem_node = c->mem_nodes[m];
			job.err = 0;
			if (pthread_create(&t, NULL, measure_cell, &job)) {
				e = -EAGAIN;
				break;
			}
			pthread_join(t, NULL);
			e = job.err;
		}
		free(job.cpus);
	}
	if (e) {
		machine_cost__free(c);
		return fail(err, e, e == -EPERM || e == -EINVAL ?
			    "the kernel refused mbind: run where NUMA policies are allowed" :
			    "free some memory or pass a smaller --measure-mib", "measure");
	}
	summarize(c);
	c->seconds = now_s() - t0;
	*out = c;
	return 0;
}
