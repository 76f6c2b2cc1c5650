#!/bin/bash
# profile_counters.sh - counting events on this machine, end to end:
#   without a PMU (or with perf_event_paranoid too high) exactly one line
#   says node-loads are not counted and the profile goes on; --counters-only
#   samples nothing, exits 0 (or with the command's status) and its JSON
#   validates against the schema.  With a PMU the counts must be there.
# USAGE: profile_counters.sh   (NUMALENS, NL_SOURCE_DIR in the environment)
set -u
NL=${NUMALENS:?NUMALENS not set}
T=$(mktemp -d /tmp/nl-counters.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
passes=0
# check MESSAGE: the status of the previous command must be 0 (no $(...) in MESSAGE)
check() {
	if [ "$?" = 0 ]; then
		passes=$((passes + 1))
	else
		fails=$((fails + 1))
		echo "FAIL: $1"
		[ -s "$T/err" ] && sed 's/^/  stderr: /' "$T/err"
	fi
}
NOTE='^numalens: node-loads \(counting\): .+ - node-load miss ratio not measured; everything else goes on$'

"$NL" profile --counters-only --json "$T/c.json" -- true >"$T/out" 2>"$T/err"
check "--counters-only exits 0"
available=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["node_counters"]["available"])' "$T/c.json")
if [ "$available" = False ]; then
	[ "$(wc -l <"$T/err")" = 1 ] && grep -qE "$NOTE" "$T/err"
	check "no counter here: exactly one notice line"
	grep -q '^Counted: node-loads (counting): ' "$T/out"
	check "the text summary says it was not counted"
	python3 - "$T/c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["node_counters"]
assert c["note"] and "not measured" in c["note"], c
assert c["events"] == [] and "total" not in c, c
assert d["summary"]["samples"] == 0, d["summary"]   # no sampling at all
assert [e["name"] for e in d["source"]["events"]] == ["dummy"], d["source"]["events"]
PY
	check "JSON: available false, the note, no samples, only the side-band event"
	"$NL" profile --json "$T/s.json" -- true >/dev/null 2>"$T/err"
	check "a sampling profile without counters exits 0"
	[ "$(grep -cE "$NOTE" "$T/err")" = 1 ]
	check "a sampling profile prints the notice once"
else
	python3 - "$T/c.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["node_counters"]
assert c["events"] and c["note"] is None and c["total"]["time_enabled_ns"] > 0, c
PY
	check "a PMU here: the counts are in the JSON"
fi
"$NL" profile -q --counters-only -- sh -c 'exit 3' 2>"$T/err"
[ $? = 3 ]
check "--counters-only passes the command's exit status"
if [ -n "${NL_SOURCE_DIR:-}" ]; then
	/usr/bin/python3 "$NL_SOURCE_DIR/tests/report/validate_schema.py" \
		"$NL_SOURCE_DIR/report/numalens.report-1.schema.json" "$T/c.json" >"$T/err" 2>&1
	rc=$?
	[ $rc = 0 ] || [ $rc = 77 ]
	check "the --counters-only JSON validates against the schema"
fi
echo "$passes passed, $fails failed"
[ $fails = 0 ]
