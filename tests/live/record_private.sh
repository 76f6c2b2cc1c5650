#!/bin/bash
# record_private.sh - `--record` and `--json` files get perf's care (issue 18):
#   a recording is mode 0600 under umask 000 and 022; an existing recording
#   is kept as FILE.old; a symbolic link planted at the path in /tmp (sticky,
#   world-writable) is not followed: one error line, non-zero exit, the
#   link's target untouched and the command not run; as root, files written
#   into another user's directory belong to that user.
# USAGE: record_private.sh   (NUMALENS in the environment)
set -u
NL=${NUMALENS:?NUMALENS not set}
T=$(mktemp -d /tmp/nl-private.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
fails=0
passes=0

# check MESSAGE: the status of the previous command must be 0 (MESSAGE must
# not hold a command substitution: it would replace that status)
check() {
	if [ "$?" = 0 ]; then
		passes=$((passes + 1))
	else
		fails=$((fails + 1))
		echo "FAIL: $1"
		[ -s "$T/err" ] && sed 's/^/  stderr: /' "$T/err"
	fi
}

one_line() {   # one_line FILE PATTERN
	[ "$(wc -l <"$1")" = 1 ] && grep -qE '^numalens: .+: .+ - .+' "$1" && grep -qE "$2" "$1"
}

# --- mode 0600 whatever the umask
for mask in 000 022; do
	(umask $mask && "$NL" profile -q --record "$T/u$mask.perf.data" -- true 2>"$T/err")
	check "umask $mask: profile --record exits 0"
	[ "$(stat -c %a "$T/u$mask.perf.data")" = 600 ]
	check "umask $mask: recording is mode 0600"
done

# --- FILE.old keeps the previous recording
"$NL" profile -q --record "$T/a.perf.data" -- true 2>"$T/err"
cp "$T/a.perf.data" "$T/first"
"$NL" profile -q --record "$T/a.perf.data" -- sleep 0.05 2>"$T/err"
check "second recording exits 0"
cmp -s "$T/first" "$T/a.perf.data.old"
check "a.perf.data.old is the previous recording, byte for byte"
! cmp -s "$T/first" "$T/a.perf.data" && "$NL" report -q --json "$T/r.json" "$T/a.perf.data" 2>"$T/err"
check "a.perf.data is the new recording and reads back"
[ "$(stat -c %a "$T/a.perf.data.old")" = 600 ]
check "a.perf.data.old stays 0600"

# --- a symbolic link planted in /tmp is not followed
L=/tmp/nl-planted.$$.perf.data
rm -f "$L" "$T/victim" "$T/ran"
echo "keep me" >"$T/victim"
ln -s "$T/victim" "$L"
"$NL" profile -q --record "$L" -- touch "$T/ran" 2>"$T/err"
rc=$?
[ $rc = 1 ] && one_line "$T/err" "$L: a symbolic link is there"
check "link at the record path: one error line, exit 1 (got $rc)"
[ "$(cat "$T/victim")" = "keep me" ] && [ -L "$L" ] && [ ! -e "$L.old" ]
check "the link's target is untouched and the link not renamed"
[ ! -e "$T/ran" ]
check "the command did not run"
ln -s "$T/victim" "$L.json"
"$NL" report -q --json "$L.json" "$T/a.perf.data" 2>"$T/err"
[ $? = 1 ] && one_line "$T/err" "$L.json" && [ "$(cat "$T/victim")" = "keep me" ]
check "link at the --json path: one error line, target untouched"
rm -f "$L" "$L.json"

# --- root writing into another user's directory leaves the files to that user
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$T/home"
	chown nobody: "$T/home"
	"$NL" profile -q --record "$T/home/x.perf.data" --json "$T/home/x.json" -- true 2>"$T/err"
	check "recording into nobody's directory exits 0"
	"$NL" profile -q --record "$T/home/x.perf.data" -- true 2>"$T/err"
	for f in x.perf.data x.perf.data.old x.json; do
		[ "$(stat -c %U "$T/home/$f")" = nobody ]
		check "$f in nobody's directory belongs to nobody"
	done
	"$NL" profile -q --record "$T/mine.perf.data" -- true 2>"$T/err"
	[ "$(stat -c %U "$T/mine.perf.data")" = root ]
	check "in root's own directory the recording stays root's"
else
	echo "note: not root or no user nobody: ownership checks not run"
fi

echo "$passes passed, $fails failed"
[ $fails = 0 ]
