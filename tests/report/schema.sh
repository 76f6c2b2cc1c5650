#!/bin/bash
# Every report numalens can produce here validates against the schema:
# the real fixtures, the bundled demo, and a damaged file.
set -u
schema="$NL_SOURCE_DIR/report/numalens.report-1.schema.json"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: /usr/bin/python3 not found"; exit 77; }
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
inputs=("$NL_SOURCE_DIR"/sample-data/*.perf.data)
if [ -d "$NL_SHARED/fixtures/perfdata" ]; then
  inputs+=("$NL_SHARED"/fixtures/perfdata/*.perf.data)
else
  echo "note: ../shared absent, validating the demo only"
fi
n=0
for f in "${inputs[@]}"; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  "$NUMALENS" report -q --json "$out/$n.json" "$f" || { echo "report failed on $f"; exit 1; }
done
# a damaged file (cut in half) still gives a valid report
head -c $(( $(stat -c %s "${inputs[0]}") / 2 )) "${inputs[0]}" > "$out/cut.data"
"$NUMALENS" report -q --json "$out/cut.json" "$out/cut.data"; [ $? -eq 3 ] || { echo "cut file: want exit 3"; exit 1; }
[ "$n" -gt 0 ] || { echo "no input found"; exit 1; }
exec "$py" "$(dirname "$0")/validate_schema.py" "$schema" "$out"/*.json
