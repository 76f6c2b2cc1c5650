# report_smt: perf record -e cpu-clock of two busy threads pinned to the SMT
# siblings CPU 0 and CPU 1 (one core of node 0), each reading a local buffer.
# Expects from `numalens report --json` (--sample-cpu): the 2-node topology
# with the SMT pairs and [0,1] a sibling group, >= 80% of the samples on CPUs
# of node 0, CPU 0 and CPU 1 each >= 30%, both threads with samples and
# nodes_ran node 0 >= 0.9.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need report
command -v perf >/dev/null || fail "no perf in the guest"

T=$NL_OUT/smt.truth.json
step "perf record -e cpu-clock -- nl_guest_smt (cpus 0,1)"
perf record -q --sample-cpu --switch-events -e cpu-clock -o "$NL_OUT/smt.perf.data" -- \
	"$NL_GUEST_BIN/nl_guest_smt" --truth "$T" --cpus 0,1 --seconds 3 ||
	fail "perf record / nl_guest_smt failed"
step "numalens report --json"
"$NUMALENS" report "$NL_OUT/smt.perf.data" --json "$NL_OUT/smt.report.json" \
	>"$NL_OUT/smt.report.txt" || fail "numalens report exited $?"
nl_check check.py report smt "$NL_OUT/smt.report.json" "$T"
