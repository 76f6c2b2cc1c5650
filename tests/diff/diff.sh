#!/bin/bash
# numalens diff: identical reports pass, a remote-ratio or exposure rise past
# the threshold fails with exit 4, a fall passes, bad input is one line + exit 1;
# processes match by role (main, workers by order of creation), not PID;
# --fail-on rules, --json and --format github; functions and data objects
# matched by name/key, with scoped rules (object.remote_ratio, function.*).
set -u
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: /usr/bin/python3 not found"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail=0 pass=0
check() { # name want_status actual_status
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); else echo "FAIL: $1: exit $3, want $2"; fail=$((fail + 1)); fi
}
"$NUMALENS" report -q --json "$t/a.json" "$NL_SOURCE_DIR/sample-data/demo.perf.data" || exit 1
# a synthetic candidate: the same report with the summary and one process worse
"$py" - "$t/a.json" "$t" <<'PY'
import json, sys, copy
a = json.load(open(sys.argv[1]))
a["summary"].update(local=900, remote=100, remote_ratio=0.1)
a["processes"] = [{**a["processes"][0], "comm": "worker", "local": 90, "remote": 10,
                   "remote_exposure": 0.10}]
json.dump(a, open(sys.argv[2] + "/base.json", "w"))
worse = copy.deepcopy(a)
worse["summary"].update(local=500, remote=500, remote_ratio=0.5)
json.dump(worse, open(sys.argv[2] + "/worse.json", "w"))
expo = copy.deepcopy(a)
expo["processes"][0]["remote_exposure"] = 0.95
json.dump(expo, open(sys.argv[2] + "/expo.json", "w"))
better = copy.deepcopy(a)
better["summary"].update(local=990, remote=10, remote_ratio=0.01)
json.dump(better, open(sys.argv[2] + "/better.json", "w"))
json.dump({"schema": "other/1"}, open(sys.argv[2] + "/other.json", "w"))
PY
"$NUMALENS" diff "$t/a.json" "$t/a.json" >/dev/null; check identical 0 $?
"$NUMALENS" diff "$t/base.json" "$t/worse.json" >"$t/out"; check worse 4 $?
grep -q "REGRESSED" "$t/out"; check "worse names the regression" 0 $?
"$NUMALENS" diff --max-remote-increase 50 "$t/base.json" "$t/worse.json" >/dev/null; check threshold 0 $?
"$NUMALENS" diff "$t/base.json" "$t/expo.json" >"$t/out"; check exposure 4 $?
grep -q "exposure .*main (worker).*REGRESSED exposure>+0.05" "$t/out"; check "exposure row" 0 $?
"$NUMALENS" diff "$t/base.json" "$t/better.json" >/dev/null; check better 0 $?
for bad in other.json missing.json; do
  "$NUMALENS" diff "$t/base.json" "$t/$bad" >/dev/null 2>"$t/err"; check "$bad" 1 $?
  [ "$(wc -l <"$t/err")" = 1 ] && grep -q "^numalens: .*$bad: .* - " "$t/err"; check "$bad one line" 0 $?
done
"$NUMALENS" diff "$t/base.json" >/dev/null 2>&1; check usage 2 $?

# --- roles, not PIDs: main and workers by order of creation --------------------
"$py" - "$t/a.json" "$t" <<'PY'
import json, sys, copy
a = json.load(open(sys.argv[1]))
proto = a["processes"][0]
def proc(pid, ppid, comm, local, remote, expo):
    return {**proto, "pid": pid, "ppid": ppid, "comm": comm, "local": local, "remote": remote,
            "remote_ratio": remote / (local + remote), "remote_exposure": expo}
def tree(main, w1, w2, swap=False):
    r = copy.deepcopy(a)
    ws = [proc(w1, main, "worker", 90, 10, 0.10), proc(w2, main, "worker", 10, 90, 0.90)]
    r["processes"] = [proc(main, 1, "train", 99, 1, 0.0)] + (ws[::-1] if swap else ws)
    r["smt"] = None
    return r
