#!/bin/bash
# options.sh - the command line as a user meets it, the same in every
# command: --help generated with USAGE/OPTIONS/EXAMPLES; an unknown option
# or a bad value is one line "numalens: <object>: <cause> - <fix>" naming
# the option, exit 2; --json with no FILE writes JSON on stdout; operands
# and options mix (report FILE --json -).
set -u
: "${NUMALENS:?run through ctest (NUMALENS is not set)}"
[ -x "$NUMALENS" ] || { echo "SKIP: $NUMALENS is not built"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() {  # check WHAT: the previous command's status must be 0
	if [ $? = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
run() { "$NUMALENS" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# usage_line PATTERN: exit 2 and one rule-shaped stderr line matching PATTERN
usage_line() {
	[ "$rc" = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
		grep -qE '^numalens: [^:]+: .+ - .+' "$T/err" && grep -qE -- "$1" "$T/err"
}

for cmd in report profile topology diff html serve; do
	run "$cmd" --help
	[ "$rc" = 0 ] && [ ! -s "$T/err" ] && grep -q "^USAGE: numalens $cmd " "$T/out" &&
		grep -q '^OPTIONS:$' "$T/out" && grep -q '^EXAMPLES:$' "$T/out" &&
		grep -q '^  -h, --help ' "$T/out"
	check "$cmd --help: generated help on stdout, exit 0"
	run "$cmd" --bogus
	usage_line "^numalens: $cmd: unknown option '--bogus' - run 'numalens $cmd --help'"
	check "$cmd --bogus: one line, exit 2"
	run "$cmd" -Z
	usage_line "unknown option '-Z'"
	check "$cmd -Z: one line, exit 2"
done

run profile -p abc;                 usage_line '^numalens: -p abc: not a process id - '
check "profile -p abc"
run profile --pid=-3;               usage_line '^numalens: --pid -3: not a process id - '
check "profile --pid=-3"
run profile -t 0;                   usage_line '^numalens: -t 0: not a thread id - '
check "profile -t 0"
run profile -p 1 -d 0;              usage_line '^numalens: -d 0: not a number of seconds - '
check "profile -d 0"
run profile -p 1 -d;                usage_line '^numalens: -d: missing a number of seconds - '
check "profile -d (no value)"
run profile -p 1 --top 0;           usage_line '^numalens: --top 0: not a positive number - '
check "profile --top 0"
run profile;                        usage_line '^numalens: profile: give one target - '
check "profile without a target"
run profile -p 1 --interval 0;     usage_line '^numalens: --interval 0: not a number of seconds - '
check "profile --interval 0"
run serve;                          usage_line '^numalens: serve: give one target - '
check "serve without a target"
run serve --all --match x;          usage_line '^numalens: serve: give one target - '
check "serve with two targets"
run report --top x;                 usage_line '^numalens: --top x: not a positive number - '
check "report --top x"
run report -q=1;                    usage_line "unknown option '-='"
check "report -q=1"
run report --quiet=1;               usage_line '^numalens: --quiet: takes no value - '
check "report --quiet=1"
run report a b;                     usage_line '^numalens: b: unexpected argument - '
check "report a b"
run diff --max-remote-increase 200 a b
usage_line '^numalens: --max-remote-increase 200: not a number of percentage points'
check "diff --max-remote-increase 200"
run diff a;                         usage_line '^numalens: diff: needs two reports - '
check "diff a"
run topology --sysfs-root;          usage_line '^numalens: --sysfs-root: missing a directory - '
check "topology --sysfs-root (no value)"
run topology extra;                 usage_line "^numalens: topology: unknown argument 'extra' - "
check "topology extra"
run;                                usage_line '^numalens: command: none given - '
check "no command"
run bogus;                          usage_line '^numalens: bogus: unknown command - '
check "unknown command"

# --json [FILE]: no FILE (or -) is stdout, the same document as a file
demo=${NL_SOURCE_DIR:-.}/sample-data/demo.perf.data
if [ -f "$demo" ]; then
	run report "$demo" --json "$T/file.json" -q
	[ "$rc" = 0 ] && [ ! -s "$T/out" ] && [ -s "$T/file.json" ]
	check "report FILE --json F -q: options after the operand"
	run report -q "$demo" --json
	[ "$rc" = 0 ] && cmp -s "$T/out" "$T/file.json"
	check "report --json (no FILE) writes the same JSON on stdout"
	run report --json=- -qv --top=3 "$demo"
	[ "$rc" = 0 ] && cmp -s "$T/out" "$T/file.json"
	check "report --json=- -qv --top=3"
fi
run topology --json
[ "$rc" = 0 ] && head -c1 "$T/out" | grep -q '{'
check "topology --json (no FILE) on stdout"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
