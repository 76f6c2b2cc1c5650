#!/bin/bash
# THP first touch, what numalens does: a 32 MiB private buffer, 2 MiB
# aligned and madvised MADV_HUGEPAGE (touch_workload.c thp), first touched
# by one pinned thread: each 2 MiB is ONE page fault (a THP fault), which is
# not the first touch of 512 separate 4 KiB pages.  numalens counts each
# fault as the one 4 KiB page it hit: the first toucher (thread, CPU, site)
# and its share are right, and the object's first-touched pages are the
# faults (one per huge page, plus one per 4 KiB page the kernel did not back
# with a huge page), never 512 per fault.  Skips when THP is not available.
# USAGE: thp_touch.sh WORKLOAD SOURCE   (NUMALENS in the environment)
set -u
WORKLOAD=$1
SRC=$2
NL=${NUMALENS:?NUMALENS not set}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (uprobes on another process)"; exit 77; }
[ -r /sys/bus/event_source/devices/uprobe/type ] || { echo "SKIP: no uprobe PMU here"; exit 77; }
grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null &&
	{ echo "SKIP: transparent huge pages are off here"; exit 77; }
T=$(mktemp -d /tmp/nl-thp.XXXXXX)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
CPU=$(( $(nproc) - 1 ))
"$WORKLOAD" "$T/ready" "$T/go" "$CPU" thp >"$T/out" &
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
exec python3 - "$T/p.json" "$T/out" "$SRC" "$WPID" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
out = dict((l.split()[0], l.split()[1:]) for l in open(sys.argv[2]))
pid = int(sys.argv[4])
tid, cpu = int(out["toucher"][0]), int(out["toucher"][1])
addr, size = int(out["buffer"][0], 16), int(out["buffer"][1])
thp_kb = int(out["thp_kb"][0])
if thp_kb < size // 2048:
    print("SKIP: the kernel gave %d kB of huge pages for the %d kB buffer" % (thp_kb, size // 1024))
    sys.exit(77)
sites = {m.group(1): n for n, l in enumerate(open(sys.argv[3]), 1)
         for m in [re.search(r"SITE: (\w+)", l)] if m}
objs = [o for o in d["objects"] if o["start"] <= addr < o["start"] + o["size"]]
assert len(objs) == 1, [(o["name"], o["pid"]) for o in objs]
o = objs[0]
ft = o["first_touch"] or {}
faults = thp_kb // 2048 + (size // 1024 - thp_kb) // 4
fails = []
def want(ok, what):
    if not ok:
        fails.append(what)
want(o["kind"] == "allocation" and o["site"] and o["site"]["line"] == sites["thp_buffer"],
     ("the buffer's allocation", o["name"], o["site"]))
want(ft.get("tid") == tid and ft.get("cpu") == cpu and ft.get("share", 0) >= 0.99,
     ("first toucher and its share", ft.get("tid"), ft.get("cpu"), ft.get("share"), tid, cpu))
want(ft.get("site", {}).get("function") == "place", ("first-touch site", ft.get("site")))
# one page per fault: a THP fault is not 512 first touches
want(faults <= ft.get("pages", 0) <= faults + 4,
     ("first-touched pages are the faults", ft.get("pages"), faults, thp_kb))
print("object:", o["name"], "huge pages", thp_kb // 2048, "first-touched pages", ft.get("pages"))
if fails:
    print("FAIL:", *fails, sep="\n  ")
    sys.exit(1)
PY
