# profile_smt: `numalens profile -p PID --json` of busy threads pinned by
# construction, three runs in one boot:
#   siblings: two threads on the SMT siblings CPU 0 and CPU 1, buffers on
#     node 0 -> the process listed, nodes_ran node 0 >= 0.9, exposure <= 0.1,
#     both tids with samples, [0,1] a sibling group, and the HT section:
#     the pair's co-run >= 80% of its run time;
#   control: CPU 0 and CPU 2 (two cores of node 0) -> co-run <= 10%;
#   oversubscribed: six threads on CPUs 0-5 (three cores, both nodes: four
#     physical cores) -> oversubscribed, 4 cores, one thread per core
#     "0,2,4,6" from the topology.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile

run_smt() { # name cpus
	local T=$NL_OUT/$1.truth.json
	step "nl_guest_smt: cpus $2"
	nl_start "$1" "$T" "$NL_GUEST_BIN/nl_guest_smt" --truth "$T" --cpus "$2" --seconds 120
	step "numalens profile -p $NL_PID -d 4 --json ($1)"
	"$NUMALENS" profile -p "$NL_PID" -d 4 --json "$NL_OUT/$1.profile.json" \
		>"$NL_OUT/$1.profile.txt" 2>&1
	prc=$?
	kill -TERM "$NL_PID"
	nl_wait "$1"
	cat "$NL_OUT/$1.profile.txt"
	[ $prc = 0 ] || fail "numalens profile exited $prc ($1)"
}

run_smt smt 0,1
nl_check check.py profile smt "$NL_OUT/smt.profile.json" "$NL_OUT/smt.truth.json"
run_smt smt-control 0,2
nl_check check.py profile smt-control "$NL_OUT/smt-control.profile.json" "$NL_OUT/smt-control.truth.json"
run_smt smt-oversub 0,1,2,3,4,5
nl_check check.py profile smt-oversub "$NL_OUT/smt-oversub.profile.json" "$NL_OUT/smt-oversub.truth.json"
