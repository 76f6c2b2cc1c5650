#!/usr/bin/env python3
"""Python frames on real PyTorch: tests/guest/train.py (the guest scenario's
trainer: main builds the dataset tensor with torch.randn, a fork DataLoader's
workers serve batches from it), run on this machine under `numalens profile
-- /usr/bin/python3 train.py` (one node: the placement is not the point
here, the names are), checks from the JSON report and --folded:
  - the dataset's first touch is named at train.py's `data = torch.randn`
    line: that Python line row has first-touch samples for >= 90 % of the
    tensor's pages (train.py's truth file), with libtorch's native frames;
  - the workers were read (python.processes >= 1 + workers) and their stacks
    run through DataLoader's _worker_loop to the fetch of the dataset;
  - torch's OpenMP/ATen threads keep native stacks (samples_no_thread_state);
  - no walk looped or read unmapped memory.
Skips (77) without python3-torch.  Usage: check_torch.py TRAIN.py
"""
import json
import os
import re
import subprocess
import sys
import tempfile

NUMALENS = os.environ["NUMALENS"]
train = sys.argv[1]
PY = "/usr/bin/python3"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


if subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode:
    print("skip: python3-torch is not installed")
    sys.exit(77)
line = next(n for n, l in enumerate(open(train), 1) if re.search(r"data = torch\.randn", l))
with tempfile.TemporaryDirectory() as tmp:
    js, folded, truth = (os.path.join(tmp, n) for n in ("t.json", "t.folded", "truth.json"))
    r = subprocess.run([NUMALENS, "profile", "-q", "--json", js, "--folded", folded, "--", PY, train,
                        "--truth", truth, "--mib", "32", "--workers", "2", "--seconds", "3",
                        "--data-node", "0", "--worker-node", "0"], capture_output=True, text=True)
    check(r.returncode == 0, "numalens profile -- python3 train.py exits 0 (%s)" % r.stderr.strip()[-300:])
    if r.returncode:
        sys.exit(1)
    doc, t = json.load(open(js)), json.load(open(truth))
    c = doc["source"]["counters"]
    print("  python counters:", {k: v for k, v in c.items() if k.startswith("python.")})
    rows = [l for l in doc["lines"] if l.get("python") and l["file"].endswith("train.py") and l["line"] == line]
    ft = rows[0]["first_touch"] if rows else 0
    pages = t["dataset"]["pages"]
    check(ft >= 0.9 * pages, "train.py:%d (data = torch.randn) has %d first touches for the tensor's %d pages"
          % (line, ft, pages))
    check(c.get("python.processes", 0) >= 1 + len(t["workers"]),
          "main and its %d DataLoader workers were read" % len(t["workers"]))
    text = open(folded).read()
    check(any("_worker_loop" in s and "_MapDatasetFetcher.fetch" in s for s in text.splitlines()),
          "workers' stacks run _worker_loop -> _MapDatasetFetcher.fetch")
    check(("train.py:%d main;" % line) in text, "--folded names train.py:%d main above libtorch's frames" % line)
    check(c.get("python.samples_no_thread_state", 0) > 0,
          "threads without a PyThreadState (OpenMP, ATen) keep native stacks (%d samples)"
          % c.get("python.samples_no_thread_state", 0))
    check(c.get("python.loops", 1) == 0, "no frame chain looped")
print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
