/*
 * test_ipc_live.c - the live IPC group end to end with a PMU injected
 * through the syscall table (samplers/base/sys.h): this machine has none,
 * so the fake perf_event_open opens cycles and instructions (type
 * PERF_TYPE_HARDWARE) as the software task clock, keeping every other
 * attr field - sampling period, PERF_SAMPLE_READ, read_format GROUP | ID,
 * inherit, the group fd - so the kernel itself delivers cycles samples
 * whose group reads numalens must decode.  Both members count the same
 * clock: every window's instructions / cycles is 1.
 *
 * The target runs busy, then forks a busy child after the attach:
 *   1. inherited group (Linux 6.12+ takes PERF_SAMPLE_READ with inherit):
 *      the child's samples arrive through inheritance;
 *   2. the kernel refuses inherit + PERF_SAMPLE_READ (EINVAL, as before
 *      6.12): the group is opened on every task, the child at its FORK,
 *      and its samples arrive too.
 *   3. the group opens on numalens itself but not on the target: not
 *      fatal, the profile goes on, source counter ipc.open_errors says so
 *      and the report's note says no cycles samples arrived.
 * In 1 and 2 the leader is opened before its member, the member in its
 * group, the samples carry NL_SAMPLE_COUNTS with instructions == cycles
 * (+-1 %), and the HT engine classifies the windows: no SMT here, so all
 * used windows are "alone", and the report says why there is no cost.
 * Root only (perf_event_paranoid); exits 77 otherwise.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#include "profiler/aggregate.h"
#include "profiler/report_model.h"
#include "profiler/smt.h"
#include "samplers/base/sys.h"
#include "samplers/base/topology.h"
#include "samplers/live.h"

static struct nl_sys fake;
static bool refuse_inherit_read, refuse_target;
static int leaders, members, members_in_group, refused;
static int leader_fds[256], nr_leader_fds;

static bool is_leader(int fd)
{
	for (int i = 0; i < nr_leader_fds; i++)
		if (leader_fds[i] == fd)
			return true;
	return false;
}

static int fake_pmu(struct perf_event_attr *a, pid_t pid, int cpu, int g, unsigned long f)
{
	struct perf_event_attr sw = *a;
	int fd;

	if (a->type != PERF_TYPE_HARDWARE)
		return sys__default()->perf_event_open(a, pid, cpu, g, f);
	if (refuse_inherit_read && a->inherit && (a->sample_type & PERF_SAMPLE_READ)) {
		refused++;
		return -EINVAL;
	}
	if (refuse_target && pid > 0) {
		refused++;
		return -EOPNOTSUPP;
	}
	sw.type = PERF_TYPE_SOFTWARE;
	sw.config = PERF_COUNT_SW_TASK_CLOCK;
	fd = sys__default()->perf_event_open(&sw, pid, cpu, g, f);
	if (fd < 0 || pid == 0 || pid == -1 || !(a->sample_type & PERF_SAMPLE_READ))
		return fd;      /* a probe on numalens itself, or cpu_pmu()'s check */
	if (a->config == PERF_COUNT_HW_CPU_CYCLES) {
		leaders++;
		if (nr_leader_fds < 256)
			leader_fds[nr_leader_fds++] = fd;
		CHECK(a->read_format == (PERF_FORMAT_GROUP | PERF_FORMAT_ID) && g == -1);
		CHECK(a->sample_period == 20000000 && !a->freq);
	} else {
		members++;
		members_in_group += g >= 0 && is_leader(g);
	}
	return fd;
}

/*
 * Enabling a group leader takes 30 ms (numalens preempted between two
 * ioctls, as CI once was): the group's counts must still cover the same
 * time, so its member may not start later than its leader.
 */
static int slow_enable(int fd, unsigned long request, unsigned long arg)
{
	int ret = sys__default()->ioctl(fd, request, arg);

	if (request == PERF_EVENT_IOC_ENABLE && is_leader(fd))
		usleep(30000);
	return ret;
}

/* Busy for seconds of the thread's own CPU time: as many samples on a loaded machine. */
static void spin(double seconds)
{
	struct timespec t;

	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((double)t.tv_sec + (double)t.tv_nsec / 1e9 < seconds);
}

/*
 * Busy 0.15 s of CPU, then a child forked after the attach, busy 0.15 s;
 * ends when the child has: the profile ends with it.
 */
static pid_t target(int ready_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		char c;

		if (read(ready_fd, &c, 1) != 1)
			_exit(1);
		spin(0.15);
		if (fork() == 0) {
			spin(0.15);
			_exit(0);
		}
		wait(NULL);
		_exit(0);
	}
	return pid;
}

