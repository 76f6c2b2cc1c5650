#!/usr/bin/env python3
"""Python frames end to end: numalens names the Python lines of CPython samples.

Runs dataset_readers.py (build_dataset first-touches a 32 MiB file mapping,
forked readers read it in read_batch; lines marked "# LINE name") under each
interpreter given, profiles it by PID, and checks from the JSON report:
  - >= 90 % of the parent's first-touch samples of the dataset (its mapping's
    fault_samples) are counted at the Python line build_dataset:LINE, which
    touches the dataset most;
  - >= 90 % of the readers' first-touch samples of the dataset name read_batch;
  - the forked readers were read (python.processes >= 1 + readers), with no
    unreadable walks, and the delay figures (python.delay_us.p50/p99) are there;
  - a stack splices the Python frames above the native leaf (main -> build_dataset);
  - --folded writes "dataset_readers.py:LINE build_dataset";
  - --call-graph dwarf (libdw through libpython): the Python frames stand in
    place of the _PyEval_EvalFrameDefault activations, between the native
    leaf and the native frames that called the evaluator (PyEval_EvalCode);
  - --sort dso,pid: the parent's Python row is the dso "[python] TARGET.py"
    with (at least) build_dataset's first touches, beside the native rows;
  - --record keeps the frames: `numalens report` of the recording names build_dataset:LINE;
  - --no-python-frames reads none.
Usage: check_pyframes.py TARGET.py PYTHON [PYTHON...]   (the first is required,
the others are checked when present; a missing first one skips, exit 77)
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from marks import marks  # noqa: E402

NUMALENS = os.environ["NUMALENS"]
target = sys.argv[1]
pythons = sys.argv[2:]
failures = []
READERS = 2


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def profile(python, tmp, extra, build_s=2.0, read_s=1.5):
    data = os.path.join("/dev/shm", "nl-pyframes-%d" % os.getpid())
    proc = subprocess.Popen([python, target, data, "1.0", str(build_s), str(READERS), str(read_s)])
    time.sleep(0.2)
    js = os.path.join(tmp, "r.json")
    r = subprocess.run([NUMALENS, "profile", "-p", str(proc.pid), "-d", "20", "--json", js, "-q"]
                       + extra, capture_output=True, text=True)
    proc.wait()
    if r.returncode:
        print(r.stderr)
    check(r.returncode == 0, "%s: numalens profile exits 0" % python)
    return (json.load(open(js)) if r.returncode == 0 else None), proc.pid, data, r.stderr


def dataset_faults(doc, root, data):
    parent = readers = 0
    for p in doc["processes"]:
        n = sum(m["fault_samples"] for m in p["mappings"] if m["name"] == data)
        if p["pid"] == root:
            parent += n
        elif p["ppid"] == root:
            readers += n
    return parent, readers


def py_rows(doc, function):
    return [l for l in doc["lines"] if l.get("python") and l["function"] == function]


def run_one(python, first):
    m = marks(target)
    base = os.path.basename(target)
    with tempfile.TemporaryDirectory() as tmp:
        folded = os.path.join(tmp, "f.folded")
        rec = os.path.join(tmp, "r.perf.data")
        extra = ["--folded", folded] + (["--record", rec] if first else [])
        doc, root, data, err = profile(python, tmp, extra)
        if not doc:
            return
        c = doc["source"]["counters"]
        parent, readers = dataset_faults(doc, root, data)
        print("  %s: dataset first-touch samples: parent %d, readers %d; python counters %s"
              % (python, parent, readers,
                 {k: v for k, v in c.items() if k.startswith("python.")}))
        check(parent > 1000 and readers > 1000, "%s: the dataset took first-touch samples" % python)
        build = [l for l in py_rows(doc, "build_dataset") if l["line"] == m["build_dataset"]]
        b = build[0]["first_touch"] if build else 0
        check(build and build[0]["file"].endswith(base) and build[0]["dso"] == "[python] " + target,
              "%s: a Python line row names %s:%d build_dataset" % (python, base, m["build_dataset"]))
        check(parent and 0.9 * parent <= b <= 1.1 * parent + 200,
              "%s: build_dataset:%d has %d first touches, >= 90%% of the parent's %d on the dataset"
              % (python, m["build_dataset"], b, parent))
        check(build and build[0].get("top_mapping") == data,
              "%s: the data build_dataset:%d touched most is the dataset" % (python, m["build_dataset"]))
        rb = sum(l["first_touch"] for l in py_rows(doc, "read_batch"))
        check(readers and 0.9 * readers <= rb <= 1.1 * readers + 200,
              "%s: read_batch has %d first touches, >= 90%% of the readers' %d" % (python, rb, readers))
        check(c.get("python.processes", 0) >= 1 + READERS,
              "%s: the parent and its %d forked readers were read" % (python, READERS))
        check(c.get("python.unreadable", 1) == 0 and c.get("python.loops", 1) == 0,
              "%s: no walk ended unreadable or looped" % python)
        p50, p99 = c.get("python.delay_us.p50"), c.get("python.delay_us.p99")
        check(p50 is not None and p99 is not None and 0 < p50 <= p99,
              "%s: delay sample -> read in the JSON: median %s us, p99 %s us" % (python, p50, p99))
        check(doc["symbols"]["python_samples"] > 0, "%s: symbols.python_samples counted" % python)
        spliced = any([f["function"] for f in s["frames"] if f.get("python")][:3] ==
                      ["build_dataset", "main", "<module>"] and not s["frames"][0].get("python")
                      for s in doc["stacks"])
        check(spliced, "%s: a stack reads native leaf, build_dataset, main, <module>" % python)
        text = open(folded).read()
        check("%s:%d build_dataset" % (base, m["build_dataset"]) in text,
              "%s: --folded names %s:%d build_dataset" % (python, base, m["build_dataset"]))
        if not first:
            return
        dwarf(python, tmp, m, base)
        js = os.path.join(tmp, "rep.json")
        r = subprocess.run([NUMALENS, "report", "--json", js, "-q", rec], capture_output=True, text=True)
        check(r.returncode == 0, "report of the --record file exits 0 (%s)" % r.stderr.strip()[:200])
        if r.returncode == 0:
            rep = json.load(open(js))
            rbuild = [l for l in py_rows(rep, "build_dataset") if l["line"] == m["build_dataset"]]
            check(rbuild and rbuild[0]["first_touch"] == b,
                  "report of the recording: build_dataset:%d has the live profile's %d first touches"
                  % (m["build_dataset"], b))
        # without the reader: no Python rows, and the counters say nothing was read
        doc, root, data, err = profile(python, tmp, ["--no-python-frames"], 0.5, 0.3)
        if doc:
            check(not any(l.get("python") for l in doc["lines"]) and
                  "python.reads" not in doc["source"]["counters"],
                  "--no-python-frames: no Python rows, no reads")


def dwarf(python, tmp, m, base):
    """--call-graph dwarf stacks with the Python frames spliced in, and the
    Python rows of --sort dso,pid."""
    # a shorter run than the default (dwarf stacks fill the rings), long
    # enough that a loaded (or ASan) numalens attaches in time
    doc, root, data, err = profile(python, tmp, ["--call-graph", "dwarf", "--sort", "dso,pid"],
                                   1.5, 0.3)
    if not doc:
        return
    # first touches at build_dataset's line (the mapping's own count races
    # with its MADV_DONTNEED on a loaded host)
    parent = sum(l["first_touch"] for l in py_rows(doc, "build_dataset") if l["line"] == m["build_dataset"])
    best = None
    for s in doc["stacks"]:
        names = [f["function"] for f in s["frames"]]
        py = [i for i, f in enumerate(s["frames"]) if f.get("python")]
        if [names[i] for i in py][:3] == ["build_dataset", "main", "<module>"] and \
                py[0] > 0 and py == list(range(py[0], py[0] + len(py))) and \
                "PyEval_EvalCode" in names[py[-1] + 1:] and "_PyEval_EvalFrameDefault" not in names:
            best = best or s
    check(parent > 1000 and best is not None and best["samples"] >= 0.5 * parent,
          "%s --call-graph dwarf: a stack reads native leaf, build_dataset, main, <module>, then "
          "PyEval_EvalCode ... (no _PyEval_EvalFrameDefault) for >= half of the parent's %d first "
          "touches (%s)" % (python, parent, best and [f["function"] for f in best["frames"]][:8]))
    rows = [r for r in doc.get("code_rows") or [] if r.get("pid") == root]
    mine = [r for r in rows if r.get("python") and r.get("dso") == "[python] " + target]
    check(parent > 1000 and mine and mine[0]["first_touch"] >= parent,
          "%s --sort dso,pid: the parent's Python row is dso [python] %s with build_dataset's %d "
          "first touches (%r)" % (python, base, parent,
                                  [(r.get("dso"), r["first_touch"]) for r in rows if r.get("python")]))
    check(any(not r.get("python") for r in rows), "%s --sort dso,pid: native dso rows beside it"
          % python)


def refusals():
    """What cannot be read is counted and said: a program that is no CPython,
    and a CPython before 3.11 (pyenv's 3.10, when the machine has one)."""
    with tempfile.TemporaryDirectory() as tmp:
        js = os.path.join(tmp, "n.json")
        r = subprocess.run([NUMALENS, "profile", "--json", js, "-q", "--", "sh", "-c",
                            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"],
                           capture_output=True, text=True)
        c = json.load(open(js))["source"]["counters"] if r.returncode == 0 else {}
        check(r.returncode == 0 and c.get("python.processes") == 0 and c.get("python.samples") == 0,
              "a shell loop: no CPython found, no frames (%s)" % r.stderr.strip()[-200:])
        old = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.10.*/bin/python3.10")))
        if not old:
            print("skip: no CPython 3.10 here for the 'before 3.11' note")
            return
        # busy for 3 s, so samples come after libpython is mapped, however loaded the host
        r = subprocess.run([NUMALENS, "profile", "--json", js, "--", old[0], "-c",
                            "import time\nt = time.time()\nwhile time.time() - t < 3: pass"],
                           capture_output=True, text=True)
        c = json.load(open(js))["source"]["counters"] if r.returncode == 0 else {}
        check(c.get("python.unknown_version", 0) >= 1 and "a CPython before 3.11" in r.stderr,
              "%s: counted and noted as a CPython before 3.11" % old[0])


def main():
    if not pythons or not os.access(pythons[0], os.X_OK):
        print("skip: %s is not here" % (pythons[0] if pythons else "no python given"))
        sys.exit(77)
    for i, py in enumerate(pythons):
        if i and not os.access(py, os.X_OK):
            print("skip %s: not on this machine" % py)
            continue
        run_one(py, i == 0)
    if pythons[0] == "/usr/bin/python3":
        refusals()
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)


main()
