# torch: a real target.  tests/guest/train.py trains a small MLP once its
# workers serve batches: the main process, pinned to node 0 before it
# imports torch, builds a 64 MiB dataset tensor (a minority of what the
# workers map once torch is loaded); a DataLoader with 6 persistent fork
# workers pinned to node 1 serves batches from it (they read it through
# copy-on-write pages inherited at fork: no page fault, no PMU).  Items are
# blocks of 256 rows, batches 4096 rows, the MLP 4 wide: a data-bound
# loader, so that under TCG the workers spend their time reading the
# dataset rather than in the interpreter (whose objects, in main's heap,
# they read too: with one row per item and a 64-wide MLP, main is the
# bottleneck, the workers idle, and main's heap is what they read most -
# numalens then says that).
# `numalens profile -p MAIN -d 8 --json` runs while it trains, NUMA
# balancing off.  Expects (check.py profile torch):
#   - every worker: ppid = main, ran on node 1, maps the dataset (>= 95 % of
#     its pages on node 0), access-weighted remote_exposure >= 0.6 by
#     referenced bits, remote_exposure_by_placement beside it;
#   - the first finding: "6 of 6 workers of pid MAIN read a 64 MiB anonymous
#     mapping with 100 % of its pages on node 0; they run on node 1", first
#     in the summary, and the first advice names that mapping and those
#     workers; no advice names main as a remote reader.
#   - Python frames (--sort srcline,pid): read for the samples, the late
#     ones counted approximate (the delay is noted, not bounded: under TCG
#     numalens' consumer is slower than the rings fill, the frames are read
#     ahead of the drain, each read costs ms), and each worker's
#     train.py line with the most samples is the dataset's __getitem__ at
#     its nl:getitem-read marker.
# The control run (workers on node 0, next to the data, check.py profile
# torch-control): no finding or advice about the workers, each worker's
# remote_exposure <= 0.1.
# The objects run (check.py profile torch-objects): numalens attached by pid
# once torch is imported, before main builds a 96 MiB dataset on node 1
# (train.py --wait-file); the dataset tensor's object is its allocation
# (about 96 MiB, at c10::alloc_cpu), first touched by main on node 1, and
# >= 90 % of its pages first touched at train.py's nl:dataset-build line,
# the frames read within two look-ahead passes of their samples (median).
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile
$PY -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' ||
	skip "python3-torch is not installed (apt-get install python3-torch)"
# torch's libraries first read from node 1: their page-cache pages (most of
# what a worker has resident) sit on the workers' node, as on a machine where
# something else imported torch there first.  Counted alike, those pages
# dilute the workers' placement-only exposure; weighted by access, and with
# code apart from data, they must not.
step "warm the page cache: import torch on node 1"
numactl --cpunodebind=1 $PY -c 'import torch' || fail "import torch on node 1"

# nl_torch NAME WORKER_NODE CHECK: one training run profiled while it trains.
nl_torch() {
	local name=$1 wnode=$2 check=$3 T=$NL_OUT/$1.truth.json prc
	step "$name: train.py, data on node 0, 6 workers on node $wnode (import torch takes 25-60 s under TCG)"
	# started on node 0 so that even the interpreter's start-up pages are there
	# it trains until the profile has ended (at most 240 s): attaching to its
	# 27 tasks under TCG takes tens of seconds, and readings of workers that
	# exited meanwhile would say nothing
	rm -f "$NL_OUT/$name.stop"
	NL_START_WAIT=240 nl_start "$name" "$T" numactl --cpunodebind=0 \
		$PY "$NL_SOURCE_DIR/tests/guest/train.py" --truth "$T" --mib 64 --data-node 0 \
		--worker-node "$wnode" --workers 6 --seconds 240 --stop-file "$NL_OUT/$name.stop" \
		--rows-per-item 256 --batch-rows 4096 --hidden 4
	cat "$NL_OUT/$name.log"
	step "$name: numalens profile -p $NL_PID -d 8 --sort srcline,pid --json (while it trains)"
	"$NUMALENS" profile -p "$NL_PID" -d 8 --sort srcline,pid --json "$NL_OUT/$name.profile.json" \
		>"$NL_OUT/$name.profile.txt" 2>&1
	prc=$?
	touch "$NL_OUT/$name.stop"
	nl_wait "$name"
	cat "$NL_OUT/$name.log" "$NL_OUT/$name.profile.txt"
	[ $prc = 0 ] || fail "numalens profile exited $prc"
	nl_check check.py profile "$check" "$NL_OUT/$name.profile.json" "$T"
}

rc=0
nl_torch torch 1 torch || rc=1
nl_torch torch-control 0 torch-control || rc=1

name=torch-objects T=$NL_OUT/torch-objects.truth.json W=$NL_OUT/torch-objects.wait
step "$name: train.py --wait-file, numalens profile -p attached before the 96 MiB dataset"
rm -f "$T" "$W"
numactl --cpunodebind=1 $PY "$NL_SOURCE_DIR/tests/guest/train.py" --truth "$T" --wait-file "$W" \
	--mib 96 --data-node 1 --worker-node 0 --workers 2 --seconds 5 --rows-per-item 256 \
	--batch-rows 4096 --hidden 4 >"$NL_OUT/$name.log" 2>&1 &
NL_PID=$!
NL_START_WAIT=240 nl_attach_first "$name" "$W" -d 600 --json "$NL_OUT/$name.profile.json"
NL_START_WAIT=240 nl_end_profile_when_ready "$T" 3
prc=$?
nl_wait "$name"
cat "$NL_OUT/$name.log" "$NL_OUT/$name.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile torch-objects "$NL_OUT/$name.profile.json" "$T" || rc=1
exit $rc
