#!/usr/bin/env python3
"""symbols end to end: numalens names the code behind the samples.

Profiles symprog (known functions at lines marked MARK:<name>) live with
--call-graph fp and dwarf, and offline from `perf record -e page-faults -d`
with -g and with --call-graph dwarf, and checks: the top functions and
source lines are the constructed ones, the inlined function is named,
stacks run main -> filler, a stack through libc (qsort calling back, libc
has no frame pointers) is whole with dwarf and cut with fp, --folded
writes them,
per-symbol sample counts equal `perf report --sort sym` for the top 10, the
stripped copy reads dso+0xOFF with a note, a DSO of another build-id is
refused with a note, a garbage ELF under --symfs is a note and no crash,
and the real fixtures (their DSOs absent) report without crashing.
Usage: check_symbols.py SYMPROG LIBSYM SYMPROG_C SYMLIB_C
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from marks import marks  # noqa: E402

NUMALENS = os.environ["NUMALENS"]
SHARED = os.environ.get("NL_SHARED", "")
prog, lib, prog_c, lib_c = sys.argv[1:5]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


M = dict(marks(prog_c, "MARK:"), **{"lib": marks(lib_c, "MARK:")["lib"]})
# pages each filler first-touches (symprog.c)
EXPECT = [("fill_buffer", 16384, "fill"), ("fill_inline_caller", 8192, "inline"),
          ("lib_touch", 4096, "lib")]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=240, **kw)


def report(path, *extra):
    j = os.path.join(tmp, "r.json")
    r = run([NUMALENS, "report", "-q", "--json", j, *extra, path])
    check(r.returncode in (0, 3), "report %s exits 0/3 (got %d: %s)" % (os.path.basename(path), r.returncode, r.stderr.strip()[-300:]))
    return json.load(open(j)) if os.path.exists(j) else {"functions": [], "lines": [], "stacks": [], "symbols": {"notes": []}}


def check_constructed(d, what):
    fns = d["functions"]
    top = [f["function"] for f in fns[:3]]
    check(top == [e[0] for e in EXPECT], "%s: top functions %s" % (what, top))
    for name, pages, mark in EXPECT:
        f = next((f for f in fns if f["function"] == name), None)
        # the buffer's pages, plus at most a few faults of the function's own
        # stack or a lazy binding that land in it on some runs
        check(f is not None and pages <= f["memory_samples"] <= pages + 4 and f["kind"] == "first touch",
              "%s: %s has %d first-touch memory samples (%s)" % (what, name, pages, f and (f["memory_samples"], f["kind"])))
    lines = d["lines"][:3]
    got = [(os.path.basename(l["file"]), l["line"], l["function"], l["inlined_into"]) for l in lines]
    want = [("symprog.c", M["fill"], "fill_buffer", None),
            ("symprog.c", M["inline"], "touch_page", "fill_inline_caller"),
            ("symlib.c", M["lib"], "lib_touch", None)]
    check(got == want, "%s: top lines %s == %s" % (what, got, want))


# The qsort comparator's first touches, through libc: whole, the libc frames
# between cmp_touch and qsort_fill included.
QSORT_STACK = re.compile(r"(?:.*;)?main;qsort_fill;(?:[^;]+;)+cmp_touch (\d+)")


def qsort_through_libc(folded):
    return sum(int(m.group(1)) for l in open(folded).read().splitlines()
               for m in [QSORT_STACK.fullmatch(l)] if m)


def check_dwarf(d, folded, what):
    check_constructed(d, what)
    st = [[fr["function"] for fr in s["frames"]] for s in d["stacks"][:6]]
    check(st and st[0][:2] == ["fill_buffer", "main"], "%s: top stack fill_buffer <- main (%s)" % (what, st[:1]))
    check(any(s[:3] == ["touch_page", "fill_inline_caller", "main"] for s in st),
          "%s: the inlined frame is in the stack" % what)
    n = qsort_through_libc(folded)
    # page-faults counts faults, not pages: a CI run on a loaded host saw
    # 1025 (an access that faulted twice), so a few more may come
    check(1024 <= n <= 1034, "%s: cmp_touch <- libc qsort <- qsort_fill <- main for all 1024 pages (%d)" % (what, n))
    check(d["symbols"]["samples_with_dwarf_stack"] >= 31000,
          "%s: samples unwound from user stacks (%d)" % (what, d["symbols"]["samples_with_dwarf_stack"]))


def check_sort(path, d):
    """--sort keys group the code table as perf report --sort does."""
    # the program's pid from the process table (its JIT map may have fallen
    # out of the functions table when the recording lost samples)
    pids = [p["pid"] for p in d["processes"] if p["comm"] == os.path.basename(prog)[:15]]
    check(len(pids) == 1, "--sort: one process of the program (%s)" % pids)
    pid = pids[0] if pids else -1
    e = report(path, "--sort", "sym,pid")
    rows = e.get("code_rows", [])
    top = [(r.get("function"), r.get("pid"), r["memory_samples"]) for r in rows[:3]]
    want = [(f["function"], pid, f["memory_samples"]) for f in d["functions"][:3]]
    check(e.get("code_sort") == "sym,pid" and top == want, "--sort sym,pid: %s == %s" % (top, want))
    e = report(path, "--sort", "dso")
    by_dso = {r["dso"]: r["samples"] for r in e.get("code_rows", [])}
    fn_sum = sum(f["samples"] for f in d["functions"] if f["dso"] == prog)
    check(by_dso.get(prog) == fn_sum and all("function" not in r for r in e["code_rows"]),
          "--sort dso: the program's row sums its functions (%s == %d)" % (by_dso.get(prog), fn_sum))
    e = report(path, "--sort", "srcline,sym")
    top = [(os.path.basename(r["file"] or ""), r["line"], r["function"]) for r in e.get("code_rows", [])[:2]]
    check(top == [("symprog.c", M["fill"], "fill_buffer"), ("symprog.c", M["inline"], "fill_inline_caller")],
          "--sort srcline,sym: %s" % top)
    r = run([NUMALENS, "report", "-q", "--sort", "sym,comm", path])
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "--sort sym,comm" in r.stderr,
          "--sort with an unknown key: one usage line, exit 2 (%s)" % r.stderr.strip())


tmp = tempfile.mkdtemp(prefix="nl-symbols-")
pids = []   # of symprog runs: their /tmp/perf-PID.map files are removed at the end
try:
    # --- live, frame pointers -------------------------------------------------
    j, folded, rec = (os.path.join(tmp, n) for n in ("live.json", "live.folded", "live.data"))
    r = run([NUMALENS, "profile", "-q", "--call-graph", "fp", "--json", j, "--folded", folded,
             "--record", rec, "--", prog, lib])
    if r.returncode != 0 and "perf_event_open" in r.stderr:
        print("skip: perf events unavailable: " + r.stderr.strip())
        sys.exit(77)
    check(r.returncode == 0, "profile --call-graph fp exits 0 (%s)" % r.stderr.strip()[-200:])
    pids.extend(re.findall(r"pid (\d+)", r.stdout))
    d = json.load(open(j))
    check_constructed(d, "live")
    src = os.environ.get("NL_SOURCE_DIR", "")
    v = run([sys.executable, os.path.join(src, "tests/report/validate_schema.py"),
             os.path.join(src, "report/numalens.report-1.schema.json"), j])
    check(v.returncode == 0, "live JSON with functions, lines, stacks validates (%s)" % v.stdout.strip()[-200:])
    st = [[fr["function"] for fr in s["frames"]] for s in d["stacks"][:3]]
    check(st and st[0][:2] == ["fill_buffer", "main"], "live: top stack fill_buffer <- main (%s)" % (st[:1],))
    check(any(s[:3] == ["touch_page", "fill_inline_caller", "main"] for s in st),
          "live: the inlined frame is in the stack")
    kern = [f for f in d["functions"] if f["dso"] == "[kernel.kallsyms]" and f["memory_samples"] >= 256]
    if os.access("/proc/kallsyms", os.R_OK) and os.geteuid() == 0:
        check(kern and kern[0]["resolved"], "live: the kernel's faults for read(2) name a kernel function (%s)"
              % [(f["function"], f["memory_samples"]) for f in kern[:2]])
    if os.uname().machine == "x86_64":
        jit = [f for f in d["functions"] if f["function"] == "jit_fill"]
        check(jit and jit[0]["memory_samples"] == 2048 and jit[0]["dso"].startswith("/tmp/perf-"),
              "live: JIT code named from /tmp/perf-PID.map (%s)" % jit)
        check(d["symbols"]["jit_bad_lines"] == 1 and any("format" in n for n in d["symbols"]["notes"]),
              "live: the JIT map's bad line is counted, with a note")
        # a map others may write is not trusted, unless forced
        for force in ([], ["--force-jit-maps"]):
            j2 = os.path.join(tmp, "jit.json")
            r = run([NUMALENS, "profile", "-q", "--json", j2, *force, "--", prog, lib, "--jit-map-writable"])
            pids.extend(re.findall(r"pid (\d+)", r.stdout))
            d2 = json.load(open(j2))
            named = any(f["function"] == "jit_fill" for f in d2["functions"])
            noted = any("writable by others" in n for n in d2["symbols"]["notes"])
            check(named == bool(force) and noted != bool(force),
                  "JIT map writable by others: %s" % ("read with --force-jit-maps" if force else "ignored with a note"))
        # a map another user owns (the target runs as root, the map belongs to nobody)
        if os.geteuid() == 0:
            j3 = os.path.join(tmp, "jit-foreign.json")
            r = run([NUMALENS, "profile", "-q", "--json", j3, "--", prog, lib, "--jit-map-foreign"])
            pids.extend(re.findall(r"pid (\d+)", r.stdout))
            d3 = json.load(open(j3))
            check(not any(f["function"] == "jit_fill" for f in d3["functions"]) and
                  any("not owned by the process' user or root" in n for n in d3["symbols"]["notes"]),
                  "JIT map owned by another user: ignored with a note")
    fl = open(folded).read().splitlines()
    check(any(re.fullmatch(r".*;main;fill_buffer 16384", l) for l in fl), "live: --folded has main;fill_buffer 16384")
    check(qsort_through_libc(folded) == 0, "live fp: the walk cannot pass libc's qsort (no frame pointers there)")
    # the recording reads back the same
    check_constructed(report(rec), "live --record, reported")

    # --- live, dwarf: the copied user stacks unwound with libdw -----------------
    j, folded, rec = (os.path.join(tmp, n) for n in ("dw.json", "dw.folded", "dw.data"))
    # Each sample carries 2 KiB of stack: a loaded machine can fill the rings
    # faster than the reader drains them (lost, and reported so).  The exact
    # counts need a run without loss: up to three tries, as perf's check
    # below needs a ring big enough.
    for attempt in range(3):
        r = run([NUMALENS, "profile", "-q", "--call-graph", "dwarf,2048", "--json", j, "--folded", folded,
                 "--record", rec, "--", prog, lib])
        pids.extend(re.findall(r"pid (\d+)", r.stdout))
        d = json.load(open(j)) if r.returncode == 0 else None
        if not d or not d["summary"]["lost"]:
            break
        print("note: live dwarf lost %d samples (try %d), again" % (d["summary"]["lost"], attempt + 1))
    check(r.returncode == 0, "profile --call-graph dwarf exits 0 (%s)" % r.stderr.strip()[-200:])
    d = json.load(open(j))
    lost = d["summary"]["lost"]
    if lost:
        print("note: live dwarf lost %d samples in 3 tries: exact counts not checked" % lost)
        top = [f["function"] for f in d["functions"][:1]]
        check(top == [EXPECT[0][0]], "live dwarf with loss: %s still first (%s)" % (EXPECT[0][0], top))
    else:
        check_dwarf(d, folded, "live dwarf")
    v = run([sys.executable, os.path.join(src, "tests/report/validate_schema.py"),
             os.path.join(src, "report/numalens.report-1.schema.json"), j])
    check(v.returncode == 0, "live dwarf JSON validates (%s)" % v.stdout.strip()[-200:])
    folded2 = os.path.join(tmp, "dw2.folded")
    d = report(rec, "--folded", folded2)
    if not lost:
        check_dwarf(d, folded2, "live dwarf --record, reported")
    os.unlink(rec)

    # --- offline, perf record -------------------------------------------------
    perf = shutil.which("perf")
    off = os.path.join(tmp, "off.data")
    r = run([perf, "record", "-q", "-e", "page-faults", "-c", "1", "-d", "-g", "-o", off,
             "--", prog, lib]) if perf else None
    if r:
        pids.extend(re.findall(r"pid (\d+)", r.stdout))
    if r and r.returncode == 0:
        d = report(off)
        check_constructed(d, "perf record")
        # parity: per-symbol samples equal perf report --sort sym, top 10
        r = run([perf, "report", "-i", off, "--stdio", "--no-children", "--sort", "sym",
                 "-F", "sample,sym", "-g", "none"])
        theirs = {}
        for line in r.stdout.splitlines():
            m = re.match(r"\s*(\d+)\s+\[[.k]\]\s+(\S+)", line)
            if m:
                theirs[m.group(2)] = theirs.get(m.group(2), 0) + int(m.group(1))
        ours = {}
        for f in d["functions"]:
            ours[f["function"]] = ours.get(f["function"], 0) + f["samples"]
        top = sorted(theirs.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        bad = [(n, c, ours.get(n)) for n, c in top if ours.get(n) != c]
        check(len(top) >= 3 and not bad, "parity with perf report --sort sym, top 10 (%d compared, differ: %s)" % (len(top), bad))
        # build-id mismatch: another ELF where the recorded program was
        symfs = os.path.join(tmp, "symfs")
        os.makedirs(symfs + os.path.dirname(prog))
        shutil.copy("/bin/true", symfs + prog)
        d = report(off, "--symfs", symfs)
        notes = " ".join(d["symbols"]["notes"])
        check("build-id" in notes and "differs" in notes, "--symfs with another build-id: refused with a note")
        check(d["functions"][0]["function"].startswith(os.path.basename(prog) + "+0x"),
              "refused DSO reads dso+0xOFF (%s)" % d["functions"][0]["function"])
        # garbage ELF
        with open(symfs + prog, "wb") as g:
            g.write(b"\x7fELF" + os.urandom(3000))
        d = report(off, "--symfs", symfs)
        mine = [n for n in d["symbols"]["notes"] if n.startswith(prog + ":")]
        check(len(mine) == 1 and "ELF" in mine[0], "garbage ELF under --symfs: one note (%s)" % mine)
    else:
        print("note: perf record unavailable, offline checks skipped")
    # a pipe (perf record -o - | perf inject -b): build-ids arrive as
    # HEADER_BUILD_ID records, honoured like the file's BUILD_ID feature
    pipe = os.path.join(tmp, "pipe.data")
    r = subprocess.run("%s record -q -e page-faults -c 1 -d -o - -- %s %s 2>/dev/null | %s inject -b > %s"
                       % (perf, prog, lib, perf, pipe), shell=True, capture_output=True, text=True,
                       timeout=240) if perf else None
    if r and r.returncode == 0 and os.path.getsize(pipe) > 0:
        pids.extend(re.findall(r"pid (\d+)", r.stdout))
        symfs = os.path.join(tmp, "symfs-pipe")
        os.makedirs(symfs + os.path.dirname(prog))
        shutil.copy("/bin/true", symfs + prog)
        d = report(pipe)
        check(d["functions"] and d["functions"][0]["function"] == "fill_buffer",
              "pipe with HEADER_BUILD_ID records: the program resolves")
        d = report(pipe, "--symfs", symfs)
        notes = " ".join(d["symbols"]["notes"])
        check("differs" in notes and d["functions"][0]["function"].startswith(os.path.basename(prog) + "+0x"),
              "pipe: a --symfs file of another build-id is refused (%s)" % d["functions"][0]["function"])
    else:
        print("note: perf inject -b unavailable, pipe build-id checks skipped")
    # perf record --call-graph dwarf (a ring big enough that perf loses nothing)
    r = run([perf, "record", "-q", "-m", "32768", "-e", "page-faults", "-c", "1", "-d",
             "--call-graph", "dwarf,2048", "-o", off, "--", prog, lib]) if perf else None
    if r:
        pids.extend(re.findall(r"pid (\d+)", r.stdout))
    if r and r.returncode == 0:
        folded = os.path.join(tmp, "off.folded")
        d = report(off, "--folded", folded)
        if d["summary"]["lost"]:
            print("note: perf lost %d samples: counts of perf record --call-graph dwarf not checked" % d["summary"]["lost"])
        else:
            check_dwarf(d, folded, "perf record --call-graph dwarf")
        check_sort(off, d)
    else:
        print("note: perf record --call-graph dwarf unavailable, offline dwarf checks skipped")

    # --- stripped copy ----------------------------------------------------------
    stripped = os.path.join(os.path.dirname(prog), "nl_symprog.stripped")
    j = os.path.join(tmp, "stripped.json")
    r = run([NUMALENS, "profile", "-q", "--json", j, "--", stripped, lib])
    pids.extend(re.findall(r"pid (\d+)", r.stdout))
    d = json.load(open(j))
    top = d["functions"][0]["function"]
    check(top.startswith("nl_symprog.stripped+0x"), "stripped copy: top function reads dso+0xOFF (%s)" % top)
    check(any("stripped" in n for n in d["symbols"]["notes"]), "stripped copy: a note says so")
    check(any(f["function"] == "lib_touch" for f in d["functions"]), "stripped copy: the library still resolves")

    # --- CPython before 3.12: its Python frames are read from the interpreter
    # (tests/python/); with --no-python-frames the report says they are
    # opaque, and how to get them
    py = "/usr/bin/python3"
    if os.path.exists(py) and run([py, "-c", "import sys; sys.exit(sys.version_info >= (3, 12))"]).returncode == 0:
        j = os.path.join(tmp, "py.json")
        run([NUMALENS, "profile", "-q", "--no-python-frames", "--json", j, "--", py, "-c",
             "print(sum(range(10**6)))"])
        notes = json.load(open(j))["symbols"]["notes"]
        check(any("opaque" in n and "-X perf" in n for n in notes), "python < 3.12: opaque-frames note (%s)" % notes[-1:])

    # --- real fixtures, DSOs absent -----------------------------------------------
    fx = os.path.join(SHARED, "fixtures", "perfdata")
    for name in sorted(os.listdir(fx)) if os.path.isdir(fx) else []:
        if not name.endswith(".perf.data"):
            continue
        j = os.path.join(tmp, "fx.json")
        r = run([NUMALENS, "report", "-q", "--json", j, os.path.join(fx, name)])
        ok = r.returncode in (0, 3) and "Sanitizer" not in r.stderr
        d = json.load(open(j)) if ok and os.path.exists(j) else {"functions": []}
        names = [f["function"] for f in d["functions"][:10]]
        check(ok and all(isinstance(n, str) and n for n in names),
              "fixture %s: reported, top %s" % (name, names[:3]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
    for pid in pids:
        try:
            os.unlink("/tmp/perf-%s.map" % pid)
        except OSError:
            pass

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all symbol checks passed")
