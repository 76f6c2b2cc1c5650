/*
 * smt.c - busy threads pinned one per listed CPU (by default the two SMT
 * siblings of one core).
 *
 *   nl_guest_smt --truth FILE [--cpus 0,1[,...]] [--mib 16] [--seconds 30]
 *
 * Each thread pins itself to its CPU, binds a private buffer of --mib MiB
 * to the node of that CPU (so every access is local), touches it and reads
 * it in a loop.  The truth file names the threads (tids), their CPUs and
 * nodes, whether the CPUs are SMT siblings (from sysfs) and the buffers.
 */
#include <pthread.h>

#include "common.h"

struct thr {
	int cpu, node;
	pid_t tid;
	size_t len;
	char *buf;
	double deadline;
	pthread_barrier_t *ready;
	uint64_t passes;
};

static void *run(void *arg)
{
	struct thr *t = arg;
	uint64_t sum = 0;

	nl_pin_cpu(t->cpu);
	t->tid = gettid();
	t->node = numa_node_of_cpu(t->cpu);
	t->buf = nl_map_anon(t->len);
	nl_mbind_node(t->buf, t->len, t->node);
	nl_touch(t->buf, t->len);
	pthread_barrier_wait(t->ready);
	while (!nl_stop && nl_now() < t->deadline) {
		sum += nl_read_pass(t->buf, t->len);
		t->passes++;
	}
	return (void *)(uintptr_t)(sum == 42);
}

static int siblings(int a, int b)
{
	char path[128], line[256];
	FILE *f;
	int ok = 0;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", a);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		/* "0-1" or "0,1" */
		int lo, hi;
		if (sscanf(line, "%d-%d", &lo, &hi) == 2)
			ok = b >= lo && b <= hi && a != b;
		else
			for (char *s = strtok(line, ","); s; s = strtok(NULL, ","))
				ok |= atoi(s) == b && a != b;
	}
	fclose(f);
	return ok;
}

static void write_truth(const char *path, const char *phase, struct thr *t,
			int n, int sib)
{
	FILE *f = nl_truth_open(path);

	fprintf(f, "{\"workload\": \"smt\", \"phase\": \"%s\", \"pid\": %d,"
		   " \"siblings\": %s,\n \"threads\": [", phase, getpid(),
		sib ? "true" : "false");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\n  {\"tid\": %d, \"cpu\": %d, \"node\": %d,"
			   " \"start\": %lu, \"end\": %lu, \"passes\": %" PRIu64 "}",
			i ? "," : "", t[i].tid, t[i].cpu, t[i].node,
			(unsigned long)t[i].buf, (unsigned long)t[i].buf + t[i].len,
			t[i].passes);
	fprintf(f, "]}\n");
	nl_truth_close(f, path);
}

#define MAX_THREADS 16

int main(int argc, char **argv)
{
	const char *truth = nl_opt(argc, argv, "--truth", NULL);
	const char *cpus = nl_opt(argc, argv, "--cpus", "0,1");
	size_t len = (size_t)nl_opt_long(argc, argv, "--mib", 16) << 20;
	double seconds = nl_opt_double(argc, argv, "--seconds", 30);
	pthread_barrier_t ready;
	pthread_t th[MAX_THREADS];
	struct thr t[MAX_THREADS];
	int cpu[MAX_THREADS], n = 0, used = 0, sib;

	while (truth && n < MAX_THREADS && sscanf(cpus + used, "%d%n", &cpu[n], &sib) == 1) {
		used += sib;
		n++;
		if (cpus[used] != ',')
			break;
		used++;
	}
	if (!truth || n < 2 || cpus[used]) {
		fprintf(stderr, "usage: nl_guest_smt --truth FILE [--cpus A,B[,...]] [--mib N]"
				" [--seconds S]\n");
		return 2;
	}
	nl_need_numa();
	nl_catch_signals();
	pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].cpu = cpu[i];
		t[i].len = len;
		t[i].deadline = nl_now() + seconds;
		t[i].ready = &ready;
		if (pthread_create(&th[i], NULL, run, &t[i]))
			nl_die("pthread_create");
	}
	pthread_barrier_wait(&ready);
	/* "siblings": the first two CPUs share a core (the pair the checks use). */
	sib = siblings(cpu[0], cpu[1]);
	write_truth(truth, "ready", t, n, sib);
	printf("smt: pid %d, %d threads on cpus %s\n", getpid(), n, cpus);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	write_truth(truth, "done", t, n, sib);
	return 0;
}
