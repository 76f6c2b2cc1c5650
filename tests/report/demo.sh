#!/bin/bash
# README's first command reports sample-data/demo.perf.data: it must show the
# seed scenario recorded in the two-node guest (see sample-data/README.md).
set -u
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: /usr/bin/python3 not found"; exit 77; }
out=$(mktemp); trap 'rm -f "$out" "$out.txt"' EXIT
"$NUMALENS" report --json "$out" "$NL_SOURCE_DIR/sample-data/demo.perf.data" >"$out.txt" || exit 1
grep -q "Mappings with the most pages away" "$out.txt" || { echo "FAIL: no mappings section"; exit 1; }
"$py" - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = fail = 0
def check(cond, what):
    global ok, fail
    if cond: ok += 1
    else: fail += 1; print("FAIL:", what)
t = d["topology"]
check(len(t["nodes"]) == 2, "two nodes in the recording's topology")
check(d["summary"]["complete"], "complete")
workers = [p for p in d["processes"] if p.get("remote_exposure") is not None and p["remote_exposure"] >= 0.9]
check(len(workers) >= 4, "at least 4 workers with remote exposure >= 0.9")
check(len({p["ppid"] for p in workers}) == 1, "workers share one parent")
parent = workers[0]["ppid"] if workers else None
check(any(p["pid"] == parent for p in d["processes"]), "the parent is listed")
for w in workers:
    ds = [m for m in w["mappings"] if "nl-seed-dataset" in m["name"]]
    check(ds and ds[0]["pages_by_node"].get("1", 0) >= 0.95 * ds[0]["pages"], f"pid {w['pid']}: dataset on node 1")
    check(w["nodes_ran"] and max(w["nodes_ran"], key=lambda r: r["share"])["node"] == 0, f"pid {w['pid']} ran on node 0")
m = d["node_matrix"]
check(m["counts"][0][1] > m["counts"][0][0], "node-0 CPUs mostly touch node-1 memory")
check(any(n["kind"] == "advice" and "numactl --cpunodebind=1" in n["text"] for n in d["notes"]), "advice names node 1")
print(f"{ok} passed, {fail} failed")
sys.exit(1 if fail else 0)
PY
