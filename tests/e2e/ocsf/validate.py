#!/usr/bin/python3
"""Validates JSONL audit records against the OCSF 1.9 API Activity schema (draft 2020-12).

Usage: validate.py SCHEMA FILE...   Prints one line per invalid record (file:line: first error)
and exits 1 if any record is invalid, 0 otherwise. Also checks type_uid = class_uid*100 +
activity_id, which the schema cannot express. Run with /usr/bin/python3 (Debian's jsonschema).
"""
import json
import sys

from jsonschema import Draft202012Validator


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        validator = Draft202012Validator(json.load(f))
    bad = 0
    count = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                count += 1
                record = json.loads(line)
                errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
                if record.get("type_uid") != record.get("class_uid", 0) * 100 + record.get("activity_id", -1):
                    print(f"{path}:{lineno}: type_uid is not class_uid*100+activity_id")
                    bad += 1
                elif errors:
                    e = errors[0]
                    print(f"{path}:{lineno}: {'/'.join(map(str, e.path)) or '<root>'}: {e.message[:300]}")
                    bad += 1
    print(f"ocsf: {count} records, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
