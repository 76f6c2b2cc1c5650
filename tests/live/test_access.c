/*
 * test_access.c - the access signal (samplers/access.c) on a real process
 * of this machine, through the aggregator and the JSON report:
 *   - a child with a hot and a cold 32 MiB mapping (both resident, only
 *     the hot one read): the referenced bits tell them apart, directly and
 *     through `live` + aggregate + JSON (accessed_bytes, kind, basis);
 *   - --record keeps the signal: the file reports the same accessed bytes;
 *   - a process that refuses clear_refs (EACCES injected through the
 *     syscall table): one DENIED record, exposure by placement, and the
 *     report says which basis it used;
 *   - a worker forked after attach that exits before the profile ends (a
 *     DataLoader worker): its first interval ends early, so it has a
 *     reading and its exposure is by referenced bits, not page faults.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report_run.h"
#include "samplers/access.h"
#include "samplers/live.h"
#include "samplers/base/sys.h"

#define MIB (1ull << 20)
#define SIZE (32 * MIB)

static uint64_t hot_addr, cold_addr;

/* A child: two resident 32 MiB mappings, then reads only the hot one. */
static pid_t hot_cold(void)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* one region with a hole: two mappings the kernel cannot merge */
		char *hot = mmap(NULL, 2 * SIZE + 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *cold = hot + SIZE + 4096;
		uint64_t a[2] = { (uint64_t)(uintptr_t)hot, (uint64_t)(uintptr_t)cold };

		if (hot == MAP_FAILED || munmap(hot + SIZE, 4096))
			_exit(1);
		memset(hot, 1, SIZE);
		memset(cold, 2, SIZE);
		if (write(fd[1], a, sizeof(a)) != sizeof(a))
			_exit(1);
		for (;;)
			for (uint64_t off = 0; off < SIZE; off += 4096)
				(void)*(volatile char *)&hot[off];   /* a read the compiler keeps */
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &hot_addr, 8) != 8 || read(fd[0], &cold_addr, 8) != 8) {
		close(fd[0]);
		return -1;
	}
	close(fd[0]);
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The module on its own: two intervals, hot read in both, cold in none. */
static void test_hot_cold_direct(pid_t pid)
{
	struct nl_access *ac = access__new(sys__default());
	struct nl_record r;
	uint64_t hot = 0, cold = UINT64_MAX;
	uint32_t hot_intervals = 0, hot_flags = 0;
	int nr_records = 0;

	CHECK(ac != NULL);
	if (!ac)
		return;
	CHECK_EQ_U64(access__start(ac, pid), 0);
	CHECK(access__has(ac, pid));
	nap(400);
	CHECK_EQ_U64(access__sample(ac, pid, true), 0);
	nap(400);
	CHECK_EQ_U64(access__sample(ac, pid, false), 0);
	while (access__next(ac, &r) == 1) {
		nr_records++;
		CHECK_EQ_U64(r.kind, NL_REC_ACCESS);
		CHECK_EQ_U64(r.access.pid, pid);
		if (r.access.start == hot_addr) {
			hot = r.access.accessed_bytes;
			hot_intervals = r.access.intervals;
			hot_flags = r.access.flags;
		} else if (r.access.start == cold_addr) {
			cold = r.access.accessed_bytes;
		}
	}
	printf("direct: hot %llu bytes over %u intervals, cold %llu bytes\n",
	       (unsigned long long)hot, hot_intervals, (unsigned long long)cold);
	CHECK_EQ_U64(hot_intervals, 2);
	CHECK(hot >= 2 * SIZE * 9 / 10);        /* read in both intervals */
	CHECK(cold <= 2 * MIB);                 /* resident but never read */
	CHECK(hot_flags & NL_ACCESS_WRITE);
	CHECK(!(hot_flags & NL_ACCESS_FILE));
	CHECK_EQ_U64(access__stats(ac)->readings, 2);
	/* retired early (an ended process): the same records, then nothing kept */
	int early = 0;

	while (access__next_of(ac, pid, &r) == 1)
		early++;
	CHECK_EQ_U64(early, nr_records);
	access__forget(ac, pid);
	CHECK(!access__has(ac, pid));
	CHECK_EQ_U64(access__next_of(ac, pid, &r), 0);
	access__free(ac);
}

static const cJSON *find_process(const cJSON *rep, int pid)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItem(rep, "processes"))
		if (json_num(p, "pid") == pid)
			return p;
	return NULL;
}

