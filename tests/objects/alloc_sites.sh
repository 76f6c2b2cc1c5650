#!/bin/bash
# Allocation sites, live and recorded: a running process (alloc_workload.c)
# makes two allocations before numalens attaches and four kinds after, at
# lines marked "SITE: name" in its source.  The report must name the late
# ones as allocations with their size and site (read from the markers),
# the early ones as their mapping "allocated before numalens attached",
# keep the small mallocs untracked by default, and give the first touch
# (fill's line, the workload's pid) for 99 % of the pages.  `numalens
# report` of the --record file prints the same objects; the JSON
# validates.  --alloc-sites=malloc adds the malloc objects; bad option
# values are one line and exit 2.  A static target: its raw mmap(2) calls
# are allocations at their site with the syscall tracepoints (one line
# says why not without them).
# USAGE: alloc_sites.sh WORKLOAD SOURCE   (NUMALENS in the environment)
set -u
WORKLOAD=$1
SRC=$2
NL=${NUMALENS:?NUMALENS not set}
DIR=$(dirname "$0")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (uprobes on another process)"; exit 77; }
[ -r /sys/bus/event_source/devices/uprobe/type ] || { echo "SKIP: no uprobe PMU here"; exit 77; }
T=$(mktemp -d /tmp/nl-objects.XXXXXX)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
check() {
	if [ "$?" = 0 ]; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $1"
		[ -s "$T/err" ] && sed 's/^/  stderr: /' "$T/err"; fi
}

# run_profile NAME ARGS...: the workload, numalens attached to it before
# the late allocations (GO is touched once numalens holds its events).
run_profile() {
	local name=$1
	shift
	rm -f "$T/ready" "$T/go"
	"$WORKLOAD" "$T/ready" "$T/go" >"$T/$name.late" &
	local wpid=$!
	for _ in $(seq 200); do [ -s "$T/ready" ] && break; sleep 0.05; done
	"$NL" profile -p "$wpid" -g fp --json "$T/$name.json" "$@" >"$T/$name.txt" 2>"$T/$name.err" &
	local npid=$!
	# attached: numalens holds its perf events, and no more opened for a
	# second (an ASan build opens the allocation probes seconds after the
	# first events: a fixed wait let the late mallocs run before them)
	local n prev=0 same=0
	for _ in $(seq 300); do
		n=$(find /proc/$npid/fd -lname 'anon_inode:*perf_event*' 2>/dev/null | wc -l)
		if [ "$n" -gt 8 ] && [ "$n" = "$prev" ]; then
			same=$((same + 1))
			[ $same -ge 10 ] && break
		else
			same=0
		fi
		prev=$n
		sleep 0.1
	done
	sleep 1
	cp "$T/ready" "$T/$name.early"
	touch "$T/go"
	wait $npid
	local rc=$?
	wait $wpid
	echo "$wpid" >"$T/$name.pid"
	return $rc
}

run_profile mmap --record "$T/rec.data"
check "profile -p with the default allocation probes (mmap family), --record"
grep -q "^Data objects" "$T/mmap.txt"
check "the text report has a Data objects table"
grep -q "allocation sites off" "$T/mmap.err"
[ $? != 0 ]
check "no 'allocation sites off' note here (glibc, uprobes, root)"

python3 "$DIR/check_objects.py" "$T/mmap" "$SRC" default >"$T/err" 2>&1
check "late allocations named with size and site, early ones as their mapping before attach, small ones untracked, first touch at fill for >= 99 % of pages"

"$NL" report -q --json "$T/rec.json" "$T/rec.data" 2>"$T/err"
check "numalens report of the recording"
python3 - "$T/mmap.json" "$T/rec.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
row = lambda o: (o["key"], o["kind"], o["size"], o["pages"], o["samples"], o["before_attach"],
                 o["first_touch"] and (o["first_touch"]["pid"], o["first_touch"]["pages"],
                                       o["first_touch"]["site"]["line"]))
ra = [row(o) for o in a["objects"] if o["kind"] == "allocation"]
rb = [row(o) for o in b["objects"] if o["kind"] == "allocation"]
assert ra and ra == rb, (ra, rb)
assert len(a["objects"]) == len(b["objects"]), (len(a["objects"]), len(b["objects"]))
PY
check "the recording gives the same objects (allocations, sizes, sites, first touch)"
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 "$NL_SOURCE_DIR/tests/report/validate_schema.py" \
		"$NL_SOURCE_DIR/report/numalens.report-1.schema.json" "$T/mmap.json" "$T/rec.json" >"$T/err"
	check "live and recorded reports with objects validate against the schema"
fi

