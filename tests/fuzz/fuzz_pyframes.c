/*
 * fuzz_pyframes.c - the CPython frame-chain reader (samplers/pyframes.c,
 * pyruntime.c) against a target whose memory the input rewrites.
 *
 * A real CPython 3.11+ child (python3, or $NL_FUZZ_PYTHON) sleeps in a
 * function; every input is one sample of its main thread resolved by a
 * reader (pyframes__resolve) whose sys->read_memory reads the child for
 * real and then applies the input's patches, so the interpreter lookup,
 * thread states, frames and code objects (names, co_linetable) are read
 * from memory that lies where the fuzzer says.  The reader forgets the
 * child after each input, so every input starts from the lookup.
 *
 * Input: patches until the bytes end, each
 *   u16 read (index of the read_memory call of this input, from 0),
 *   u8 offset (into the bytes read, modulo their length),
 *   u8 n: 0 = that read fails (-EFAULT), else n % 9 bytes follow, written
 *   at offset (cut at the read's end).
 * Seeds (fuzz_seeds.c): no patch, and patches on early reads.
 *
 * Checked beyond the sanitizers (pyframes.h invariant 3): a stack has at
 * most NL_PY_MAX_DEPTH frames, its strings are in bounds, and one resolve
 * reads the target at most MAX_READS times (an honest one: ~30; a thread
 * state list that looped once took 64,000, 1.5 s a batch).  Without a
 * CPython 3.11+ with symbols every input is a no-op.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "samplers/pyframes.h"
#include "samplers/pyruntime.h"

/* NL_PY_MAX_DEPTH frames, ~10 reads each, NL_PY_RETRIES + 1 times, and the lookup */
#define MAX_READS 16384

static pid_t child;
static struct nl_sys sys;
static struct nl_pyframes *reader;
static const uint8_t *in_p, *in_end;
static unsigned reads;

static void end_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	pyframes__free(reader);
}

static ssize_t patched_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t r = sys__default()->read_memory(pid, addr, buf, len);
	unsigned self = reads++;

	for (const uint8_t *p = in_p; r > 0 && p && in_end - p >= 4;) {
		uint16_t at;
		uint8_t off = p[2], n = p[3];

		memcpy(&at, p, 2);
		p += 4;
		if (n && (size_t)(in_end - p) < n % 9u)
			break;
		if (at == self) {
			if (!n)
				return -EFAULT;
			for (unsigned i = 0; i < n % 9u && (size_t)(off % r) + i < (size_t)r; i++)
				((uint8_t *)buf)[off % r + i] = p[i];
		}
		p += n ? n % 9u : 0;
	}
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *py = getenv("NL_FUZZ_PYTHON") ? getenv("NL_FUZZ_PYTHON") : "/usr/bin/python3";
	struct timespec wait = { 0, 300 * 1000 * 1000 };
	struct nl_pyruntime rt;

	(void)argc;
	(void)argv;
	diag__set_quiet(1);
	if (access(py, X_OK))
		return 0;
	child = fork();
	if (child == 0) {
		execl(py, py, "-c", "import time\ndef sleeper():\n    while True:\n        time.sleep(0.01)\nsleeper()\n",
		      (char *)NULL);
		_exit(127);
	}
	atexit(end_child);
	for (int i = 0; i < 20; i++) {          /* until libpython is mapped */
		nanosleep(&wait, NULL);
		if (!pyruntime__find(sys__default(), child, &rt))
			break;
	}
	sys = *sys__default();
	sys.read_memory = patched_read;
	reader = pyframes__new(&sys);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_sample s = { .valid = NL_SAMPLE_TID | NL_SAMPLE_TIME | NL_SAMPLE_IP };
	struct nl_sample *batch[1] = { &s };

	if (!reader || child <= 0)
		return 0;
	in_p = data;
	in_end = data + size;
	reads = 0;
	s.pid = s.tid = child;
	s.time = sys__default()->now_ns();
	pyframes__resolve(reader, batch, 1, s.time);
	if (reads > MAX_READS)
		fuzz_fail("one resolve read the target %u times", reads);
	if (s.py) {
		if (s.py->nr > NL_PY_MAX_DEPTH)
			fuzz_fail("a Python stack of %u frames (bound %d)", s.py->nr, NL_PY_MAX_DEPTH);
		for (uint32_t i = 0; i < s.py->nr; i++) {
			fuzz_touch_string(s.py->frames[i].function);
			fuzz_touch_string(s.py->frames[i].file);
		}
	}
	pyframes__forget(reader, child);
	in_p = in_end = NULL;
	return 0;
}
