# topology: the guest's shape from sysfs (ground truth), then
# `numalens topology --json` must say the same: 2 nodes (0-3, 4-7),
# distance 21, 2 packages, SMT pairs (0,1) (2,3) (4,5) (6,7).
. "$(dirname "$0")/lib.sh"

step "ground truth: sysfs of the guest"
nl_check check.py sysfs || fail "the guest does not have the expected shape"

nl_need topology
step "numalens topology --json"
"$NUMALENS" topology --json "$NL_OUT/topology.json" || fail "numalens topology exited $?"
nl_check check.py topology "$NL_OUT/topology.json"
rc=$?
"$NUMALENS" topology >"$NL_OUT/topology.txt" || fail "numalens topology (text) exited $?"
# --measure: a 2x2 matrix (TCG timings are not NUMA-real: shape and sanity)
step "numalens topology --measure --json"
"$NUMALENS" topology --measure --measure-mib 16 --measure-seconds 0.2 \
	--json "$NL_OUT/measure.json" || fail "numalens topology --measure exited $?"
nl_check check.py measure "$NL_OUT/measure.json" || rc=1
exit $rc
