#!/usr/bin/env python3
"""Runs one shipped example policy set through `portcullis check --batch` and compares.

usage: run_example_set.py PORTCULLIS SET_DIR

SET_DIR holds *.cedar, entities.json and requests.jsonl; each line of requests.jsonl is
{"description": "...", "request": {...}, "expect": "allow"|"deny", "reasons": [ids]?,
 "errors": [ids]?}. "reasons" is compared when present; "errors" must match exactly (absent
means none). Exit 0 when every line gets its expected answer, 1 otherwise.
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, set_dir = sys.argv[1], sys.argv[2]
    name = os.path.basename(os.path.normpath(set_dir))
    with open(os.path.join(set_dir, "requests.jsonl"), encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    if not cases:
        print(f"{name}: requests.jsonl has no cases")
        return 1

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as batch:
        for case in cases:
            batch.write(json.dumps(case["request"], ensure_ascii=False) + "\n")
    try:
        command = [binary, "check", "--policies", set_dir, "--batch", batch.name]
        entities = os.path.join(set_dir, "entities.json")
        if os.path.exists(entities):
            command[4:4] = ["--entities", entities]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(batch.name)

    if proc.returncode != 0:
        print(f"{name}: `{' '.join(command)}` exited {proc.returncode}\n{proc.stderr}")
        return 1
    results = [line for line in proc.stdout.splitlines() if line.strip()]
    if len(results) != len(cases):
        print(f"{name}: {len(cases)} requests but {len(results)} result lines\n{proc.stdout}")
        return 1

    failures = 0
    for number, (case, line) in enumerate(zip(cases, results), start=1):
        got = json.loads(line)
        problems = []
        if got.get("decision") != case["expect"]:
            problems.append(f"decision {got.get('decision')!r}, expected {case['expect']!r}")
        if "reasons" in case and sorted(got.get("reasons", [])) != sorted(case["reasons"]):
            problems.append(f"reasons {got.get('reasons')}, expected {case['reasons']}")
        if sorted(got.get("errors", [])) != sorted(case.get("errors", [])):
            problems.append(f"errors {got.get('errors')}, expected {case.get('errors', [])}"
                            f" (diagnostics: {got.get('diagnostics')})")
        if problems:
            failures += 1
            print(f"FAIL {name}/requests.jsonl:{number} ({case.get('description', '')}): "
                  + "; ".join(problems))
    print(f"{name}: {len(cases) - failures} passed, {failures} failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
