# advice_apply: run what numalens advised and profile again, two workloads
# in one boot:
#   seed: 128 MiB memfd first-touched by the parent on node 1, 4 workers
#     pinned to node 0 -> the bind_per_node advice's command (numactl
#     --cpunodebind=0 --membind=0 <the workload's own command line>, run
#     exactly as advised; --touch-check 0 lets the workload accept pages
#     where the policy puts them) -> every worker's remote_exposure <= 0.1;
#   smt: six busy threads on CPUs 0-5 (both nodes, four physical cores) ->
#     the one_thread_per_core advice: taskset -c LIST with one thread per
#     core and at most W workers -> re-run with W threads on the first W
#     CPUs of LIST (the workload pins its threads itself, so the list goes
#     to its --cpus as well) -> no pair co-runs for more than 10 % and no
#     thread shares a core for half its run time.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile

profile() { # name
	step "numalens profile -p $NL_PID -d 4 --json ($1)"
	"$NUMALENS" profile -p "$NL_PID" -d 4 --json "$NL_OUT/$1.profile.json" \
		>"$NL_OUT/$1.profile.txt" 2>&1
	prc=$?
	kill -TERM "$NL_PID"
	nl_wait "$1"
	cat "$NL_OUT/$1.profile.txt"
	[ $prc = 0 ] || fail "numalens profile exited $prc ($1)"
}

advice() { # report kind field
	$PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
a = [x for x in d.get("advice") or [] if x["kind"] == sys.argv[2]]
print(a[0][sys.argv[3]] if a else "")' "$@"
}

# --- seed --------------------------------------------------------------------
T=$NL_OUT/seed.truth.json
step "nl_guest_seed: 128 MiB on node 1, 4 workers on node 0"
nl_start seed "$T" "$NL_GUEST_BIN/nl_guest_seed" --truth "$T" --mib 128 \
	--data-node 1 --worker-node 0 --workers 4 --seconds 120 --touch-check 0
profile seed
cmd=$(advice "$NL_OUT/seed.profile.json" bind_per_node command)
[ -n "$cmd" ] || fail "seed: no bind_per_node advice"
case $cmd in
	"numactl --cpunodebind=0 --membind=0 $NL_GUEST_BIN/nl_guest_seed --truth $T "*) ;;
	*) fail "seed: advised command is not the workload's own line on node 0: $cmd" ;;
esac
step "advised: $cmd"
nl_start seed-advised "$T" sh -c "exec $cmd"
profile seed-advised
$PY - "$NL_OUT/seed-advised.profile.json" "$T" <<'PYEOF' || exit 1
import json, sys
rep, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
wpids = {w["pid"] for w in t["workers"]}
procs = {p["pid"]: p for p in rep["processes"]}
bad = 0
for pid in sorted(wpids):
    x = procs.get(pid, {}).get("remote_exposure")
    print("seed advised: worker %d remote_exposure %r (%s)" % (pid, x, procs.get(pid, {}).get("exposure_basis")))
    bad += not (isinstance(x, (int, float)) and x <= 0.1)
print("seed advised: dataset census %r" % t["dataset"]["census"])
if bad or not wpids:
    print("FAIL: seed advised: %d of %d workers above 10 %% exposure" % (bad, len(wpids)))
    sys.exit(1)
print("ok: seed advised: every worker's exposure <= 10 %")
PYEOF

# --- smt ---------------------------------------------------------------------
T=$NL_OUT/smt.truth.json
step "nl_guest_smt: six busy threads on CPUs 0-5"
nl_start smt "$T" "$NL_GUEST_BIN/nl_guest_smt" --truth "$T" --cpus 0,1,2,3,4,5 --seconds 120
profile smt
cmd=$(advice "$NL_OUT/smt.profile.json" one_thread_per_core command)
effect=$(advice "$NL_OUT/smt.profile.json" one_thread_per_core expected_effect)
[ -n "$cmd" ] || fail "smt: no one_thread_per_core advice"
list=$(echo "$cmd" | sed -n 's/^taskset -c \([0-9,-]*\) .*/\1/p')
w=$(echo "$effect" | sed -n 's/^with at most \([0-9]*\) busy workers.*/\1/p')
step "advised: $cmd ($w workers)"
[ "$list" = "0,2,4,6" ] && [ "$w" = 4 ] || fail "smt: want taskset -c 0,2,4,6 and 4 workers, got '$list' '$w'"
cpus=$(echo "$list" | tr , '\n' | head -n "$w" | paste -sd,)
T=$NL_OUT/smt-advised.truth.json
nl_start smt-advised "$T" taskset -c "$list" "$NL_GUEST_BIN/nl_guest_smt" --truth "$T" \
	--cpus "$cpus" --seconds 120
profile smt-advised
$PY - "$NL_OUT/smt-advised.profile.json" <<'PYEOF' || exit 1
import json, sys
smt = json.load(open(sys.argv[1])).get("smt") or {}
# the workload's own threads: pairs of two of them, and each one's time with a
# busy sibling (an outside task that ran 1 ms beside one has ratio 1 by itself)
worst = max([p.get("ratio", 0) for p in smt.get("pairs") or [] if not p.get("outside")] or [0])
shared = max([t.get("shared_ratio", 0) for t in smt.get("tasks") or []] or [0])
print("smt advised (%s view): busy %r, shared half %r, worst pair co-run %.3f, most shared %.3f" % (
    smt.get("view"), smt.get("busy_tasks"), smt.get("busy_tasks_shared_half"), worst, shared))
if not smt.get("has_smt") or smt.get("busy_tasks", 0) < 4 or worst > 0.1 or shared > 0.1 or smt.get("busy_tasks_shared_half"):
    print("FAIL: smt advised: co-run above 10 % or threads not busy")
    sys.exit(1)
print("ok: smt advised: co-run <= 10 %")
PYEOF
