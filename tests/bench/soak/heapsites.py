#!/usr/bin/env python3
"""heapsites.py EARLY LATE [N] - the N (20) call stacks whose live heap grew
most between two heapsites.c dumps, their frames named by addr2line.
Stacks are merged by their first frame inside numalens (frames in libc and
the preload are skipped), so one line is one allocating function's caller
chain."""
import collections, subprocess, sys


def load(path):
    out = collections.Counter()
    cnt = collections.Counter()
    for line in open(path):
        b, c, frames = line.rstrip("\n").split(" ", 2)
        key = tuple(f for f in frames.split(";") if "libc.so" not in f and "heapsites" not in f)[:6]
        out[key] += int(b)
        cnt[key] += int(c)
    return out, cnt


names = {}


def name(frame):
    if frame in names:
        return names[frame]
    obj, _, off = frame.rpartition("+")
    try:
        r = subprocess.run(["addr2line", "-f", "-s", "-i", "-e", obj, "%x" % (int(off, 16) - 1)],
                           capture_output=True, text=True, timeout=10).stdout.split("\n")
        n = "%s (%s)" % (r[0], r[1]) if r and r[0] != "??" else frame
    except Exception:
        n = frame
    names[frame] = n
    return n


def main(argv):
    a, ac = load(argv[1])
    b, bc = load(argv[2])
    n = int(argv[3]) if len(argv) > 3 else 20
    grow = sorted(set(a) | set(b), key=lambda k: b[k] - a[k], reverse=True)
    print("total live: %d -> %d bytes (%+d)" % (sum(a.values()), sum(b.values()),
                                                 sum(b.values()) - sum(a.values())))
    for k in grow[:n]:
        d = b[k] - a[k]
        if d <= 0:
            break
        print("%+9d bytes %+6d blocks (now %d in %d)" % (d, bc[k] - ac[k], b[k], bc[k]))
        for f in k:
            print("      " + name(f))


if __name__ == "__main__":
    main(sys.argv)