# which mechanism: the syscall tracepoints where tracefs has them (root),
# else the libc uprobes; --alloc-sites=mmap-uprobes asks for the uprobes
events() { python3 -c 'import json, sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))["source"]["events"]))' "$1"; }
if [ -r /sys/kernel/tracing/events/syscalls/sys_enter_mmap/id ]; then
	events "$T/mmap.json" | grep -q 'alloc:sys_mmap_ret' && ! events "$T/mmap.json" | grep -q 'alloc:mmap '
	check "the default tracks the mmap family by the syscall tracepoints"
fi
run_profile uprobes --alloc-sites=mmap-uprobes
check "profile -p --alloc-sites=mmap-uprobes"
events "$T/uprobes.json" | grep -q 'alloc:mmap_ret' && ! events "$T/uprobes.json" | grep -q 'alloc:sys_'
check "--alloc-sites=mmap-uprobes: libc uprobes, no syscall tracepoint"
python3 "$DIR/check_objects.py" "$T/uprobes" "$SRC" default >"$T/err" 2>&1
check "uprobes: the same objects, sizes, sites and first touch as the default"

run_profile malloc --alloc-sites=malloc --alloc-min 256
check "profile -p --alloc-sites=malloc --alloc-min 256"
python3 "$DIR/check_objects.py" "$T/malloc" "$SRC" malloc >"$T/err" 2>&1
check "--alloc-sites=malloc: malloc64 is the malloc of 64 MiB, the 2000 small mallocs are seen"

# bad values: one line, exit 2
"$NL" profile --alloc-sites=bogus -- true >/dev/null 2>"$T/err"
[ $? = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^numalens: --alloc-sites: .* - use mmap, mmap-uprobes, malloc or none' "$T/err"
check "--alloc-sites=bogus: one line, exit 2"
"$NL" profile --alloc-min 12Q -- true >/dev/null 2>"$T/err"
[ $? = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^numalens: --alloc-min: .* - ' "$T/err"
check "--alloc-min 12Q: one line, exit 2"
# a static target (no shared libc): with the syscall tracepoints its mmap
# calls are allocations at their site; without them (uprobes on libc only)
# one line says why and the profile goes on
cat >"$T/static.c" <<'C'
#include <unistd.h>
/* mmap(2) itself, no libc in between: the site is this function */
__attribute__((noinline)) static char *static_alloc(long len)
{
	register long r10 __asm__("r10") = 0x22, r8 __asm__("r8") = -1, r9 __asm__("r9") = 0;
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"(9L), "D"(0L), "S"(len), "d"(3L), "r"(r10),
			 "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return (char *)r;
}
int main(void)
{
	for (int k = 0; k < 12; k++) {
		char *p;

		usleep(400000);
		p = static_alloc(8l << 20);
		for (long i = 0; i < (8l << 20); i += 4096)
			p[i] = 1;
	}
	return 0;
}
C
if gcc -static -O1 -g -fno-omit-frame-pointer "$T/static.c" -o "$T/static" 2>/dev/null; then
	"$T/static" &
	spid=$!
	"$NL" profile -p "$spid" -d 3 --json "$T/static.json" >/dev/null 2>"$T/err"
	rc=$?
	kill $spid 2>/dev/null
	if [ -r /sys/kernel/tracing/events/syscalls/sys_enter_mmap/id ]; then
		[ $rc = 0 ] && ! grep -q 'allocation sites off' "$T/err" &&
			python3 - "$T/static.json" <<'PY'
import json, sys
objs = json.load(open(sys.argv[1]))["objects"]
hits = [o for o in objs if o["kind"] == "allocation" and o["size"] == 8 << 20 and
        (o.get("site") or {}).get("function") == "static_alloc"]
assert hits, [(o["kind"], o["name"], o.get("site")) for o in objs]
PY
		check "static target: its 8 MiB mmap calls are allocations at static_alloc (syscall tracepoints)"
		"$T/static" &
		spid=$!
		"$NL" profile -p "$spid" -d 1 --alloc-sites=malloc >/dev/null 2>"$T/err"
		rc=$?
		kill $spid 2>/dev/null
		[ $rc = 0 ] && [ "$(grep -c 'sites off' "$T/err")" = 1 ] &&
			grep -q '^numalens: malloc-family sites off (.*): the target maps no shared libc .* - ' "$T/err"
		check "static target, --alloc-sites=malloc: one 'malloc-family sites off' line, the profile goes on"
	else
		[ $rc = 0 ] && [ "$(grep -c 'allocation sites off' "$T/err")" = 1 ] &&
			grep -q '^numalens: allocation sites off: the target maps no shared libc .* - ' "$T/err"
		check "static target: one 'allocation sites off' line, the profile goes on"
	fi
fi
if command -v runuser >/dev/null; then
	runuser -u nobody -- "$NL" profile -d 1 -- sleep 0.5 >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 0 ] && [ "$(grep -c 'allocation sites off' "$T/err")" = 1 ]
	check "unprivileged: one 'allocation sites off' line (uprobes need CAP_PERFMON), exit 0"
fi
echo "$passes passed, $fails failed"
[ $fails = 0 ]
