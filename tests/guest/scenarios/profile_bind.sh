# profile_bind: `numalens profile -p PID --json` of a process whose 64 MiB
# buffer is bound to node 1 (mbind) and read from CPU 0 (node 0).
# Expects: the process listed; a mapping covering >= 90% of the buffer whose
# pages_by_node puts >= 95% (and >= 90% of the bound pages) on node 1;
# nodes_ran node 0 >= 0.9; remote_exposure >= 0.9; the 2-node topology.
# Then the same workload started by numalens (its first touches from CPU 0
# of pages bound to node 1 are remote page-fault samples) cut into intervals
# (--interval 1, --json-lines, --openmetrics): the per-interval remote memory
# samples add up to the final report's and are > 0 in some interval.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile

T=$NL_OUT/bind.truth.json
step "nl_guest_bind: 64 MiB on node 1, read from cpu 0"
nl_start bind "$T" "$NL_GUEST_BIN/nl_guest_bind" --truth "$T" --mib 64 --node 1 \
	--cpu 0 --seconds 120
step "numalens profile -p $NL_PID -d 4 --json"
"$NUMALENS" profile -p "$NL_PID" -d 4 --json "$NL_OUT/bind.profile.json" \
	>"$NL_OUT/bind.profile.txt" 2>&1
prc=$?
kill -TERM "$NL_PID"
nl_wait bind
cat "$NL_OUT/bind.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile bind "$NL_OUT/bind.profile.json" "$T" || rc=1

step "numalens profile -d 3 --interval 1 --json-lines -- nl_guest_bind (launched)"
"$NUMALENS" profile -d 3 --interval 1 --json "$NL_OUT/bind-iv.profile.json" \
	--json-lines "$NL_OUT/bind-iv.intervals.jsonl" --openmetrics "$NL_OUT/bind-iv.prom" \
	-- "$NL_GUEST_BIN/nl_guest_bind" --truth "$NL_OUT/bind-iv.truth.json" --mib 64 --node 1 \
	--cpu 0 --seconds 120 >"$NL_OUT/bind-iv.profile.txt" 2>&1
prc=$?
head -30 "$NL_OUT/bind-iv.profile.txt"
# 143: the workload ended by -d
[ $prc = 0 ] || [ $prc = 143 ] || fail "numalens profile (launched) exited $prc"
nl_check check.py intervals remote "$NL_OUT/bind-iv.profile.json" \
	"$NL_OUT/bind-iv.intervals.jsonl" "$NL_OUT/bind-iv.prom" || rc=1
exit ${rc:-0}
