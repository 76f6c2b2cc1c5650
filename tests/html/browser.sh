#!/bin/bash
# The HTML report in a real browser (headless Chromium from Debian): for the
# demo recording and a 90-worker report, the DOM holds the JSON's numbers,
# the script ran without a console error, the screenshot is a picture of
# the expected size (light and dark), hostile strings stay text.
set -u
py=/usr/bin/python3
chromium=${NL_CHROMIUM:-/usr/bin/chromium}
[ -x "$py" ] || { echo "SKIP: /usr/bin/python3 not found"; exit 77; }
[ -x "$chromium" ] || { echo "SKIP: $chromium not found (apt-get install -y chromium)"; exit 77; }
here=$(dirname "$0")
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# chrome OUT.log ARGS... : one headless run with its own profile, no network
# services, console messages logged to OUT.log.
chrome() {
	local log=$1 ud
	shift
	ud=$(mktemp -d -p "$d")
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$ud" --enable-logging=stderr --v=0 "$@" 2>"$log"
}

"$NUMALENS" report -q --json "$d/demo.json" --html "$d/demo.html" \
	"$NL_SOURCE_DIR/sample-data/demo.perf.data" || exit 1
"$py" "$here/make_reports.py" "$d/demo.json" "$d" || exit 1
for r in big hostile; do "$NUMALENS" html -o "$d/$r.html" "$d/$r.json" || exit 1; done

for r in demo big hostile; do
	chrome "$d/$r.dom.log" --dump-dom "file://$d/$r.html" >"$d/$r.dom" || bad "$r: dump-dom exit $?"
	[ "$r" = hostile ] && continue
	chrome "$d/$r.png.log" --screenshot="$d/$r.png" --window-size=1280,2000 "file://$d/$r.html" \
		>/dev/null || bad "$r: screenshot exit $?"
	if grep -i -E 'uncaught|:CONSOLE' "$d/$r.dom.log" "$d/$r.png.log"; then
		bad "$r: the browser logged a console message"
	fi
done
chrome "$d/dark.log" --force-dark-mode --blink-settings=preferredColorScheme=0 \
	--screenshot="$d/dark.png" --window-size=1280,2000 "file://$d/demo.html" >/dev/null ||
	bad "dark screenshot exit $?"

"$py" - "$d" <<'PY' || fail=1
import json, re, struct, sys, zlib
d = sys.argv[1]
ok = bad = 0
def check(c, what):
    global ok, bad
    if c: ok += 1
    else: bad += 1; print("FAIL:", what)

def pixels(path):
    """(width, height, every 4th pixel of every 4th row as RGB): with PIL when
    installed (fast), else the PNG decoded here with zlib alone."""
    try:
        from PIL import Image
        im = Image.open(path).convert("RGB")
        w, h = im.size
        px = im.load()
        return w, h, [[px[x, y] for x in range(0, w, 4)] for y in range(0, h, 4)]
    except ImportError:
        pass
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and color in (2, 6), f"depth {depth} color {color}"
    bpp = 3 if color == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride): line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, [[tuple(r[x * bpp:x * bpp + 3]) for x in range(0, w, 4)] for r in rows[::4]]

def shot(name):
    w, h, grid = pixels(f"{d}/{name}.png")
    check((w, h) == (1280, 2000), f"{name}.png is {w}x{h}, want 1280x2000")
    colours = {}
    for row in grid:
        for p in row: colours[p] = colours.get(p, 0) + 1
    top = max(colours.values()) / sum(colours.values())
    check(len(colours) > 50, f"{name}.png: only {len(colours)} colours")
    check(top < 0.95, f"{name}.png: {top:.0%} of it one colour")
    orange = sum(n for (r, g, b), n in colours.items() if r > 190 and 60 < g < 140 and b < 80)
    check(orange > 20, f"{name}.png: no remote/run-time colour drawn")
    return grid
for name in ["demo", "big"]:
    shot(name)
light, dark = shot("demo")[2][2], shot("dark")[2][2]
check(sum(light) > 600 and sum(dark) < 150, f"light background {light}, dark {dark}")

def proc_values(dom, pid):
    m = re.search(r'<g class="proc [a-z]+" data-pid="%d">(.*?)</g>' % pid, dom)
    return m.group(1) if m else ""
def pct(v): return "-" if v is None else f"{v * 100:.1f}%"
for name in ["demo", "big"]:
    doc = json.load(open(f"{d}/{name}.json"))
    dom = open(f"{d}/{name}.dom", encoding="utf-8").read()
    check(dom.count('<button class="copy"') >= (1 if name == "demo" else 0),
          f"{name}: the script ran (copy buttons)")
    for n in doc["notes"]:
        if n["kind"] != "advice": continue
        for cmd in re.findall(r"\((?:[^()]*?, or )?((?:numactl|migratepages|taskset) [^),]*)", n["text"]):
            check(f'<code class="cmd">{cmd}</code><button class="copy" type="button">copy</button>' in dom,
                  f"{name}: advice command {cmd!r} with a copy button")
    nm = doc["node_matrix"]
    for r, rid in enumerate(nm["cpu_nodes"]):
        for c, cid in enumerate(nm["mem_nodes"]):
            want = nm["counts"][r][c]
            cell = re.search(r'<g class="cell" data-row="%d" data-col="%d" data-count="(\d+)">.*?'
                             r'<text[^>]*>(\d+)</text></g>' % (rid, cid), dom)
            check(cell and int(cell.group(1)) == want and int(cell.group(2)) == want,
                  f"{name}: heatmap cell {rid},{cid} shows {cell and cell.groups()}, want {want}")
    procs = sorted(doc["processes"], key=lambda p: (-(p["remote_exposure"] if p["remote_exposure"] is not None else -1), p["pid"]))
    for p in procs[:50]:
        g = proc_values(dom, p["pid"])
        check(pct(p["remote_ratio"]) + "</text>" in g and pct(p["remote_exposure"]) + "</text>" in g,
              f"{name}: pid {p['pid']} bars show {pct(p['remote_ratio'])} and {pct(p['remote_exposure'])}")
    for p in procs[50:]:
        check(not proc_values(dom, p["pid"]), f"{name}: pid {p['pid']} beyond the cap drawn")
    cpus = {c["cpu"]: c["samples"] for c in doc["cpus"]}
    for cpu, s in cpus.items():
        check(f'data-cpu="{cpu}" data-samples="{s}"' in dom, f"{name}: cpu {cpu} shaded by {s} samples")
dom = open(f"{d}/hostile.dom", encoding="utf-8").read()
check("&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;\"q'\\xFF" in dom, "hostile comm shown as text")
check(dom.count("<script") == 1 and "<img" not in dom, "no element from a hostile string")
check("&lt;img src=x onerror=alert(2)&gt;" in dom, "hostile path shown as text")
print(f"{ok} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
[ "$fail" = 0 ] && echo "browser: ok"
exit $fail
