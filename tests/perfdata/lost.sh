#!/bin/bash
# Lost samples counted once, as perf does.  perf record (kernel >= 6.0,
# PERF_FORMAT_LOST) ends a recording with LOST_SAMPLES records holding
# each event's lost count, which includes what the rings' LOST records
# already told; perf report's "Total Lost Samples" is that sum.  Recorded
# here with a one-page ring and a 20 us cpu-clock period (it loses), then
# numalens' lost must equal perf's printed total, and the LOST sum, not
# their sum (before: twice perf's figure).  Up to three tries for a loss.
set -u
command -v perf >/dev/null || { echo "skip: perf not installed"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
for try in 1 2 3; do
	perf record -q -o "$t/lost.data" -m 1 -e cpu-clock -c 20000 -- \
		sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done' 2>"$t/perf.err" ||
		{ echo "skip: perf record failed here: $(head -1 "$t/perf.err")"; exit 77; }
	perf report -i "$t/lost.data" -D 2>/dev/null >"$t/dump.txt"
	ring=$(awk '/PERF_RECORD_LOST: / {sub(".*lost:", ""); s += $1} END {print s + 0}' "$t/dump.txt")
	counted=$(awk '/PERF_RECORD_LOST_SAMPLES: / {sub(".*lost samples :", ""); s += $1} END {print s + 0}' "$t/dump.txt")
	[ "$ring" -gt 0 ] && [ "$counted" -gt 0 ] && break
done
[ "$ring" -gt 0 ] && [ "$counted" -gt 0 ] ||
	{ echo "skip: no LOST and LOST_SAMPLES pair in 3 recordings (LOST $ring, LOST_SAMPLES $counted)"; exit 77; }
perf_total=$(perf report -i "$t/lost.data" --stdio 2>/dev/null | awk '/Total Lost Samples:/ {print $NF; exit}')
"$NUMALENS" report -q --json "$t/lost.json" "$t/lost.data" || { echo "FAIL: numalens report exit $?"; exit 1; }
nl=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["lost"])' "$t/lost.json")
echo "perf: Total Lost Samples $perf_total (LOST records sum $ring, LOST_SAMPLES sum $counted); numalens: lost $nl"
[ "$nl" = "$perf_total" ] || { echo "FAIL: numalens lost $nl, perf's Total Lost Samples $perf_total"; exit 1; }
[ "$nl" -lt $((ring + counted)) ] || { echo "FAIL: lost counted twice ($ring + $counted)"; exit 1; }
exit 0
