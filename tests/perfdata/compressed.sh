#!/bin/bash
# perf record -z (PERF_RECORD_COMPRESSED, zstd): recorded here with a
# software event, reported by numalens, and compared with
#   - perf's own count of the samples (perf report --stats),
#   - the same file decompressed by tests/perfdata/zstd_tool.py (its own
#     reading of the file layout, libzstd through ctypes): same samples, levels, node matrix,
#     processes, threads, CPUs and notes;
# and damaged: zstd payload bytes changed in the middle of the recording
# give a partial report (exit 3, one line naming the damage, complete =
# false, the corrupt records counted), never a crash.
set -u
command -v perf >/dev/null || { echo "skip: perf not installed"; exit 77; }
python3 -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("zstd"))' ||
	{ echo "skip: libzstd not found by python3"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
tool="python3 $NL_SOURCE_DIR/tests/perfdata/zstd_tool.py"
perf record -q -z -c 1 -e page-faults -d -o "$t/z.data" -- \
	python3 -c 'b = bytearray(64 << 20)' 2>"$t/perf.err" ||
	{ echo "skip: perf record -z failed here: $(head -1 "$t/perf.err")"; exit 77; }
nz=$($tool count "$t/z.data")
[ "$nz" -ge 4 ] || { echo "skip: only $nz compressed records (perf without zstd?)"; exit 77; }
perf_samples=$(perf report -i "$t/z.data" --stats 2>/dev/null | awk '/SAMPLE events/ {print $3; exit}')
$tool decompress "$t/z.data" "$t/plain.data" || exit 1
fail=0
"$NUMALENS" report -q --json "$t/z.json" "$t/z.data"; rc_z=$?
"$NUMALENS" report -q --json "$t/plain.json" "$t/plain.data"; rc_p=$?
[ $rc_z = 0 ] && [ $rc_p = 0 ] || { echo "FAIL: exit $rc_z (compressed), $rc_p (decompressed)"; fail=1; }
python3 - "$t/z.json" "$t/plain.json" "$perf_samples" "$nz" <<'PY' || fail=1
import json, sys
z, p = (json.load(open(f)) for f in sys.argv[1:3])
perf, nz = int(sys.argv[3]), int(sys.argv[4])
print(f"{nz} compressed records; samples: perf {perf}, numalens {z['summary']['samples']} "
      f"(compressed), {p['summary']['samples']} (decompressed)")
bad = [k for k in ("levels", "latency", "node_matrix", "processes", "threads", "cpus", "notes")
       if z[k] != p[k]]
bad += [f"summary.{k}" for k in z["summary"] if k != "records" and z["summary"][k] != p["summary"][k]]
if z["summary"]["samples"] != perf or perf < 1000:
    bad.append("samples != perf's")
if bad:
    print("FAIL: differ:", bad)
    sys.exit(1)
PY
# damage: a payload in the middle of the stream
$tool corrupt "$t/z.data" "$t/bad.data" $((nz / 2)) || exit 1
err=$("$NUMALENS" report -q --json "$t/bad.json" "$t/bad.data" 2>&1); rc=$?
echo "damaged: exit $rc: $err"
[ $rc = 3 ] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ $err == *zstd* ]] ||
	{ echo "FAIL: want exit 3 and one line naming zstd"; fail=1; }
python3 - "$t/bad.json" "$perf_samples" <<'PY' || fail=1
import json, sys
b, perf = json.load(open(sys.argv[1])), int(sys.argv[2])
n, corrupt = b["summary"]["samples"], b["source"]["counters"].get("compressed_records_corrupt", 0)
print(f"damaged: {n} of {perf} samples, {corrupt} compressed records corrupt, complete={b['summary']['complete']}")
if not (0 < n < perf) or corrupt < 1 or b["summary"]["complete"]:
    print("FAIL: want a partial report that counts the corrupt records")
    sys.exit(1)
PY
exit $fail
