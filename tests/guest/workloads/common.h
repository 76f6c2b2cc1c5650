/*
 * common.h - helpers shared by the guest workloads (header-only).
 *
 * Every workload builds its own ground truth: it places memory with mbind or
 * first touch, pins its threads with sched_setaffinity, checks the placement
 * with move_pages(2) and writes what it did to a JSON "truth" file that the
 * scenario compares numalens' output with.  The truth file appears
 * atomically (write + rename) once the workload is set up, so a scenario can
 * poll for it and then profile the pids it names.
 */
#ifndef NL_GUEST_COMMON_H
#define NL_GUEST_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NL_PAGE 4096UL

static volatile sig_atomic_t nl_stop;

static inline void nl_on_signal(int sig)
{
	(void)sig;
	nl_stop = 1;
}

static inline void nl_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nl_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static inline __attribute__((noreturn, format(printf, 1, 2))) void nl_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "workload: ");
	vfprintf(stderr, fmt, ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static inline double nl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Pins the calling thread (tid 0 = self) to one CPU and checks it took. */
static inline void nl_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		nl_die("sched_setaffinity(cpu %d)", cpu);
	/* Wait until the scheduler actually moved us there. */
	for (int i = 0; i < 1000 && sched_getcpu() != cpu; i++)
		sched_yield();
	if (sched_getcpu() != cpu)
		nl_die("still not on cpu %d", cpu);
}

/* Pins the calling thread to all CPUs of a node. */
static inline void nl_pin_node(int node)
{
	struct bitmask *cpus = numa_allocate_cpumask();

	if (numa_node_to_cpus(node, cpus))
		nl_die("numa_node_to_cpus(%d)", node);
	if (numa_sched_setaffinity(0, cpus))
		nl_die("numa_sched_setaffinity(node %d)", node);
	numa_free_cpumask(cpus);
	for (int i = 0; i < 1000 && numa_node_of_cpu(sched_getcpu()) != node; i++)
		sched_yield();
}

/* The first CPU of a node, plus index (the index-th CPU of the node). */
static inline int nl_node_cpu(int node, int index)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	int found = -1, seen = 0;

	if (numa_node_to_cpus(node, cpus) == 0)
		for (unsigned int c = 0; c < cpus->size; c++)
			if (numa_bitmask_isbitset(cpus, c) && seen++ == index) {
				found = (int)c;
				break;
			}
	numa_free_cpumask(cpus);
	if (found < 0)
		nl_die("node %d has no CPU number %d", node, index);
	return found;
}

/* Binds [p, p+len) to one node (MPOL_BIND); call before touching. */
static inline void nl_mbind_node(void *p, size_t len, int node)
{
	unsigned long mask = 1UL << node;

	if (mbind(p, len, MPOL_BIND, &mask, sizeof(mask) * 8, MPOL_MF_STRICT))
		nl_die("mbind(node %d)", node);
}

/* Anonymous private mapping, THP off for it whatever the system says. */
static inline void *nl_map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		nl_die("mmap %zu bytes", len);
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/*
 * Writes every page (first touch) with a pattern that depends on the page.
 * Not inlined, like nl_read_pass: the guest checks (scenarios/check.py)
 * expect the samples to name these functions at their MARK lines.
 */
static __attribute__((noinline)) void nl_touch(void *p, size_t len)
{
	for (size_t off = 0; off < len; off += NL_PAGE)
		((volatile uint64_t *)((char *)p + off))[0] = off / NL_PAGE + 1; /* MARK:touch */
}

/* Reads one word per cache line of [p, p+len); returns a checksum. */
static __attribute__((noinline)) uint64_t nl_read_pass(const void *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t off = 0; off < len; off += 64)
		sum += ((const volatile uint64_t *)((const char *)p + off))[0]; /* MARK:read */
	return sum;
}

/*
 * Counts the pages of [p, p+len) per node with move_pages(2) (query mode).
 * by_node has NL_MAX_NODES entries; pages that move_pages cannot place
 * (negative status) are counted in *unknown.
 */
#define NL_MAX_NODES 8
static inline void nl_census(pid_t pid, const void *p, size_t len,
		      unsigned long by_node[NL_MAX_NODES], unsigned long *unknown)
{
	size_t n = len / NL_PAGE, chunk = 4096;
	void **pages = malloc(chunk * sizeof(*pages));
	int *status = malloc(chunk * sizeof(*status));

	memset(by_node, 0, NL_MAX_NODES * sizeof(by_node[0]));
	*unknown = 0;
	for (size_t i = 0; i < n; i += chunk) {
		size_t m = n - i < chunk ? n - i : chunk;

		for (size_t j = 0; j < m; j++)
			pages[j] = (char *)p + (i + j) * NL_PAGE;
		if (move_pages(pid, m, pages, NULL, status, 0))
			nl_die("move_pages");
		for (size_t j = 0; j < m; j++) {
			if (status[j] >= 0 && status[j] < NL_MAX_NODES)
				by_node[status[j]]++;
			else
				(*unknown)++;
		}
	}
	free(pages);
	free(status);
}

/* "[n0, n1, ...]" for the nodes the machine has. */
static inline void nl_fprint_census(FILE *f, const unsigned long by_node[NL_MAX_NODES])
{
	int nodes = numa_max_node() + 1;

	fputc('[', f);
	for (int i = 0; i < nodes && i < NL_MAX_NODES; i++)
		fprintf(f, "%s%lu", i ? ", " : "", by_node[i]);
	fputc(']', f);
}

/* The truth file is written to PATH.tmp and renamed when complete. */
static inline FILE *nl_truth_open(const char *path)
{
	static char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		nl_die("open %s", tmp);
	return f;
}

static inline void nl_truth_close(FILE *f, const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (fclose(f) || rename(tmp, path))
		nl_die("write %s", path);
}

/* Parses "--name value" options; returns the value or dflt. */
static inline const char *nl_opt(int argc, char **argv, const char *name, const char *dflt)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return dflt;
}

static inline long nl_opt_long(int argc, char **argv, const char *name, long dflt)
{
	const char *v = nl_opt(argc, argv, name, NULL);

	return v ? strtol(v, NULL, 0) : dflt;
}

static inline double nl_opt_double(int argc, char **argv, const char *name, double dflt)
{
	const char *v = nl_opt(argc, argv, name, NULL);

	return v ? strtod(v, NULL) : dflt;
}

static inline void nl_need_numa(void)
{
	if (numa_available() < 0)
		nl_die("no NUMA support");
}

#endif
