#!/bin/bash
# Killed recordings: `perf record` and `numalens profile --record` killed
# with SIGKILL at several points leave a header whose data size was never
# written.  numalens report must read to the end of the file as far as
# records frame, report exactly the whole SAMPLE records there (counted
# here independently, by walking the framing in Python), and exit 3 with
# one line saying why.  The same for a killed file cut at a few byte
# offsets (a kill in the middle of a write).
set -u
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail=0
work='import time
t = time.time()
while time.time() - t < 3:
    b = bytearray(4 << 20); del b'

count_samples() {    # whole SAMPLE records from data.offset to EOF
	python3 - "$1" <<'PY'
import struct, sys
raw = open(sys.argv[1], "rb").read()
off, size = struct.unpack_from("<QQ", raw, 40)
end, n = len(raw), 0
assert size == 0, "data size was written: not a killed recording"
while off + 8 <= end:
    rtype, _, rsize = struct.unpack_from("<IHH", raw, off)
    if rsize < 8 or off + rsize > end:
        break
    n += rtype == 9
    off += rsize
print(n)
PY
}

check() {    # FILE WHAT
	local want got err rc
	want=$(count_samples "$1") || { echo "FAIL: $2: not a killed recording"; fail=1; return; }
	err=$("$NUMALENS" report -q --json "$t/r.json" "$1" 2>&1); rc=$?
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["samples"])' "$t/r.json" 2>/dev/null)
	echo "$2: $(stat -c %s "$1") bytes, $want whole samples, numalens $got, exit $rc"
	if [ "$rc" != 3 ] || [ "$got" != "$want" ] || [ "$(echo "$err" | wc -l)" != 1 ] ||
	   [[ $err != *"never written"* ]]; then
		echo "FAIL: $2: want exit 3, $want samples and one line naming the unwritten size: $err"
		fail=1
	fi
}

kill_after() {    # SECONDS FILE CMD... : runs CMD, SIGKILLs it after SECONDS
	local s=$1 f=$2
	shift 2
	setsid "$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$s"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pkill -KILL -s "$pid" 2>/dev/null   # the workload of that session only
	[ -s "$f" ] || { echo "skip-point: $f is empty after ${s}s"; return 1; }
}

ran=0
if command -v perf >/dev/null; then
	for s in 0.7 1.5 2.5; do
		kill_after $s "$t/perf-$s.data" perf record -q -c 1 -e page-faults -d \
			-o "$t/perf-$s.data" -- python3 -c "$work" &&
			{ check "$t/perf-$s.data" "perf record killed at ${s}s"; ran=1; }
	done
fi
for s in 1 2.5; do
	kill_after $s "$t/nl-$s.data" "$NUMALENS" profile -q --record "$t/nl-$s.data" -- \
		python3 -c "$work" &&
		{ check "$t/nl-$s.data" "numalens profile --record killed at ${s}s"; ran=1; }
done
[ $ran = 1 ] || { echo "skip: no recording survived a kill here"; exit 77; }
# a kill in the middle of a write: cut a killed file at a few offsets
f=$(ls "$t"/*.data | tail -1)
size=$(stat -c %s "$f")
for cut in 3 $((size / 3 + 5)) $((size / 2 + 1)); do
	head -c $((size - cut)) "$f" >"$t/cut.data"
	check "$t/cut.data" "$(basename "$f") cut by $cut bytes"
done
exit $fail