static const cJSON *find_mapping(const cJSON *proc, uint64_t start)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(proc, "mappings")) {
		const cJSON *s = cJSON_GetObjectItem(m, "start");

		if (cJSON_IsString(s) && strtoull(s->valuestring, NULL, 0) == start)
			return m;
	}
	return NULL;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Profiles pid for one second; JSON report (caller frees) or NULL. */
static cJSON *profile(pid_t pid, const struct nl_sys *sys, const char *record)
{
	struct nl_live_options o = { 0 };
	struct nl_error err;
	struct nl_source *src;
	cJSON *rep;

	o.pid = pid;
	o.duration = 1.0;
	o.sys = sys;
	o.record_path = record;
	if (live__open(&o, &src, &err)) {
		printf("live__open: %s: %s\n", err.object, err.cause);
		return NULL;
	}
	rep = report_run__source(src);
	if (record)
		CHECK_EQ_U64(live__end_record(src), 0);
	nl_source__close(src);
	return rep;
}

/* Through live, the aggregator and the JSON; and the same from --record. */
static void test_hot_cold_report(pid_t pid)
{
	char path[] = "/tmp/nl-access-XXXXXX";
	int fd = mkstemp(path);
	cJSON *rep = fd >= 0 ? profile(pid, NULL, path) : NULL, *file;
	const cJSON *proc = rep ? find_process(rep, pid) : NULL;
	const cJSON *hot = proc ? find_mapping(proc, hot_addr) : NULL;
	const cJSON *cold = proc ? find_mapping(proc, cold_addr) : NULL;
	struct nl_error err;

	CHECK(proc && hot && cold);
	if (!proc || !hot || !cold)
		goto out;
	printf("report: hot %.0f, cold %.0f accessed bytes; basis %s\n",
	       json_num(hot, "accessed_bytes"), json_num(cold, "accessed_bytes"),
	       json_str(proc, "exposure_basis"));
	CHECK(json_num(hot, "accessed_bytes") >= SIZE * 9 / 10);
	CHECK(json_num(hot, "accessed_bytes") > 16 * json_num(cold, "accessed_bytes"));
	CHECK(!strcmp(json_str(hot, "kind"), "data"));
	CHECK(!strcmp(json_str(proc, "exposure_basis"), "referenced_bits"));
	CHECK(json_num(proc, "remote_exposure") >= 0);
	CHECK(json_num(proc, "remote_exposure_by_placement") >= 0);
	/* the recording carries the signal: the same numbers later */
	file = report_run__file(path, &err);
	CHECK(file != NULL);
	if (file) {
		const cJSON *fp = find_process(file, pid);
		const cJSON *fh = fp ? find_mapping(fp, hot_addr) : NULL;

		CHECK(fh != NULL);
		CHECK(fh && json_num(fh, "accessed_bytes") == json_num(hot, "accessed_bytes"));
		CHECK(fp && !strcmp(json_str(fp, "exposure_basis"), "referenced_bits"));
		cJSON_Delete(file);
	}
out:
	cJSON_Delete(rep);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

static int deny_clear_refs(const char *path, int flags)
{
	size_t n = strlen(path);

	if (n >= 10 && !strcmp(path + n - 10, "clear_refs"))
		return -EACCES;
	return sys__default()->open(path, flags);
}

/* Refused: one DENIED record, placement-only exposure, the basis said. */
static void test_denied(pid_t pid)
{
	struct nl_sys fake = *sys__default();
	struct nl_access *ac;
	struct nl_record r;
	cJSON *rep;
	const cJSON *proc, *note;
	bool said = false;
	int n = 0;

	fake.open = deny_clear_refs;
	ac = access__new(&fake);
	CHECK_EQ_U64(access__start(ac, pid), (uint64_t)-EACCES);
	CHECK_EQ_U64(access__sample(ac, pid, true), 0);     /* not retried */
	while (access__next(ac, &r) == 1) {
		n++;
		CHECK(r.access.flags & NL_ACCESS_DENIED);
		CHECK_EQ_U64(r.access.error, (uint64_t)-EACCES);
	}
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_U64(access__stats(ac)->readings, 0);
	access__free(ac);

	rep = profile(pid, &fake, NULL);
	proc = rep ? find_process(rep, pid) : NULL;
	CHECK(proc != NULL);
	if (proc) {
		printf("denied: basis %s, error %s, exposure %.2f\n", json_str(proc, "exposure_basis"),
		       json_str(proc, "access_error"), json_num(proc, "remote_exposure"));
		CHECK(!strcmp(json_str(proc, "exposure_basis"), "placement"));
		CHECK(!strcmp(json_str(proc, "access_error"), strerror(EACCES)));
		CHECK(json_num(proc, "remote_exposure") >= 0);
	}
	note = rep ? cJSON_GetObjectItem(rep, "notes") : NULL;
	cJSON_ArrayForEach(note, note)
		said |= strstr(json_str(note, "text"), "by page placement only") != NULL;
	CHECK(said);
	cJSON_Delete(rep);
}

/* A parent that, once told (a byte on *go), forks a worker reading its own
   32 MiB for 3 s, which then exits; the parent lives on.  *back then reads
   the worker's pid and its buffer's address.  The parent's pid, or -1. */
static pid_t short_worker_parent(int *go, int *back_fd)
{
	int g[2], back[2];
	pid_t pid;
	char c;

	if (pipe(g) || pipe(back))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(g[1]);
		close(back[0]);
		if (read(g[0], &c, 1) != 1)
			_exit(1);
		pid_t w = fork();

		if (w == 0) {
			char *buf = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			uint64_t a = (uint64_t)(uintptr_t)buf;
			struct timespec t0, t;

			if (buf == MAP_FAILED)
				_exit(1);
			memset(buf, 1, SIZE);
			if (write(back[1], &a, 8) != 8)
				_exit(1);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				for (uint64_t off = 0; off < SIZE; off += 4096)
					(void)*(volatile char *)&buf[off];
				clock_gettime(CLOCK_MONOTONIC, &t);
			} while (t.tv_sec - t0.tv_sec < 3);
			_exit(0);
		}
		if (write(back[1], &w, sizeof(w)) != sizeof(w))
			_exit(1);
		waitpid(w, NULL, 0);
		for (;;)
			pause();
	}
	close(g[0]);
	close(back[1]);
	*go = g[1];
	*back_fd = back[0];
	return pid < 0 ? -1 : pid;
}

