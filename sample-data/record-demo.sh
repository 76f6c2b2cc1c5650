#!/bin/bash
# Records sample-data/demo.perf.data inside the project's two-node guest:
# the seed scenario, where a parent first-touches a 64 MiB dataset on node 1
# and forks 4 workers pinned to node-0 CPUs that read it.
#
#   cmake -S . -B build && cmake --build build -j2
#   NUMALENS=$PWD/build/numalens NL_GUEST_BIN=$PWD/build/tests/guest-bin \
#   NL_SOURCE_DIR=$PWD tests/guest/run --out /tmp/demo -- bash sample-data/record-demo.sh
#   cp /tmp/demo/demo.perf.data sample-data/
. "$NL_SOURCE_DIR/tests/guest/scenarios/lib.sh"
nl_deterministic
"$NUMALENS" profile --record "$NL_OUT/demo.perf.data" -q -- \
	"$NL_GUEST_BIN/nl_guest_seed" --truth "$NL_OUT/truth.json" --mib 64 \
	--data-node 1 --worker-node 0 --workers 4 --seconds 3 || fail "profile failed"
"$NUMALENS" report "$NL_OUT/demo.perf.data"
