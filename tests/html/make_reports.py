#!/usr/bin/python3
"""Report documents for the HTML tests, from the demo's JSON report.

make_reports.py DEMO.json OUTDIR writes:
  big.json      90 DataLoader-like workers + their main process on a two-socket,
                96-CPU machine, ~1M samples, 30 mappings each, 1000 functions,
                SMT pairs, a 600-s timeline (the size target of issue 13);
  hostile.json  the demo with a comm, a mapping path and a symbol holding
                markup, entities, quotes and invalid UTF-8;
  old.json      the demo without the sections newer numalens versions added;
  other.json    a document of another schema.
Strings with lone surrogates (surrogateescape) become the raw invalid bytes.
"""
import copy, json, random, sys

demo = json.load(open(sys.argv[1]))
out = sys.argv[2]

def write(name, doc):
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    open(f"{out}/{name}", "wb").write(text.encode("utf-8", "surrogateescape"))

rnd = random.Random(13)
big = copy.deepcopy(demo)
cores = []
for pkg in range(2):
    cores.append([{"id": c, "die": None, "cpus": [pkg * 24 + c, 48 + pkg * 24 + c]} for c in range(24)])
big["topology"]["packages"] = [
    {"id": p, "cpus": f"{p*24}-{p*24+23},{48+p*24}-{48+p*24+23}", "dies": [], "cores": cores[p]}
    for p in range(2)]
big["topology"]["nodes"] = [
    {"id": n, "cpus": f"{n*24}-{n*24+23},{48+n*24}-{48+n*24+23}", "cpus_online": "",
     "mem_free_kb": 100 << 20, "mem_total_kb": 128 << 20, "nr_cpus": 48, "online": True}
    for n in range(2)]
big["cpus"] = [{"cpu": c, "node": (c % 48) // 24, "samples": rnd.randint(0, 20000),
                "memory_samples": rnd.randint(0, 9000), "local": 0, "remote": 0,
                "remote_ratio": rnd.random(), "unresolved": 0} for c in range(96)]
big["node_matrix"]["counts"] = [[101234, 398766], [5321, 494679]]
procs = []
def mappings(worker):
    maps = [{"start": "0x7f0000000000", "end": "0x7f4000000000", "name": "/data/imagenet/train.bin",
             "pages": 262144, "remote_pages": 259000.5 if worker else 0.0,
             "pages_by_node": {"1": 262144}}]
    for k in range(29):
        maps.append({"start": hex(0x560000000000 + k * 4096), "end": hex(0x560000001000 + k * 4096),
                     "name": f"/usr/lib/python3/dist-packages/torch/lib/libtorch_part{k}.so",
                     "pages": 10 + k, "remote_pages": k * 0.5, "pages_by_node": {"0": 5, "1": 5 + k}})
    return maps
procs.append({"pid": 1000, "ppid": 1, "comm": "python3", "threads": 12, "samples": 100000,
              "memory_samples": 80000, "local": 79000, "remote": 900, "unresolved": 100,
              "address_only_samples": 80000, "remote_ratio": 0.0112, "remote_exposure": 0.021,
              "nodes_ran": [{"node": 1, "share": 0.97}, {"node": 0, "share": 0.03}],
              "nodes_ran_basis": "runtime", "mappings": mappings(False)})
for w in range(90):
    rr, ex = rnd.random(), rnd.random()
    procs.append({"pid": 1001 + w, "ppid": 1000, "comm": f"pt_data_worker_{w}", "threads": 1,
                  "samples": 10000 + w, "memory_samples": 9000 + w, "local": 100, "remote": 8800,
                  "unresolved": 100 + w, "address_only_samples": 9000, "remote_ratio": rr,
                  "remote_exposure": ex, "nodes_ran": [{"node": 0, "share": 1.0}],
                  "nodes_ran_basis": "runtime", "mappings": mappings(True)})
big["processes"] = procs
big["threads"] = [dict({k: v for k, v in p.items() if k != "mappings"}, tid=p["pid"]) for p in procs]
big["summary"]["samples"] = sum(p["samples"] for p in procs)
big["summary"]["memory_samples"] = sum(p["memory_samples"] for p in procs)
f0 = demo["functions"][0]
big["functions"] = [dict(f0, function=f"fn_{i}", samples=1000 - i) for i in range(1000)]
big["lines"] = [dict(demo["lines"][0], line=i) for i in range(500)]
big["smt"] = {"has_smt": True, "view": "target_tasks", "span_s": 600, "switches": 123456,
              "late_switches": 0, "double_busy_s": 2000.5, "misplaced_s": 900.25,
              "busy_tasks": 90, "busy_tasks_shared_half": 88, "cores_of_nodes_ran": 24,
              "oversubscribed": True, "one_thread_per_core": "0-23",
              "tasks": [{"pid": 1001 + w, "tid": 1001 + w, "comm": f"pt_data_worker_{w}",
                         "run_s": 590.0, "shared_s": 400.0, "shared_ratio": 0.68} for w in range(90)],
              "pairs": [{"pid_a": 1001 + w, "tid_a": 1001 + w, "pid_b": 1002 + w, "tid_b": 1002 + w,
                         "cpu": w % 24, "corun_s": 300.0, "ratio": 0.5} for w in range(0, 90, 2)],
              "cores": []}
big["bandwidth"] = {"measured": True, "seconds": 600, "multiplexed": False,
                    "nodes": [{"node": n, "read_bytes_per_s": 12.5e9 + n, "write_bytes_per_s": 3.25e9,
                               "read_peak_bytes_per_s": 20e9, "write_peak_bytes_per_s": 5e9}
                              for n in range(2)], "per_second": []}
big["timeline"] = [{"second": s, "samples": 1700 + (s % 60) * 5, "memory_samples": 1500,
                    "remote_ratio": 0.6 + 0.3 * (s % 10) / 10} for s in range(600)]
write("big.json", big)

hostile = copy.deepcopy(demo)
evil = "<script>alert(1)</script>&amp;\"q'\udcff"
hostile["processes"][0]["comm"] = evil
ds = [m for m in hostile["processes"][1]["mappings"] if "nl-seed-dataset" in m["name"]][0]
ds["name"] = "/tmp/<img src=x onerror=alert(2)>&amp;\"p'\udcfe.bin"
hostile["functions"][0]["function"] = "operator<<<script>alert(3)</script>&amp;\udcff"
hostile["source"]["file"] = "</title><script>alert(4)</script>"
write("hostile.json", hostile)

old = copy.deepcopy(demo)
for k in ["smt", "functions", "lines", "stacks", "symbols", "node_counters", "latency", "timeline", "bandwidth"]:
    old.pop(k, None)
write("old.json", old)

write("other.json", {"schema": "perf.script/1", "samples": []})
