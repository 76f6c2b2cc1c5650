# common.sh - sourced by the install tests: pass/fail counting and the
# command list as `numalens --help` prints it (read from the help, not the
# generator, so a command the generators miss is caught).
set -u
: "${NUMALENS:?run through ctest (NUMALENS is not set)}"
: "${NL_BINARY_DIR:?run through ctest (NL_BINARY_DIR is not set)}"
[ -x "$NUMALENS" ] || { echo "SKIP: $NUMALENS is not built"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() {  # check WHAT: the previous command's status must be 0
	if [ $? = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}
# The commands under COMMANDS: in `numalens --help`.
commands() {
	"$NUMALENS" --help | sed -n '/^COMMANDS:$/,/^$/p' | awk 'NF > 1 { print $1 }'
}
# long_options CMD: every --name in CMD's --help OPTIONS section.
long_options() {
	"$NUMALENS" "$1" --help | sed -n '/^OPTIONS:$/,/^$/p' |
		grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'
}
need() {  # need TOOL PACKAGE: skip with a reason when TOOL is missing
	command -v "$1" >/dev/null ||
		{ echo "SKIP: $1 not found - apt-get install $2 (.ci/packages)"; exit 77; }
}