static void run(bool refuse)
{
	struct nl_live_options o = { 0 };
	struct nl_aggregate *agg = NULL;
	const struct nl_profile *prof;
	struct nl_error err;
	struct nl_source *src;
	struct nl_record r;
	int pipefd[2];
	pid_t pid;
	uint64_t counted = 0, child = 0, off = 0;

	CHECK(pipe(pipefd) == 0);
	pid = target(pipefd[0]);
	refuse_inherit_read = refuse;
	leaders = members = members_in_group = refused = nr_leader_fds = 0;
	fake = *sys__default();
	fake.perf_event_open = fake_pmu;
	fake.ioctl = slow_enable;
	o.pid = pid;
	o.duration = 20;        /* a cap: the target ends after ~0.3 s of CPU */
	o.sys = &fake;
	o.no_alloc_sites = true;
	if (live__open(&o, &src, &err)) {
		CHECK(!"live__open");
		goto out;
	}
	CHECK(write(pipefd[1], "g", 1) == 1);
	agg = aggregate__new(src->info.topology);
	while (nl_source__next(src, &r) > 0) {
		if (r.kind == NL_REC_SAMPLE && (r.sample.valid & NL_SAMPLE_COUNTS)) {
			double d = (double)r.sample.instructions - (double)r.sample.cycles;

			counted++;
			child += r.sample.pid != pid;
			off += d > 0.01 * (double)r.sample.cycles || -d > 0.01 * (double)r.sample.cycles;
		}
		CHECK(aggregate__add(agg, &r) == 0);
	}
	prof = aggregate__finish(agg);
	printf("%s: %d leaders, %d members (%d in the leader's group), %d refused; %" PRIu64
	       " cycles samples (%" PRIu64 " of the child, %" PRIu64 " with instructions != "
	       "cycles)\n", refuse ? "inherit refused" : "inherited", leaders, members,
	       members_in_group, refused, counted, child, off);
	CHECK(leaders > 0 && members == leaders && members_in_group == members);
	CHECK(refuse ? refused > 0 : refused == 0);
	CHECK(counted >= 10);   /* 2 x 0.15 s of CPU at one sample per 20 ms */
	CHECK(child >= 2);      /* the task forked after the attach is measured (opened
				   at its FORK: up to one poll, 100 ms, later) */
	CHECK_EQ_U64(off, 0);
	CHECK(prof && prof->smt);
	if (prof && prof->smt) {
		const struct nl_smt_ipc *ipc = &prof->smt->ipc;
		struct nl_report_input in = { .profile = prof, .info = &src->info,
					      .stats = &src->stats, .command = "profile",
					      .source_kind = "live" };
		struct nl_report_model m;

		printf("  windows: %" PRIu64 " alone, %" PRIu64 " co-run, %" PRIu64 " mixed, %"
		       PRIu64 " unplaced\n", ipc->windows_alone, ipc->windows_corun,
		       ipc->windows_mixed, ipc->windows_unplaced);
		CHECK_EQ_U64(ipc->samples, counted);
		CHECK(ipc->windows_alone >= 6 && ipc->windows_corun == 0 && !ipc->has_cost);
		CHECK(ipc->cycles_alone > 0 && ipc->instructions_alone * 100 >= ipc->cycles_alone * 99);
		if (!report_model__build(&m, &in)) {
			CHECK(strstr(m.smt_ipc_note, "no task had both co-run and alone windows"));
			report_model__free(&m);
		}
	}
	nl_source__close(src);
out:
	aggregate__free(agg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

static int64_t counter(const struct nl_source *src, const char *name)
{
	for (uint32_t i = 0; i < src->stats.nr_counters; i++)
		if (!strcmp(src->stats.counters[i].name, name))
			return src->stats.counters[i].value;
	return -1;
}

/* 3: refused on the target only: the profile goes on without IPC windows. */
static void run_refused_on_target(void)
{
	struct nl_live_options o = { 0 };
	struct nl_aggregate *agg;
	const struct nl_profile *prof;
	struct nl_error err;
	struct nl_source *src;
	struct nl_record r;
	struct nl_report_model m;
	uint64_t counted = 0, samples = 0;
	int pipefd[2];
	pid_t pid;

	CHECK(pipe(pipefd) == 0);
	pid = target(pipefd[0]);
	refuse_inherit_read = false;
	refuse_target = true;
	refused = 0;
	fake = *sys__default();
	fake.perf_event_open = fake_pmu;
	o.pid = pid;
	o.duration = 20;
	o.sys = &fake;
	o.no_alloc_sites = true;
	CHECK(write(pipefd[1], "g", 1) == 1);
	if (live__open(&o, &src, &err)) {
		CHECK(!"live__open refused the profile");
		goto out;
	}
	agg = aggregate__new(src->info.topology);
	while (nl_source__next(src, &r) > 0) {
		samples += r.kind == NL_REC_SAMPLE;
		counted += r.kind == NL_REC_SAMPLE && (r.sample.valid & NL_SAMPLE_COUNTS);
		CHECK(aggregate__add(agg, &r) == 0);
	}
	prof = aggregate__finish(agg);
	printf("refused on the target: %d refused, ipc.open_errors %lld, %" PRIu64 " samples, %"
	       PRIu64 " with counts\n", refused, (long long)counter(src, "ipc.open_errors"),
	       samples, counted);
	CHECK(refused > 0 && counter(src, "ipc.open_errors") >= 1);
	CHECK(samples > 0 && counted == 0);
	if (prof && prof->smt) {
		struct nl_report_input in = { .profile = prof, .info = &src->info,
					      .stats = &src->stats, .command = "profile",
					      .source_kind = "live" };

		if (!report_model__build(&m, &in)) {
			CHECK(strstr(m.smt_ipc_note, "no cycles and instructions samples arrived"));
			report_model__free(&m);
		}
	}
	aggregate__free(agg);
	nl_source__close(src);
out:
	refuse_target = false;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root: perf events on another process");
	run(false);
	run(true);
	run_refused_on_target();
	return check_done();
}
