# The Python tree of the Python-frames bench: a parent that builds a list
# of records, then WORKERS forked workers that each run a loader-like loop
# (index, decode, touch a fresh buffer) for SECONDS: Python code on every
# sample, page faults and cpu-clock samples at the default rate.
#   python3 tree.py WORKERS SECONDS START_DELAY
import os
import sys
import time


def build(n):
    return [bytes(64) for _ in range(n)]


def getitem(records, i):
    rec = records[i % len(records)]
    buf = bytearray(256 << 10)          # fresh pages: page faults
    for k in range(0, len(buf), 4096):
        buf[k] = rec[k % 64] + 1
    return sum(buf[::4096])


def worker(records, seconds):
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        getitem(records, i)
        i += 1


def main():
    workers, seconds, delay = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    time.sleep(delay)
    records = build(100000)
    kids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            worker(records, seconds)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
