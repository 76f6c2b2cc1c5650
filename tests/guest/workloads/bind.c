/*
 * bind.c - a buffer placed on one node by mbind, read from a pinned CPU.
 *
 *   nl_guest_bind --truth FILE [--mib 64] [--node 1] [--cpu 0] [--seconds 30]
 *                 [--first-touch]
 *
 * Maps --mib MiB (THP off), binds it to --node with MPOL_BIND, touches every
 * page from --cpu (-1: not pinned), checks with move_pages(2) that every page
 * is on --node (exit 1 otherwise), writes the truth file and reads the buffer
 * in a loop until --seconds have passed or SIGTERM/SIGINT.  The truth file is
 * rewritten with "phase":"done" and a final page census on exit.
 *
 * --first-touch: no mbind; the pages are placed by touching them from the
 * CPUs of --node, then the thread moves to --cpu to read them (NUMA
 * balancing, when on, then migrates them to the node of --cpu).
 */
#include "common.h"

static int first_touch;

static void write_truth(const char *path, const char *phase, int cpu, int node,
			const void *buf, size_t len, double elapsed, uint64_t passes)
{
	unsigned long by_node[NL_MAX_NODES], unknown;
	FILE *f;

	nl_census(0, buf, len, by_node, &unknown);
	f = nl_truth_open(path);
	fprintf(f, "{\"workload\": \"bind\", \"phase\": \"%s\",\n", phase);
	fprintf(f, " \"pid\": %d, \"tid\": %d, \"cpu\": %d, \"cpu_node\": %d,\n",
		getpid(), gettid(), cpu, cpu >= 0 ? numa_node_of_cpu(cpu) : -1);
	fprintf(f, " \"placement\": \"%s\",", first_touch ? "first-touch" : "mbind");
	fprintf(f, " \"node\": %d, \"start\": %lu, \"end\": %lu, \"bytes\": %zu,"
		   " \"pages\": %zu,\n", node, (unsigned long)buf,
		(unsigned long)buf + len, len, len / NL_PAGE);
	fprintf(f, " \"census\": ");
	nl_fprint_census(f, by_node);
	fprintf(f, ", \"census_unknown\": %lu, \"read_passes\": %" PRIu64
		   ", \"elapsed\": %.3f}\n", unknown, passes, elapsed);
	nl_truth_close(f, path);
	/* move_pages cannot place pages that NUMA balancing is scanning. */
	if (!strcmp(phase, "ready") && by_node[node] + unknown != len / NL_PAGE) {
		errno = 0;
		nl_die("only %lu of %zu pages on node %d (unknown %lu)",
		       by_node[node], len / NL_PAGE, node, unknown);
	}
}

int main(int argc, char **argv)
{
	const char *truth = nl_opt(argc, argv, "--truth", NULL);
	size_t len = (size_t)nl_opt_long(argc, argv, "--mib", 64) << 20;
	int node = (int)nl_opt_long(argc, argv, "--node", 1);
	int cpu = (int)nl_opt_long(argc, argv, "--cpu", 0);
	double seconds = nl_opt_double(argc, argv, "--seconds", 30);
	uint64_t passes = 0, sum = 0;
	double t0;
	char *buf;

	if (!truth) {
		fprintf(stderr, "usage: nl_guest_bind --truth FILE [--mib N] [--node N]"
				" [--cpu N] [--seconds S]\n");
		return 2;
	}
	nl_need_numa();
	nl_catch_signals();
	for (int i = 1; i < argc; i++)
		first_touch |= !strcmp(argv[i], "--first-touch");
	buf = nl_map_anon(len);
	if (first_touch) {
		nl_pin_node(node);
		nl_touch(buf, len);
		if (cpu >= 0)
			nl_pin_cpu(cpu);
	} else {
		if (cpu >= 0)
			nl_pin_cpu(cpu);
		nl_mbind_node(buf, len, node);
		nl_touch(buf, len);
	}
	t0 = nl_now();
	write_truth(truth, "ready", cpu, node, buf, len, 0, 0);
	printf("bind: pid %d, %zu MiB at %p on node %d, reading from cpu %d\n",
	       getpid(), len >> 20, (void *)buf, node, cpu);
	fflush(stdout);
	while (!nl_stop && nl_now() - t0 < seconds) {
		sum += nl_read_pass(buf, len);
		passes++;
	}
	write_truth(truth, "done", cpu, node, buf, len, nl_now() - t0, passes);
	return sum == 42;   /* keeps the reads */
}
