# profile_seed: `numalens profile -p PARENT --json` of the seed workload: a
# 256 MiB memfd dataset ("nl-seed-dataset") first-touched by the parent on
# node 1, read by 4 forked workers pinned to node 0; then the control with the
# workers on node 1.  Expects for every worker: listed with ppid = parent,
# nodes_ran its node >= 0.9, a mapping covering the dataset whose name holds
# "nl-seed-dataset" and, remote run: remote_exposure >= 0.9 and dataset
# pages_by_node >= 95% on node 1; control: remote_exposure <= 0.1.  The
# parent is listed; it sleeps in waitpid, so its exposure is null (or <= 0.1).
# With --sort sym,pid, each worker's top code row (remote memory samples
# first) is nl_read_pass at its MARK line of workloads/common.h.
# The workers refault the dataset's first 4 MiB each pass (--refault-mib):
# the remote run's remote samples (functions, lines, code rows with
# remote > 0) name nl_read_pass at that line; the control's are all local.
# Then the objects run: numalens attached by pid before the parent allocates
# a 64 MiB memfd dataset (--wait-file); expects (check.py profile
# seed-objects) the dataset's object to be that allocation, "64 MiB
# allocation (mmap) at main (seed.c:N)", first touched by the parent on the
# data node at nl_touch for >= 99 % of its pages, read by the workers.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile

rc=0
for run in remote:0 control:1; do
	name=seed-${run%%:*} node=${run#*:}
	T=$NL_OUT/$name.truth.json
	step "nl_guest_seed: 256 MiB on node 1, 4 workers on node $node"
	nl_start "$name" "$T" "$NL_GUEST_BIN/nl_guest_seed" --truth "$T" --mib 256 \
		--data-node 1 --worker-node "$node" --workers 4 --seconds 120 --refault-mib 4
	step "numalens profile -p $NL_PID -d 4 --json ($name)"
	"$NUMALENS" profile -p "$NL_PID" -d 4 --sort sym,pid --json "$NL_OUT/$name.profile.json" \
		>"$NL_OUT/$name.profile.txt" 2>&1
	prc=$?
	kill -TERM "$NL_PID"
	nl_wait "$name"
	cat "$NL_OUT/$name.profile.txt"
	[ $prc = 0 ] || fail "numalens profile exited $prc"
	nl_check check.py profile seed "$NL_OUT/$name.profile.json" "$T" || rc=1
done

name=seed-objects T=$NL_OUT/seed-objects.truth.json W=$NL_OUT/seed-objects.wait
step "nl_guest_seed --wait-file: numalens profile -p attached before the 64 MiB allocation"
rm -f "$T" "$W"
"$NL_GUEST_BIN/nl_guest_seed" --truth "$T" --wait-file "$W" --mib 64 --data-node 1 \
	--worker-node 0 --workers 2 --seconds 120 >"$NL_OUT/$name.log" 2>&1 &
NL_PID=$!
nl_attach_first "$name" "$W" -d 300 -g fp --json "$NL_OUT/$name.profile.json"
nl_end_profile_when_ready "$T" 3
prc=$?
kill -TERM "$NL_PID"
nl_wait "$name"
cat "$NL_OUT/$name.log" "$NL_OUT/$name.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile seed-objects "$NL_OUT/$name.profile.json" "$T" || rc=1
exit $rc
