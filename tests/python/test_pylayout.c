/*
 * test_pylayout - the offsets numalens reads CPython with equal the DWARF
 * of the interpreters on this machine, so a Debian update that moves a
 * field fails here, loudly, field by field.
 *
 * For each interpreter given: runs it, finds its runtime as the profiler
 * does (pyruntime__find: the built-in table of its version, or
 * _Py_DebugOffsets), reads the layout from its DWARF (pylayout__from_dwarf:
 * its own .debug_info, or the python3.X-dbg build-id file) and compares
 * every field the DWARF has.  The first interpreter is required: without
 * its debug info the test skips (exit 77) and names the package; later ones
 * are checked when present.
 * Usage: test_pylayout PYTHON [PYTHON...]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "samplers/base/sys.h"
#include "samplers/pylayout.h"
#include "samplers/pyruntime.h"

/* 1 checked, 0 not there, -1 no debug info. */
static int check_one(const char *py)
{
	struct timespec wait = { 0, 300 * 1000 * 1000 };
	struct nl_pyruntime rt;
	struct nl_pylayout dw;
	char dpath[600];
	int e, compared = 0;
	pid_t pid;

	if (access(py, X_OK))
		return 0;
	pid = fork();
	if (pid == 0) {
		execl(py, py, "-c", "import time; time.sleep(5)", (char *)NULL);
		_exit(127);
	}
	nanosleep(&wait, NULL);
	e = pyruntime__find(sys__default(), pid, &rt);
	CHECK_EQ_U64(-e, 0);
	if (!e)         /* through /proc/PID/root, as the profiler opens it */
		e = pylayout__from_dwarf(rt.open_path, NULL, rt.layout.major, rt.layout.minor, &dw,
					 dpath, sizeof(dpath));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (e && e != -ENOENT)
		return 1;
	if (e == -ENOENT)
		return -1;
	printf("%s: Python %u.%u.%u, %s layout vs DWARF of %s\n", py, rt.version >> 24,
	       (rt.version >> 16) & 0xff, (rt.version >> 8) & 0xff, rt.layout.origin, dpath);
	for (int f = 0; f < NL_PY_FIELD_COUNT; f++) {
		if (dw.off[f] == NL_PYOFF_NONE && rt.layout.off[f] == NL_PYOFF_NONE)
			continue;
		/* a field the DWARF lacks must be one the layout does not use either */
		if (dw.off[f] != rt.layout.off[f])
			fprintf(stderr, "%s: %s: numalens reads it at %u, the DWARF says %u\n", py,
				pylayout__field_name(f), rt.layout.off[f], dw.off[f]);
		CHECK_EQ_U64(rt.layout.off[f], dw.off[f]);
		compared++;
	}
	CHECK(compared >= 20);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		check_skip("no interpreter given");
	switch (check_one(argv[1])) {
	case 0:
		check_skip("the first interpreter is not on this machine");
		break;
	case -1:
		check_skip("no DWARF for the machine's python3 - apt-get install python3.11-dbg "
			   "(listed in .ci/packages)");
		break;
	default:
		break;
	}
	for (int i = 2; i < argc; i++)
		if (check_one(argv[i]) == -1)
			printf("%s: no debug info, not compared\n", argv[i]);
	return check_done();
}
