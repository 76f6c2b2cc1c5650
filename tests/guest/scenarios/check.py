#!/usr/bin/python3
"""check.py - assertions of the guest scenarios on numalens' JSON.

    check.py sysfs                          the guest's own shape (ground truth)
    check.py topology TOPO.json             numalens topology --json
    check.py report KIND REPORT.json TRUTH.json...
    check.py profile KIND PROFILE.json TRUTH.json...
    check.py intervals remote|control PROFILE.json INTERVALS.jsonl METRICS.prom

Every check prints "ok: ..." or "FAIL: ..."; the exit status is 1 when one
failed.  The expected guest: nodes 0 (cpus 0-3) and 1 (cpus 4-7), distance
21, packages 0 (0-3) and 1 (4-7), SMT pairs (0,1) (2,3) (4,5) (6,7).
"""
import json
import os
import sys

EXPECT_NODES = {0: "0-3", 1: "4-7"}
EXPECT_PACKAGES = {0: [0, 1, 2, 3], 1: [4, 5, 6, 7]}
EXPECT_SMT = [[0, 1], [2, 3], [4, 5], [6, 7]]
EXPECT_DISTANCES = [[10, 21], [21, 10]]

failures = 0


def ok(cond, what, detail=""):
    global failures
    if cond:
        print("ok: " + what)
    else:
        failures += 1
        print("FAIL: " + what + (" (" + detail + ")" if detail else ""))
    return cond


def note(what):
    print("note: " + what)


def done():
    print("%s" % ("all checks passed" if not failures else "%d checks failed" % failures))
    sys.exit(1 if failures else 0)


def load(path):
    with open(path) as f:
        return json.load(f)


def cpulist(s):
    """'0-3,8' -> [0,1,2,3,8]; also accepts a list of ints."""
    if isinstance(s, list):
        return sorted(int(x) for x in s)
    out = []
    for part in str(s).strip().split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return sorted(out)


def read(path):
    with open(path) as f:
        return f.read().strip()


def node_of_cpu(cpu):
    for node, cpus in EXPECT_NODES.items():
        if cpu in cpulist(cpus):
            return node
    return -1


# ------------------------------------------------------------ ground truth
def check_sysfs():
    """The guest itself has the shape every other check relies on."""
    base = "/sys/devices/system"
    ok(read(base + "/node/online") == "0-1", "sysfs: nodes 0-1 online",
       read(base + "/node/online"))
    for node, cpus in EXPECT_NODES.items():
        got = read("%s/node/node%d/cpulist" % (base, node))
        ok(got == cpus, "sysfs: node%d cpulist %s" % (node, cpus), got)
    ok(read(base + "/node/node0/distance") == "10 21", "sysfs: node0 distance 10 21")
    ok(read(base + "/node/node1/distance") == "21 10", "sysfs: node1 distance 21 10")
    for cpu in range(8):
        t = "%s/cpu/cpu%d/topology/" % (base, cpu)
        pkg = int(read(t + "physical_package_id"))
        ok(cpu in EXPECT_PACKAGES.get(pkg, []), "sysfs: cpu%d in package %d" % (cpu, pkg))
        sib = cpulist(read(t + "thread_siblings_list"))
        ok(sib in EXPECT_SMT, "sysfs: cpu%d siblings %s" % (cpu, sib))


# ---------------------------------------------------------------- topology
def check_topology(topo, where="topology", distances_known=True):
    """distances_known=False: a perf.data header has no distance table, so
    "distances" may be null; when present it must still be right."""
    nodes = topo.get("nodes") or []
    ok(len(nodes) == 2, "%s: 2 nodes" % where, "got %d" % len(nodes))
    for n in nodes:
        want = EXPECT_NODES.get(n.get("id"))
        ok(want is not None and cpulist(n.get("cpus")) == cpulist(want),
           "%s: node %s cpus %s" % (where, n.get("id"), want), "got %r" % n.get("cpus"))
    if distances_known or topo.get("distances") is not None:
        ok(topo.get("distances") == EXPECT_DISTANCES,
           "%s: distances %s" % (where, EXPECT_DISTANCES), "got %r" % topo.get("distances"))
    else:
        note("%s: no distances (perf.data headers carry none)" % where)
    pk = {p.get("id"): cpulist(p.get("cpus")) for p in topo.get("packages") or []}
    ok(pk == EXPECT_PACKAGES, "%s: packages 0 (0-3) and 1 (4-7)" % where, "got %r" % pk)
    cores = sorted(sorted(c.get("cpus") or []) for p in topo.get("packages") or []
                   for c in p.get("cores") or [])
    ok(cores == EXPECT_SMT, "%s: 4 cores of 2 threads" % where, "got %r" % cores)
    smt = topo.get("smt") or {}
    groups = sorted(sorted(g) for g in smt.get("sibling_groups") or [])
    ok(groups == EXPECT_SMT, "%s: SMT sibling groups %s" % (where, EXPECT_SMT),
       "got %r" % groups)
    if "threads_per_core" in smt:
        ok(smt["threads_per_core"] == 2, "%s: 2 threads per core" % where)


# ----------------------------------------------------------------- helpers
def by_node(v):
    """pages_by_node in any of {"0": n}, [n0, n1], [{"node":0,"pages":n}]."""
    out = {}
    if isinstance(v, dict):
        for k, n in v.items():
            try:
                out[int(k)] = n
            except ValueError:
                out[k] = n
    elif isinstance(v, list):
        for i, x in enumerate(v):
            if isinstance(x, dict):
                out[x.get("node")] = x.get("pages", x.get("count", 0))
            else:
                out[i] = x
    return out


def share(counts, node):
    """Share of node among the pages/samples placed on a node (int keys)."""
    total = sum(n for k, n in counts.items()
                if isinstance(k, int) and k >= 0 and isinstance(n, (int, float)))
    return (counts.get(node, 0) / total) if total else 0.0


