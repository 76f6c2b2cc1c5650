#!/usr/bin/python3
"""Validates numalens JSON reports against report/numalens.report-1.schema.json.

Usage: validate_schema.py SCHEMA REPORT.json...  Exit 77 (skip) when the
jsonschema module is missing, 1 on the first invalid report.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(77)

schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
bad = 0
for path in sys.argv[2:]:
    report = json.load(open(path))
    errors = list(validator.iter_errors(report))
    for e in errors[:5]:
        print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
    # invariants the schema language cannot state
    for row in [report["summary"]] + report["processes"] + report["threads"]:
        if row["local"] + row["remote"] + row["unresolved"] != row["memory_samples"]:
            print(f"{path}: local+remote+unresolved != memory_samples in {row.get('pid')}")
            errors.append(1)
    print(f"{path}: {'ok' if not errors else 'INVALID'}")
    bad += bool(errors)
print(f"{len(sys.argv) - 2 - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
