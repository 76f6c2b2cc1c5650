#!/usr/bin/env python3
"""Fails when a source file includes a header of a layer above its own.

Layers, lowest first (CMakeLists.txt builds one library per layer):
  0 samplers/base/  1 samplers/  2 profiler/  3 report/  4 profiler/cli/
A file may include its own layer and those below.  Tests (tests/) sit
outside the stack and may include anything.

usage: check_layers.py SOURCE_DIR   (exit 0: clean, 1: violations listed)
"""
import pathlib
import re
import sys

LAYERS = [("samplers/base/", 0, "base"), ("profiler/cli/", 4, "command line"),
          ("samplers/", 1, "sources"), ("profiler/", 2, "analysis"),
          ("report/", 3, "renderers")]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(rel):
    for prefix, rank, name in LAYERS:
        if rel.startswith(prefix):
            return rank, name
    return None


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    bad, files = [], 0
    for path in sorted(root.glob("*/**/*.[ch]")):
        rel = path.relative_to(root).as_posix()
        own = layer_of(rel)
        if own is None or rel.startswith("tests/"):
            continue
        files += 1
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if "/" not in target:          # a sibling header: same folder
                target = str(pathlib.PurePosixPath(rel).parent / target)
            up = layer_of(target)
            if up and up[0] > own[0]:
                bad.append(f"{rel}:{lineno}: {own[1]} includes {m.group(1)} ({up[1]})")
    for line in bad:
        print(line)
    if files == 0:
        print(f"no sources found under {root}")
        return 1
    print(f"{files} files checked, {len(bad)} include(s) running up a layer")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
