#!/bin/bash
# Remakes report/img/demo-report.png, the README's picture of the HTML
# report: numalens renders the bundled demo recording, headless Chromium
# takes the screenshot, PIL reduces it to a 64-colour palette (< 300 KB).
# Usage: report/img/make.sh [build/numalens]   (from the source tree's top)
set -eu
nl=${1:-build/numalens}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$nl" report -q --html "$d/demo.html" sample-data/demo.perf.data
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$d/ud" \
	--hide-scrollbars --screenshot="$d/shot.png" --window-size=1280,1120 "file://$d/demo.html" 2>/dev/null
/usr/bin/python3 -c '
import sys; from PIL import Image
Image.open(sys.argv[1]).convert("RGB").quantize(64).save(sys.argv[2], optimize=True)
' "$d/shot.png" report/img/demo-report.png
ls -l report/img/demo-report.png
