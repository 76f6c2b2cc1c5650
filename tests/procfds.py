"""procfds.py - what a process holds open, read from /proc/PID/fd as it
changes: a profiler opens and closes /proc files while it attaches, so an
fd listed may be gone by the time it is read, and the process may be gone.

    perf_fds(pid)       how many perf_event fds pid holds now (0 when gone)
"""
import os


def perf_fds(pid):
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0
    n = 0
    for fd in fds:
        try:
            n += "perf_event" in os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            pass
    return n
