#!/bin/bash
# test_cli.sh - `numalens topology` as a user runs it: help, exit codes,
# one-line errors, --json to stdout and to a file, and the text/JSON of this
# machine against nproc and /sys.
set -u
: "${NUMALENS:?run through ctest (NUMALENS is not set)}"
[ -x "$NUMALENS" ] || { echo "SKIP: $NUMALENS is not built"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: no python3 to read JSON"; exit 77; }

fails=0 passes=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passes=$((passes + 1)); }
bad() { fails=$((fails + 1)); echo "FAIL: $*" >&2; }
expect() {  # expect DESCRIPTION CONDITION...
	local what=$1; shift
	if "$@"; then ok; else bad "$what"; fi
}

# run ARGS...: stdout in $tmp/out, stderr in $tmp/err, status in $rc
run() { "$NUMALENS" topology "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

# One stderr line "numalens: <object>: <cause> - <fix>".
one_error_line() {
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -Eq '^numalens: .+: .+ - .+' "$tmp/err"
}

# json EXPR FILE: prints EXPR over d = the JSON in FILE (/dev/null: d = None);
# ids(cpulist) is the set of ids of a cpulist string.
json() {
	"$PY" -c "
import json, sys
def ids(text):
    out = set()
    for part in filter(None, text.strip().split(',')):
        lo, _, hi = part.partition('-')
        out.update(range(int(lo), int(hi or lo) + 1))
    return out
d = None if sys.argv[1] == '/dev/null' else json.load(open(sys.argv[1]))
print($1)" "$2"
}

# same_json A B: equal JSON documents but for mem_free_kb (it moves).
same_json() {
	"$PY" -c "
import json, sys
def load(path):
    d = json.load(open(path))
    for n in d['nodes']:
        n.pop('mem_free_kb')
    return d
sys.exit(load(sys.argv[1]) != load(sys.argv[2]))" "$1" "$2"
}

# --- help -------------------------------------------------------------------
run --help
expect "--help exits 0" [ "$rc" -eq 0 ]
expect "--help has USAGE and EXAMPLES" grep -q '^USAGE: numalens topology' "$tmp/out"
expect "--help has EXAMPLES" grep -q '^EXAMPLES:' "$tmp/out"
expect "--help writes nothing on stderr" [ ! -s "$tmp/err" ]
run -h
expect "-h exits 0" [ "$rc" -eq 0 ]

# --- usage and input errors -------------------------------------------------
run --bogus
expect "unknown option exits 2" [ "$rc" -eq 2 ]
expect "unknown option: one error line" one_error_line
run --sysfs-root
expect "--sysfs-root without DIR exits 2" [ "$rc" -eq 2 ]
run --sysfs-root /nonexistent/numalens-root
expect "missing root exits 1" [ "$rc" -eq 1 ]
expect "missing root: one error line" one_error_line
expect "missing root: names the directory" grep -q '/nonexistent/numalens-root' "$tmp/err"
expect "missing root: nothing on stdout" [ ! -s "$tmp/out" ]
: >"$tmp/plainfile"
run --sysfs-root "$tmp/plainfile"
expect "file as root exits 1" [ "$rc" -eq 1 ]
expect "file as root: one error line" one_error_line
mkdir -p "$tmp/empty"
run --sysfs-root "$tmp/empty"
expect "root without sys/ exits 1" [ "$rc" -eq 1 ]
expect "root without sys/: one error line" one_error_line
run --json /nonexistent/dir/topo.json
expect "unwritable --json FILE exits 1" [ "$rc" -eq 1 ]
expect "unwritable --json FILE: one error line" one_error_line

# --- this machine -----------------------------------------------------------
if [ -d /sys/devices/system/cpu ]; then
	run
	expect "text exits 0" [ "$rc" -eq 0 ]
	nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
	[ "$nodes" -gt 0 ] || nodes=1
	expect "text: available: $nodes nodes" grep -q "^available: $nodes nodes" "$tmp/out"
	cpus=$(grep '^node [0-9]* cpus:' "$tmp/out" | cut -d: -f2 | wc -w)
	expect "text: node cpus add up to the online CPUs" [ "$cpus" -eq "$(getconf _NPROCESSORS_ONLN)" ]
	expect "text: has Package lines" grep -q '^Package ' "$tmp/out"

	run --json
	expect "--json (stdout) exits 0" [ "$rc" -eq 0 ]
	cp "$tmp/out" "$tmp/stdout.json"
	n=$(json 'sum(n["online"] for n in d["nodes"])' "$tmp/stdout.json")
	expect "json: $nodes online nodes (got $n)" [ "$n" = "$nodes" ]
	online=$(json 'd["cpus_online"]' "$tmp/stdout.json")
	expect "json: cpus_online is /sys cpu/online" [ "$online" = "$(cat /sys/devices/system/cpu/online)" ]
	run --json "$tmp/file.json"
	expect "--json FILE exits 0" [ "$rc" -eq 0 ]
	expect "--json FILE: nothing on stdout" [ ! -s "$tmp/out" ]
	expect "--json FILE equals --json -" same_json "$tmp/file.json" "$tmp/stdout.json"
	run --json=-
	expect "--json=- equals --json" same_json "$tmp/out" "$tmp/stdout.json"
fi

# --- --measure: one cell per CPU node x memory node of this machine --------
run --measure --measure-mib 16 --measure-seconds 0.1 --json -
expect "--measure: exits 0" [ "$rc" -eq 0 ]
nodes=$(json 'len(d["nodes"])' "$tmp/out")
expect "--measure: one cell per node pair" \
	[ "$(json 'len(d["measured"]["cells"])' "$tmp/out")" = $((nodes * nodes)) ]
expect "--measure: latency in (0, 100 us), bandwidth > 0, pages where bound" \
	[ "$(json 'all(0 < c["latency_ns"] < 1e5 and c["bandwidth_gbs"] > 0 and c["placed"] >= 0.9 for c in d["measured"]["cells"])' "$tmp/out")" = True ]
if [ "$nodes" = 1 ]; then
	expect "--measure: no remote pair, no ratio" \
		[ "$(json 'd["measured"]["remote_latency_ratio"]' "$tmp/out")" = None ]
fi
run --measure --measure-mib 16 --measure-seconds 0.1
expect "--measure text: the latency and bandwidth matrices" \
	grep -q "idle load latency, ns" "$tmp/out"
run --measure --sysfs-root /
expect "--measure with --sysfs-root /: allowed (this machine)" [ "$rc" -eq 0 ]
run --measure --sysfs-root "$tmp"
expect "--measure with another tree: exit 2" [ "$rc" -eq 2 ]
expect "--measure with another tree: one error line" one_error_line
run --measure --measure-mib 0
expect "--measure-mib 0: exit 2" [ "$rc" -eq 2 ]

# --- every fixture tree: exit 0, valid JSON, offline CPUs as in cpu/offline --
if [ -n "${NL_SHARED:-}" ] && [ -d "$NL_SHARED/fixtures/sysfs" ]; then
	for dir in "$NL_SHARED"/fixtures/sysfs/*/; do
		name=$(basename "$dir")
		run --sysfs-root "$dir/fsroot" --json -
		expect "$name: exits 0" [ "$rc" -eq 0 ]
		expect "$name: quiet stderr" [ ! -s "$tmp/err" ]
		got=$(json 'sorted(ids(d["cpus_offline"]))' "$tmp/out")
		cpu=$dir/fsroot/sys/devices/system/cpu
		want=$(json "sorted(ids(open('$cpu/possible').read()) - ids(open('$cpu/online').read()))" /dev/null)
		expect "$name: cpus_offline = possible - online" [ "$got" = "$want" ]
		run --sysfs-root "$dir/fsroot"
		expect "$name: text exits 0" [ "$rc" -eq 0 ]
	done
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
