#!/usr/bin/env python3
"""The dataset tensor of real PyTorch, profiled by pid (no relaunch).

Runs tests/guest/train.py --wait-file (main imports torch, then waits until
numalens holds its events before it builds a 32 MiB dataset tensor; 2
DataLoader workers), ends the profile 2 s after the workers serve, and
checks from the JSON report that the object holding the dataset is its
allocation by main: mmap of the tensor's size at c10::alloc_cpu (found by
unwinding glibc and libc10 with .eh_frame: neither keeps frame pointers),
first touched by main for >= 99 % of its pages; the allocation site's
Python frame (read when the probe hit is drained) is train.py's
nl:dataset-build line, in the site's stack text too.
Usage: torch_objects.py train.py   (NUMALENS in the environment)
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procfds import perf_fds  # noqa: E402

NUMALENS = os.environ["NUMALENS"]
train = sys.argv[1]
PY = "/usr/bin/python3"


def wait_for(cond, seconds):
    end = time.time() + seconds
    while time.time() < end and not cond():
        time.sleep(0.05)
    return cond()


def main():
    if subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode:
        print("SKIP: python3-torch is not installed")
        sys.exit(77)
    if os.getuid() != 0 or not os.access("/sys/bus/event_source/devices/uprobe/type", os.R_OK):
        print("SKIP: needs root and the uprobe PMU (allocation probes)")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        truth, wait, js = (os.path.join(tmp, n) for n in ("truth.json", "wait", "r.json"))
        tr = subprocess.Popen([PY, train, "--truth", truth, "--wait-file", wait, "--mib", "32",
                               "--data-node", "0", "--worker-node", "0", "--workers", "2",
                               "--seconds", "4", "--rows-per-item", "256", "--batch-rows", "4096",
                               "--hidden", "4"])
        if not wait_for(lambda: os.path.exists(wait) and os.path.getsize(wait) > 0, 120):
            tr.kill()
            sys.exit("FAIL: train.py did not wait for numalens")
        nl = subprocess.Popen([NUMALENS, "profile", "-p", str(tr.pid), "-d", "120", "--json", js, "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: perf_fds(nl.pid) > 8 or nl.poll() is not None, 60)
        time.sleep(0.5)
        os.unlink(wait)
        wait_for(lambda: os.path.exists(truth), 120)
        time.sleep(2)
        nl.send_signal(signal.SIGTERM)
        err = nl.communicate()[1]
        tr.wait()
        if nl.returncode:
            sys.exit("FAIL: numalens profile exited %d: %s" % (nl.returncode, err[-300:]))
        t, d = json.load(open(truth)), json.load(open(js))
    ds = t["dataset"]
    held = [o for o in d["objects"] if o["start"] <= ds["start"] and ds["end"] <= o["start"] + o["size"]]
    fails = []
    if not held:
        sys.exit("FAIL: no object holds the dataset: %s" % [o["name"] for o in d["objects"][:5]])
    o = min(held, key=lambda o: o["size"])
    ft = o["first_touch"] or {}
    site = (o["site"] or {}).get("function") or ""
    py = (o["site"] or {}).get("python") or {}
    build = [n for n, l in enumerate(open(train), 1) if "# nl:dataset-build" in l]
    pytext = "%s (train.py:%s)" % (py.get("function"), py.get("line"))
    for ok, what in (
            (o["kind"] == "allocation" and o["allocator"] == "mmap" and o["pid"] == t["pid"],
             "an mmap allocation by main %d: %s, pid %s" % (t["pid"], o["name"], o["pid"])),
            (ds["bytes"] <= o["size"] <= ds["bytes"] + (1 << 20), "of the tensor's size: %d" % o["size"]),
            (site.startswith("c10::alloc_cpu"), "allocated at c10::alloc_cpu: %r" % site),
            (ft.get("pid") == t["pid"] and ft.get("share", 0) >= 0.99,
             "first touched by main for >= 99 %% of its pages: %s" % ft),
            (py.get("file", "").endswith("train.py") and [py.get("line")] == build and
             pytext in o["site"]["stack"],
             "allocated at train.py's nl:dataset-build line %s: %s, stack %r"
             % (build, py, (o["site"] or {}).get("stack")))):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            fails.append(what)
    print("note first-touch site's Python frame: %s" % ((ft.get("site") or {}).get("python"),))
    sys.exit(1 if fails else 0)


main()
