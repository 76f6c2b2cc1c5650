#!/bin/bash
# `perf record -o - | numalens report -`: a real pipe on standard input (no
# pread, found by tests/fuzz/fuzz_perfdata_pipe): the same counts as the
# same bytes read from a file, exit 0 at the stream's end; a stream cut
# inside a record is exit 3; a file-format recording on a pipe is one error.
set -u
command -v perf >/dev/null || { echo "skip: perf not installed"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
perf record -q -o - -e page-faults -d -- dd if=/dev/zero of=/dev/null bs=1M count=4 \
	>"$t/pipe.data" 2>/dev/null || { echo "skip: perf record -o - failed here"; exit 77; }
fail=0
n_file=$("$NUMALENS" report -q --json - "$t/pipe.data" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["samples"])')
cat "$t/pipe.data" | "$NUMALENS" report -q --json "$t/pipe.json" -; rc=$?
n_pipe=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["samples"])' "$t/pipe.json")
echo "samples: file $n_file, pipe $n_pipe (exit $rc)"
[ "$n_file" -gt 0 ] && [ "$n_file" = "$n_pipe" ] && [ "$rc" = 0 ] || { echo "FAIL: pipe != file"; fail=1; }
size=$(stat -c %s "$t/pipe.data")
head -c $((size - 5)) "$t/pipe.data" | "$NUMALENS" report -q - ; rc=$?
[ "$rc" = 3 ] || { echo "FAIL: cut stream exit $rc, want 3"; fail=1; }
err=$(cat "$NL_SOURCE_DIR/sample-data/demo.perf.data" | "$NUMALENS" report - 2>&1 >/dev/null); rc=$?
echo "file format on a pipe: $err (exit $rc)"
[ "$rc" = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] || { echo "FAIL: want one error line, exit 1"; fail=1; }
exit $fail
