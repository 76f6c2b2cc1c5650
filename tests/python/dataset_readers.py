# The Python frames test target: a parent first-touches a dataset in
# build_dataset, then forks readers that read it in read_batch.  Each touch
# loop is ONE source line (marked "# LINE name") so a frame read a little
# after its sample still names the line: tests/python/check_pyframes.py
# finds the marks to know which line numbers to expect.
#
#   python3 dataset_readers.py PATH START_DELAY BUILD_SECONDS READERS READ_SECONDS
# PATH "bytearray": the dataset is a bytearray made after the delay (glibc
# mmaps its 32 MiB: an allocation numalens sees, tests/objects).
# START_DELAY "@FILE": wait until FILE is removed (the profiler attached).
import mmap
import os
import sys
import time

SIZE = 32 << 20
CHUNK = 1 << 20
PAGE = 4096
# Each loop runs several passes: the first faults the pages in, the others
# keep the thread on the marked line for as long as a frame read may lag.
OFFSETS = list(range(0, SIZE, CHUNK))
PAGES = list(range(0, SIZE, PAGE))


def wait_start(delay):
    if delay.startswith("@"):
        while os.path.exists(delay[1:]):
            time.sleep(0.02)
    else:
        time.sleep(float(delay))


def build_dataset(mm, seconds):
    dropping = isinstance(mm, mmap.mmap)
    block = b"\x01" * CHUNK
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for off in OFFSETS * 4: mm[off:off + CHUNK] = block  # LINE build_dataset
        # the next pass faults again (a bytearray has no madvise: its pages stay).
        # Inline, not in a helper: frames are read just after their sample, and a
        # helper's frame would then stand for read_batch's faults.
        if dropping: mm.madvise(mmap.MADV_DONTNEED)


def read_batch(mm, seconds):
    dropping = isinstance(mm, mmap.mmap)
    total = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for off in PAGES * 3: total += mm[off]  # LINE read_batch
        if dropping: mm.madvise(mmap.MADV_DONTNEED)
    return total


def main():
    path, delay, build_s, readers, read_s = sys.argv[1], sys.argv[2], \
        float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    if path == "bytearray":
        wait_start(delay)  # the profiler attaches, then sees the allocation
        mm = bytearray(SIZE)  # LINE main
    else:
        # mapped before the profiler attaches, so its first snapshot names it
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(fd, SIZE)
        mm = mmap.mmap(fd, SIZE, mmap.MAP_SHARED)
        os.close(fd)
        wait_start(delay)  # the profiler attaches
    build_dataset(mm, build_s)
    kids = []
    for _ in range(readers):
        pid = os.fork()
        if pid == 0:
            read_batch(mm, read_s)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    if path != "bytearray":
        mm.close()
        os.unlink(path)


if __name__ == "__main__":
    main()
