# report_seed: perf record -e cpu-clock of the seed workload twice: a 64 MiB
# dataset first-touched on node 1 read by 4 forked workers pinned to node 0
# (remote), and the control with the workers on node 1.  Expects from
# `numalens report --json` (samples carry the CPU: --sample-cpu; page
# faults with their data address too, and the code table by --sort sym,pid)
# the parent's first touches in nl_touch and each worker's samples in
# nl_read_pass, at their MARK lines of workloads/common.h; the 2-node
# topology of the perf.data header, the parent and every worker with samples,
# the parent's nodes_ran >= 0.9 on node 1, each worker's >= 0.9 on its node
# (0, then 1 for the control), with ppid = parent, and the per-CPU rows of the
# workers' node holding their samples.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need report
command -v perf >/dev/null || fail "no perf in the guest"

rc=0
for run in remote:0 control:1; do
	name=seed-${run%%:*} node=${run#*:}
	T=$NL_OUT/$name.truth.json
	step "perf record -e cpu-clock -- nl_guest_seed (data on node 1, workers on node $node)"
	perf record -q --sample-cpu -e cpu-clock -e page-faults -d -o "$NL_OUT/$name.perf.data" -- \
		"$NL_GUEST_BIN/nl_guest_seed" --truth "$T" --mib 64 --data-node 1 \
		--worker-node "$node" --workers 4 --seconds 3 ||
		fail "perf record / nl_guest_seed failed"
	step "numalens report --json ($name)"
	"$NUMALENS" report "$NL_OUT/$name.perf.data" --sort sym,pid --json "$NL_OUT/$name.report.json" \
		>"$NL_OUT/$name.report.txt" || fail "numalens report exited $?"
	nl_check check.py report seed "$NL_OUT/$name.report.json" "$T" || rc=1
done
exit $rc
