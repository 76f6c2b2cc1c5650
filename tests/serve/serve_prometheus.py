#!/usr/bin/python3
"""A real Prometheus scrapes `numalens serve` and stores what the JSON says.

Starts Debian's prometheus on loopback (scrape_interval 1 s, a temporary
storage directory) scraping `numalens serve --match ... --interval 1
--json-lines FILE` while the test tree runs, then asks its HTTP API
(/api/v1/query) for the series of one scrape and checks them against the
numalens.interval/1 line of the same interval (numalens_interval names it):
samples and memory-sample counters = that line's totals, remote ratio and
the main process's exposure = that line's values.  Exit 77 when prometheus
is not installed.
USAGE: serve_prometheus.py WORKLOAD   (NUMALENS in the environment)
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

NL = os.environ["NUMALENS"]
WORKLOAD = sys.argv[1]
PROM = shutil.which("prometheus")
if not PROM:
    print("SKIP: prometheus is not installed (apt-get install prometheus)")
    sys.exit(77)
T = tempfile.mkdtemp(prefix="nl-prom.")
fails = 0
procs = []


def check(ok, msg):
    global fails
    fails += not ok
    print(("ok: " if ok else "FAIL: ") + msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def api(port, query, at=None):
    q = {"query": query}
    if at is not None:
        q["time"] = repr(at)
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode(q)
    with urllib.request.urlopen(url, timeout=5) as r:
        d = json.load(r)
    assert d["status"] == "success", d
    return d["data"]["result"]


def wait_for(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        try:
            v = cond()
        except OSError:
            v = None
        if v:
            return v
        time.sleep(0.3)
    return None


try:
    nl_port, prom_port = free_port(), free_port()
    tag = f"promtree-{os.getpid()}"
    serve = subprocess.Popen([NL, "serve", "--match", f"nl_live_workload .*{tag}", "--interval", "1",
                              "--listen", f"127.0.0.1:{nl_port}", "--json-lines", "s.jsonl"],
                             cwd=T, stderr=open(os.path.join(T, "serve.err"), "w"))
    procs.append(serve)
    open(os.path.join(T, "prometheus.yml"), "w").write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: numalens
    static_configs:
      - targets: ['127.0.0.1:{nl_port}']
""")
    prom = subprocess.Popen([PROM, "--config.file", os.path.join(T, "prometheus.yml"),
                             "--storage.tsdb.path", os.path.join(T, "data"),
                             "--web.listen-address", f"127.0.0.1:{prom_port}"],
                            cwd=T, stdout=subprocess.DEVNULL, stderr=open(os.path.join(T, "prom.err"), "w"))
    procs.append(prom)
    ready = wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=2).status == 200, 30)
    check(bool(ready), "prometheus is ready")
    tree = subprocess.Popen([WORKLOAD, os.path.join(T, tag), "6"], stdout=subprocess.DEVNULL)
    procs.append(tree)

    # a scrape of an interval >= 2 with samples, and its timestamp
    def scraped():
        r = api(prom_port, "numalens_interval[15s]")
        if not r:
            return None
        ts, k = r[0]["values"][-1]
        k = int(float(k))
        s = api(prom_port, "numalens_samples_total", at=ts)
        return (ts, k) if k >= 2 and s and float(s[0]["value"][1]) > 0 else None
    got = wait_for(scraped, 30)
    check(got is not None, "prometheus stored numalens_interval >= 2 with samples")
    up = api(prom_port, "up")
    check(up and up[0]["value"][1] == "1", "the scrape target is up")
    if got:
        ts, k = got
        line = wait_for(lambda: next((json.loads(l) for l in open(os.path.join(T, "s.jsonl"))
                                      if json.loads(l)["interval"] == k), None), 10)
        check(line is not None, f"the JSON lines have interval {k}")
        val = lambda q: [float(x["value"][1]) for x in api(prom_port, q, at=ts)]
        samples = val("numalens_samples_total")
        check(samples == [line["totals"]["samples"]],
              f"numalens_samples_total = totals.samples of interval {k} ({samples} vs {line['totals']['samples']})")
        for loc in ["local", "remote", "unresolved"]:
            v = val(f'numalens_memory_samples_total{{locality="{loc}"}}')
            check(v == [line["totals"][loc]], f"memory samples {loc} = the JSON's ({v} vs {line['totals'][loc]})")
        rr = val("numalens_remote_ratio")
        check((line["remote_ratio"] is None and rr == []) or
              (len(rr) == 1 and abs(rr[0] - line["remote_ratio"]) < 1e-5),
              f"numalens_remote_ratio = the JSON's ({rr} vs {line['remote_ratio']})")
        main = [p for p in line["processes"] if p["role"] == "main"]
        ex = api(prom_port, 'numalens_process_remote_exposure{role="main"}', at=ts)
        check(len(main) == 1 and len(ex) == 1 and ex[0]["metric"]["pid"] == str(main[0]["pid"]) and
              main[0]["remote_exposure"] is not None and
              abs(float(ex[0]["value"][1]) - main[0]["remote_exposure"]) < 1e-5,
              f"the main process's exposure series = the JSON's ({ex} vs {main})")
        pages = val('numalens_pages{node="0"}')
        want = [p["pages"] for p in (line["pages_by_node"] or []) if p["node"] == 0]
        check(pages == want, f"numalens_pages{{node=\"0\"}} = the JSON's ({pages} vs {want})")
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    if fails:
        for f in ["serve.err", "prom.err"]:
            try:
                print(f"--- {f}\n" + open(os.path.join(T, f)).read()[-2000:])
            except OSError:
                pass
    shutil.rmtree(T, ignore_errors=True)
print(f"{fails} failed")
sys.exit(1 if fails else 0)
