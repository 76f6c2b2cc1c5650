#!/bin/bash
# deb.sh - `cpack -G DEB` makes a .deb that
#   1. holds /usr/bin/numalens, the man pages, the schema and the completion
#      (dpkg-deb -c), in the places `cmake --install` uses;
#   2. Depends on the Debian package of every shared library the binary
#      links (each NEEDED entry of readelf -d, mapped by dpkg -S here, must
#      be named in the Depends line of dpkg-deb -I), with maintainer,
#      section and description;
#   3. installs here as far as apt can tell (apt-get install -s);
#   4. unpacked into a throwaway root (dpkg -x), runs: --help and the demo
#      recording's report.  (A debootstrap chroot of a clean Debian 12 takes
#      minutes to fetch and unpack; it is not run here.)
. "$(dirname "$0")/common.sh"
need cpack cmake
need dpkg-deb dpkg
need dpkg-shlibdeps dpkg-dev
need readelf binutils
cpack --config "$NL_BINARY_DIR/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/log" 2>&1
check "cpack -G DEB: $(tail -3 "$T/log")"
deb=$(ls "$T"/pkg/numalens_*.deb 2>/dev/null | head -1)
[ -f "$deb" ]
check "a numalens_VERSION_ARCH.deb was made"
[ -f "$deb" ] || { finish; exit; }

dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./||' | grep -v '/$' | sort >"$T/files"
{
	echo usr/bin/numalens
	echo usr/share/numalens/numalens.report-1.schema.json
	echo usr/share/numalens/numalens.interval-1.schema.json
	echo usr/share/bash-completion/completions/numalens
	echo usr/share/man/man1/numalens.1
	for c in $(commands); do echo "usr/share/man/man1/numalens-$c.1"; done
} | sort >"$T/want"
diff "$T/want" "$T/files"
check "dpkg-deb -c: binary, man pages, schema, completion, nothing else"

dpkg-deb -I "$deb" >"$T/info"
depends=$(sed -n 's/^ Depends: //p' "$T/info")
echo "Depends: $depends"
depends_on() {  # depends_on PKG: PKG is one of the Depends line's packages
	echo "$depends" | tr ',|' '\n\n' | awk '{ print $1 }' | grep -qxF "$1"
}
for field in Package Version Architecture Maintainer Section Description; do
	grep -qE "^ $field: .+" "$T/info"
	check "dpkg-deb -I has $field"
done
# Every library the binary needs, through the package that ships it here.
for lib in $(readelf -d "$NUMALENS" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x32|64/ { print $NF; exit }')
	[ -n "$path" ] || path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
	case $lib in libasan*|libubsan*) continue ;; esac   # sanitizer builds
	# dpkg knows the path it unpacked, /lib or /usr/lib (merged /usr).
	pkg=$({ dpkg -S "$path" || dpkg -S "$(readlink -f "$path")"; } 2>/dev/null |
		head -1 | cut -d: -f1)
	[ -n "$pkg" ] && depends_on "$pkg"
	check "Depends names $pkg (for $lib)"
done
for pkg in libpfm4 libelf1 libdw1 libcjson1 libnuma1 libzstd1; do
	depends_on "$pkg"
	check "Depends names $pkg"
done

# apt resolves every Depends from this Debian's packages (a simulation: no
# lock, nothing installed).
if command -v apt-get >/dev/null; then
	apt-get install -s "$deb" >"$T/apt" 2>&1 && grep -q '^Conf numalens ' "$T/apt"
	check "apt-get install -s resolves the Depends: $(grep -E '^E:' "$T/apt" | head -2)"
fi

# Unpacked in a throwaway root, the packaged binary runs.
dpkg -x "$deb" "$T/root"
"$T/root/usr/bin/numalens" --help >"$T/help" && grep -q '^COMMANDS:$' "$T/help"
check "unpacked /usr/bin/numalens --help"
"$T/root/usr/bin/numalens" report --json "$T/demo.json" -q \
	"$NL_SOURCE_DIR/sample-data/demo.perf.data" && grep -q '"numalens.report/1"' "$T/demo.json"
check "unpacked numalens reports the demo recording"
MANWIDTH=80 man --warnings -l "$T/root/usr/share/man/man1/numalens.1" >/dev/null 2>"$T/err" &&
	[ ! -s "$T/err" ]
check "unpacked numalens(1) renders"
finish
