"""marks.py - the line numbers of the markers that test programs carry in
their sources, so that tests name lines by marker, never by number.

    marks(path)                 {"name": line} for "# LINE name" (Python)
    marks(path, "MARK:")        {"name": line} for "MARK:name" (C)
"""
import re


def marks(path, tag="# LINE "):
    pattern = re.compile(re.escape(tag) + r"(\w+)")
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = pattern.search(line)
            if m:
                out[m.group(1)] = n
    return out
