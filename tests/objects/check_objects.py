#!/usr/bin/env python3
"""check_objects.py BASE SOURCE MODE: the objects of BASE.json against the
allocation sites marked "SITE: name" in SOURCE (alloc_workload.c), the
addresses the workload printed (BASE.early, BASE.late) and its pid
(BASE.pid).  MODE: default (mmap probes) or malloc (--alloc-sites=malloc).
Exits non-zero with the first difference."""
import json, re, sys
base, src, mode = sys.argv[1:4]
d = json.load(open(base + ".json"))
pid = int(open(base + ".pid").read())
sites = {}
for n, line in enumerate(open(src), 1):
    m = re.search(r"SITE: (\w+)", line)
    if m:
        sites[m.group(1)] = n
addr = {}
for f in (base + ".early", base + ".late"):
    for line in open(f):
        when, name, a, size = line.split()
        addr[name] = (when, int(a, 16), int(size))
objs = d["objects"]
assert d["allocation_tracking"] is True
# Samples numalens lost (reported: a slow build, an ASan one, falls behind
# the rings) are pages it could not see: the page counts below allow them,
# and an address whose only samples were lost is not checked (said so).
lost = d["summary"]["lost"]
if lost:
    print("note: %d samples lost: page counts allow them" % lost)
def holding(name):
    a = addr[name][1]
    # the innermost object holding the address
    c = [o for o in objs if o["start"] <= a < o["start"] + o["size"]]
    if not c and lost:
        print("note: no object holds %s (%d samples lost): not checked" % (name, lost))
        return None
    assert c, "no object holds %s at %#x: %s" % (name, a, [(o["name"], hex(o["start"]), o["size"]) for o in objs])
    return min(c, key=lambda o: o["size"])
want = {"malloc64": ("make_malloc", 64 << 20), "mmap32": ("make_mmap", 32 << 20),
        "memalign16": ("make_memalign", 16 << 20)}
for name, (fn, size) in want.items():
    o = holding(name)
    if o is None:
        continue
    assert o["kind"] == "allocation", (name, o["name"])
    assert o["pid"] == pid, (name, o["pid"], pid)
    if mode == "malloc" and name == "malloc64":
        assert o["allocator"] == "malloc" and o["size"] == size, (name, o["allocator"], o["size"])
    else:
        assert o["allocator"] == "mmap", (name, o["allocator"])
        # glibc adds its chunk header page(s) to malloc'd mmaps
        assert size <= o["size"] <= size + 8192, (name, o["size"])
    s = o["site"]
    assert s and s["function"] == fn and s["file"].endswith("alloc_workload.c") and \
        s["line"] == sites[name], (name, s, sites[name])
    assert not o["before_attach"], name
    ft = o["first_touch"]
    assert ft and ft["pid"] == pid and ft["share"] >= 0.99, (name, ft)
    assert ft["site"]["function"] == "fill" and ft["site"]["line"] == sites["fill"], (name, ft["site"])
    assert o["pages"] + lost >= 0.99 * size / 4096, (name, o["pages"], size, lost)
    assert o["key"].endswith("|make_%s (alloc_workload.c:%d)" % (fn[5:], sites[name])), o["key"]
for name in ("early_mmap", "early_malloc"):
    o = holding(name)
    if o is None:
        continue
    assert o["kind"] == "mapping" and o["before_attach"] is True, (name, o["name"])
    assert "allocated before numalens attached" in o["name"], o["name"]
    assert o["size"] >= addr[name][2], (name, o["size"])
    assert o["first_touch"]["site"]["line"] == sites["fill"], o["first_touch"]
# the 2000 mallocs of 512 bytes: calls the probes saw (their pages hold
# several objects each and are first touched inside malloc)
calls = d["source"]["counters"].get("alloc_probes.calls", 0)
o = holding("small")
if mode == "malloc":
    assert calls >= 2000, ("the small mallocs are tracked with --alloc-min 256", calls)
    assert o is None or o["kind"] == "mapping" or (o["allocator"] == "malloc" and o["size"] == 512 and
                                      o["site"]["function"] == "make_small"), o
else:
    assert calls < 200, ("small mallocs are not tracked by default", calls)
    assert o is None or o["kind"] == "mapping", ("small mallocs are not tracked by default", o["name"])
    assert not [x for x in objs if x["allocator"] == "malloc"], "a malloc object without malloc probes"
# brk growth is tracked by default: the last small malloc lies in the heap
# growth (sbrk) that make_small's mallocs caused
o = holding("small_last")
if o is None:
    pass
elif mode == "malloc":
    assert o["allocator"] in ("malloc", "brk"), o
else:
    assert o["kind"] == "allocation" and o["allocator"] == "brk" and o["pid"] == pid, \
        ("brk growth is an allocation by default", o["name"])
    assert o["name"].startswith("%s allocation (brk) at make_small (alloc_workload.c:%d)"
                                % (o["name"].split(" allocation")[0], sites["small"])), o["name"]
    assert not o["before_attach"], o["name"]
print("objects: %d, sites %s" % (len(objs), sites))
