# torch: a real target.  tests/guest/train.py trains a small MLP for 15 s once
# its workers serve batches: the main process, pinned to node 1 before it
# imports torch, builds a 96 MiB dataset tensor; a DataLoader with 4
# persistent fork workers pinned to node 0 serves batches from it.
# `numalens profile -p MAIN -d 8 --json` runs while it trains.  Expects: main
# listed and ran on node 1 with remote_exposure <= 0.2; the 4 workers listed
# with ppid = main, ran on node 0, map the dataset tensor (>= 95% of its pages
# on node 1) and have remote_exposure >= 0.5.
. "$(dirname "$0")/lib.sh"
nl_deterministic
nl_need profile
# Only look for torch: importing it here would load its libraries into the
# page cache from whatever CPU this runs on (node 0 or 1), and main's pages
# would not all be on node 1 any more.
$PY -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' ||
	skip "python3-torch is not installed (apt-get install python3-torch)"

T=$NL_OUT/torch.truth.json
step "train.py (import torch takes 25-60 s under TCG)"
NL_START_WAIT=240 nl_start torch "$T" $PY "$NL_SOURCE_DIR/tests/guest/train.py" --truth "$T" \
	--mib 96 --data-node 1 --worker-node 0 --workers 4 --seconds 15
cat "$NL_OUT/torch.log"
step "numalens profile -p $NL_PID -d 8 --json (while it trains)"
"$NUMALENS" profile -p "$NL_PID" -d 8 --json "$NL_OUT/torch.profile.json" \
	>"$NL_OUT/torch.profile.txt" 2>&1
prc=$?
nl_wait torch
cat "$NL_OUT/torch.log" "$NL_OUT/torch.profile.txt"
[ $prc = 0 ] || fail "numalens profile exited $prc"
nl_check check.py profile torch "$NL_OUT/torch.profile.json" "$T"
