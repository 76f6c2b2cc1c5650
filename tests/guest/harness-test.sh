#!/bin/bash
# harness-test.sh - proves tests/guest/run itself (runs on the host):
#   1. a command's exit status comes back (3), its files come out through the
#      results share, its output is printed, the guest has the 2-node shape;
#   2. the hard timeout kills a guest that does not finish (exit 124) and
#      keeps the console log;
#   3. no qemu -> exit 77 with a one-line reason;
#   4. a guest kernel soft lockup (here a fake one written to the kernel
#      log) kills that boot and runs the command once more, whose status
#      comes back.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${NL_GUEST_OUT_BASE:-$(mktemp -d /tmp/nl-harness.XXXXXX)}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. exit status, results, output.
out=$base/exit
rm -rf "$out"
log=$(bash "$HERE/run" --out "$out" --timeout 120 -- bash -c '
	echo "inside: $(cat /sys/devices/system/node/online) $(nproc)"
	cat /sys/devices/system/node/node1/distance > "$NL_OUT/distance"
	echo "$NUMALENS" > "$NL_OUT/numalens-path"
	exit 3' 2>&1)
rc=$?
echo "$log"
[ $rc = 77 ] && { echo "$log" | grep '^SKIP' | head -1; exit 77; }
[ $rc = 3 ] || bad "exit status $rc, want 3"
[ "$(cat "$out/distance" 2>/dev/null)" = "21 10" ] ||
	bad "node1 distance '$(cat "$out/distance" 2>/dev/null)', want '21 10'"
[ "$(cat "$out/numalens-path" 2>/dev/null)" = "${NUMALENS:-}" ] ||
	bad "NUMALENS not passed into the guest"
echo "$log" | grep -q '^inside: 0-1 8$' || bad "command output not printed, or not 2 nodes / 8 CPUs"

# 2. hard timeout (60 s: a TCG boot takes 15-40 s on a busy host).
out=$base/timeout
rm -rf "$out"
bash "$HERE/run" --out "$out" --timeout 60 -- bash -c 'echo started; sleep 600'
rc=$?
[ $rc = 124 ] || bad "timeout: exit status $rc, want 124"
grep -q 'nl-guest: running' "$out/.nl-guest/console.log" 2>/dev/null ||
	bad "timeout: console log not kept in $out/.nl-guest/console.log"
grep -q '^started$' "$out/.nl-guest/output" 2>/dev/null ||
	bad "timeout: partial output not kept"

# 3. skip when qemu cannot run.
msg=$(NL_GUEST_QEMU=/nonexistent/qemu bash "$HERE/run" -- true 2>&1)
rc=$?
[ $rc = 77 ] || bad "no qemu: exit status $rc, want 77"
[ "$(echo "$msg" | grep -c '^SKIP: ')" = 1 ] || bad "no qemu: no one-line SKIP reason: $msg"

# 4. soft lockup: the first run says it locked up and hangs; the second
#    (its marker in the shared results directory) exits 5.
out=$base/lockup
rm -rf "$out"
msg=$(bash "$HERE/run" --out "$out" --timeout 150 -- bash -c '
	if [ ! -e "$NL_OUT/first" ]; then
		touch "$NL_OUT/first"
		echo "<0>watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [harness]" >/dev/kmsg
		sleep 600
	fi
	echo second run
	exit 5' 2>&1)
rc=$?
echo "$msg"
[ $rc = 5 ] || bad "lockup: exit status $rc, want 5 (the second run's)"
echo "$msg" | grep -q 'soft lockup under TCG.*running it again' || bad "lockup: the retry is not said"
echo "$msg" | grep -q '^second run$' || bad "lockup: the second run's output not printed"
[ -f "$out/.nl-guest/console-lockup.log" ] || bad "lockup: the locked-up boot's console not kept"

[ $fail = 0 ] && echo "harness: all checks passed"
exit $fail
