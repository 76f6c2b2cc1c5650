# torch_balancing: the torch scenario (data on node 0, 6 workers on node 1)
# with NUMA balancing ON (the guest kernel's default; scanning sped up), so
# page-fault samples carry NUMA hinting faults.  The kernel never hints
# copy-on-write pages shared after fork, so the dataset itself takes no
# hinting fault in any worker: numalens must still weigh the workers by what
# they read (referenced bits) and count the hinting faults apart
# (access_faults).  Expects (check.py profile torch-balancing): the finding
# and the first advice name the 6 workers and the dataset mapping, and each
# worker's remote_exposure >= 0.6; where balancing moved pages (main's own
# accesses can move dataset pages before the fork) is printed, not asserted.
# The training runs 90 s after its first batch: under TCG with balancing on,
# attaching to 27 tasks takes seconds, and numalens' consumer runs ~40x
# slower than natively (~180 us a sample: a fresh-clone CI run took 61 s to
# end this 8 s profile), so with 60 s the workers had ended before the
# final referenced-bit readings.
. "$(dirname "$0")/lib.sh"
nl_balancing_on
nl_need profile
$PY -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' ||
	skip "python3-torch is not installed (apt-get install python3-torch)"
step "warm the page cache: import torch on node 1 (see torch.sh)"
numactl --cpunodebind=1 $PY -c 'import torch' || fail "import torch on node 1"

T=$NL_OUT/torch-bal.truth.json
rm -f "$NL_OUT/torch-bal.stop"
step "train.py, data on node 0, 6 workers on node 1, NUMA balancing on"
NL_START_WAIT=240 nl_start torch-bal "$T" numactl --cpunodebind=0 \
	$PY "$NL_SOURCE_DIR/tests/guest/train.py" --truth "$T" --mib 64 --data-node 0 \
	--worker-node 1 --workers 6 --seconds 240 --stop-file "$NL_OUT/torch-bal.stop" \
	--rows-per-item 256 --batch-rows 4096 --hidden 4   # until the profile ends (torch.sh)
cat "$NL_OUT/torch-bal.log"
grep -E '^numa_(hint_faults|pages_migrated) ' /proc/vmstat | tr '\n' ' '; echo
step "numalens profile -p $NL_PID -d 8 --json (while it trains)"
"$NUMALENS" profile -p "$NL_PID" -d 8 --json "$NL_OUT/torch-bal.profile.json" \
	>"$NL_OUT/torch-bal.profile.txt" 2>&1
prc=$?
touch "$NL_OUT/torch-bal.stop"
nl_wait torch-bal
grep -E '^numa_(hint_faults|pages_migrated) ' /proc/vmstat | tr '\n' ' '; echo
cat "$NL_OUT/torch-bal.log" "$NL_OUT/torch-bal.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile torch-balancing "$NL_OUT/torch-bal.profile.json" "$T"
