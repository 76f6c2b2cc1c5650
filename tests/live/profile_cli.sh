#!/bin/bash
# profile_cli.sh - `numalens profile` end to end on this machine:
#   help; launch mode returns the command's status; SIGINT mid-profile and
#   the target exiting mid-profile both leave a complete JSON report; bad
#   input (no target, a dead PID, a missing command, another user's PID,
#   perf_event_open refused as with perf_event_paranoid too high) is one
#   line "numalens: object: cause - fix" and a non-zero exit; --record is
#   read back by `numalens report` to the same counts (and by perf report).
# USAGE: profile_cli.sh WORKLOAD DENY_PERF_SO   (NUMALENS in the environment)
set -u
WORKLOAD=$1
DENY=$2
NL=${NUMALENS:?NUMALENS not set}
T=$(mktemp -d /tmp/nl-cli.XXXXXX)
chmod 755 "$T"
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0

check() {   # check MESSAGE: the status of the previous command must be 0
	if [ "$?" = 0 ]; then
		passes=$((passes + 1))
	else
		fails=$((fails + 1))
		echo "FAIL: $1"
		[ -s "$T/err" ] && sed 's/^/  stderr: /' "$T/err"
	fi
}

# one_line FILE PATTERN: exactly one line, "numalens: object: cause - fix", matching PATTERN
one_line() {
	[ "$(wc -l <"$1")" = 1 ] && grep -qE '^numalens: .+ - .+' "$1" && grep -qE "$2" "$1"
}

# json_ok FILE MIN_PROCESSES [stopped]: a whole profile report with samples;
# "stopped": ended by a signal (summary.complete is then false by design,
# with a note), never cut short in parsing.
json_ok() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
stopped = len(sys.argv) > 3
assert d["generator"]["command"] == "profile", d["generator"]
assert s["samples"] > 0 and s["records"] >= s["samples"], s
assert s["complete"], s  # a profile stopped by a signal is whole
assert s["stopped_by_signal"] == stopped, s
assert d["parse"]["stopped_at"] is None, d["parse"]
assert len(d["processes"]) >= int(sys.argv[2]), len(d["processes"])
assert all(p["samples"] > 0 for p in d["processes"]), d["processes"]
assert any(p.get("mappings") for p in d["processes"]), "no placement"
if stopped:
    assert any("stopped by a signal" in n["text"] for n in d["notes"]), d["notes"]
PY
}

# start_workload SECONDS [ARGS]: the tree in the background; sets WPID once ready
start_workload() {
	local secs=$1
	shift
	"$WORKLOAD" "$T/roster" "$secs" "$@" >"$T/ready" &
	WPID=$!
	for _ in $(seq 100); do
		grep -q ready "$T/ready" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (perf events on other users' processes)"; exit 77; }

# --- help and usage
"$NL" profile --help >"$T/help" 2>"$T/err"
check "profile --help exits 0"
grep -q '^USAGE:' "$T/help" && grep -q '^EXAMPLES:' "$T/help"
check "help shows USAGE and EXAMPLES"
"$NL" profile >/dev/null 2>"$T/err"
[ $? = 2 ] && one_line "$T/err" 'give one target'
check "no target: usage error, one line"
"$NL" profile -p abc >/dev/null 2>"$T/err"
[ $? = 2 ] && one_line "$T/err" '^numalens: -p abc: not a process id'
check "-p abc: usage error, one line"

# --- launch mode: the command's exit status, also after a signal
"$NL" profile -q -- sh -c 'exit 7' 2>"$T/err"
[ $? = 7 ]
check "launch returns the command's exit status (7)"
"$NL" profile -q -- sh -c 'kill -TERM $$' 2>"$T/err"
[ $? = 143 ]
check "launch returns 128+signal for a killed command"
"$NL" profile -q -- /nonexistent/cmd 2>"$T/err"
[ $? = 1 ] && one_line "$T/err" '^numalens: /nonexistent/cmd: No such file or directory - '
check "missing command: one line, exit 1"
"$NL" profile -q --json "$T/launch.json" -- "$WORKLOAD" "$T/roster" 0.5 --exit 3 2>"$T/err" >/dev/null
[ $? = 3 ] && json_ok "$T/launch.json" 6
check "launch of the workload tree: status 3, 6 processes in the JSON"

# wait_sampling FILE N: until numalens' interval lines (FILE) show N
# processes sampled in one interval, i.e. it has attached to the whole tree
# and is mid-profile; at most 60 s (a loaded host attaches slowly).
wait_sampling() {
	for _ in $(seq 600); do
		python3 - "$1" "$2" <<'PY' 2>/dev/null && return 0
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(l["processes_sampled"] >= int(sys.argv[2]) for l in lines) else 1)
PY
		sleep 0.1
	done
	echo "no interval line with $2 processes sampled within 60 s"
	return 1
}

# --- SIGINT or SIGTERM mid-profile: a whole JSON, exit 0, the target unharmed
for sig in INT TERM; do
	start_workload 1 --hold
	check "workload started"
	"$NL" profile -q -p "$WPID" --json "$T/$sig.json" --interval 0.25 \
		--json-lines "$T/$sig.lines" 2>"$T/err" &
	NPID=$!
	wait_sampling "$T/$sig.lines" 6
	check "SIG$sig test: numalens samples the whole tree before the signal"
	kill -$sig $NPID
	wait $NPID
	[ $? = 0 ] && json_ok "$T/$sig.json" 6 stopped
	check "SIG$sig mid-profile: exit 0 and a whole JSON"
	kill -0 "$WPID"
	check "the target survives the profile (SIG$sig)"
	kill -TERM "$WPID"
	wait "$WPID" 2>/dev/null
done

# --- the target exits mid-profile: the profile ends with it, complete.
# The tree waits (--wait) until numalens writes its first interval line,
# i.e. has attached, so that a slow attach on a loaded host never outlasts
# the tree's 2 s of work.
start_workload 2 --wait
"$NL" profile -q -p "$WPID" -d 120 --json "$T/exit.json" --interval 0.25 \
	--json-lines "$T/exit.lines" 2>"$T/err" &
NPID=$!
wait_sampling "$T/exit.lines" 0
check "exit test: numalens attached (an interval line)"
kill -USR1 "$WPID"
start=$(date +%s)
wait $NPID
rc=$?
[ $rc = 0 ] && [ $(($(date +%s) - start)) -lt 60 ] && json_ok "$T/exit.json" 6
check "target exiting mid-profile: the profile ends, complete JSON"
wait "$WPID" 2>/dev/null

# --- bad input: one line with cause and fix, exit 1
sleep 1000 &
DEAD=$!
kill -KILL $DEAD
wait $DEAD 2>/dev/null
"$NL" profile -p "$DEAD" >/dev/null 2>"$T/err"
[ $? = 1 ] && one_line "$T/err" "^numalens: pid $DEAD: No such process - "
check "dead PID: one line, exit 1"
if command -v runuser >/dev/null; then
	runuser -u nobody -- "$NL" profile -p 1 -d 1 >/dev/null 2>"$T/err"
	[ $? = 1 ] && one_line "$T/err" '^numalens: pid 1: Permission denied - '
	check "another user's PID as nobody: one line, exit 1"
	paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)  # before: check reads $?
	runuser -u nobody -- "$NL" profile -q -d 2 -- true 2>"$T/err"
	[ $? = 0 ]
	check "unprivileged launch of one's own command works (paranoid $paranoid)"