def num(v):
    """Addresses may come as numbers or "0x..." strings."""
    if isinstance(v, str):
        return int(v, 0)
    return int(v) if v is not None else None


def find_process(rep, pid):
    for p in rep.get("processes") or []:
        if p.get("pid") == pid:
            return p
    return None


def threads_of(rep, pid):
    return [t for t in rep.get("threads") or [] if t.get("pid") == pid]


def mapping_covering(proc, start, end):
    """The mapping of proc that holds most of [start, end)."""
    best, best_overlap = None, 0
    for m in (proc or {}).get("mappings") or []:
        s, e = num(m.get("start")), num(m.get("end"))
        if s is None or e is None:
            continue
        overlap = min(e, end) - max(s, start)
        if overlap > best_overlap:
            best, best_overlap = m, overlap
    return best, best_overlap


def nodes_ran(proc):
    return {x.get("node"): x.get("share", 0) for x in (proc or {}).get("nodes_ran") or []}


def mem_node_cols(rep):
    nm = rep.get("node_matrix") or {}
    cols = {}
    for j, node in enumerate(nm.get("mem_nodes") or []):
        cols[node] = sum(row[j] for row in nm.get("counts") or []
                         if j < len(row) and isinstance(row[j], (int, float)))
    return cols


def check_common(rep, where, schema):
    ok(rep.get("schema") == schema, "%s: schema %s" % (where, schema),
       "got %r" % rep.get("schema"))
    topo = rep.get("topology")
    if ok(isinstance(topo, dict), "%s: carries the topology" % where):
        check_topology(topo, where + " topology",
                       distances_known=(rep.get("source") or {}).get("kind") != "perf.data")
    s = rep.get("summary") or {}
    ok(s.get("samples", 0) > 0, "%s: has samples" % where, "summary %r" % s)


# ------------------------------------------------------------------ report
def cpu_node_samples(rep):
    """{node: samples} from the per-CPU rows ("cpus": [{cpu, node, samples}])."""
    out = {}
    for c in rep.get("cpus") or []:
        out[c.get("node")] = out.get(c.get("node"), 0) + c.get("samples", 0)
    return out


def check_ran(task, node, label, least=0.9):
    ran = nodes_ran(task)
    ok(ran.get(node, 0) >= least, "%s ran on node %d (nodes_ran >= %g)" % (label, node, least),
       "nodes_ran %r" % ran)


def check_smt_section(rep, t, label, expect):
    """The HT section against the construction: expect is "siblings" (the
    first two threads share a core: co-run >= 80%), "apart" (<= 10%) or
    "oversub" (more busy threads than physical cores of their nodes)."""
    smt = rep.get("smt")
    if not ok(isinstance(smt, dict) and smt.get("has_smt"),
              "%s: HT section with SMT cores" % label, "smt %r" % (smt,)):
        return
    tids = [x["tid"] for x in t["threads"]]
    pairs = {frozenset((p["tid_a"], p["tid_b"])): p for p in smt.get("pairs") or []}
    pair = pairs.get(frozenset(tids[:2]))
    ratio = pair["ratio"] if pair else 0.0
    shared = {x["tid"]: x.get("shared_ratio", 0) for x in smt.get("tasks") or []}
    if expect == "siblings":
        ok(ratio >= 0.8, "%s: threads %d + %d co-ran >= 80%% on siblings" % (label, tids[0], tids[1]),
           "ratio %.3f, pairs %r" % (ratio, smt.get("pairs")))
        ok(smt.get("busy_tasks_shared_half", 0) >= 2,
           "%s: both busy threads shared a core >= 50%% of their run time" % label,
           "%r" % smt.get("busy_tasks_shared_half"))
    elif expect == "apart":
        ok(ratio <= 0.1, "%s: threads on different cores co-ran <= 10%%" % label,
           "ratio %.3f" % ratio)
        ok(all(shared.get(x, 0) <= 0.1 for x in tids),
           "%s: each thread shared a core <= 10%% of its run time" % label, "%r" % shared)
    else:
        nodes = {x["node"] for x in t["threads"]}
        want_cores = sum(len({c["core"] for c in smt.get("cores") or [] if c["node"] == n})
                         for n in nodes)
        firsts = sorted(c["first_cpu"] for c in smt.get("cores") or [] if c["node"] in nodes)
        ok(smt.get("busy_tasks", 0) >= len(tids),
           "%s: %d busy threads counted" % (label, len(tids)), "%r" % smt.get("busy_tasks"))
        ok(smt.get("cores_of_nodes_ran") == want_cores,
           "%s: %d physical cores on the nodes they ran on" % (label, want_cores),
           "%r" % smt.get("cores_of_nodes_ran"))
        ok(smt.get("oversubscribed") is True, "%s: oversubscription reported" % label)
        ok(cpulist(smt.get("one_thread_per_core", "")) == firsts,
           "%s: one thread per core is %s" % (label, firsts),
           "%r" % smt.get("one_thread_per_core"))


