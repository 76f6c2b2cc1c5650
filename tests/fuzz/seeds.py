#!/usr/bin/env python3
"""seeds.py HARNESS OUTDIR - seed inputs for a fuzz harness from real data.

Nothing made here is committed: it is built at run time from
../shared/fixtures (real recordings and sysfs trees of other machines,
NL_SHARED), sample-data/ and this machine's own /proc, in the input form of
each harness (see the comment at the top of tests/fuzz/fuzz_<harness>.c).
Recordings are trimmed to their header, attrs and features plus the first
records of the data, so one execution stays fast.
"""
import os
import struct
import subprocess
import sys

SHARED = os.environ.get("NL_SHARED", os.path.join(os.path.dirname(__file__), "../../../shared"))
SOURCE = os.environ.get("NL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
DATA_KEEP = 48 * 1024


def recordings():
    d = os.path.join(SHARED, "fixtures/perfdata")
    paths = [os.path.join(d, n) for n in sorted(os.listdir(d))] if os.path.isdir(d) else []
    paths.append(os.path.join(SOURCE, "sample-data/demo.perf.data"))
    return [p for p in paths if p.endswith(".perf.data") and os.path.isfile(p)]


def parse(raw):
    """The file-format pieces: attr entries, ids, data records kept, features."""
    (magic, size, attr_size, attrs_off, attrs_len, data_off, data_len) = struct.unpack_from("<QQQQQQQ", raw, 0)
    feats = struct.unpack_from("<4Q", raw, 72)
    attrs = []
    for off in range(attrs_off, attrs_off + attrs_len, attr_size):
        attr = raw[off:off + attr_size - 16]
        ids_off, ids_len = struct.unpack_from("<QQ", raw, off + attr_size - 16)
        attrs.append((attr, raw[ids_off:ids_off + ids_len]))
    data, pos, end = bytearray(), data_off, data_off + data_len
    while pos + 8 <= end and len(data) < DATA_KEEP:
        rsize = struct.unpack_from("<H", raw, pos + 6)[0]
        if rsize < 8 or pos + rsize > end:
            break
        data += raw[pos:pos + rsize]
        pos += rsize
    table, features = data_off + data_len, []
    for bit in range(256):
        if feats[bit // 64] >> (bit % 64) & 1:
            foff, flen = struct.unpack_from("<QQ", raw, table + 16 * len(features))
            features.append((bit, raw[foff:foff + flen]))
    return attr_size, attrs, bytes(data), features


def file_format(attr_size, attrs, data, features):
    ids_off = 104 + attr_size * len(attrs)
    ids_blob = b"".join(i for _, i in attrs)
    data_off = ids_off + len(ids_blob)
    feat_off = data_off + len(data)
    bits = [0, 0, 0, 0]
    for bit, _ in features:
        bits[bit // 64] |= 1 << (bit % 64)
    out = struct.pack("<QQQQQQQQQ", 0x32454C4946524550, 104, attr_size, 104,
                      attr_size * len(attrs), data_off, len(data), 0, 0)
    out += struct.pack("<4Q", *bits)
    off = ids_off
    for attr, ids in attrs:
        out += attr + struct.pack("<QQ", off, len(ids))
        off += len(ids)
    out += ids_blob + data
    body = feat_off + 16 * len(features)
    for _, f in features:
        out += struct.pack("<QQ", body, len(f))
        body += len(f)
    return out + b"".join(f for _, f in features)


def pipe_format(attrs, data, features):
    out = b""
    for attr, ids in attrs:
        rec = attr + ids
        if len(rec) + 8 < 65536:
            out += struct.pack("<IHH", 64, 0, 8 + len(rec)) + rec
    for bit, f in features:
        if len(f) + 16 < 65536:
            out += struct.pack("<IHHQ", 80, 0, 16 + len(f), bit) + f
    return out + data


def sysfs_trees():
    d = os.path.join(SHARED, "fixtures/sysfs")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        root = os.path.join(d, name, "fsroot")
        blob = bytearray()
        for sub in ("sys/devices/system/cpu", "sys/devices/system/node", "sys/devices/system/memory"):
            for dirpath, _, files in sorted(os.walk(os.path.join(root, sub))):
                parts = os.path.relpath(dirpath, root).split("/")
                cpu = [x for x in parts if x.startswith("cpu") and x[3:].isdigit()]
                if cpu and int(cpu[0][3:]) >= 16:
                    continue    # 16 CPUs show every structure; more only slow a run
                for fn in sorted(files):
                    p = os.path.join(dirpath, fn)
                    if not os.path.isfile(p) or os.path.getsize(p) > 4096:
                        continue
                    body = open(p, "rb").read().replace(b"\0", b"")
                    blob += os.path.relpath(p, root).encode() + b"\0" + body + b"\0"
        if blob:
            yield name, bytes(blob)


def placement_of(pid):
    maps = open(f"/proc/{pid}/maps", "rb").read()[:30000]
    numa = open(f"/proc/{pid}/numa_maps", "rb").read()[:30000]
    possible = open("/sys/devices/system/node/possible", "rb").read()
    addrs = []
    for line in maps.splitlines()[:8]:
        addrs.append(int(line.split(b"-")[0], 16) + 64)
    addrs += [0] * (8 - len(addrs))
    return (struct.pack("<HHH", len(maps), len(possible), len(numa)) + struct.pack("<8Q", *addrs)
            + maps + possible + numa + bytes([0, 1, 0xfe, 0xf2]))


def main():
    harness, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)

    def save(name, blob):
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)

    if harness in ("perfdata", "perfdata_pipe", "perf_record", "report_json"):
        for path in recordings():
            name = os.path.basename(path).replace(".perf.data", "")
            attr_size, attrs, data, features = parse(open(path, "rb").read())
            trimmed = file_format(attr_size, attrs, data, features)
            if harness == "perfdata":
                save(name, trimmed)
            elif harness == "perfdata_pipe":
                save(name, pipe_format(attrs, data, features))
            elif harness == "perf_record":
                save(name, attrs[0][0] + data[:16384])
            elif os.environ.get("NUMALENS"):
                tmp = os.path.join(out, name + ".perf.data")
                save(name + ".perf.data", trimmed)
                subprocess.run([os.environ["NUMALENS"], "report", "-q", "--json",
                                os.path.join(out, name + ".json"), tmp],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                os.unlink(tmp)
    elif harness == "sysfs":
        for name, blob in sysfs_trees():
            save(name, blob)
    elif harness == "symbols":
        jit = b"7f0000001000 40 jitted_fn\n7f0000002000 10 [py] train.py:step\n"
        for path in ("/usr/lib/x86_64-linux-gnu/libdl.so.2", "/usr/bin/true"):
            if os.path.isfile(path):
                elf = open(path, "rb").read()
                save(os.path.basename(path), struct.pack("<II4Q", len(elf), len(jit), 0x1000, 0x1100,
                                                         0x7f0000001010, 0x7f0000002004) + elf + jit)
    elif harness in ("pyrecord", "allocdec", "pyframes"):
        pass        # byte-built only (fuzz_seeds.c): no outside data has this form
    elif harness == "placement":
        save("self", placement_of(os.getpid()))
        try:
            save("parent", placement_of(os.getppid()))
        except OSError:
            pass


if __name__ == "__main__":
    main()
