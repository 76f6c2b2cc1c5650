/*
 * seed.c - a dataset first-touched by a parent on one node, read by forked
 * workers pinned to another node (the DataLoader pattern).
 *
 *   nl_guest_seed --truth FILE [--mib 256] [--data-node 1] [--worker-node 0]
 *                 [--workers 4] [--seconds 30] [--kind memfd|anon]
 *                 [--touch-check 1|0] [--wait-file FILE] [--refault-mib N]
 *
 * The parent pins itself to the CPUs of --data-node and writes every page of
 * the dataset (first touch: the pages land on --data-node; THP is off for
 * the mapping), checks that with move_pages(2), then forks --workers
 * children, each pinned to one CPU of --worker-node (round robin), that read
 * the whole dataset in a loop.  Once every worker runs on its CPU the truth
 * file is written (pids, CPUs, dataset range, census); the workers stop after
 * --seconds or on SIGTERM/SIGINT to the parent, which then rewrites the
 * truth file with "phase":"done" and a final census (NUMA balancing may have
 * moved pages by then).
 *
 * --kind memfd (default): a MAP_SHARED memfd named "nl-seed-dataset", which
 * /proc/PID/maps shows as "/memfd:nl-seed-dataset (deleted)".
 * --kind anon: a MAP_PRIVATE anonymous mapping shared copy-on-write with the
 * workers (no name in /proc/PID/maps; NUMA balancing never hints those).
 * --touch-check 0: the pages may land where an outer memory policy puts
 * them (the workload run under an advised `numactl --membind`); the census
 * in the truth file says where they went.
 * --wait-file FILE: before it allocates, the parent writes its pid to FILE
 * and waits until FILE is removed (a profiler attached by pid then sees the
 * allocation and the first touch).
 * --refault-mib N (memfd only): after each pass a worker drops its page
 * table entries of the dataset's first N MiB (MADV_DONTNEED: the pages stay
 * in the memfd, where they are), so its next pass faults them in again in
 * nl_read_pass: page-fault samples of the readers, on the data's node, for
 * a profiler attached after the fill.
 */
#include <sys/wait.h>

#include "common.h"

#define MAX_WORKERS 64
#define DATASET_NAME "nl-seed-dataset"

static pid_t workers[MAX_WORKERS];
static int worker_cpu[MAX_WORKERS];

static size_t refault;  /* bytes a worker drops after each pass */

static void worker(const char *data, size_t len, int cpu, int ready_fd,
		   double deadline)
{
	uint64_t sum = 0;
	char ok = 1;

	nl_pin_cpu(cpu);
	if (write(ready_fd, &ok, 1) != 1)
		_exit(1);
	close(ready_fd);
	while (!nl_stop && getppid() != 1 && nl_now() < deadline) {
		sum += nl_read_pass(data, len);
		if (refault && madvise((void *)data, refault, MADV_DONTNEED))
			_exit(1);
	}
	_exit(sum == 42);
}

static int touch_check = 1;

static void write_truth(const char *path, const char *phase, const char *kind,
		       int data_node, int worker_node, int nworkers,
		       const char *data, size_t len)
{
	unsigned long by_node[NL_MAX_NODES], unknown;
	FILE *f;

	nl_census(0, data, len, by_node, &unknown);
	f = nl_truth_open(path);
	fprintf(f, "{\"workload\": \"seed\", \"phase\": \"%s\", \"kind\": \"%s\",\n",
		phase, kind);
	fprintf(f, " \"pid\": %d, \"data_node\": %d, \"worker_node\": %d,"
		   " \"remote\": %s,\n", getpid(), data_node, worker_node,
		data_node != worker_node ? "true" : "false");
	fprintf(f, " \"dataset\": {\"start\": %lu, \"end\": %lu, \"bytes\": %zu,"
		   " \"pages\": %zu, \"name\": \"%s\", \"census\": ",
		(unsigned long)data, (unsigned long)data + len, len, len / NL_PAGE,
		!strcmp(kind, "memfd") ? DATASET_NAME : "");
	nl_fprint_census(f, by_node);
	fprintf(f, ", \"census_unknown\": %lu},\n \"refault_bytes\": %zu, \"workers\": [",
		unknown, refault);
	for (int i = 0; i < nworkers; i++)
		fprintf(f, "%s\n  {\"pid\": %d, \"cpu\": %d, \"node\": %d}",
			i ? "," : "", workers[i], worker_cpu[i],
			numa_node_of_cpu(worker_cpu[i]));
	fprintf(f, "]}\n");
	nl_truth_close(f, path);
	/* move_pages cannot place pages that NUMA balancing is scanning. */
	if (touch_check && !strcmp(phase, "ready") &&
	    by_node[data_node] + unknown != len / NL_PAGE) {
		errno = 0;
		nl_die("first touch put only %lu of %zu pages on node %d",
		       by_node[data_node], len / NL_PAGE, data_node);
	}
}

