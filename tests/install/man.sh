#!/bin/bash
# man.sh - the generated manual pages (build/man, `numalens --man DIR`) and
# the bash completion (`numalens --bash-completion`):
#   1. one page per command of `numalens --help`, plus numalens(1), each
#      listed in numalens(1);
#   2. `MANWIDTH=80 man --warnings -l` renders each page with nothing on stderr;
#   3. every long option of each command's --help is in its rendered page,
#      with the help line's text beside it;
#   4. the completion offers exactly the commands, and for each command
#      every long option of its --help; PID values complete to processes.
. "$(dirname "$0")/common.sh"
need man man-db
need groff groff-base
need col bsdextrautils
MAN=$NL_BINARY_DIR/man
cmds=$(commands)
[ -n "$cmds" ]
check "numalens --help lists commands"

# The build's pages are the ones the binary writes now.
"$NUMALENS" --man "$T" && diff -r "$MAN" "$T" >/dev/null
check "build/man is what 'numalens --man DIR' writes"
ls "$MAN" | sort >"$T/pages"
{ echo numalens.1; for c in $cmds; do echo "numalens-$c.1"; done; } | sort >"$T/want"
diff "$T/want" "$T/pages"
check "pages: numalens.1 and one per command ($(echo $cmds))"

for page in "$MAN"/*.1; do
	name=$(basename "$page" .1)
	MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" >"$T/$name.txt" 2>"$T/$name.err"
	[ $? = 0 ] && [ ! -s "$T/$name.err" ] && [ -s "$T/$name.txt" ]
	check "$name: man --warnings renders, stderr: $(head -c 300 "$T/$name.err")"
	MANWIDTH=80 LC_ALL=C man -l "$page" 2>/dev/null | col -bx >"$T/$name.ascii"
done
for c in $cmds; do
	grep -q "numalens-$c(1)" "$T/numalens.ascii"
	check "numalens(1) names numalens-$c(1)"
	sed -n '/^NAME$/,/^$/p' "$T/numalens-$c.ascii" | tr -s ' \n' ' ' |
		grep -qF "numalens-$c - $("$NUMALENS" "$c" --help | head -1 | sed "s/^numalens $c - //")"
	check "numalens-$c(1): NAME line is the --help purpose"
	n=0
	for o in $(long_options "$c"); do
		n=$((n + 1))
		grep -qE -- "^ +(-[a-zA-Z], )?$o( |\$)" "$T/numalens-$c.ascii"
		check "numalens-$c(1) has option $o"
	done
	[ "$n" -ge 2 ]
	check "$c --help has options ($n)"
	# The help line itself, first words, as the page renders it.
	"$NUMALENS" "$c" --help | sed -n '/^EXAMPLES:$/,/^$/p' | sed -n '2p' | sed 's/^  //' >"$T/ex"
	grep -qF -- "$(cat "$T/ex")" "$T/numalens-$c.ascii"
	check "numalens-$c(1) has the first example of --help"
done

# Completion, run as bash runs it.
COMP=$NL_BINARY_DIR/completion/numalens
"$NUMALENS" --bash-completion | cmp -s - "$COMP"
check "build/completion/numalens is what 'numalens --bash-completion' writes"
complete_words() {  # complete_words WORD...: COMPREPLY for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _numalens;
		 printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@" | sort
}
complete_words numalens "" | grep -v '^--help$' >"$T/got"
printf '%s\n' $cmds | sort | diff - "$T/got"
check "completion offers the commands of --help"
for c in $cmds; do
	long_options "$c" | sort >"$T/want"
	complete_words numalens "$c" -- | grep -- '^--' >"$T/got"
	diff "$T/want" "$T/got"
	check "completion of 'numalens $c --' is its --help's long options"
	! complete_words numalens "$c" - | grep -vE -- '^-(-|[a-zA-Z]$)' | grep .
	check "completion of 'numalens $c -' offers only options"
done
complete_words numalens profile -p "" | grep -qx "$$"
check "completion of 'numalens profile -p ' offers running pids ($$)"
mkdir "$T/dir.d" && : >"$T/file.f"
(cd "$T" && complete_words numalens report --symfs "") | grep -qx dir.d &&
	! (cd "$T" && complete_words numalens report --symfs "") | grep -q file.f
check "completion of --symfs offers directories only"
(cd "$T" && complete_words numalens report --json "") | grep -qx file.f
check "completion of --json offers files"
complete_words numalens profile -- "ls" | grep -qx ls
check "completion after 'profile --' offers commands"
# Names go into the script unquoted: letters, digits and '-' only.
! grep -E "opts='" "$COMP" | grep -vE "opts='[a-zA-Z0-9 -]*'$"
check "completion: option names need no quoting"
finish
