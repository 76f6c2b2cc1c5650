#!/bin/bash
# numalens diff: identical reports pass, a remote-ratio or exposure rise past
# the threshold fails with exit 4, a fall passes, bad input is one line + exit 1.
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
grep -q "worker: remote exposure.*REGRESSED" "$t/out"; check "exposure row" 0 $?
"$NUMALENS" diff "$t/base.json" "$t/better.json" >/dev/null; check better 0 $?
for bad in other.json missing.json; do
  "$NUMALENS" diff "$t/base.json" "$t/$bad" >/dev/null 2>"$t/err"; check "$bad" 1 $?
  [ "$(wc -l <"$t/err")" = 1 ] && grep -q "^numalens: .*$bad: .* - " "$t/err"; check "$bad one line" 0 $?
done
"$NUMALENS" diff "$t/base.json" >/dev/null 2>&1; check usage 2 $?
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
