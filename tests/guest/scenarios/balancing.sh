# balancing: NUMA balancing ON (the guest kernel's default; scanning sped up).
#  1. A private 64 MiB buffer first-touched on node 1, then read from CPU 0:
#     the kernel migrates it to node 0 (ground truth: /proc/PID/numa_maps,
#     waited for, and the workload's final move_pages census).  Expects from
#     `numalens profile -p PID --json`, taken after the migration: the buffer
#     mapping's resolved pages >= 90% on node 0, remote_exposure <= 0.2.
#  2. The seed pattern (anon dataset on node 1 shared copy-on-write with 4
#     workers on node 0): balancing never hints COW-shared pages, so the
#     dataset stays on node 1 (ground truth: final census) and numalens must
#     still report the workers remote: remote_exposure >= 0.9, dataset pages
#     >= 95% of the resolved ones on node 1.
. "$(dirname "$0")/lib.sh"
nl_balancing_on
nl_need profile
vm() { grep -E '^numa_(hint_faults|pages_migrated) ' /proc/vmstat | tr '\n' ' '; echo; }

rc=0
T=$NL_OUT/bal-bind.truth.json
step "nl_guest_bind --first-touch: 64 MiB touched on node 1, read from cpu 0"
nl_start bal-bind "$T" "$NL_GUEST_BIN/nl_guest_bind" --truth "$T" --mib 64 --node 1 \
	--cpu 0 --seconds 180 --first-touch
start=$($PY -c 'import json,sys; print("%x" % json.load(open(sys.argv[1]))["start"])' "$T")
pages=$((64 * 256))
n0=0
for _ in $(seq 120); do
	n0=$(awk -v a="$start" '$1 == a { for (i = 2; i <= NF; i++) if ($i ~ /^N0=/) print substr($i, 4) }' \
		/proc/$NL_PID/numa_maps)
	[ "${n0:-0}" -ge $((pages * 9 / 10)) ] && break
	sleep 0.5
done
echo "buffer pages on node 0: ${n0:-0} of $pages; $(vm)"
[ "${n0:-0}" -ge $((pages * 9 / 10)) ] ||
	fail "ground truth: NUMA balancing did not migrate the buffer to node 0"
step "numalens profile -p $NL_PID -d 4 --json (after the migration)"
"$NUMALENS" profile -p "$NL_PID" -d 4 --json "$NL_OUT/bal-bind.profile.json" \
	>"$NL_OUT/bal-bind.profile.txt" 2>&1
prc=$?
kill -TERM "$NL_PID"
nl_wait bal-bind
cat "$NL_OUT/bal-bind.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile balancing-bind "$NL_OUT/bal-bind.profile.json" "$T" || rc=1

T=$NL_OUT/bal-seed.truth.json
step "nl_guest_seed --kind anon: 128 MiB on node 1, 4 workers on node 0"
nl_start bal-seed "$T" "$NL_GUEST_BIN/nl_guest_seed" --truth "$T" --mib 128 \
	--data-node 1 --worker-node 0 --workers 4 --seconds 180 --kind anon
sleep 5   # several scan periods
echo "$(vm)"
step "numalens profile -p $NL_PID -d 4 --json"
"$NUMALENS" profile -p "$NL_PID" -d 4 --json "$NL_OUT/bal-seed.profile.json" \
	>"$NL_OUT/bal-seed.profile.txt" 2>&1
prc=$?
kill -TERM "$NL_PID"
nl_wait bal-seed
cat "$NL_OUT/bal-seed.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile balancing-seed "$NL_OUT/bal-seed.profile.json" "$T" || rc=1
exit $rc