/* Attached to the parent for 5 s: the worker, gone after 3, was read. */
static void test_short_worker(void)
{
	struct nl_live_options o = { 0 };
	struct nl_error err;
	struct nl_source *src;
	int go = -1, back = -1;
	pid_t worker = 0, parent = short_worker_parent(&go, &back);
	uint64_t addr = 0;
	cJSON *rep = NULL;
	const cJSON *proc, *m;

	CHECK(parent > 0);
	if (parent <= 0)
		return;
	o.pid = parent;
	o.duration = 5.0;
	if (live__open(&o, &src, &err)) {
		printf("live__open: %s: %s\n", err.object, err.cause);
		CHECK(0);
		goto out;
	}
	/* the worker starts once numalens is attached (before it, it would be
	   a process of the attach; here it is one of the profile) */
	CHECK(write(go, "g", 1) == 1);
	CHECK(read(back, &worker, sizeof(worker)) == sizeof(worker));
	CHECK(read(back, &addr, 8) == 8);
	rep = report_run__source(src);
	nl_source__close(src);
	proc = rep ? find_process(rep, worker) : NULL;
	m = proc ? find_mapping(proc, addr) : NULL;
	CHECK(proc && m);
	if (proc && m) {
		printf("short worker %d: basis %s, its buffer %.0f accessed bytes\n", (int)worker,
		       json_str(proc, "exposure_basis"), json_num(m, "accessed_bytes"));
		CHECK(!strcmp(json_str(proc, "exposure_basis"), "referenced_bits"));
		CHECK(json_num(m, "accessed_bytes") >= SIZE * 9 / 10);
	}
out:
	cJSON_Delete(rep);
	close(go);
	close(back);
	stop_child(parent);
}

int main(void)
{
	pid_t pid;

	if (geteuid() != 0) {
		printf("SKIP: not root (live__open needs perf_event_open on the child)\n");
		return 77;
	}
	pid = hot_cold();
	CHECK(pid > 0);
	if (pid <= 0)
		return 1;
	test_hot_cold_direct(pid);
	test_hot_cold_report(pid);
	test_denied(pid);
	stop_child(pid);
	test_short_worker();
	return check_done();
}
