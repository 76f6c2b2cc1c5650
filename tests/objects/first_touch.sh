#!/bin/bash
# First touch: a 32 MiB shared buffer first touched by one thread pinned to
# a CPU (touch_workload.c), then read by two forked processes whose page
# faults land on pages that already exist.  The object must name that
# thread, its CPU and node and the marked line for >= 99 % of its pages,
# count each page once (not once per reader), list the readers, and name
# its allocation site.
# USAGE: first_touch.sh WORKLOAD SOURCE   (NUMALENS in the environment)
set -u
WORKLOAD=$1
SRC=$2
NL=${NUMALENS:?NUMALENS not set}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (uprobes on another process)"; exit 77; }
[ -r /sys/bus/event_source/devices/uprobe/type ] || { echo "SKIP: no uprobe PMU here"; exit 77; }
T=$(mktemp -d /tmp/nl-touch.XXXXXX)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
CPU=$(( $(nproc) - 1 ))
"$WORKLOAD" "$T/ready" "$T/go" "$CPU" >"$T/out" &
WPID=$!
for _ in $(seq 200); do [ -e "$T/ready" ] && break; sleep 0.05; done
"$NL" profile -p "$WPID" -g fp --json "$T/p.json" >"$T/p.txt" 2>"$T/err" &
NPID=$!
for _ in $(seq 200); do
	[ "$(find /proc/$NPID/fd -lname 'anon_inode:*perf_event*' 2>/dev/null | wc -l)" -gt 8 ] && break
	sleep 0.05
done
sleep 1
touch "$T/go"
wait $NPID || { echo "FAIL: profile exit $?"; cat "$T/err"; exit 1; }
wait $WPID || { echo "FAIL: workload exit $?"; exit 1; }
exec python3 - "$T/p.json" "$T/out" "$SRC" "$WPID" "$T/p.txt" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
out = dict((l.split()[0], l.split()[1:]) for l in open(sys.argv[2]))
pid = int(sys.argv[4])
tid, cpu = int(out["toucher"][0]), int(out["toucher"][1])
addr, size = int(out["buffer"][0], 16), int(out["buffer"][1])
sites = {m.group(1): n for n, l in enumerate(open(sys.argv[3]), 1)
         for m in [re.search(r"SITE: (\w+)", l)] if m}
objs = [o for o in d["objects"] if o["start"] <= addr < o["start"] + o["size"]]
assert len(objs) == 1, [(o["name"], o["pid"]) for o in objs]
o = objs[0]
fails = []
def want(ok, what):
    if not ok:
        fails.append(what)
want(o["kind"] == "allocation" and o["size"] == size, ("allocation of the buffer", o["kind"], o["size"]))
want(o["site"] and o["site"]["line"] == sites["buffer"], ("allocation site", o["site"], sites["buffer"]))
ft = o["first_touch"] or {}
want(ft.get("tid") == tid and ft.get("pid") == pid, ("first toucher", ft.get("pid"), ft.get("tid"), pid, tid))
want(ft.get("cpu") == cpu, ("its CPU", ft.get("cpu"), cpu))
import glob
node = int(glob.glob("/sys/devices/system/cpu/cpu%d/node*" % cpu)[0].rsplit("node", 1)[1])
want(ft.get("node") == node, ("its node", ft.get("node"), node))
want(ft.get("share", 0) >= 0.99, ("share of pages first touched by it", ft.get("share")))
want(ft.get("site", {}).get("function") == "place" and ft["site"]["line"] == sites["place"],
     ("first-touch site", ft.get("site"), sites["place"]))
pages = size // 4096
want(0.99 * pages <= o["pages"] <= pages, ("pages counted once, not once per reader", o["pages"], pages))
want(0.99 * pages <= ft.get("pages", 0) <= pages, ("first-touched pages", ft.get("pages"), pages))
readers = {r["pid"] for r in o["readers"]}
want(len(readers - {pid}) == 2, ("the two forked readers", readers))
want("first touched by pid %d tid %d on cpu %d" % (pid, tid, cpu) in open(sys.argv[5]).read(),
     "the text report names the first toucher")
print("object:", o["name"], "first touch:", ft.get("pid"), ft.get("tid"), ft.get("cpu"), ft.get("share"))
if fails:
    print("FAIL:", *fails, sep="\n  ")
    sys.exit(1)
PY