fi
ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$DENY" "$NL" profile -q -- true 2>"$T/err"
[ $? = 1 ] && one_line "$T/err" '^numalens: perf_event_open: Permission denied - set kernel.perf_event_paranoid'
check "perf_event_open refused (paranoid): one line, exit 1"

# --- --record: numalens report reads the file back to the same numbers
"$NL" profile -q --json "$T/live.json" --record "$T/rec.data" -- "$WORKLOAD" "$T/roster" 0.6 \
	>/dev/null 2>"$T/err"
check "profile --record"
"$NL" report -q --json "$T/file.json" "$T/rec.data" 2>"$T/err"
check "numalens report of the recording"
python3 - "$T/live.json" "$T/file.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# A record the live decoder refused is counted there and never written, so
# the file can only have fewer (an ASan run under -j2 counted 1 live).
diff = {k: (v, b["summary"].get(k)) for k, v in a["summary"].items()
        if k != "bad_records" and b["summary"].get(k) != v}
assert not diff, diff
assert b["summary"]["bad_records"] <= a["summary"]["bad_records"], "bad records"
if a["summary"]["bad_records"]:
    print("note: %d bad records live, %d in the file" % (a["summary"]["bad_records"],
                                                         b["summary"]["bad_records"]))
rows = lambda d, key: {(r["pid"], r.get("tid")): (r["samples"], r.get("ppid"), r["comm"])
                       for r in d[key]}
assert rows(a, "processes") == rows(b, "processes"), (rows(a, "processes"), rows(b, "processes"))
assert rows(a, "threads") == rows(b, "threads")
ma = {p["pid"]: len(p.get("mappings") or []) for p in a["processes"]}
mb = {p["pid"]: len(p.get("mappings") or []) for p in b["processes"]}
assert ma == mb, (ma, mb)
# (the workload exits before the final smaps reading: test_access covers
# a recorded access signal; here both sides must merely agree)
acc = lambda d: {(p["pid"], m["start"]): (m.get("accessed_bytes"), m.get("kind"))
                 for p in d["processes"] for m in p.get("mappings") or []}
assert acc(a) == acc(b), "accessed bytes differ"
expo = lambda d: {p["pid"]: (p["remote_exposure"], p["remote_exposure_by_placement"],
                             p["exposure_basis"]) for p in d["processes"]}
assert expo(a) == expo(b), (expo(a), expo(b))
PY
check "report of the recording has the live numbers (samples, processes, threads, mappings, access signal)"
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 "$NL_SOURCE_DIR/tests/report/validate_schema.py" \
		"$NL_SOURCE_DIR/report/numalens.report-1.schema.json" "$T/live.json" "$T/file.json" >"$T/err"
	check "live and recorded reports (access signal, findings) validate against the schema"
fi
if command -v perf >/dev/null; then
	perf report -i "$T/rec.data" --stdio >"$T/perf.txt" 2>"$T/err"
	[ $? = 0 ] && grep -q "of event 'page-faults'" "$T/perf.txt"
	check "perf report opens the recording"
fi

echo "$passes passed, $fails failed"
[ $fails = 0 ]
