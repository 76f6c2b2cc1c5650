/*
 * test_pyframes_hostile - the frame reader against a target whose memory
 * lies (samplers/pyframes.c invariant 3): a real CPython process is read
 * through a sys table whose read_memory rewrites what it returns, so the
 * frame chain loops, points to unmapped memory, runs deeper than the bound,
 * changes while read, is refused (EPERM), or is random bytes.  Every walk
 * must end, be counted, and leave the sample with at most the bounded
 * frames; nothing crashes (the ASan build runs this too).
 * Usage: test_pyframes_hostile PYTHON   (skips when PYTHON is not there)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "samplers/pyframes.h"
#include "samplers/pylayout.h"
#include "samplers/pyruntime.h"

enum mode { HONEST, LOOP, UNMAPPED, DEEP, CHANGING, DENIED, RANDOM };

static enum mode mode;
static size_t frame_len;                /* the length the reader reads a frame with */
static uint16_t prev_off;               /* _PyInterpreterFrame.previous */
static uint8_t deep_template[128];      /* DEEP: a real frame, served at fake addresses */
static uint64_t calls, rng = 42;
static bool window;                     /* frames read through windows */
#define FAKE_BASE 0x6ff000000000ull

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static ssize_t real_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	return sys__default()->read_memory(pid, addr, buf, len);
}

static ssize_t hostile_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t r;

	calls++;
	if (mode == DENIED)
		return -EPERM;
	if (mode == DEEP && addr >= FAKE_BASE && addr < FAKE_BASE + (1ull << 32)) {
		uint64_t next = addr + 256;

		if (len > sizeof(deep_template))
			return -EFAULT;
		memcpy(buf, deep_template, len);
		if (len == frame_len)
			memcpy((uint8_t *)buf + prev_off, &next, 8);
		return (ssize_t)len;
	}
	r = real_read(pid, addr, buf, len);
	if (mode == RANDOM && window && r > 0) {        /* every read lies, windows too */
		for (ssize_t i = 0; i < r; i++)
			((uint8_t *)buf)[i] = (uint8_t)next_rand();
		return r;
	}
	if (r != (ssize_t)len || len != frame_len)
		return r;
	/* a frame read: lie about where the chain goes */
	if (mode == LOOP) {
		memcpy((uint8_t *)buf + prev_off, &addr, 8);
	} else if (mode == UNMAPPED) {
		uint64_t bad = 0x10000;

		memcpy((uint8_t *)buf + prev_off, &bad, 8);
	} else if (mode == DEEP) {
		uint64_t fake = FAKE_BASE;

		memcpy(deep_template, buf, len);
		memcpy((uint8_t *)buf + prev_off, &fake, 8);
	} else if (mode == RANDOM) {
		for (size_t i = 0; i < len; i++)
			((uint8_t *)buf)[i] = (uint8_t)next_rand();
	}
	return r;
}

/* CHANGING: every 8-byte read returns another value half the time. */
static ssize_t changing_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t r = real_read(pid, addr, buf, len);

	if (r == 8 && len == 8 && (calls++ & 1)) {
		uint64_t v;

		memcpy(&v, buf, 8);
		v += 16 * (calls & 7);
		memcpy(buf, &v, 8);
	}
	return r;
}

static uint64_t age_ns;                 /* how old read_once's sample is */

/* One batch of one sample of pid's main thread, read by *out (made when NULL). */
static const struct nl_pystack *read_once(struct nl_sys *sys, int pid, struct nl_pyframes **out)
{
	static struct nl_sample s;
	struct nl_sample *batch[1] = { &s };
	struct nl_pyframes *p = *out ? *out : pyframes__new(sys);

	/* the lies are told to single frame reads (frame_len), not to windows */
	if (!*out)
		pyframes__frame_window(p, window);

	memset(&s, 0, sizeof(s));
	s.valid = NL_SAMPLE_TID | NL_SAMPLE_TIME | NL_SAMPLE_IP;
	s.pid = s.tid = pid;
	s.time = sys__default()->now_ns() - age_ns;
	pyframes__resolve(p, batch, 1, s.time + age_ns);
	*out = p;
	return s.py;
}

