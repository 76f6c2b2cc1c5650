#!/bin/bash
# layout.sh - `cmake --install BUILD --prefix ROOT` lays numalens out in its
# FHS places (GNUInstallDirs): bin/numalens that runs, one man page per
# command of --help and numalens(1) under share/man/man1, the JSON schema
# and the interval schema under share/numalens (byte for byte report/'s), the bash completion under
# share/bash-completion/completions/numalens; and nothing else.
. "$(dirname "$0")/common.sh"
R=$T/root
cmake --install "$NL_BINARY_DIR" --prefix "$R" >"$T/log" 2>&1
check "cmake --install: $(tail -3 "$T/log")"
{
	echo bin/numalens
	echo share/numalens/numalens.report-1.schema.json
	echo share/numalens/numalens.interval-1.schema.json
	echo share/bash-completion/completions/numalens
	echo share/man/man1/numalens.1
	for c in $(commands); do echo "share/man/man1/numalens-$c.1"; done
} | sort >"$T/want"
(cd "$R" && find . -type f | sed 's|^\./||' | sort) >"$T/got"
diff "$T/want" "$T/got"
check "installed files are exactly the expected ones"
[ -x "$R/bin/numalens" ] && "$R/bin/numalens" --help | grep -q '^COMMANDS:$'
check "installed bin/numalens runs"
cmp -s "$R/share/numalens/numalens.report-1.schema.json" \
	"$NL_SOURCE_DIR/report/numalens.report-1.schema.json"
check "installed schema is report/'s"
for f in "$R"/share/man/man1/*.1; do
	cmp -s "$f" "$NL_BINARY_DIR/man/$(basename "$f")"
	check "installed $(basename "$f") is the generated one"
done
[ "$(stat -c %a "$R/share/man/man1/numalens.1")" = 644 ] &&
	[ "$(stat -c %a "$R/bin/numalens")" = 755 ]
check "modes: pages 644, binary 755"
finish
