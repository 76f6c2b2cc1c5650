# lib.sh - sourced by the guest scenarios (they run inside the guest, as
# root, with NUMALENS, NL_GUEST_BIN, NL_SOURCE_DIR and NL_OUT set).
set -u
set -o pipefail

NL_SCEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHONPATH=$NL_SCEN_DIR${PYTHONPATH:+:$PYTHONPATH}
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }

[ "${NL_GUEST:-}" = 1 ] || fail "scenarios run inside the guest: tests/guest/run -- bash $0"
[ -x "${NUMALENS:-}" ] || fail "NUMALENS=${NUMALENS:-} is not an executable"
[ -d "${NL_GUEST_BIN:-}" ] || fail "NL_GUEST_BIN=${NL_GUEST_BIN:-} (the workloads) is not a directory"

# Deterministic placement: no NUMA balancing (it moves pages to the reading
# node within a second) and no THP (one huge page first-touched by another
# thread covers hundreds of 4 KiB pages of a buffer).
nl_deterministic() {
	sysctl -qw kernel.numa_balancing=0 || fail "cannot switch NUMA balancing off"
	echo never >/sys/kernel/mm/transparent_hugepage/enabled
	echo never >/sys/kernel/mm/transparent_hugepage/defrag
	[ "$(cat /proc/sys/kernel/numa_balancing)" = 0 ] || fail "numa_balancing still on"
}

nl_balancing_on() {
	echo never >/sys/kernel/mm/transparent_hugepage/enabled
	sysctl -qw kernel.numa_balancing=1 || fail "cannot switch NUMA balancing on"
	# Scan often so that a short scenario sees hint faults and migrations.
	for f in scan_delay_ms:100 scan_period_min_ms:100 scan_period_max_ms:1000; do
		[ -w /sys/kernel/debug/sched/numa_balancing/${f%%:*} ] &&
			echo "${f#*:}" >/sys/kernel/debug/sched/numa_balancing/${f%%:*}
	done
	return 0
}

# nl_need COMMAND: exits 77 when 'numalens COMMAND --help' fails (the command
# has not landed yet), so the scenario starts asserting as soon as it does.
nl_need() {
	"$NUMALENS" "$1" --help >/dev/null 2>&1 ||
		skip "numalens $1 not available yet"
}

# nl_start NAME TRUTH CMD...: starts a workload in the background, its output
# in $NL_OUT/NAME.log, and waits (NL_START_WAIT seconds, default 120) until it
# has written TRUTH.  Sets NL_PID.
nl_start() {
	local name=$1 truth=$2
	shift 2
	rm -f "$truth"
	"$@" >"$NL_OUT/$name.log" 2>&1 &
	NL_PID=$!
	for _ in $(seq $((${NL_START_WAIT:-120} * 10))); do
		[ -s "$truth" ] && return 0
		kill -0 $NL_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$NL_OUT/$name.log"
	fail "$name did not get ready (truth file $truth)"
}

# nl_attach_first NAME WAITFILE ARGS...: the workload started last (NL_PID,
# its output in $NL_OUT/NAME.log) waits for WAITFILE's removal before it
# allocates: once it has written WAITFILE, starts `numalens profile -p
# NL_PID ARGS` in the background (output in $NL_OUT/NAME.profile.txt, pid in
# NL_PROF_PID) and removes WAITFILE once numalens holds its events, so the
# profile sees the allocation and its first touch.
nl_attach_first() {
	local name=$1 wait=$2
	shift 2
	for _ in $(seq $((${NL_START_WAIT:-120} * 10))); do
		[ -s "$wait" ] && break
		kill -0 $NL_PID 2>/dev/null || { cat "$NL_OUT/$name.log"; fail "$name exited"; }
		sleep 0.1
	done
	[ -s "$wait" ] || fail "$name did not wait for numalens ($wait)"
	"$NUMALENS" profile -p "$NL_PID" "$@" >"$NL_OUT/$name.profile.txt" 2>&1 &
	NL_PROF_PID=$!
	for _ in $(seq 600); do
		[ "$(find /proc/$NL_PROF_PID/fd -lname 'anon_inode:*perf_event*' 2>/dev/null |
			wc -l)" -gt 8 ] && break
		sleep 0.1
	done
	sleep 1
	rm -f "$wait"
}

# nl_end_profile_when_ready TRUTH SECONDS: once the workload has written
# TRUTH (its workers run), lets the profile of nl_attach_first run SECONDS
# more, ends it (SIGTERM: numalens reports and exits 0) and returns its
# exit status.
nl_end_profile_when_ready() {
	local truth=$1 more=$2
	for _ in $(seq $((${NL_START_WAIT:-120} * 10))); do
		[ -s "$truth" ] && break
		kill -0 $NL_PID 2>/dev/null || break
		sleep 0.1
	done
	sleep "$more"
	kill -TERM $NL_PROF_PID 2>/dev/null
	wait $NL_PROF_PID
}

# nl_wait NAME: waits for the workload started last; fails on its failure.
nl_wait() {
	wait $NL_PID
	local rc=$?
	[ $rc = 0 ] || { cat "$NL_OUT/$1.log"; fail "$1 exited $rc"; }
}

# nl_check SCRIPT.py ARGS...: runs an assertion script of scenarios/.
nl_check() {
	local s=$1
	shift
	$PY "$NL_SCEN_DIR/$s" "$@"
}