/* One batch of pid's main thread: samples ages_ns[0..n) old, read now. */
static void read_aged(struct nl_pyframes *p, int pid, const uint64_t *ages_ns, int n,
		      struct nl_sample *s)
{
	struct nl_sample *batch[4];
	uint64_t now = sys__default()->now_ns();

	for (int i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].valid = NL_SAMPLE_TID | NL_SAMPLE_TIME | NL_SAMPLE_IP;
		s[i].pid = s[i].tid = pid;
		s[i].time = now - ages_ns[i];
		batch[i] = &s[i];
	}
	pyframes__resolve(p, batch, n, now);
}

/*
 * pyframes__exec: a process exec'd under the profile.  Samples older than
 * NL_PY_START_NS before the first read that found frames are its start-up
 * (no frames, whatever the delay); newer ones, and every sample of a
 * process not exec'd, follow the usual NL_PY_APPROX_NS bound.
 */
static void test_exec_start_up(struct nl_sys *sys, int pid)
{
	const uint64_t ages[2] = { 20 * 1000 * 1000, 0 };    /* 20 ms, now */
	const struct nl_pyframes_stats *ps;
	struct nl_sample s[2];
	struct nl_pyframes *p = pyframes__new(sys);

	read_aged(p, pid, ages, 2, s);          /* attached, not exec'd */
	CHECK(s[0].py && !(s[0].py->flags & NL_PYS_APPROXIMATE));
	CHECK(s[1].py && !(s[1].py->flags & NL_PYS_APPROXIMATE));
	pyframes__exec(p, pid);                 /* now it exec'd: read afresh */
	read_aged(p, pid, ages, 2, s);
	CHECK(s[0].py == NULL);
	CHECK(s[1].py && !(s[1].py->flags & NL_PYS_APPROXIMATE));
	ps = pyframes__stats(p);
	CHECK_EQ_U64(ps->start_up, 1);
	CHECK(s[1].py && !strcmp(s[1].py->frames[0].function, "sleeper"));
	nanosleep(&(struct timespec){ 0, 30 * 1000 * 1000 }, NULL);
	read_aged(p, pid, ages, 2, s);          /* after its first frames: usual rule */
	CHECK(s[0].py && !(s[0].py->flags & NL_PYS_APPROXIMATE));
	CHECK_EQ_U64(pyframes__stats(p)->start_up, 1);
	pyframes__exec(p, pid);                 /* forget keeps no exec mark */
	pyframes__forget(p, pid);
	read_aged(p, pid, ages, 2, s);
	CHECK(s[0].py && !(s[0].py->flags & NL_PYS_APPROXIMATE));
	pyframes__free(p);
}

