# profile_smt: `numalens profile -p PID --json` of two busy threads pinned to
# the SMT siblings CPU 0 and CPU 1, each reading a buffer bound to node 0.
# Expects: the process listed, nodes_ran node 0 >= 0.9, remote_exposure
# <= 0.1, both thread ids with samples, [0,1] an SMT sibling group of the
# report's topology.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile

T=$NL_OUT/smt.truth.json
step "nl_guest_smt: cpus 0,1"
nl_start smt "$T" "$NL_GUEST_BIN/nl_guest_smt" --truth "$T" --cpus 0,1 --seconds 120
step "numalens profile -p $NL_PID -d 4 --json"
"$NUMALENS" profile -p "$NL_PID" -d 4 --json "$NL_OUT/smt.profile.json" \
	>"$NL_OUT/smt.profile.txt" 2>&1
prc=$?
kill -TERM "$NL_PID"
nl_wait smt
cat "$NL_OUT/smt.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile smt "$NL_OUT/smt.profile.json" "$T"
