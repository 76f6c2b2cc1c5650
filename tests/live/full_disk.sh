#!/bin/bash
# `numalens profile --record` onto a full disk (a 1 MiB tmpfs this test
# mounts): one error line naming the file and the cause, exit 1, and the
# text and JSON reports still written (elsewhere) with everything collected:
# more samples than the file could hold, none lost.  The workload makes
# ~6 k samples a second (about 9 times what the file holds in 2 s), a rate
# that even an ASan build on a slow host drains without losing any (64 MiB
# at a time made 300 k a second, and the rings overflowed there).  The cut file itself
# still reads as a killed recording (exit 3).
set -u
[ "$(id -u)" = 0 ] || { echo "skip: mounting a tmpfs needs root"; exit 77; }
t=$(mktemp -d)
mnt=$t/full
mkdir "$mnt"
mount -t tmpfs -o size=1m nl-full-disk "$mnt" 2>/dev/null || { rmdir "$mnt"; rm -rf "$t"; echo "skip: cannot mount a tmpfs here"; exit 77; }
trap 'umount "$mnt"; rm -rf "$t"' EXIT
fail=0
"$NUMALENS" profile --record "$mnt/app.perf.data" --json "$t/r.json" -- python3 -c '
import time
t = time.time()
while time.time() - t < 2:
    b = bytearray(4 << 20); del b; time.sleep(0.05)' >"$t/out.txt" 2>"$t/err.txt"
rc=$?
errors=$(grep -v "no hardware PMU\|no hardware counter" "$t/err.txt")   # notes, not errors
echo "exit $rc; stderr: $errors"
[ "$rc" = 1 ] || { echo "FAIL: want exit 1 (the recording failed)"; fail=1; }
[ "$(echo "$errors" | wc -l)" = 1 ] && [[ $errors == *"$mnt/app.perf.data: No space left on device"* ]] ||
	{ echo "FAIL: want one line: <file>: No space left on device - <fix>"; fail=1; }
grep -q "^Summary" "$t/out.txt" || { echo "FAIL: no text report on stdout"; fail=1; }
"$NUMALENS" report -q --json "$t/file.json" "$mnt/app.perf.data" 2>/dev/null; rc_file=$?
python3 - "$t/r.json" "$t/file.json" "$rc_file" <<'PY' || fail=1
import json, sys
r, f, rc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
s = r["summary"]
print(f"report: {s['samples']} samples, {s['lost']} lost, complete {s['complete']}; "
      f"the 1 MiB file holds {f['summary']['samples']} (report of it: exit {rc})")
if not (s["samples"] > f["summary"]["samples"] > 0) or s["lost"] or not s["complete"] or rc != 3:
    print("FAIL: the report must hold all that was collected, the cut file read as killed")
    sys.exit(1)
PY
exit $fail