def check_report(kind, rep, truths):
    """numalens report --json of a perf.data recorded in the guest."""
    check_common(rep, "report", "numalens.report/1")
    ok((rep.get("source") or {}).get("kind") == "perf.data", "report: source kind perf.data")
    by_cpu_node = cpu_node_samples(rep)
    total = sum(by_cpu_node.values())
    note("samples by CPU node %r; node_matrix %r; summary %r"
         % (by_cpu_node, rep.get("node_matrix"), rep.get("summary")))
    s = rep.get("summary") or {}
    for t in truths:
        pids = [t["pid"]] + [w["pid"] for w in t.get("workers", [])]
        for pid in pids:
            p = find_process(rep, pid)
            ok(p is not None and p.get("samples", 0) > 0,
               "report: pid %d (%s) has samples" % (pid, t["workload"]))
    if kind == "bind":
        t = truths[0]
        # Nearly every page fault is the touch loop pinned to t["cpu"].
        ok(total > 0 and by_cpu_node.get(t["cpu_node"], 0) / total >= 0.9,
           "report bind: >= 90%% of the samples on CPUs of node %d" % t["cpu_node"],
           "%r" % by_cpu_node)
        th = [x for x in threads_of(rep, t["pid"]) if x.get("tid") == t["tid"]]
        if ok(th, "report bind: thread %d listed" % t["tid"]):
            check_ran(th[0], t["cpu_node"], "report bind: thread %d" % t["tid"])
        ok(s.get("memory_samples", 0) >= t["pages"] * 0.9,
           "report bind: page-fault samples carry addresses (memory_samples >= 90%% of"
           " %d pages)" % t["pages"], "summary %r" % s)
        resolved = s.get("local", 0) + s.get("remote", 0)
        # Page-fault samples of the buffer do not resolve (its pages do not
        # exist yet when sampled); a few of other mappings may (a CI run:
        # 8 of 16,471, libc and stack pages on node 0 touched before the
        # pinning).  Only a real share says where the buffer's pages went.
        if resolved >= 0.01 * s.get("memory_samples", 0):
            cols = mem_node_cols(rep)
            ok(share(cols, t["node"]) >= 0.9,
               "report bind: resolved samples are on memory node %d" % t["node"],
               "cols %r" % cols)
            ok((s.get("remote_ratio") or 0) >= 0.9, "report bind: remote_ratio >= 0.9",
               "summary %r" % s)
        else:
            note("report bind: %d samples resolved to a memory node, under 1%% (a page-fault"
                 " sample is taken before the page exists)" % resolved)
    elif kind == "seed":
        # cpu-clock: the parent (first touch) ran on the data node, every
        # worker on its own.  Shares across processes mean little under TCG
        # (4 busy vCPUs share the host's cores, the parent ran alone), so
        # each process is checked on its own.
        t = truths[0]
        p = find_process(rep, t["pid"])
        if p is not None:
            check_ran(p, t["data_node"], "report seed: parent %d" % t["pid"])
        want = t["worker_node"]
        ok(by_cpu_node.get(want, 0) >= sum(
            (find_process(rep, w["pid"]) or {}).get("samples", 0) for w in t["workers"]) * 0.9,
           "report seed: the CPUs of node %d hold the workers' samples" % want,
           "%r" % by_cpu_node)
        for w in t["workers"]:
            p = find_process(rep, w["pid"])
            if p is not None:
                check_ran(p, w["node"], "report seed: worker %d" % w["pid"])
                ok(p.get("ppid") in (None, t["pid"]),
                   "report seed: worker %d ppid %d" % (w["pid"], t["pid"]),
                   "got %r" % p.get("ppid"))
        check_code_seed(rep, t, "report seed", parent_touches=True)
    elif kind == "smt":
        t = truths[0]
        want = t["threads"][0]["node"]
        ok(total > 0 and by_cpu_node.get(want, 0) / total >= 0.8,
           "report smt: >= 80%% of the samples on CPUs of node %d" % want,
           "%r" % by_cpu_node)
        per_cpu = {c.get("cpu"): c.get("samples", 0) for c in rep.get("cpus") or []}
        for x in t["threads"]:
            ok(per_cpu.get(x["cpu"], 0) >= total * 0.3,
               "report smt: CPU %d (thread %d) has >= 30%% of the samples" % (x["cpu"], x["tid"]),
               "per cpu %r" % per_cpu)
            th = [y for y in threads_of(rep, t["pid"]) if y.get("tid") == x["tid"]]
            if ok(th and th[0].get("samples", 0) > 0,
                  "report smt: thread %d has samples" % x["tid"]):
                check_ran(th[0], x["node"], "report smt: thread %d" % x["tid"])
        groups = [sorted(g) for g in ((rep.get("topology") or {}).get("smt") or {})
                  .get("sibling_groups") or []]
        pair = sorted(x["cpu"] for x in t["threads"])
        ok(t["siblings"] and pair in groups,
           "report smt: cpus %s are one SMT sibling group of the recorded topology" % pair)
        check_smt_section(rep, t, "report smt", "siblings")
    else:
        ok(False, "unknown report check " + kind)


# ----------------------------------------------------------------- profile
def census_share(t_census, node):
    """Share of node among the pages move_pages could place."""
    return share(dict(enumerate(t_census)), node)


def check_profile_bind(rep, t, label, pages_node, exposure, min_pages=0.9):
    """exposure: ("min", x) or ("max", x) on the process' remote_exposure."""
    p = find_process(rep, t["pid"])
    ok(p is not None, "%s: process %d listed" % (label, t["pid"]))
    m, overlap = mapping_covering(p, t["start"], t["end"])
    ok(m is not None and overlap >= (t["end"] - t["start"]) * 0.9,
       "%s: a mapping covers the %d MiB buffer" % (label, t["bytes"] >> 20),
       "mapping %r" % m)
    if m:
        pages = by_node(m.get("pages_by_node"))
        ok(share(pages, pages_node) >= 0.9 and pages.get(pages_node, 0) >= t["pages"] * min_pages,
           "%s: buffer pages reported on node %d" % (label, pages_node),
           "pages_by_node %r, buffer of %d pages" % (pages, t["pages"]))
    ran = nodes_ran(p)
    ok(ran.get(t["cpu_node"], 0) >= 0.9,
       "%s: ran on node %d" % (label, t["cpu_node"]), "nodes_ran %r" % ran)
    check_exposure(p, label, exposure)


def check_exposure(p, label, exposure):
    how, limit = exposure
    x = (p or {}).get("remote_exposure")
    if how == "min":
        ok(x is not None and x >= limit, "%s: remote_exposure >= %g" % (label, limit),
           "got %r" % x)
    else:
        ok(x is not None and x <= limit, "%s: remote_exposure <= %g" % (label, limit),
           "got %r" % x)


