#!/bin/bash
# The HTML report without a browser: demo, a 90-worker report (<= 2 MB),
# hostile strings, an old report without the newer sections, another schema.
set -u
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: /usr/bin/python3 not found"; exit 77; }
here=$(dirname "$0")
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$NUMALENS" report -q --json "$d/demo.json" --html "$d/demo.html" \
	"$NL_SOURCE_DIR/sample-data/demo.perf.data" || bad "report --html exit $?"
"$py" "$here/make_reports.py" "$d/demo.json" "$d" || exit 1
for r in demo big hostile old; do
	"$NUMALENS" html -o "$d/$r.out.html" "$d/$r.json" 2>"$d/$r.err" || bad "html $r.json exit $?"
	[ -s "$d/$r.err" ] && bad "html $r.json printed: $(cat "$d/$r.err")"
done
cmp -s "$d/demo.html" "$d/demo.out.html" || bad "report --html differs from html of its --json"
"$NUMALENS" html "$d/demo.json" | cmp -s - "$d/demo.html" || bad "html to stdout differs"

size=$(stat -c %s "$d/big.out.html")
echo "90-worker report: $size bytes of HTML"
[ "$size" -le 2097152 ] || bad "90-worker page is $size bytes, more than 2 MB"
if grep -l -E 'https?://' "$d"/*.html; then bad "a page holds an http(s):// reference"; fi

"$py" - "$d" <<'PY' || fail=1
import json, re, sys
d = sys.argv[1]
ok = bad = 0
def check(c, what):
    global ok, bad
    if c: ok += 1
    else: bad += 1; print("FAIL:", what)
for name in ["demo", "big", "hostile", "old"]:
    page = open(f"{d}/{name}.out.html", "rb").read().decode("utf-8")   # valid UTF-8 always
    check(page.count("<script") == 1, f"{name}: exactly one <script> (ours)")
    check(page.rstrip().endswith("</html>"), f"{name}: complete")
big = open(f"{d}/big.out.html", encoding="utf-8").read()
check("41 more processes not shown" in big, "big: says how many processes were left out")
check("950 more functions not shown" in big, "big: says how many functions were left out")
check('id="timeline"' in big and 'id="smt"' in big, "big: timeline and HT contention drawn")
check(big.count('class="ht"') == 96, "big: 96 hardware threads in the machine map")
old = open(f"{d}/old.out.html", encoding="utf-8").read()
check("12500.0 MB/s" in big, "big: bandwidth per node drawn")
for sec in ["smt", "functions", "lines", "counters", "timeline", "bandwidth"]:
    check(f'id="{sec}"' not in old, f"old: no {sec} section")
for sec in ["machine", "matrix", "procbars", "mappings", "advice", "losses"]:
    check(f'id="{sec}"' in old, f"old: {sec} section drawn")
h = open(f"{d}/hostile.out.html", encoding="utf-8").read()
check("&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&quot;q&#39;\\xFF" in h, "hostile comm escaped")
check("/tmp/&lt;img src=x onerror=alert(2)&gt;&amp;amp;&quot;p&#39;\\xFE.bin" in h, "hostile path escaped")
check("operator&lt;&lt;&lt;script&gt;alert(3)" in h, "hostile symbol escaped")
check(not re.search(r"<(script|img)[ >]alert|<img ", h), "no hostile element")
check("&lt;/title&gt;&lt;script&gt;alert(4)" in h, "hostile file name escaped in the title")
print(f"{ok} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY

"$NUMALENS" html -o "$d/x.html" "$d/other.json" 2>"$d/other.err"; st=$?
[ "$st" = 1 ] || bad "other schema: exit $st, want 1"
[ "$(wc -l <"$d/other.err")" = 1 ] || bad "other schema: not one line: $(cat "$d/other.err")"
grep -q "^numalens: .*other.json: schema is 'perf.script/1', not numalens.report/1 - " "$d/other.err" ||
	bad "other schema message: $(cat "$d/other.err")"
[ -e "$d/x.html" ] && bad "other schema: a page was written"
printf 'not json' >"$d/junk.json"
"$NUMALENS" html "$d/junk.json" 2>"$d/junk.err" >/dev/null; st=$?
[ "$st" = 1 ] && [ "$(wc -l <"$d/junk.err")" = 1 ] || bad "not JSON: exit $st, $(cat "$d/junk.err")"
"$NUMALENS" html 2>/dev/null; [ $? = 2 ] || bad "no operand: not exit 2"
ln -s /etc/passwd "$d/link.html"
"$NUMALENS" html -o "$d/link.html" "$d/demo.json" 2>/dev/null && bad "followed a symbolic link"
"$NUMALENS" html -o /dev/full "$d/demo.json" 2>"$d/full.err" && bad "/dev/full: exit 0"
[ "$fail" = 0 ] && echo "render: ok"
exit $fail