json.dump(tree(100, 101, 102), open(sys.argv[2] + "/run1.json", "w"))
run2 = tree(500, 505, 510, swap=True)   # other PIDs, listed in another order
json.dump(run2, open(sys.argv[2] + "/run2.json", "w"))
smt = copy.deepcopy(run2)
smt["smt"] = {"has_smt": True, "busy_tasks": 4, "busy_tasks_shared_half": 2}
json.dump(smt, open(sys.argv[2] + "/smt.json", "w"))
late = tree(500, 505, 510)
late["processes"][1]["remote_exposure"] = 0.95   # worker #1 (the first created) regressed
json.dump(late, open(sys.argv[2] + "/late.json", "w"))
PY
"$NUMALENS" diff "$t/run1.json" "$t/run2.json" >"$t/out"; check "same roles, other PIDs" 0 $?
grep -q "exposure .*worker #1 (worker) .*10.0% .*10.0%" "$t/out"; check "worker #1 is the first created" 0 $?
grep -q "main (train)" "$t/out"; check "main found" 0 $?
"$NUMALENS" diff "$t/run1.json" "$t/late.json" >"$t/out"; check "worker #1 regressed" 4 $?
grep -q "exposure .*worker #1 .*REGRESSED" "$t/out"; check "worker #1 row named" 0 $?
"$NUMALENS" diff --fail-on 'smt.corun>0.2' "$t/run1.json" "$t/smt.json" >"$t/out"; check "smt ceiling" 4 $?
grep -q "smt.corun .*REGRESSED smt.corun>0.2" "$t/out"; check "smt row names its rule" 0 $?
"$NUMALENS" diff --fail-on 'smt.corun>0.6' --fail-on 'remote_ratio>+0.5' "$t/run1.json" "$t/smt.json" >/dev/null
check "two rules, both kept" 0 $?
"$NUMALENS" diff --fail-on 'bogus>1' "$t/run1.json" "$t/run2.json" >/dev/null 2>"$t/err"; check "bad rule" 2 $?
[ "$(wc -l <"$t/err")" = 1 ] && grep -q "^numalens: .*bogus>1.* - " "$t/err"; check "bad rule one line" 0 $?
"$NUMALENS" diff --json - "$t/run1.json" "$t/late.json" >"$t/diff.json"; check "json exit" 4 $?
"$py" -c "
import json, sys
d = json.load(open(sys.argv[1]))
bad = [r for r in d['rows'] if r['verdict'] == 'REGRESSED']
assert d['schema'] == 'numalens.diff/1' and d['regressions'] == len(bad) == 2, d['rows']
assert {r['subject'] for r in bad} == {'workers', 'worker #1 (worker)'}, bad
assert all(r['rule'] == 'exposure>+0.05' for r in bad), bad
" "$t/diff.json"; check "json rows" 0 $?
"$NUMALENS" diff --format github "$t/run1.json" "$t/late.json" >"$t/out"; check "github exit" 4 $?
grep -q "^::error file=.*late.json,title=numalens diff: exposure regressed::exposure of worker #1" "$t/out"
check "github annotation" 0 $?
"$NUMALENS" diff --format xml "$t/run1.json" "$t/run2.json" >/dev/null 2>&1; check "bad format" 2 $?
# --- functions and data objects ---------------------------------------------
"$py" - "$t/a.json" "$t" <<'PY'
import json, sys, copy
a = json.load(open(sys.argv[1]))
objs = [o for o in a["objects"] if o["local"] + o["remote"] >= 50]
assert objs and a["functions"], "the demo report has objects and functions"
key = objs[0]["key"]
obj = copy.deepcopy(a)          # the dataset object read remotely far more often
o = next(o for o in obj["objects"] if o["key"] == key)
o.update(local=1000, remote=9000, remote_share=0.9)
json.dump(obj, open(sys.argv[2] + "/obj.json", "w"))
few = copy.deepcopy(a)          # below 50 known samples: noise, no row
next(o for o in few["objects"] if o["key"] == key).update(local=1, remote=40)
json.dump(few, open(sys.argv[2] + "/few.json", "w"))
fn = copy.deepcopy(a)           # the top function's accesses turned remote
fn["functions"][0]["remote_ratio"] = min(1.0, fn["functions"][0]["remote_ratio"] + 0.5)
json.dump(fn, open(sys.argv[2] + "/fn.json", "w"))
open(sys.argv[2] + "/objname", "w").write(o["name"])
PY
objname=$(cat "$t/objname")
"$NUMALENS" diff "$t/a.json" "$t/obj.json" >"$t/out"; check "object regressed" 4 $?
grep -q "remote_ratio .*object ${objname:0:20}.*REGRESSED remote_ratio>+0.05" "$t/out"; check "object row named" 0 $?
grep -q "^1 regression$" "$t/out"; check "only the object row" 0 $?
"$NUMALENS" diff "$t/a.json" "$t/few.json" >"$t/out"; check "few samples: no object row" 0 $?
! grep -q "object ${objname:0:20}" "$t/out"; check "few samples: not shown" 0 $?
"$NUMALENS" diff --max-remote-increase 100 --fail-on 'function.remote_ratio>+0.05' \
    "$t/a.json" "$t/obj.json" >/dev/null; check "function rule ignores objects" 0 $?
"$NUMALENS" diff --max-remote-increase 100 --fail-on 'object.remote_ratio>+0.05' \
    "$t/a.json" "$t/obj.json" >/dev/null; check "object rule" 4 $?
"$NUMALENS" diff --max-remote-increase 100 --fail-on 'object.remote_ratio>0.95' \
    "$t/a.json" "$t/obj.json" >/dev/null; check "object ceiling not reached" 0 $?
"$NUMALENS" diff --max-remote-increase 100 --fail-on 'object.remote_ratio>+0.05' \
    "$t/a.json" "$t/fn.json" >/dev/null; check "object rule ignores functions" 0 $?
"$NUMALENS" diff --json - "$t/a.json" "$t/fn.json" >"$t/diff.json"; check "function regressed" 4 $?
"$NUMALENS" diff --json "$t/diff2.json" "$t/a.json" "$t/obj.json" >/dev/null
"$py" -c "
import json, sys
d = json.load(open(sys.argv[1]))
bad = [r for r in d['rows'] if r['verdict'] == 'REGRESSED']
assert len(bad) == 1 and bad[0]['scope'] == 'function' and bad[0]['subject'].startswith('function '), bad
d = json.load(open(sys.argv[2]))
bad = [r for r in d['rows'] if r['verdict'] == 'REGRESSED']
assert len(bad) == 1 and bad[0]['scope'] == 'object' and abs(bad[0]['candidate'] - 0.9) < 1e-9, bad
" "$t/diff.json" "$t/diff2.json" "$t/diff.json"; check "json scopes" 0 $?
"$NUMALENS" diff --fail-on 'object.exposure>+0.1' "$t/a.json" "$t/a.json" >/dev/null 2>&1; check "object.exposure is no rule" 2 $?
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