def marks(source="common.h"):
    """MARK:<name> line numbers of workloads/SOURCE (common.h: nl_touch, nl_read_pass)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads", source)
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if "MARK:" in line:
                out[line.split("MARK:")[1].split()[0]] = n
    return out


def top_code_row(rep, pid, first_touch=False):
    """The pid's first row of the --sort sym,pid table (remote memory samples
    first), or its first row with first touches."""
    rows = [r for r in rep.get("code_rows") or [] if r.get("pid") == pid and
            (not first_touch or r.get("first_touch", 0) > 0)]
    return rows[0] if rows else None


def function_line(rep, name):
    """(file, line) the functions table gives for the function name."""
    f = [x for x in rep.get("functions") or [] if x.get("function", "").split(".")[0] == name]
    return (os.path.basename(f[0].get("file") or ""), f[0].get("line")) if f else None


def check_code_seed(rep, t, label, parent_touches):
    """Which code: each worker's samples (remote ones first) are in the read
    loop, the parent's first touches (when recorded) in its fill function,
    both named at their lines of common.h."""
    m = marks()
    ok(rep.get("code_sort") == "sym,pid", label + ": code table by sym,pid",
       "code_sort %r" % rep.get("code_sort"))
    for w in t["workers"]:
        r = top_code_row(rep, w["pid"])
        name = (r or {}).get("function", "").split(".")[0]
        ok(name == "nl_read_pass", "%s: worker %d's top code is the read loop nl_read_pass"
           % (label, w["pid"]), "row %r" % r)
    ok(function_line(rep, "nl_read_pass") == ("common.h", m["read"]),
       "%s: nl_read_pass at common.h:%d" % (label, m["read"]),
       "got %r" % (function_line(rep, "nl_read_pass"),))
    if t.get("refault_bytes"):
        check_code_remote_seed(rep, t, label, m)
    if parent_touches:
        r = top_code_row(rep, t["pid"], first_touch=True)
        ok(r is not None and r.get("function", "").split(".")[0] == "nl_touch" and
           r.get("kind") == "first touch",
           "%s: the parent's first touches are in its fill function nl_touch" % label,
           "row %r" % r)
        ok(function_line(rep, "nl_touch") == ("common.h", m["touch"]),
           "%s: nl_touch at common.h:%d" % (label, m["touch"]),
           "got %r" % (function_line(rep, "nl_touch"),))


def check_code_remote_seed(rep, t, label, m):
    """The workers refault part of the dataset in every read pass (seed.c
    --refault-mib): those page-fault samples are remote in the remote run
    (data on node 1, readers on node 0), local in the control, and the
    rows holding them name the read loop nl_read_pass at its MARK line."""
    workers = {w["pid"] for w in t["workers"]}
    rows = [r for r in rep.get("code_rows") or [] if r.get("pid") in workers]
    remote = [r for r in rows if r.get("remote", 0) > 0]
    if not t["remote"]:
        local = sum(r.get("local", 0) for r in rows)
        ok(not remote and local > 0,
           "%s: the workers' refaults are local, none remote" % label,
           "local %d, remote rows %r" % (local, remote[:3]))
        return
    for w in t["workers"]:
        r = next((x for x in remote if x.get("pid") == w["pid"]), None)
        ok(r is not None and r.get("function", "").split(".")[0] == "nl_read_pass",
           "%s: worker %d's remote samples are in the read loop nl_read_pass"
           % (label, w["pid"]), "top remote row %r" % r)
    total = sum(r["remote"] for r in remote)
    inloop = sum(r["remote"] for r in remote
                 if r.get("function", "").split(".")[0] == "nl_read_pass")
    ok(total > 0 and inloop >= 0.9 * total,
       "%s: >= 90%% of the workers' remote samples in nl_read_pass" % label,
       "%d of %d" % (inloop, total))
    fn = [f for f in rep.get("functions") or [] if f.get("remote", 0) > 0]
    ok(bool(fn) and fn[0].get("function", "").split(".")[0] == "nl_read_pass" and
       (os.path.basename(fn[0].get("file") or ""), fn[0].get("line")) == ("common.h", m["read"]),
       "%s: the top function by remote samples is nl_read_pass at common.h:%d" % (label, m["read"]),
       "top %r" % (fn[:1],))
    ln = [x for x in rep.get("lines") or [] if x.get("remote", 0) > 0]
    ok(bool(ln) and (os.path.basename(ln[0].get("file") or ""), ln[0].get("line")) ==
       ("common.h", m["read"]) and ln[0].get("function", "").split(".")[0] == "nl_read_pass",
       "%s: the top source line by remote samples is common.h:%d (nl_read_pass)" % (label, m["read"]),
       "top %r" % (ln[:1],))


def check_worker(rep, w, parent, ds, wl, what):
    """A forked worker: listed, child of parent, ran on its node, maps ds.
    Returns (process, dataset mapping); process is None when not listed."""
    p = find_process(rep, w["pid"])
    if not ok(p is not None, wl + " listed"):
        return None, None
    ok(p.get("ppid") == parent, "%s has ppid %d" % (wl, parent),
       "got %r" % p.get("ppid"))
    ran = nodes_ran(p)
    ok(ran.get(w["node"], 0) >= 0.9, "%s ran on node %d" % (wl, w["node"]),
       "nodes_ran %r" % ran)
    m, overlap = mapping_covering(p, ds["start"], ds["end"])
    ok(m is not None and overlap >= (ds["end"] - ds["start"]) * 0.9,
       wl + " maps " + what, "mapping %r" % m)
    return p, m


def check_profile_seed(rep, t, label):
    ds = t["dataset"]
    for w in t["workers"]:
        wl = "%s: worker %d" % (label, w["pid"])
        p, m = check_worker(rep, w, t["pid"], ds, wl, "the dataset")
        if p is None:
            continue
        if m is not None and ds["name"]:
            ok(ds["name"] in (m.get("name") or ""),
               "%s: dataset mapping named %s" % (wl, ds["name"]), "got %r" % m.get("name"))
        if t["remote"]:
            check_exposure(p, wl, ("min", 0.9))
            if m is not None:
                pages = by_node(m.get("pages_by_node"))
                ok(share(pages, t["data_node"]) >= 0.95,
                   "%s: dataset pages on node %d" % (wl, t["data_node"]),
                   "pages_by_node %r" % pages)
        else:
            check_exposure(p, wl, ("max", 0.1))
    parent = find_process(rep, t["pid"])
    if ok(parent is not None, "%s: parent %d listed" % (label, t["pid"])):
        # The parent sleeps in waitpid: no run time, so no exposure (null).
        x = parent.get("remote_exposure")
        ok(x is None or x <= 0.1,
           "%s: the parent (sleeping, on the data node) has remote_exposure null or <= 0.1"
           % label, "got %r" % x)


def check_dataset_object(rep, t, label, site, touch_fn, readers):
    """Which data (profile attached before the dataset was allocated): the
    data object holding the dataset is its allocation by the main process,
    at site ((function, file, line), a function name's start, or None: any
    named site), of the dataset's
    size (glibc may add a header page), first touched by the main process on
    the data node (at touch_fn when given) for >= 99 % of its pages, which
    sit on the data node; readers: the workers read it too."""
    ds = t["dataset"]
    held = [o for o in rep.get("objects") or []
            if o["start"] <= ds["start"] and ds["end"] <= o["start"] + o["size"]]
    o = min(held, key=lambda o: o["size"]) if held else None
    if not ok(o is not None, "%s: a data object holds the dataset" % label,
              "objects %r" % [(x["name"], x["start"], x["size"]) for x in rep.get("objects") or []]):
        return
    note("%s: the dataset's object: %s" % (label, o["name"]))
    ok(o["kind"] == "allocation" and not o["before_attach"] and o["pid"] == t["pid"],
       "%s: the dataset's object is an allocation by pid %d" % (label, t["pid"]),
       "kind %r, before_attach %r, pid %r" % (o["kind"], o["before_attach"], o["pid"]))
    ok(ds["bytes"] <= o["size"] <= ds["bytes"] + (1 << 20),
       "%s: of the dataset's size, %d bytes" % (label, ds["bytes"]), "size %r" % o["size"])
    s = o["site"] or {}
    if isinstance(site, str):
        ok((s.get("function") or "").startswith(site), "%s: allocated at %s" % (label, site),
           "site %r" % (s,))
    elif site:
        got = ((s.get("function") or "").split(".")[0], os.path.basename(s.get("file") or ""),
               s.get("line"))
        ok(got == site, "%s: allocated at %s (%s:%d)" % ((label,) + site), "site %r" % (s,))
    else:
        ok(bool(s.get("function")), "%s: allocated at a named site" % label, "site %r" % (s,))
    ft = o.get("first_touch") or {}
    ok(ft.get("pid") == t["pid"] and ft.get("node") == t["data_node"] and
       (ft.get("share") or 0) >= 0.99,
       "%s: first touched by pid %d on node %d for >= 99 %% of its pages"
       % (label, t["pid"], t["data_node"]), "first_touch %r" % (ft,))
    if touch_fn:
        fn = ((ft.get("site") or {}).get("function") or "").split(".")[0]
        ok(fn == touch_fn, "%s: first touched at %s" % (label, touch_fn), "site %r" % ft.get("site"))
    pages = by_node(o.get("pages_by_node"))
    ok(share(pages, t["data_node"]) >= 0.95 and o["pages"] >= 0.9 * ds["pages"],
       "%s: its pages (>= 90 %% sampled) on node %d" % (label, t["data_node"]),
       "pages %r, by node %r" % (o["pages"], pages))
    if readers:
        got = {r["pid"] for r in o.get("readers") or [] if r.get("samples")}
        want = {w["pid"] for w in t["workers"]}
        ok(want <= got, "%s: read by the workers %s" % (label, sorted(want)),
           "readers %r" % sorted(got))


def advice_notes(rep):
    return [n.get("text", "") for n in rep.get("notes") or [] if n.get("kind") == "advice"]


def check_profile_torch(rep, t, label, control, balancing):
    """A real PyTorch trainer: main on the data node, DataLoader workers on
    the worker node.  Exposure must follow what the workers read (the
    dataset), not every resident page alike; the finding and the first
    advice must name the workers and the dataset mapping."""
    main = find_process(rep, t["pid"])
    if ok(main is not None, "%s: main process %d listed" % (label, t["pid"])):
        ran = nodes_ran(main)
        ok(ran.get(t["data_node"], 0) >= 0.9,
           "%s: main ran on node %d" % (label, t["data_node"]), "nodes_ran %r" % ran)
        note("%s: main remote_exposure %r (%s), by placement %r" % (
            label, main.get("remote_exposure"), main.get("exposure_basis"),
            main.get("remote_exposure_by_placement")))
    ok(len(t["workers"]) >= 1, "%s: truth names the DataLoader workers" % label)
    ds = t["dataset"]
    # With balancing on, the kernel may have moved the dataset to the
    # workers' node before the profile looked: then it is local, and a low
    # exposure with no finding is the right answer.
    moved = balancing and census_share(ds["census"], t["data_node"]) < 0.5
    if balancing:
        note("%s: dataset census by node %r (balancing may move pages: not asserted)%s"
             % (label, ds["census"], "; moved to the workers' node" if moved else ""))
    else:
        ok(census_share(ds["census"], t["data_node"]) >= 0.95,
           "torch ground truth: dataset tensor on node %d" % t["data_node"],
           "census %r" % ds["census"])
    wpids = sorted(w["pid"] for w in t["workers"])
    faults = 0
    for w in t["workers"]:
        wl = "%s: worker %d" % (label, w["pid"])
        p, m = check_worker(rep, w, t["pid"], ds, wl, "the dataset tensor")
        if p is None:
            continue
        faults += p.get("access_faults") or 0
        note("%s: remote_exposure %r (%s), remote_exposure_by_placement %r, code %r" % (
            wl, p.get("remote_exposure"), p.get("exposure_basis"),
            p.get("remote_exposure_by_placement"), p.get("remote_exposure_code")))
        ok(p.get("exposure_basis") == "referenced_bits",
           "%s: exposure_basis referenced_bits" % wl, "got %r" % p.get("exposure_basis"))
        ok(isinstance(p.get("remote_exposure_by_placement"), (int, float)),
           "%s: remote_exposure_by_placement beside it" % wl)
        if m is not None:
            pages = by_node(m.get("pages_by_node"))
            if not balancing:
                ok(share(pages, t["data_node"]) >= 0.95,
                   "%s: dataset pages on node %d" % (wl, t["data_node"]),
                   "pages_by_node %r" % pages)
            ok(m.get("kind") == "data", "%s: dataset mapping kind data" % wl,
               "got %r" % m.get("kind"))
            ok((m.get("accessed_bytes") or 0) > 0, "%s: dataset mapping accessed" % wl,
               "accessed_bytes %r" % m.get("accessed_bytes"))
        # balancing that moved part of the dataset (census) lowers what the
        # workers can be exposed to: at least the share left on the data
        # node, less a margin for their own local pages, and never above 0.6
        floor = 0.6
        if balancing:
            floor = min(0.6, census_share(ds["census"], t["data_node"]) - 0.1)
        check_exposure(p, wl, ("max", 0.1) if control else ("max", 0.5) if moved else ("min", floor))
    findings = rep.get("findings") or []
    if moved:
        ok(not any(set(f.get("readers") or []) & set(wpids) and f.get("home_node") == t["data_node"]
                   for f in findings),
           "%s: no finding puts the moved dataset on node %d" % (label, t["data_node"]),
           "%r" % [f.get("summary") for f in findings])
        return
    advice = advice_notes(rep)
    summary = findings[0].get("summary", "") if findings else ""
    note("%s: findings %r" % (label, [f.get("summary") for f in findings]))
    note("%s: first advice %r" % (label, advice[0] if advice else None))
    for f in findings:
        ok(t["pid"] not in (f.get("readers") or []),
           "%s: no finding names main %d as a remote reader" % (label, t["pid"]),
           "finding %r" % f.get("summary"))
    if control:
        named = [f for f in findings if set(f.get("readers") or []) & set(wpids)]
        ok(not named, "%s: no finding about the workers (they read local data)" % label,
           "%r" % [f.get("summary") for f in named])
        ok(not any(str(pid) in a for a in advice for pid in wpids),
           "%s: no advice names a worker" % label, "advice %r" % advice)
        return
    if balancing:
        ok(faults > 0 or any((p.get("access_faults") or 0) > 0 for p in rep.get("processes") or []),
           "%s: page faults on pages already there (hinting faults) counted apart" % label)
    f = findings[0] if findings else {}
    ok(f.get("kind") == "shared_remote_object", "%s: the first finding is about an object" % label,
       "findings %r" % findings)
    ok(sorted(f.get("readers") or []) == wpids,
       "%s: the finding names the %d workers" % (label, len(wpids)),
       "readers %r, workers %r" % (f.get("readers"), wpids))
    mp = f.get("mapping") or {}
    s_, e_ = num(mp.get("start")), num(mp.get("end"))
    ok(s_ is not None and e_ is not None and s_ <= ds["start"] and ds["end"] <= e_ + 4096,
       "%s: the finding's mapping is the dataset tensor" % label, "mapping %r" % mp)
    ok(f.get("home_node") == t["data_node"] and f.get("run_node") == t["worker_node"],
       "%s: pages on node %d, workers on node %d" % (label, t["data_node"], t["worker_node"]),
       "finding %r" % f)
    if balancing:
        head = "%d of %d workers of pid %d read a 64 MiB anonymous mapping with " % (
            len(wpids), len(wpids), t["pid"])
        tail = "of its pages on node %d; they run on node %d" % (t["data_node"], t["worker_node"])
        ok(summary.startswith(head) and summary.endswith(tail),
           "%s: the summary's first line: %s... %s" % (label, head, tail), "got %r" % summary)
    else:
        want = "%d of %d workers of pid %d read a 64 MiB anonymous mapping with 100 %% of its " \
               "pages on node %d; they run on node %d" % (len(wpids), len(wpids), t["pid"],
                                                         t["data_node"], t["worker_node"])
        ok(summary == want, "%s: the summary's first line: %s" % (label, want), "got %r" % summary)
    first = advice[0] if advice else ""
    ok(mp.get("start", "-") in first and "workers of pid %d" % t["pid"] in first and
       all(str(pid) in first for pid in wpids),
       "%s: the first advice targets the dataset mapping and the workers" % label,
       "first advice %r" % first)



def check_profile(kind, rep, truths):
    """numalens profile -p PID --json of a workload with known placement."""
    check_common(rep, "profile", "numalens.report/1")
    t = truths[0]
    if kind == "bind":
        # Bound to t["node"], read from t["cpu"] on another node.
        check_profile_bind(rep, t, "profile bind", t["node"], ("min", 0.9))
    elif kind == "balancing-bind":
        # First touch on t["node"], then balancing moved it to the reader.
        ok(census_share(t["census"], t["cpu_node"]) >= 0.9,
           "balancing ground truth: the buffer ended on node %d" % t["cpu_node"],
           "census %r" % t["census"])
        # Pages under a balancing scan may not resolve: half must.
        check_profile_bind(rep, t, "profile balancing-bind", t["cpu_node"], ("max", 0.2),
                           min_pages=0.5)
    elif kind == "seed":
        for t in truths:
            label = "profile seed " + ("remote" if t["remote"] else "control")
            check_profile_seed(rep, t, label)
            # attached after the fill: no first touches of the parent here
            check_code_seed(rep, t, label, parent_touches=False)
    elif kind == "seed-objects":
        check_dataset_object(rep, t, "profile seed-objects",
                             ("main", "seed.c", marks("seed.c")["alloc"]), "nl_touch", True)
    elif kind == "balancing-seed":
        ok(census_share(t["dataset"]["census"], t["data_node"]) >= 0.95,
           "balancing ground truth: COW-shared dataset stayed on node %d" % t["data_node"],
           "census %r" % t["dataset"]["census"])
        check_profile_seed(rep, t, "profile balancing-seed")
    elif kind == "smt":
        label = "profile smt"
        p = find_process(rep, t["pid"])
        ok(p is not None, "%s: process %d listed" % (label, t["pid"]))
        ran = nodes_ran(p)
        node = t["threads"][0]["node"]
        ok(ran.get(node, 0) >= 0.9, "%s: ran on node %d" % (label, node), "nodes_ran %r" % ran)
        check_exposure(p, label + " (buffers bound locally)", ("max", 0.1))
        tids = {x["tid"] for x in t["threads"]}
        got = {x.get("tid") for x in threads_of(rep, t["pid"]) if x.get("samples", 0) > 0}
        ok(tids <= got, "%s: both busy threads %s have samples" % (label, sorted(tids)),
           "threads with samples %r" % sorted(got))
        groups = [sorted(g) for g in ((rep.get("topology") or {}).get("smt") or {})
                  .get("sibling_groups") or []]
        pair = sorted(x["cpu"] for x in t["threads"])
        ok(t["siblings"] and pair in groups,
           "%s: cpus %s are one SMT sibling group in the report" % (label, pair))
        check_smt_section(rep, t, label, "siblings")
    elif kind == "smt-control":
        ok(not t["siblings"], "profile smt-control: cpus %s are not siblings"
           % [x["cpu"] for x in t["threads"]])
        check_smt_section(rep, t, "profile smt-control", "apart")
    elif kind == "smt-oversub":
        check_smt_section(rep, t, "profile smt-oversub", "oversub")
    elif kind == "torch-objects":
        check_dataset_object(rep, t, "profile torch-objects", "c10::alloc_cpu", None, False)
        check_python_build(rep, t, "profile torch-objects")
    elif kind in ("torch", "torch-balancing", "torch-control"):
        check_profile_torch(rep, t, "profile " + kind, control=kind == "torch-control",
                            balancing=kind == "torch-balancing")
        if kind != "torch-balancing":
            check_python_workers(rep, t, "profile " + kind)
    else:
        ok(False, "unknown profile check " + kind)


def check_intervals(kind, rep, lines_path, prom_path):
    """profile --interval 1 --json-lines --openmetrics on two nodes: the
    per-interval counts (remote memory samples above all) add up to the
    final report's, the remote run has remote samples in some interval, and
    the OpenMetrics file holds the final counters."""
    label = "intervals " + kind
    ivs = [json.loads(l) for l in open(lines_path) if l.strip()]
    s = rep.get("summary") or {}
    ok(len(ivs) >= 3, "%s: one object per interval (--interval 1, 3 s or more)" % label, "%d" % len(ivs))
    ok([o.get("interval") for o in ivs] == list(range(1, len(ivs) + 1)),
       "%s: numbered 1..N" % label)
    for key in ("samples", "memory_samples", "local", "remote", "unresolved"):
        total = sum(o.get(key, 0) for o in ivs)
        ok(total == s.get(key), "%s: interval %s add up to the report's" % (label, key),
           "%r vs %r" % (total, s.get(key)))
    remote = [o.get("remote", 0) for o in ivs]
    if kind == "remote":
        ok(s.get("remote", 0) > 0 and max(remote) > 0,
           "%s: remote memory samples in some interval" % label, "per interval %r" % remote)
    prom = {}
    for line in open(prom_path):
        if line.startswith("numalens_memory_samples_total{"):
            name, value = line.rsplit(" ", 1)
            prom[name.split('locality="')[1].split('"')[0]] = float(value)
    ok(prom.get("remote") == s.get("remote") and prom.get("local") == s.get("local"),
       "%s: the OpenMetrics file holds the final local/remote counters" % label,
       "%r vs local %r remote %r" % (prom, s.get("local"), s.get("remote")))
    note("%s: remote per interval %r, remote_ratio %r" %
         (label, remote, [o.get("remote_ratio") for o in ivs]))


# ------------------------------------------------------ Python frames (torch)
def train_marks():
    """{name: line} of train.py's `# nl:NAME` markers (no hard-coded lines)."""
    import re
    path = os.path.join(os.environ.get("NL_SOURCE_DIR", "."), "tests/guest/train.py")
    marks = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"#\s*nl:([a-z][a-z-]*)", line)
            if m:
                marks[m.group(1)] = n
    return marks


