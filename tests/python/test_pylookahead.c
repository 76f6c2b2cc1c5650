/*
 * test_pylookahead.c - Python frames are read soon after their samples even
 * when the consumer is slower than the rings fill (pyframes.h invariant 6).
 *
 * A CPython process spins in one function; the live source profiles it by
 * pid (cpu-clock, up to 1000 samples a second) while this consumer takes
 * 5 ms a sample, as numalens' own consumer does under TCG: the samples pile up in
 * the rings, drained up to seconds after they were written.  Frames read
 * when the samples are drained would be that late; looked ahead of the
 * drain (between records), most are read within the approximate bound.  Expects: Python frames naming `spin` on the samples,
 * looks made and used, the delay median under NL_PY_APPROX_NS, and most
 * samples not approximate.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/diag.h"
#include "samplers/live.h"
#include "samplers/pyframes.h"

#define MAX_SAMPLES 100000
static uint64_t late[MAX_SAMPLES];      /* sample -> this consumer, ns */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t counter(const struct nl_source *src, const char *name)
{
	for (uint32_t i = 0; i < src->stats.nr_counters; i++)
		if (!strcmp(src->stats.counters[i].name, name))
			return src->stats.counters[i].value;
	return -1;
}

int main(int argc, char **argv)
{
	const char *py = argc > 1 ? argv[1] : "/usr/bin/python3";
	struct timespec stall = { 0, 5 * 1000 * 1000 }, start = { 0, 400 * 1000 * 1000 };
	struct nl_live_options o = { 0 };
	struct nl_error err;
	struct nl_source *src;
	struct nl_record rec;
	uint64_t records = 0, samples = 0, spin = 0;
	int64_t p50, looked, approx, given;
	pid_t pid;

	if (access(py, X_OK))
		check_skip("no CPython 3.11+ interpreter at the given path");
	diag__set_quiet(1);
	pid = fork();
	if (pid == 0) {
		execl(py, py, "-c", "def spin():\n    while True:\n        sum(range(2000))\nspin()\n",
		      (char *)NULL);
		_exit(127);
	}
	nanosleep(&start, NULL);
	o.pid = pid;
	o.duration = 0.8;
	o.no_access = true;
	if (live__open(&o, &src, &err)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "live__open: %s: %s - %s\n", err.object, err.cause, err.fix);
		check_skip("the live source cannot open here (perf_event_open)");
	}
	while (nl_source__next(src, &rec) > 0) {
		records++;
		if (rec.kind != NL_REC_SAMPLE || rec.sample.pid != pid)
			continue;
		nanosleep(&stall, NULL);        /* the slow consumer */
		if ((rec.sample.valid & NL_SAMPLE_TIME) && samples < MAX_SAMPLES)
			late[samples] = now_ns() - rec.sample.time;
		samples++;
		if (rec.sample.py && rec.sample.py->nr && !strcmp(rec.sample.py->frames[0].function, "spin"))
			spin++;
	}
	qsort(late, samples < MAX_SAMPLES ? samples : MAX_SAMPLES, sizeof(*late), cmp_u64);
	p50 = counter(src, "python.delay_us.p50");
	looked = counter(src, "python.samples_looked_ahead");
	approx = counter(src, "python.samples_approximate");
	given = counter(src, "python.samples");
	printf("consumer got the samples %llu ms late (median); ", samples ?
	       (unsigned long long)(late[(samples < MAX_SAMPLES ? samples : MAX_SAMPLES) / 2] / 1000000) : 0ull);
	printf("records %llu, samples %llu (%llu in spin); python.samples %lld, looked ahead %lld, "
	       "approximate %lld, delay p50 %lld us, p99 %lld us, max %lld us; consumer %lld us\n",
	       (unsigned long long)records, (unsigned long long)samples, (unsigned long long)spin,
	       (long long)given, (long long)looked, (long long)approx, (long long)p50,
	       (long long)counter(src, "python.delay_us.p99"), (long long)counter(src, "python.delay_us.max"),
	       (long long)counter(src, "live.time_us.consumer"));
	if (counter(src, "python.processes") <= 0 && given <= 0) {
		nl_source__close(src);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		check_skip("the interpreter is not a CPython 3.11+ with symbols");
	}
	nl_source__close(src);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(samples > 0);
	/* the backlog is real: reads at the drain would be this late */
	CHECK(samples && late[(samples < MAX_SAMPLES ? samples : MAX_SAMPLES) / 2] >= 100000000ull);
	CHECK(spin >= samples / 2);             /* the frames name the function */
	CHECK(looked > 0);
	CHECK(p50 >= 0 && (uint64_t)p50 < NL_PY_APPROX_NS / 1000);
	CHECK(given > 0 && approx * 2 < given);
	return check_done();
}
