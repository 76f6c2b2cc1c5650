#!/usr/bin/env python3
"""Data objects of a Python workload profiled by PID (the issue's "Python
workload: bytearray / mmap dataset in the parent, forked readers").

Runs tests/python/dataset_readers.py (the parent first-touches a 32 MiB
dataset in build_dataset, then forks READERS readers of it) twice under
`numalens profile -p`, and checks from the JSON report:
  - bytearray dataset (made after numalens attached): an allocation object
    "32 MiB allocation (mmap) ..." of the parent (glibc mmaps it; default
    probes), not "before attach", first touched by the parent for >= 99 %
    of its >= 99 % sampled pages;
    its allocation site and first-touch site carry the innermost Python
    frame of the thread then: main or build_dataset at its "# LINE" mark
    (the frame is read when the probe hit is drained, after the call; and
    bytearray(n) zeroes its pages in main), each also in the site's stack
    text;
  - file mmap dataset (mapped before attach): the object is the mapping
    (its path, exactly 32 MiB), first touched by the parent for >= 99 % of
    its pages (its site's Python frame: build_dataset at its mark), read by
    the parent and each forked reader, each page counted
    once (pages <= 8192 although three processes fault on all of them).
Usage: python_objects.py dataset_readers.py PYTHON   (NUMALENS in the environment)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from marks import marks  # noqa: E402
from procfds import perf_fds  # noqa: E402

NUMALENS = os.environ["NUMALENS"]
target, python = sys.argv[1], sys.argv[2]
READERS = 2
SIZE = 32 << 20
PAGES = SIZE // 4096
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def profile(tmp, dataset):
    """Profiles dataset_readers.py by pid; it starts once numalens holds its
    events (however loaded the machine), so the profile sees the dataset made."""
    js = os.path.join(tmp, "r.json")
    go = os.path.join(tmp, "go")
    open(go, "w").close()
    proc = subprocess.Popen([python, target, dataset, "@" + go, "1.0", str(READERS), "0.8"])
    # a file dataset is mapped before numalens attaches (its object is the
    # mapping): wait for it, however slowly the interpreter starts
    for _ in range(600):
        if dataset == "bytearray" or dataset in open("/proc/%d/maps" % proc.pid).read():
            break
        time.sleep(0.05)
    time.sleep(0.2)
    nl = subprocess.Popen([NUMALENS, "profile", "-p", str(proc.pid), "-d", "30", "--json", js, "-q"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(600):
        if perf_fds(nl.pid) > 8 or nl.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    os.unlink(go)
    out, err = nl.communicate()
    r = subprocess.CompletedProcess(nl.args, nl.returncode, out, err)
    proc.wait()
    check(r.returncode == 0, "%s: numalens profile -p exits 0 (%s)" % (dataset, r.stderr.strip()[-300:]))
    return (json.load(open(js)) if r.returncode == 0 else None), proc.pid


def python_site(site, functions, what):
    """site's Python frame is one of functions at its "# LINE" mark, and
    the site's stack text names it."""
    py = site and site.get("python")
    line = py and marks(target).get(py["function"])
    text = py and "%s (dataset_readers.py:%d)" % (py["function"], py["line"])
    check(py is not None and py["function"] in functions and py["line"] == line and
          py["file"].endswith("dataset_readers.py") and text in site["stack"],
          "%s: python frame %s at its # LINE mark (%s), in the stack text %r"
          % (what, "/".join(functions), py and (py["function"], py["file"], py["line"], line),
             site and site["stack"]))


def first_touch_by(o, pid, what):
    ft = o["first_touch"]
    check(ft is not None and ft["pid"] == pid and ft["share"] >= 0.99 and
          o["pages"] >= 0.99 * PAGES,
          "%s: first touched by the parent %d for >= 99 %% of its >= %d pages (%s, pages %d)"
          % (what, pid, int(0.99 * PAGES), ft and (ft["pid"], ft["share"]), o["pages"]))


def main():
    if not os.access(python, os.X_OK):
        print("SKIP: %s is not here" % python)
        sys.exit(77)
    if os.getuid() != 0 or not os.access("/sys/bus/event_source/devices/uprobe/type", os.R_OK):
        print("SKIP: needs root and the uprobe PMU (allocation probes)")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        doc, parent = profile(tmp, "bytearray")
        if doc:
            check(doc["allocation_tracking"] is True, "bytearray: allocation tracking on")
            big = [o for o in doc["objects"] if o["kind"] == "allocation" and o["pid"] == parent
                   and SIZE <= o["size"] <= SIZE + 8192]
            check(len(big) == 1, "bytearray: one ~32 MiB allocation object of the parent: %s"
                  % [(o["name"], o["pid"], o["size"]) for o in doc["objects"][:5]])
            if big:
                o = big[0]
                check(o["allocator"] == "mmap" and o["name"].startswith("32 MiB allocation (mmap) at ")
                      and not o["before_attach"] and o["site"] and o["site"]["function"],
                      "bytearray: named '%s'" % o["name"])
                first_touch_by(o, parent, "bytearray")
                python_site(o["site"], ("main", "build_dataset"), "bytearray: allocation site")
                python_site(o["first_touch"] and o["first_touch"]["site"], ("main", "build_dataset"),
                            "bytearray: first-touch site")
        data = os.path.join("/dev/shm", "nl-pyobjects-%d" % os.getpid())
        doc, parent = profile(tmp, data)
        if doc:
            objs = [o for o in doc["objects"] if o["mapping"] == data]
            check(len(objs) == 1, "mmap: one object is the dataset's mapping %s" % data)
            if objs:
                o = objs[0]
                check(o["kind"] == "mapping" and o["size"] == SIZE and
                      o["name"].startswith("32 MiB mapping %s" % data),
                      "mmap: named '%s', %d bytes" % (o["name"], o["size"]))
                first_touch_by(o, parent, "mmap")
                python_site(o["first_touch"] and o["first_touch"]["site"], ("build_dataset",),
                            "mmap: first-touch site")
                kids = {p["pid"] for p in doc["processes"] if p["ppid"] == parent}
                read = {r["pid"] for r in o["readers"] if r["samples"] > 0}
                check(len(kids) == READERS and kids | {parent} <= read,
                      "mmap: read by the parent and its %d forked readers (readers %s, kids %s)"
                      % (READERS, sorted(read), sorted(kids)))
                check(o["pages"] <= PAGES, "mmap: each page once (%d pages, %d processes fault on them)"
                      % (o["pages"], len(read)))
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)


main()