def py_rows(rows, line, pid=None):
    """Python rows (lines or code_rows) of train.py at line (of pid)."""
    return [r for r in rows or [] if r.get("python") and (r.get("file") or "").endswith("train.py")
            and r.get("line") == line and (pid is None or r.get("pid") == pid)]


# Under TCG a process_vm_readv costs ~0.5-3 ms (12 us on the host), a read
# is ~6 of them, and a look-ahead pass reads the interpreters one after the
# other, so how long a sample waits for its frames is the host's speed, not
# numalens' correctness: the guest notes the delay and asserts what it
# implies (the accounting of late reads, and, in the line checks below, that
# the frames still name the right lines).  Measured on a loaded 2-core host:
# read 4.9-15.9 ms, p50 37-127 ms with 7 interpreters; before the
# look-ahead, p50 23.6 s and the line checks failed.


def frames_prompt(rep, label):
    """numalens reads a Python thread's frames when its samples are drained,
    and ahead of the drain when that is held up (its consumer, under TCG,
    is slower than the rings fill; snapshots; the stop): the median delay
    sample -> read is noted (it is the host's speed under TCG), and
    reads later than numalens' bound are counted approximate.  (Before the look-ahead, this guest read
    them 18-85 s late and the line checks below were skipped.)"""
    c = (rep.get("source") or {}).get("counters") or {}
    p50, bound = c.get("python.delay_us.p50"), c.get("python.approximate_after_us")
    note("%s: python delay sample -> read p50 %r us, p99 %r us (approximate after %r us; "
         "%r of %r samples looked ahead, %r approximate)" % (
             label, p50, c.get("python.delay_us.p99"), bound, c.get("python.samples_looked_ahead"),
             c.get("python.samples"), c.get("python.samples_approximate")))
    if not ok(isinstance(p50, (int, float)) and c.get("python.samples", 0) > 0,
              "%s: Python frames read, with their delay" % label):
        return
    looked, approx, samples = (c.get("python.samples_looked_ahead", 0),
                               c.get("python.samples_approximate", 0), c.get("python.samples", 0))
    ok(0 <= looked <= samples and 0 <= approx <= samples,
       "%s: looked-ahead and approximate samples are shares of the Python samples" % label,
       "%r looked ahead, %r approximate of %r" % (looked, approx, samples))
    # a percentile and a count of the same delays: above the bound at p99
    # means at least ~1 % counted approximate; within it at p50 means at most
    # ~half (the histogram's buckets round, hence the slack)
    p99 = c.get("python.delay_us.p99", 0)
    ok(p99 <= (bound or 50000) or approx > 0,
       "%s: frames read later than %r us are counted approximate" % (label, bound),
       "%r approximate" % approx)
    ok(p50 > (bound or 50000) or approx <= 0.6 * samples,
       "%s: a median within the bound leaves most samples exact" % label,
       "p50 %r us, %r of %r approximate" % (p50, approx, samples))