int main(int argc, char **argv)
{
	const char *truth = nl_opt(argc, argv, "--truth", NULL);
	size_t len = (size_t)nl_opt_long(argc, argv, "--mib", 256) << 20;
	int data_node = (int)nl_opt_long(argc, argv, "--data-node", 1);
	int worker_node = (int)nl_opt_long(argc, argv, "--worker-node", 0);
	int nworkers = (int)nl_opt_long(argc, argv, "--workers", 4);
	double seconds = nl_opt_double(argc, argv, "--seconds", 30);
	const char *kind = nl_opt(argc, argv, "--kind", "memfd");
	const char *wait_file = nl_opt(argc, argv, "--wait-file", NULL);

	touch_check = (int)nl_opt_long(argc, argv, "--touch-check", 1);
	refault = (size_t)nl_opt_long(argc, argv, "--refault-mib", 0) << 20;
	if (refault > len)
		refault = len;
	struct bitmask *node_cpus;
	int pipefd[2], ncpus = 0, status, failed = 0;
	double deadline;
	char *data;

	if (!truth || nworkers < 1 || nworkers > MAX_WORKERS) {
		fprintf(stderr, "usage: nl_guest_seed --truth FILE [--mib N] [--data-node N]"
				" [--worker-node N] [--workers N] [--seconds S]"
				" [--kind memfd|anon] [--refault-mib N]\n");
		return 2;
	}
	nl_need_numa();
	nl_catch_signals();
	node_cpus = numa_allocate_cpumask();
	numa_node_to_cpus(worker_node, node_cpus);
	ncpus = numa_bitmask_weight(node_cpus);
	numa_free_cpumask(node_cpus);
	if (ncpus < 1) {
		errno = 0;
		nl_die("node %d has no CPUs", worker_node);
	}

	if (wait_file) {
		FILE *w = fopen(wait_file, "w");

		if (!w || fprintf(w, "%d\n", getpid()) < 0 || fclose(w))
			nl_die("%s", wait_file);
		while (!nl_stop && access(wait_file, F_OK) == 0)
			usleep(20000);
	}
	nl_pin_node(data_node);
	if (!strcmp(kind, "memfd")) {
		int fd = memfd_create(DATASET_NAME, 0);

		if (fd < 0 || ftruncate(fd, (off_t)len))
			nl_die("memfd_create");
		data = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* MARK:alloc */
		if (data == MAP_FAILED)
			nl_die("mmap memfd");
		madvise(data, len, MADV_NOHUGEPAGE);
		close(fd);
	} else if (!strcmp(kind, "anon") && !refault) {   /* dropped: zeroes */
		data = nl_map_anon(len);
	} else {
		errno = 0;
		nl_die("--kind must be memfd or anon (--refault-mib: memfd)");
	}
	nl_touch(data, len);

	if (pipe(pipefd))
		nl_die("pipe");
	deadline = nl_now() + seconds;
	for (int i = 0; i < nworkers; i++) {
		worker_cpu[i] = nl_node_cpu(worker_node, i % ncpus);
		workers[i] = fork();
		if (workers[i] < 0)
			nl_die("fork");
		if (workers[i] == 0) {
			close(pipefd[0]);
			worker(data, len, worker_cpu[i], pipefd[1], deadline);
		}
	}
	close(pipefd[1]);
	for (int i = 0; i < nworkers; i++) {
		char ok;

		if (read(pipefd[0], &ok, 1) != 1) {
			errno = 0;
			nl_die("a worker died before it was pinned");
		}
	}
	close(pipefd[0]);
	write_truth(truth, "ready", kind, data_node, worker_node, nworkers, data, len);
	printf("seed: pid %d, %zu MiB %s dataset at %p on node %d, %d workers on node %d\n",
	       getpid(), len >> 20, kind, (void *)data, data_node, nworkers, worker_node);
	fflush(stdout);

	for (int done = 0; done < nworkers;) {
		pid_t p = waitpid(-1, &status, 0);

		if (p < 0) {
			if (errno == EINTR) {
				for (int i = 0; i < nworkers; i++)
					kill(workers[i], SIGTERM);
				continue;
			}
			nl_die("waitpid");
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			failed++;
		done++;
	}
	write_truth(truth, "done", kind, data_node, worker_node, nworkers, data, len);
	if (failed) {
		errno = 0;
		nl_die("%d workers failed", failed);
	}
	return 0;
}
