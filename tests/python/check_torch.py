#!/usr/bin/env python3
"""Python frames on real PyTorch: tests/guest/train.py (the guest scenario's
trainer: main builds the dataset tensor with torch.randn, a fork DataLoader's
workers serve batches from it, each item read by the Dataset's __getitem__),
run on this machine and profiled by pid as a user would (`numalens profile -p
PID`, attached once torch is imported: train.py --wait-file waits for it),
one node: the placement is not the point here, the names are.  Lines are
read from train.py's `# nl:NAME` markers.  Checks from the JSON report
(--sort srcline,pid) and --folded:
  - the dataset's first touch is named at train.py's nl:dataset-build line
    (`data = torch.randn`): that Python line row has first-touch samples for
    >= 90 % of the tensor's pages (train.py's truth file), in main, with
    libtorch's native frames below it in --folded;
  - the workers were read (python.processes >= 1 + workers) and their stacks
    run through DataLoader's _worker_loop and its fetch to the dataset's
    __getitem__; each worker's rows name __getitem__ at nl:getitem-read;
  - torch's OpenMP/ATen threads keep native stacks (samples_no_thread_state);
  - no walk looped.
Skips (77) without python3-torch.  Usage: check_torch.py TRAIN.py
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procfds import perf_fds  # noqa: E402

NUMALENS = os.environ["NUMALENS"]
train = sys.argv[1]
PY = "/usr/bin/python3"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        time.sleep(0.05)
    return cond()


if subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode:
    print("skip: python3-torch is not installed")
    sys.exit(77)
marks = {m.group(1): n for n, l in enumerate(open(train), 1)
         for m in [re.search(r"#\s*nl:([a-z][a-z-]*)", l)] if m}
line, getitem = marks["dataset-build"], marks["getitem-read"]
with tempfile.TemporaryDirectory() as tmp:
    js, folded, truth, go = (os.path.join(tmp, n) for n in ("t.json", "t.folded", "truth.json", "go"))
    trainer = subprocess.Popen([PY, train, "--truth", truth, "--mib", "32", "--workers", "2",
                                "--seconds", "4", "--data-node", "0", "--worker-node", "0",
                                "--rows-per-item", "256", "--batch-rows", "4096", "--hidden", "4",
                                "--wait-file", go])
    if not wait_for(lambda: os.path.exists(go) and open(go).read().endswith("\n"), 120):
        trainer.kill()
        check(False, "train.py imported torch within 120 s")
        sys.exit(1)
    prof = subprocess.Popen([NUMALENS, "profile", "-p", str(trainer.pid), "-d", "10", "-q", "--json", js,
                             "--folded", folded, "--sort", "srcline,pid"],
                            stderr=subprocess.PIPE, text=True)
    # numalens attached: its events are open (then its placement snapshot)
    wait_for(lambda: perf_fds(prof.pid) > 0, 30)
    time.sleep(1)
    os.unlink(go)
    err = prof.communicate()[1]
    trainer.wait()
    check(prof.returncode == 0, "numalens profile -p TRAIN_PID exits 0 (%s)" % err.strip()[-300:])
    if prof.returncode:
        sys.exit(1)
    doc, t = json.load(open(js)), json.load(open(truth))
    c = doc["source"]["counters"]
    print("  python counters:", {k: v for k, v in c.items() if k.startswith(("python.", "live."))})
    rows = [l for l in doc["lines"] if l.get("python") and l["file"].endswith("train.py") and l["line"] == line]
    ft = rows[0]["first_touch"] if rows else 0
    pages = t["dataset"]["pages"]
    # a sample the kernel lost (its ring full: an ASan build on a slow host
    # drains slower than torch.randn faults) may have been a first touch:
    # counted, never missed silently
    lost = doc["summary"]["lost"]
    want = 0.9 * pages - lost
    check(ft >= want, "train.py:%d (data = torch.randn) has %d first touches for the tensor's %d pages"
          " (%d samples lost)" % (line, ft, pages, lost))
    mine = [r for r in doc.get("code_rows") or [] if r.get("python") and r.get("pid") == t["pid"]
            and (r.get("file") or "").endswith("train.py") and r.get("line") == line]
    check(mine and mine[0]["first_touch"] >= want, "... in main %d" % t["pid"])
    check(ft > 0.5 * pages, "most of the tensor's pages have their first touch there (%d of %d)" % (ft, pages))
    check(c.get("python.processes", 0) >= 1 + len(t["workers"]),
          "main and its %d DataLoader workers were read" % len(t["workers"]))
    for w in t["workers"]:
        got = [r for r in doc.get("code_rows") or [] if r.get("python") and r.get("pid") == w["pid"]
               and (r.get("file") or "").endswith("train.py") and r.get("line") == getitem]
        check(got and got[0]["samples"] > 0,
              "worker %d's samples name __getitem__ at train.py:%d (%d)"
              % (w["pid"], getitem, got[0]["samples"] if got else 0))
    text = open(folded).read()
    check(any("_worker_loop" in s and "_MapDatasetFetcher.fetch" in s and
              ("train.py:%d main.<locals>.Rows.__getitem__" % getitem) in s for s in text.splitlines()),
          "workers' stacks run _worker_loop -> _MapDatasetFetcher.fetch -> Rows.__getitem__ at train.py:%d"
          % getitem)
    check(("train.py:%d main;" % line) in text, "--folded names train.py:%d main above libtorch's frames" % line)
    check(c.get("python.samples_no_thread_state", 0) > 0,
          "threads without a PyThreadState (OpenMP, ATen) keep native stacks (%d samples)"
          % c.get("python.samples_no_thread_state", 0))
    check(c.get("python.loops", 1) == 0, "no frame chain looped")
print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
