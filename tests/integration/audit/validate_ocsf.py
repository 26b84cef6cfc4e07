#!/usr/bin/python3
"""Validates every record the audit module writes against the OCSF 1.9 API Activity schema.

Runs the sample program (which writes one of every kind of record) into a temporary directory,
then checks each line of each audit file with jsonschema's Draft 2020-12 validator, plus what
the schema cannot say (type_uid = class_uid * 100 + activity_id), and that every record kind
was seen. Exit 0 when all valid.

usage: validate_ocsf.py SAMPLE_PROGRAM SCHEMA_JSON
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema


def main() -> int:
    program, schema_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    kinds = {}
    checkpoint_reasons = set()
    recovery_reasons = set()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([program, tmp], check=True)
        files = sorted(glob.glob(os.path.join(tmp, "log", "audit-*.jsonl")))
        if not files:
            print("no audit files written")
            return 1
        for path in files:
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    record = json.loads(line)
                    kind = record["unmapped"]["kind"]
                    kinds[kind] = kinds.get(kind, 0) + 1
                    if kind == "checkpoint":
                        checkpoint_reasons.add(record["unmapped"]["checkpoint"]["reason"])
                    if kind == "recovery":
                        recovery_reasons.add(record["unmapped"]["recovery"]["reason"])
                    errors = list(validator.iter_errors(record))
                    if record["type_uid"] != record["class_uid"] * 100 + record["activity_id"]:
                        errors.append("type_uid is not class_uid * 100 + activity_id")
                    for error in errors:
                        failures += 1
                        where = "/".join(str(p) for p in getattr(error, "absolute_path", []))
                        print(f"{os.path.basename(path)}:{number} ({kind}) {where}: "
                              f"{getattr(error, 'message', error)}")
    expected_kinds = {"decision", "outcome", "admin", "checkpoint", "recovery"}
    missing = expected_kinds - set(kinds)
    if missing:
        print(f"record kinds never written: {sorted(missing)}")
        failures += 1
    for reason in ("start", "count", "rotate", "close"):
        if reason not in checkpoint_reasons:
            print(f"no checkpoint with reason {reason}")
            failures += 1
    for reason in ("torn tail cut", "write failure"):
        if reason not in recovery_reasons:
            print(f"no recovery record with reason {reason}")
            failures += 1
    print(f"validated {sum(kinds.values())} records: {kinds}; checkpoints {sorted(checkpoint_reasons)}; "
          f"recoveries {sorted(recovery_reasons)}; {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