def check_python_build(rep, t, label):
    """Profiled by pid before main builds the dataset: >= 90 % of the
    dataset's pages are first touched at train.py's nl:dataset-build line,
    the Python frame beside c10::alloc_cpu's native stack."""
    line = train_marks()["dataset-build"]
    frames_prompt(rep, label)
    rows = py_rows(rep.get("lines"), line)
    touched = sum(r.get("first_touch") or 0 for r in rows)
    pages = t["dataset"]["pages"]
    ok(touched >= 0.9 * pages,
       "%s: train.py:%d (nl:dataset-build) first touched >= 90 %% of the dataset's %d pages"
       % (label, line, pages), "%d first touches there; rows %r" % (
           touched, [(r.get("function"), r.get("first_touch")) for r in rows]))


def check_python_workers(rep, t, label):
    """Profiled while it trains (--sort srcline,pid): each worker's samples
    name the dataset's __getitem__: the function of its train.py rows with
    the most samples, with samples at its nl:getitem-read line.  (By line,
    a read a few ms after its sample may find the thread one line on, at
    __getitem__'s return: a worker of the control run had 720 samples at
    the read and 1331 at the return.)"""
    line = train_marks()["getitem-read"]
    frames_prompt(rep, label)
    rows = py_rows(rep.get("lines"), line)
    ok(rows and all(r.get("function", "").endswith("__getitem__") for r in rows),
       "%s: train.py:%d is the dataset's __getitem__" % (label, line),
       "%r" % [r.get("function") for r in rows])
    # code_rows (by srcline, pid) carry no function: lines' rows name it
    fn_of = {r.get("line"): r.get("function") or "" for r in rep.get("lines") or []
             if r.get("python") and (r.get("file") or "").endswith("train.py")}
    for w in t["workers"]:
        mine = [r for r in rep.get("code_rows") or [] if r.get("python") and r.get("pid") == w["pid"]
                and (r.get("file") or "").endswith("train.py")]
        by_fn = {}
        for r in mine:
            fn = fn_of.get(r.get("line"), "")
            by_fn[fn] = by_fn.get(fn, 0) + (r.get("samples") or 0)
        top_fn = max(by_fn, key=by_fn.get) if by_fn else ""
        at_line = sum(r.get("samples") or 0 for r in mine if r.get("line") == line)
        ok(top_fn.endswith("__getitem__") and at_line > 0,
           "%s: worker %d's samples name __getitem__ (%d samples, %d at train.py:%d)"
           % (label, w["pid"], by_fn.get(top_fn, 0), at_line, line),
           "its train.py rows %r" % [(r.get("function"), r.get("line"), r.get("samples")) for r in mine])