int main(int argc, char **argv)
{
	const char *py = argc > 1 ? argv[1] : "/usr/bin/python3";
	struct nl_sys sys = *sys__default();
	struct nl_pyruntime rt;
	const struct nl_pystack *st;
	const struct nl_pyframes_stats *ps;
	struct nl_pyframes *p;
	struct timespec wait = { 0, 300 * 1000 * 1000 };
	pid_t pid;
	int e;

	if (access(py, X_OK))
		check_skip("no CPython 3.11+ interpreter at the given path");
	diag__set_quiet(1);
	pid = fork();
	if (pid == 0) {
		execl(py, py, "-c", "import time\ndef sleeper():\n    while True:\n        time.sleep(0.01)\nsleeper()\n",
		      (char *)NULL);
		_exit(127);
	}
	nanosleep(&wait, NULL);
	e = pyruntime__find(&sys, pid, &rt);
	if (e) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		check_skip("the interpreter is not a CPython 3.11+ with symbols");
	}
	prev_off = rt.layout.off[NL_PY_FR_PREVIOUS];
	for (int f = NL_PY_FR_CODE; f <= NL_PY_FR_IS_ENTRY; f++)
		if (rt.layout.off[f] != NL_PYOFF_NONE && rt.layout.off[f] + 8u > frame_len)
			frame_len = rt.layout.off[f] + 8u;
	sys.read_memory = hostile_read;

	mode = HONEST;
	p = NULL;
	st = read_once(&sys, pid, &p);
	CHECK(st && st->nr >= 2);
	CHECK(st && !strcmp(st->frames[0].function, "sleeper"));
	CHECK(st && !strcmp(st->frames[st->nr - 1].function, "<module>"));
	CHECK(st && !(st->flags & NL_PYS_TRUNCATED));
	pyframes__free(p);

	/* delays past 1 s keep their order of magnitude: three samples 3 s old
	   and one 30 s old have a median of 3-4 s, not the maximum */
	p = NULL;
	for (int i = 0; i < 4; i++) {
		age_ns = i < 3 ? 3000000000ull : 30000000000ull;
		CHECK(read_once(&sys, pid, &p) != NULL);
	}
	age_ns = 0;
	ps = pyframes__stats(p);
	CHECK(ps->delay_p50_us >= 3000000 && ps->delay_p50_us <= 4000000);
	CHECK(ps->delay_max_us >= 30000000 && ps->delay_p99_us == ps->delay_max_us);
	CHECK_EQ_U64(ps->approximate, 4);
	pyframes__free(p);

	test_exec_start_up(&sys, pid);

	mode = LOOP;
	p = NULL;
	st = read_once(&sys, pid, &p);
	ps = pyframes__stats(p);
	CHECK_EQ_U64(ps->loops, 1);
	CHECK(st && st->nr == 1 && (st->flags & NL_PYS_TRUNCATED));
	pyframes__free(p);

	mode = UNMAPPED;
	p = NULL;
	st = read_once(&sys, pid, &p);
	ps = pyframes__stats(p);
	CHECK_EQ_U64(ps->unreadable, 1);
	CHECK(st && st->nr == 1 && (st->flags & NL_PYS_TRUNCATED));
	pyframes__free(p);

	mode = DEEP;
	p = NULL;
	st = read_once(&sys, pid, &p);
	ps = pyframes__stats(p);
	CHECK_EQ_U64(ps->too_deep, 1);
	CHECK(st && st->nr == NL_PY_MAX_DEPTH && (st->flags & NL_PYS_TRUNCATED));
	pyframes__free(p);

	mode = DENIED;
	calls = 0;
	p = NULL;
	st = read_once(&sys, pid, &p);
	ps = pyframes__stats(p);
	CHECK(!st);
	CHECK_EQ_U64(ps->denied, 1);
	pyframes__free(p);

	mode = RANDOM;          /* one reader, its caches kept across the reads */
	p = NULL;
	for (int i = 0; i < 500; i++) {
		const struct nl_pystack *r = read_once(&sys, pid, &p);

		CHECK(!r || r->nr <= NL_PY_MAX_DEPTH);
	}
	pyframes__free(p);

	mode = RANDOM;          /* random bytes through the frame windows too */
	window = true;
	p = NULL;
	for (int i = 0; i < 500; i++) {
		const struct nl_pystack *r = read_once(&sys, pid, &p);

		CHECK(!r || r->nr <= NL_PY_MAX_DEPTH);
	}
	pyframes__free(p);

	mode = HONEST;          /* and the window reads the same frames */
	p = NULL;
	st = read_once(&sys, pid, &p);
	CHECK(st && st->nr >= 2);
	CHECK(st && !strcmp(st->frames[0].function, "sleeper"));
	CHECK(st && !strcmp(st->frames[st->nr - 1].function, "<module>"));
	pyframes__free(p);
	window = false;

	sys.read_memory = changing_read;
	calls = 0;
	p = NULL;
	st = read_once(&sys, pid, &p);
	ps = pyframes__stats(p);
	CHECK(ps->retries + ps->changed + ps->unreadable + ps->samples_no_thread >= 1);
	CHECK(ps->retries <= NL_PY_RETRIES);
	CHECK(!st || st->nr <= NL_PY_MAX_DEPTH);
	pyframes__free(p);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return check_done();
}
