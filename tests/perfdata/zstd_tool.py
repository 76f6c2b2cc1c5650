#!/usr/bin/env python3
"""zstd_tool.py - an independent view of `perf record -z` files for the tests.

  zstd_tool.py decompress IN OUT   OUT: IN with every COMPRESSED(2) record's
                                   payload decoded (libzstd, streaming)
                                   and laid out as plain records
  zstd_tool.py corrupt IN OUT K    OUT: IN with the block header that starts
                                   the K-th (K >= 1) compressed payload made
                                   invalid
  zstd_tool.py count IN            the number of compressed records

It shares nothing with samplers/: the file layout is read from
tools/perf/Documentation/perf.data-file-format.txt.
"""
import ctypes
import ctypes.util
import struct
import sys

COMPRESSED, COMPRESSED2 = 81, 83


def layout(raw):
    attr_size, attrs_off, attrs_len, data_off, data_len = struct.unpack_from("<QQQQQ", raw, 16)
    feats = struct.unpack_from("<4Q", raw, 72)
    records, pos = [], data_off
    while pos + 8 <= data_off + data_len:
        rtype, _, size = struct.unpack_from("<IHH", raw, pos)
        if size < 8:
            break
        records.append((pos, rtype, size))
        pos += size
    table, sections = data_off + data_len, []
    for bit in range(256):
        if feats[bit // 64] >> (bit % 64) & 1:
            sections.append(struct.unpack_from("<QQ", raw, table + 16 * len(sections)))
    return data_off, data_len, records, sections


def payload(raw, pos, rtype, size):
    if rtype == COMPRESSED2:
        (n,) = struct.unpack_from("<Q", raw, pos + 8)
        return pos + 16, min(n, size - 16)
    return pos + 8, size - 8


class Buf(ctypes.Structure):
    _fields_ = [("p", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]


def unzstd(stream):
    """Streaming decode: perf flushes one zstd frame and never ends it, so
    one-shot tools (zstd -d) stop at "premature end" and drop the tail."""
    z = ctypes.CDLL(ctypes.util.find_library("zstd"))
    z.ZSTD_createDStream.restype = ctypes.c_void_p
    z.ZSTD_decompressStream.restype = ctypes.c_size_t
    z.ZSTD_decompressStream.argtypes = [ctypes.c_void_p, ctypes.POINTER(Buf), ctypes.POINTER(Buf)]
    z.ZSTD_isError.argtypes = [ctypes.c_size_t]
    ds = z.ZSTD_createDStream()
    src = ctypes.create_string_buffer(stream, len(stream))
    dst = ctypes.create_string_buffer(1 << 20)
    inb, out = Buf(ctypes.cast(src, ctypes.c_void_p), len(stream), 0), b""
    while inb.pos < inb.size:
        o = Buf(ctypes.cast(dst, ctypes.c_void_p), len(dst), 0)
        if z.ZSTD_isError(z.ZSTD_decompressStream(ds, ctypes.byref(o), ctypes.byref(inb))):
            sys.exit("zstd_tool: the payload does not decode")
        out += dst.raw[:o.pos]
    return out


def main():
    cmd, src = sys.argv[1], sys.argv[2]
    raw = bytearray(open(src, "rb").read())
    data_off, data_len, records, sections = layout(raw)
    packed = [r for r in records if r[1] in (COMPRESSED, COMPRESSED2)]
    if cmd == "count":
        print(len(packed))
    elif cmd == "corrupt":
        pos, rtype, size = packed[int(sys.argv[4])]
        start, n = payload(raw, pos, rtype, size)
        # perf flushes a block at the end of each record, so a later record
        # starts with a block header: block type 3 is reserved, which every
        # zstd decoder must reject (RFC 8878 3.1.1.2).
        raw[start] |= 0x06
        open(sys.argv[3], "wb").write(raw)
    elif cmd == "decompress":
        plain = b"".join(bytes(raw[p:p + s]) for p, t, s in records if t not in (COMPRESSED, COMPRESSED2))
        stream = b"".join(bytes(raw[o:o + n]) for o, n in (payload(raw, *r) for r in packed))
        inner = unzstd(stream)
        data = plain + inner
        out = bytearray(raw[:data_off]) + data
        table = len(out)
        body = table + 16 * len(sections)
        out += b"\0" * (16 * len(sections))
        for i, (off, n) in enumerate(sections):
            struct.pack_into("<QQ", out, table + 16 * i, body, n)
            out += raw[off:off + n]
            body += n
        struct.pack_into("<Q", out, 48, len(data))
        open(sys.argv[3], "wb").write(out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
