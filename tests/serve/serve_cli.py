#!/usr/bin/python3
"""numalens serve end to end on this machine.

  - GET /metrics parses with promtool (0.0.4); Accept: application/openmetrics-text
    gets OpenMetrics 1.0 (counter families without _total, `# EOF` last);
    other paths and methods change nothing (404, 405);
  - --match waits for a process (says so once, answers meanwhile), follows
    it, and follows its restart: same series, counters grow, the new pid;
  - --json-lines across restarts: intervals numbered on, totals add up;
  - bad input: port in use, a non-loopback address without --allow-remote,
    a dead -p PID, a bad regex: one line each, non-zero exit;
  - Ctrl-C ends serve cleanly (exit 0, within 3 s).
USAGE: serve_cli.py WORKLOAD   (NUMALENS in the environment)
"""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error

NL = os.environ["NUMALENS"]
WORKLOAD = sys.argv[1]
T = tempfile.mkdtemp(prefix="nl-serve.")
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


def get(port, path="/metrics", accept=None, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, None, ""


def one_line(err, pattern):
    lines = [l for l in err.splitlines() if l.strip()]
    return len(lines) == 1 and re.match(r"^numalens: .+: .+ - .+", lines[0]) and re.search(pattern, lines[0])


def start(args):
    p = subprocess.Popen([NL, "serve"] + args, cwd=T, stdout=subprocess.PIPE,
                         stderr=open(os.path.join(T, "serve.err"), "w"), text=True)
    procs.append(p)
    return p


def wait_for(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    return None


def up(port):
    try:
        return get(port)[0] == 200
    except OSError:
        return False


def value(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


try:
    # bad input first: each one line, non-zero
    port = free_port()
    busy = socket.socket()
    busy.bind(("127.0.0.1", port))
    busy.listen(1)
    r = subprocess.run([NL, "serve", "--match", "x", "--listen", f"127.0.0.1:{port}"],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and one_line(r.stderr, "Address already in use"),
          f"a port in use is one line ({r.returncode}: {r.stderr.strip()})")
    busy.close()
    r = subprocess.run([NL, "serve", "--match", "x", "--listen", "192.0.2.1:9466"],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and one_line(r.stderr, "not a loopback address.*--allow-remote"),
          f"a non-loopback address needs --allow-remote ({r.returncode}: {r.stderr.strip()})")
    r = subprocess.run([NL, "serve", "--match", "x", "--listen", "localhost"],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and one_line(r.stderr, "HOST:PORT"), f"a malformed address ({r.stderr.strip()})")
    for bad in ("127.0.0.1:99999", "127.0.0.1:0"):   # getaddrinfo wraps 99999 to 34463
        r = subprocess.run([NL, "serve", "--match", "x", "--listen", bad],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 2 and one_line(r.stderr, "HOST:PORT"), f"port out of range: {bad} ({r.stderr.strip()})")
    r = subprocess.run([NL, "serve", "--match", "(", "--listen", f"127.0.0.1:{free_port()}"],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and one_line(r.stderr, "--match"), f"a bad regex ({r.stderr.strip()})")
    dead = subprocess.Popen(["true"])
    dead.wait()
    r = subprocess.run([NL, "serve", "-p", str(dead.pid), "--listen", f"127.0.0.1:{free_port()}"],
                       capture_output=True, text=True, timeout=10)
    errs = [l for l in r.stderr.splitlines() if str(dead.pid) in l]
    check(r.returncode == 1 and len(errs) == 1 and re.match(r"^numalens: .+ - .+", errs[0]),
          f"a dead -p PID is one line ({r.returncode}: {r.stderr.strip()})")
    # an explicit non-loopback address with the flag is accepted
    port = free_port()
    p = start(["--match", "nothing-matches-this-xyz", "--listen", f"0.0.0.0:{port}", "--allow-remote"])
    check(wait_for(lambda: up(port), 5), "0.0.0.0 with --allow-remote serves")
    p.send_signal(signal.SIGINT)
    p.wait(5)

    # --match nothing yet: waits, says so, answers with zero counters
    port = free_port()
    tag = f"roster-{os.getpid()}"
    p = start(["--match", f"nl_live_workload .*{tag}", "--interval", "1", "--listen",
               f"127.0.0.1:{port}", "--json-lines", "s.jsonl"])
    check(wait_for(lambda: up(port), 5), "serve answers before any target")
    time.sleep(1.5)
    err = open(os.path.join(T, "serve.err")).read()
    check(p.poll() is None and err.count("no process matches yet") == 1,
          f"--match matching nothing waits and says so once ({err.strip()})")
    code, ctype, text = get(port)
    check(code == 200 and value(text, "numalens_samples_total") == 0 and "0.0.4" in ctype,
          "zero counters before the first target, text/plain 0.0.4")

    # the target runs, then is restarted
    w1 = subprocess.Popen([WORKLOAD, os.path.join(T, tag), "3"], stdout=subprocess.DEVNULL)
    got = wait_for(lambda: (lambda t: t if (value(t, "numalens_samples_total") or 0) > 0 else None)(get(port)[2]), 8)
    check(got is not None, "samples appear once the target runs")
    text = get(port)[2]
    check(f'pid="{w1.pid}"' in text and 'role="main"' in text, "the target is a series of its own, role main")
    if shutil.which("promtool"):
        c = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        check(c.returncode == 0, f"promtool check metrics accepts /metrics ({c.stdout}{c.stderr})")
    else:
        print("note: promtool missing (apt-get install prometheus): exposition not parsed")
    code, ctype, om = get(port, accept="application/openmetrics-text; version=1.0.0")
    check(code == 200 and "openmetrics-text" in ctype and om.endswith("# EOF\n") and
          "# TYPE numalens_samples counter" in om and "numalens_samples_total " in om,
          "OpenMetrics 1.0 when asked: counter families without _total, # EOF last")
    check(get(port, "/nope")[0] == 404 and get(port, method="POST")[0] == 405, "404 and 405 elsewhere")
    w1.wait(20)
    before = value(get(port)[2], "numalens_samples_total")
    time.sleep(2.5)
    w2 = subprocess.Popen([WORKLOAD, os.path.join(T, tag), "2"], stdout=subprocess.DEVNULL)
    ok = wait_for(lambda: f'pid="{w2.pid}"' in get(port)[2], 10)
    w2.wait(20)
    time.sleep(1.5)
    text = get(port)[2]
    after = value(text, "numalens_samples_total")
    err = open(os.path.join(T, "serve.err")).read()
    check(ok and after > before, f"a restarted target is followed, its counters grow on ({before} -> {after})")
    check(f"pid {w1.pid} ended" in err and f"following pid {w2.pid}" in err,
          "the restart is one line each way")

    # Ctrl-C: clean and prompt
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    rc = p.wait(10)
    check(rc == 0 and time.time() - t0 < 3, f"Ctrl-C ends serve cleanly (exit {rc}, {time.time() - t0:.1f} s)")
    objs = [json.loads(l) for l in open(os.path.join(T, "s.jsonl"))]
    check([o["interval"] for o in objs] == list(range(1, len(objs) + 1)),
          f"--json-lines numbered on across the restart ({len(objs)} lines)")
    check(sum(o["samples"] for o in objs) == objs[-1]["totals"]["samples"] == after,
          "interval samples add up to the totals and to the last scrape")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    shutil.rmtree(T, ignore_errors=True)
print(f"{fails} failed")
sys.exit(1 if fails else 0)
