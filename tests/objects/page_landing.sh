#!/bin/bash
# The node of each new page as it lands (samplers/faultnode.c): children
# that touch PAGES pages each and exit at once (exit_workload.c) are gone
# before move_pages could ask; with the page_fault_user + mm_page_alloc
# pairs their pages still get a node: node 0 here (this machine's only
# memory node when it has one), from page_alloc, and process_gone ~0.
# On by default; --no-page-landing turns it off.  --record keeps them.
# tracefs not mounted: numalens mounts it (one note).
# Without permission (an unprivileged user): one note, the profile goes on.
# USAGE: page_landing.sh WORKLOAD   (NUMALENS in the environment)
set -u
WORKLOAD=$1
NL=${NUMALENS:?NUMALENS not set}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (tracepoints with raw fields)"; exit 77; }
[ -d /sys/kernel/tracing ] || { echo "SKIP: no tracefs mount point here"; exit 77; }
T=$(mktemp -d /tmp/nl-landing.XXXXXX)
trap 'rm -rf "$T"' EXIT
PAGES=4096 KIDS=4
"$NL" profile --json "$T/p.json" --record "$T/r.data" -- "$WORKLOAD" $PAGES $KIDS >"$T/out" 2>"$T/err" ||
	{ echo "FAIL: profile exit $?"; cat "$T/err"; exit 1; }
if grep -q "page nodes as pages land: off" "$T/err"; then
	grep -q "no memory-block map\|No such file" "$T/err" &&
		{ echo "SKIP: $(grep 'page nodes' "$T/err")"; exit 77; }
	echo "FAIL: pairing off as root:"; cat "$T/err"; exit 1
fi
# --record keeps the landed nodes: the report of the file says the same.
"$NL" report -q --json "$T/r.json" "$T/r.data" >/dev/null 2>"$T/rerr" ||
	{ echo "FAIL: report exit $?"; cat "$T/rerr"; exit 1; }
for J in p r; do
echo "== $J.json"
python3 - "$T/$J.json" $PAGES $KIDS <<'PY' || exit 1
import glob, json, sys
d = json.load(open(sys.argv[1]))
pages, kids = int(sys.argv[2]), int(sys.argv[3])
c = d["source"]["counters"]
hf = d["node_matrix"]["home_node_from"]
mem_nodes = sorted(int(p.rsplit("node", 1)[1]) for p in glob.glob("/sys/devices/system/node/node*")
                   if glob.glob(p + "/memory*"))
fails = []
touched = pages * kids
print("page_alloc", hf.get("page_alloc"), "move_pages", hf.get("move_pages"),
      "process_gone", c.get("node_unknown.process_gone"), "landed", c.get("page_alloc.landed"))
if hf.get("page_alloc", 0) < 0.99 * touched:
    fails.append(("nodes from page_alloc", hf.get("page_alloc"), touched))
live = sys.argv[1].endswith("p.json")     # the recording's report has no live counters
if live and c.get("node_unknown.process_gone", touched) > 0.01 * touched:
    fails.append(("process_gone", c.get("node_unknown.process_gone")))
if live and c.get("page_alloc.landed", 0) < 0.99 * touched:
    fails.append(("pages landed", c.get("page_alloc.landed")))
# the kernel-side filter keeps only user pages: none reaches numalens to be
# dropped (unless this kernel refused the filter); each child's pending
# fault is freed at its exit
if live and not c.get("page_alloc.filters_refused", 1) and c.get("page_alloc.not_user_page", 1):
    fails.append(("allocations past the filter", c.get("page_alloc.not_user_page")))
if live and c.get("page_alloc.threads_pending", kids) >= kids:
    fails.append(("pending faults of exited threads", c.get("page_alloc.threads_pending")))
if len(mem_nodes) == 1:
    # every sample of the children on the one memory node, none unknown
    m = d["node_matrix"]
    if m["mem_nodes"] != mem_nodes or sum(map(sum, m["counts"])) < 0.99 * touched:
        fails.append(("samples on node", m["mem_nodes"], m["counts"], mem_nodes))
objs = [o for o in d["objects"] if o["size"] == pages * 4096 and o["kind"] == "allocation"]
if len(objs) != kids:
    fails.append(("one object per child", len(objs)))
for o in objs:
    ft = o["first_touch"] or {}
    if ft.get("pages", 0) < 0.99 * pages or ft.get("node") not in mem_nodes:
        fails.append(("first touch of", o["pid"], ft.get("pages"), ft.get("node")))
if fails:
    print("FAIL:", *fails, sep="\n  ")
    sys.exit(1)
PY
done
# --no-page-landing: no pairing, no tracepoint records, move_pages alone.
"$NL" profile --no-page-landing --alloc-sites=none --json "$T/n.json" -- "$WORKLOAD" 512 1 \
	>/dev/null 2>"$T/nerr" || { echo "FAIL: --no-page-landing exit $?"; cat "$T/nerr"; exit 1; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["source"]["counters"]
n=[k for k in c if k.startswith("page_alloc.")]; print("--no-page-landing counters:", n)
sys.exit(bool(n) or d["node_matrix"]["home_node_from"].get("page_alloc", 0) > 0)' "$T/n.json" ||
	{ echo "FAIL: --no-page-landing still paired pages"; exit 1; }
# tracefs not mounted (in a private mount namespace, so nothing else sees
# it): numalens mounts it, says so in one note, and the pages still land.
if unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private bash -c '
		umount /sys/kernel/tracing 2>/dev/null
		[ -e /sys/kernel/tracing/README ] && exit 3
		"$0" profile --alloc-sites=none --json "$1/m.json" -- "$2" 512 1 >/dev/null 2>"$1/merr"' \
		"$NL" "$T" "$WORKLOAD"
	rc=$?
	if [ $rc = 0 ]; then
		n=$(grep -c "^numalens: page nodes: mounted tracefs at /sys/kernel/tracing" "$T/merr")
		[ "$n" = 1 ] || { echo "FAIL: want one mount note, got $n:"; cat "$T/merr"; exit 1; }
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=d["node_matrix"]["home_node_from"]["page_alloc"]; print("after mounting: page_alloc", n); sys.exit(n < 500)' "$T/m.json" ||
			{ echo "FAIL: no page landed after mounting tracefs"; exit 1; }
	else
		echo "tracefs could not be unmounted in a private namespace (exit $rc): mount not checked"
	fi
fi
# An unprivileged user: one note, the profile goes on.
if command -v setpriv >/dev/null; then
	setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$NL" profile --json - -- "$WORKLOAD" 64 1 >/dev/null 2>"$T/uerr"
	rc=$?
	if [ $rc = 0 ]; then
		n=$(grep -c "^numalens: page nodes as pages land: off (.*Permission denied) - run as root" "$T/uerr")
		[ "$n" = 1 ] || { echo "FAIL: want one note unprivileged, got $n:"; cat "$T/uerr"; exit 1; }
	else
		echo "unprivileged profiling refused here (exit $rc), note not checked"
	fi
fi
echo "ok"