def check_measure(topo):
    """topology --measure in the two-node guest: one cell per (CPU node,
    memory node), pages where they were bound, positive numbers, ratios."""
    m = topo.get("measured") or {}
    cells = {(c["cpu_node"], c["mem_node"]): c for c in m.get("cells") or []}
    ok(sorted(cells) == [(0, 0), (0, 1), (1, 0), (1, 1)],
       "measure: a 2x2 matrix of CPU node x memory node", "%r" % sorted(cells))
    for key, c in sorted(cells.items()):
        ok(c["placed"] >= 0.9, "measure %r: the buffer's pages on node %d" % (key, key[1]),
           "placed %r" % c["placed"])
        ok(c["latency_ns"] > 0 and c["bandwidth_gbs"] > 0,
           "measure %r: latency and bandwidth measured" % (key,), "%r" % c)
        ok(c["threads"] == 4, "measure %r: every CPU of node %d streams" % (key, key[0]),
           "threads %r" % c["threads"])
    ok(isinstance(m.get("remote_latency_ratio"), (int, float)) and
       isinstance(m.get("remote_bandwidth_ratio"), (int, float)),
       "measure: remote/local ratios given", "%r" % m)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "sysfs":
        check_sysfs()
    elif cmd == "topology":
        check_topology(load(argv[2]))
    elif cmd == "measure":
        check_measure(load(argv[2]))
    elif cmd == "intervals":
        check_intervals(argv[2], load(argv[3]), argv[4], argv[5])
    elif cmd in ("report", "profile"):
        kind, rep = argv[2], load(argv[3])
        truths = [load(p) for p in argv[4:]]
        (check_report if cmd == "report" else check_profile)(kind, rep, truths)
    else:
        print(__doc__)
        return 2
    done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
