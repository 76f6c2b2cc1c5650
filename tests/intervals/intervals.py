#!/usr/bin/python3
"""profile --interval / --json-lines / --openmetrics and the status line, end to end.

  - N interval lines on stdout, N numalens.interval/1 objects (schema-valid,
    numbered 1..N), whose counts add up to the final JSON report's summary;
  - an idle target (sleep) still gets its intervals, on the fixed grid
    (-d 3.2 --interval 1: three ~1 s intervals and the final partial one);
  - --openmetrics parses with promtool, holds the final counters, is
    replaced atomically (no .tmp left, a symbolic link replaced, not followed);
  - the status line: drawn in place on a pty, erased before the report;
    absent on a pipe and with -q;
  - bad input: --openmetrics into a missing directory is one error line.
USAGE: intervals.py WORKLOAD   (NUMALENS, NL_SOURCE_DIR in the environment)
"""
import json, os, pty, re, select, shutil, subprocess, sys, tempfile, time

NL = os.environ["NUMALENS"]
SRC = os.environ["NL_SOURCE_DIR"]
WORKLOAD = sys.argv[1]
T = tempfile.mkdtemp(prefix="nl-iv.")
fails = 0


def check(ok, msg):
    global fails
    if not ok:
        fails += 1
        print("FAIL:", msg)
    else:
        print("ok:", msg)


def run(args, **kw):
    return subprocess.run([NL] + args, cwd=T, capture_output=True, text=True, timeout=120, **kw)


try:
    import jsonschema
    schema = json.load(open(os.path.join(SRC, "report/numalens.interval-1.schema.json")))
    validator = jsonschema.Draft7Validator(schema)
except ImportError:
    validator = None
    print("note: python3-jsonschema missing, schema not checked")

# 1. a busy tree that ends by itself after ~3 s, intervals of 1 s
r = run(["profile", "--interval", "1", "--json-lines", "iv.jsonl", "--openmetrics", "m.prom",
         "--json", "r.json", "--", WORKLOAD, "roster", "3"])
check(r.returncode == 0, f"profile --interval exits 0 ({r.returncode}: {r.stderr.strip()[-300:]})")
lines = [l for l in r.stdout.splitlines() if re.match(r"^\[\s*\d+\]", l)]
objs = [json.loads(l) for l in open(os.path.join(T, "iv.jsonl"))]
rep = json.load(open(os.path.join(T, "r.json")))
s = rep["summary"]
check(len(objs) >= 3, f"at least 3 intervals in 3 s ({len(objs)})")
check(len(lines) == len(objs), f"one text line per JSON object ({len(lines)} vs {len(objs)})")
check([o["interval"] for o in objs] == list(range(1, len(objs) + 1)), "intervals numbered 1..N")
check(all(objs[i]["start_s"] == objs[i - 1]["end_s"] for i in range(1, len(objs))) or
      all(abs(objs[i]["start_s"] - objs[i - 1]["end_s"]) < 1e-6 for i in range(1, len(objs))),
      "intervals are contiguous")
for key in ["samples", "memory_samples", "local", "remote", "unresolved", "lost"]:
    total = sum(o[key] for o in objs)
    check(total == s[key], f"interval {key} add up to the report's ({total} vs {s[key]})")
    check(objs[-1]["totals"][key] == s[key], f"last totals.{key} is the report's")
check(sum(o["samples"] > 0 for o in objs[:-1]) == len(objs) - 1, "every full interval has samples")
check(any(o["pages_by_node"] for o in objs), "some interval knows the resident pages")
check(all(len([p for p in o["processes"] if p["pid"] is not None]) <= 10 for o in objs),
      "at most --top processes of their own per interval")
if validator:
    bad = [e.message for o in objs for e in validator.iter_errors(o)]
    check(not bad, f"every line validates against numalens.interval/1 {bad[:3]}")

# 2. --openmetrics: promtool, final counters, atomic
prom = os.path.join(T, "m.prom")
text = open(prom).read()
m = re.search(r"^numalens_samples_total (\d+)$", text, re.M)
check(m and int(m.group(1)) == s["samples"], "numalens_samples_total is the report's samples")
check(not os.path.exists(prom + ".tmp"), "no temporary file left")
check(" # " not in text and not re.search(r"\} \S+ \d{10,}$", text, re.M), "no timestamps")
if shutil.which("promtool"):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    check(p.returncode == 0, f"promtool check metrics accepts the file ({p.stdout}{p.stderr})")
else:
    print("note: promtool missing (apt-get install prometheus), exposition not parsed")
