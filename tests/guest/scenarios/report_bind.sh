# report_bind: perf record -e page-faults -d (every fault, -c 1) of a 64 MiB
# buffer bound to node 1 and touched from CPU 0 (node 0), then
# `numalens report --json` (samples carry the CPU: --sample-cpu).  Expects:
# the guest's 2-node topology from the perf.data header, >= 90% of the samples
# on CPUs of node 0 (the touch loop is pinned to CPU 0), the thread listed with
# nodes_ran node 0 >= 0.9, memory_samples >= 90% of the 16384 pages, and when
# samples resolve to a memory node: node 1, remote_ratio >= 0.9 (page-fault
# samples do not resolve today: the page does not exist yet when sampled).
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need report
command -v perf >/dev/null || fail "no perf in the guest"

T=$NL_OUT/bind.truth.json
step "perf record -e page-faults -d -c 1 -- nl_guest_bind (64 MiB on node 1, cpu 0)"
perf record -q --sample-cpu -e page-faults -d --phys-data -c 1 -o "$NL_OUT/bind.perf.data" -- \
	"$NL_GUEST_BIN/nl_guest_bind" --truth "$T" --mib 64 --node 1 --cpu 0 --seconds 1 ||
	fail "perf record / nl_guest_bind failed"
step "numalens report --json"
"$NUMALENS" report "$NL_OUT/bind.perf.data" --json "$NL_OUT/bind.report.json" \
	>"$NL_OUT/bind.report.txt" || fail "numalens report exited $?"
nl_check check.py report bind "$NL_OUT/bind.report.json" "$T"