victim = os.path.join(T, "victim")
open(victim, "w").write("keep\n")
os.symlink(victim, os.path.join(T, "link.prom"))
r = run(["profile", "-q", "--openmetrics", "link.prom", "-d", "0.5", "--", "sleep", "2"])  # 143: sleep ended by -d
check(open(victim).read() == "keep\n" and os.path.isfile(os.path.join(T, "link.prom")) and
      not os.path.islink(os.path.join(T, "link.prom")), "a link at the path is replaced, not followed")

# 3. an idle target still gets its intervals, on a fixed grid: the live
# source's poll waits no longer than the next grid point (start + k * 1 s),
# so -d 3.2 gives exactly three ~1 s intervals and the final partial one
# (interval.h invariant 2), each starting where the previous one ended.
r = run(["profile", "-q", "-d", "3.2", "--interval", "1", "--json-lines", "idle.jsonl", "--", "sleep", "10"])
idle = [json.loads(l) for l in open(os.path.join(T, "idle.jsonl"))]
spans = [(o["start_s"], o["end_s"]) for o in idle]
check(len(idle) == 4, f"a sleeping target for 3.2 s: 3 intervals + the final partial one ({spans}, exit {r.returncode})")
check(all(abs(e - (k + 1)) <= 0.3 for k, (s0, e) in enumerate(spans[:3])) and
      all(abs((e - s0) - 1) <= 0.3 for s0, e in spans[:3]),
      f"each ends on the grid (k s +-0.3) and lasts ~1 s ({spans[:3]})")
# cut at the grid point, not at the next 100 ms poll after it: a mean lateness
# of 30 ms or more means the poll no longer waits for the grid
late = [e - (k + 1) for k, (s0, e) in enumerate(spans[:3])]
check(len(late) == 3 and sum(late) / 3 < 0.03, f"cut on time, not at the next poll (late by {late} s)")
check(all(spans[k][1] == spans[k + 1][0] for k in range(len(spans) - 1)) and spans[0][0] == 0 and
      len(spans) == 4 and spans[3][1] - spans[3][0] < 0.6,
      f"contiguous from 0, the last one the partial rest ({spans})")

# 4. bad input
r = run(["profile", "-d", "0.5", "--openmetrics", os.path.join(T, "nodir/x.prom"), "--", "sleep", "1"])
errs = [l for l in r.stderr.splitlines() if "nodir" in l]
check(r.returncode != 0 and len(errs) == 1 and re.match(r"^numalens: .+: .+ - .+", errs[0]),
      f"a missing directory is one error line ({r.returncode}: {r.stderr.strip()})")


# 5. the status line on a pty, not on a pipe nor with -q
def on_pty(args):
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(T)
        os.execv(NL, [NL] + args)
    out = b""
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                break
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode(errors="replace")


out = on_pty(["profile", "-d", "2.5", "--", WORKLOAD, "roster2", "4"])
status = re.findall(r"\r\x1b\[Knumalens: (\d+)s/2.5s  tasks (\d+)  samples/s (\d+)  remote \S+  lost \d+", out)
check(len(status) >= 2, f"the status line is redrawn about once a second ({len(status)})")
check(any(int(t) > 1 for _, t, _ in status) and any(int(r) > 0 for _, _, r in status),
      "it counts tasks followed and samples/s")
head = out.split("numalens profile:")[0]
check(head.endswith("\r\x1b[K") or head.rstrip("\r\n").endswith("\x1b[K"),
      "the line is erased before the report")
out_q = on_pty(["profile", "-q", "-d", "1.5", "--json", "q.json", "--", "sleep", "3"])
check("\x1b[K" not in out_q, "no status line with -q")
r = run(["profile", "-d", "1.5", "--", "sleep", "3"])
check("\x1b[K" not in r.stderr, "no status line on a pipe")

shutil.rmtree(T)
print(f"{fails} failed")
sys.exit(1 if fails else 0)
