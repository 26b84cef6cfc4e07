#!/usr/bin/python3
"""End-to-end test of `portcullis keygen` and `portcullis audit verify|proof|verify-proof|tail`.

usage: cli_test.py PORTCULLIS_BINARY SAMPLE_PROGRAM
The sample program writes a signed, rotated log with every kind of record; this script runs the
commands against it, against tampered copies, and against missing files, and checks exit codes
and output. Exit 0 when every check passed.
"""
import glob
import json
import os
import queue
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

failures = []


def run(*args, stdin=None):
    return subprocess.run(list(args), capture_output=True, text=True, input=stdin, timeout=60)


def check(condition, what, result=None):
    if not condition:
        detail = ""
        if result is not None:
            detail = f"\n  exit {result.returncode}\n  stdout: {result.stdout}\n  stderr: {result.stderr}"
        failures.append(what + detail)
        print("FAIL:", what + detail)


def main() -> int:
    binary, sample = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        # keygen: mode 0600 private key, public key, refuses to overwrite.
        keys = os.path.join(tmp, "keys")
        r = run(binary, "keygen", "--out", keys)
        check(r.returncode == 0, "keygen succeeds", r)
        mode = stat.S_IMODE(os.stat(os.path.join(keys, "audit.key")).st_mode)
        check(mode == 0o600, f"audit.key has mode 0600 (got {oct(mode)})")
        check("BEGIN PRIVATE KEY" in open(os.path.join(keys, "audit.key")).read(), "PKCS#8 PEM")
        check("BEGIN PUBLIC KEY" in open(os.path.join(keys, "audit.pub")).read(), "SPKI PEM")
        before = open(os.path.join(keys, "audit.key")).read()
        r = run(binary, "keygen", "--out", keys)
        check(r.returncode != 0 and "refusing to overwrite" in r.stderr, "keygen refuses to overwrite", r)
        check(open(os.path.join(keys, "audit.key")).read() == before, "the key is unchanged")

        # A signed, rotated log with every kind of record.
        subprocess.run([sample, os.path.join(tmp, "s")], check=True)
        log = os.path.join(tmp, "s", "log")
        pub = os.path.join(tmp, "s", "audit.pub")
        files = sorted(glob.glob(os.path.join(log, "audit-*.jsonl")))

        r = run(binary, "audit", "verify", log, "--public-key", pub)
        check(r.returncode == 0 and r.stdout.startswith("intact:"), "verify: intact log exits 0", r)
        check("NOT checked" not in r.stdout, "verify with a key checks signatures", r)
        r = run(binary, "audit", "verify", *files)
        check(r.returncode == 0 and "NOT checked" in r.stdout,
              "verify without a key says signatures were not checked", r)
        r = run(binary, "audit", "verify", log, "--json", "--public-key", pub)
        report = json.loads(r.stdout)
        check(r.returncode == 0 and report["intact"] is True and report["signatures_checked"] > 0,
              "verify --json reports intact with signatures", r)

        # Tampering: exit 1 and the first bad record named.
        bad = os.path.join(tmp, "bad")
        shutil.copytree(log, bad)
        bad_files = sorted(glob.glob(os.path.join(bad, "audit-*.jsonl")))
        with open(bad_files[1]) as f:
            lines = f.readlines()
        del lines[2]
        with open(bad_files[1], "w") as f:
            f.writelines(lines)
        r = run(binary, "audit", "verify", bad)
        check(r.returncode == 1 and "TAMPERED" in r.stdout and "removed" in r.stdout
              and os.path.basename(bad_files[1]) + ":3" in r.stdout,
              "verify: a deleted line exits 1 naming file:line", r)
        r = run(binary, "audit", "verify", bad, "--json")
        report = json.loads(r.stdout)
        check(r.returncode == 1 and report["problem"]["kind"] == "removed"
              and report["problem"]["line"] == 3, "verify --json names the problem", r)

        # Another key: bad signature.
        r = run(binary, "audit", "verify", log, "--public-key", os.path.join(keys, "audit.pub"))
        check(r.returncode == 1 and "bad signature" in r.stdout, "verify with another key", r)

        # Unreadable: exit 2.
        r = run(binary, "audit", "verify", os.path.join(tmp, "missing.jsonl"))
        check(r.returncode == 2, "verify: a missing file exits 2", r)
        r = run(binary, "audit", "verify", log, "--public-key", os.path.join(tmp, "nokey.pub"))
        check(r.returncode == 2, "verify: a missing key exits 2", r)

        # Inclusion proof round trip.
        r = run(binary, "audit", "proof", *files, "--seq", "3")
        check(r.returncode == 0, "proof succeeds", r)
        proof_path = os.path.join(tmp, "proof.json")
        with open(proof_path, "w") as f:
            f.write(r.stdout)
        with open(files[0]) as f:
            record3 = f.readlines()[2]
        record_path = os.path.join(tmp, "record3.jsonl")
        with open(record_path, "w") as f:
            f.write(record3)
        r = run(binary, "audit", "verify-proof", proof_path, "--record", record_path,
                "--public-key", pub)
        check(r.returncode == 0 and r.stdout.startswith("valid:"), "verify-proof accepts", r)
        forged = json.loads(open(proof_path).read())
        forged["audit_path"][0] = "00" * 32
        r = run(binary, "audit", "verify-proof", "-", stdin=json.dumps(forged))
        check(r.returncode == 1 and "INVALID" in r.stdout, "verify-proof rejects a forged path", r)
        r = run(binary, "audit", "proof", *files, "--seq", "100000")
        check(r.returncode == 1, "proof of a record that is not there exits 1", r)

        # tail: one line per record, for a person.
        r = run(binary, "audit", "tail", files[0], "-n", "3")
        out = r.stdout.strip().splitlines()
        check(r.returncode == 0 and len(out) == 3 and all(l.startswith("#") for l in out),
              "tail -n 3 prints three records", r)
        r = run(binary, "audit", "tail", files[0], "-n", "100")
        check("decision" in r.stdout and "ALLOW" in r.stdout and "checkpoint" in r.stdout,
              "tail shows decisions and checkpoints", r)
        # A newest file ending with NUL bytes (the unwritten tail a preallocating writer keeps
        # ahead of its records): intact; bytes after the NULs are damage; tail shows the
        # records before the NULs and, with --follow, the records written over them later.
        zlog = os.path.join(tmp, "zero-tail")
        shutil.copytree(log, zlog)
        zfiles = sorted(glob.glob(os.path.join(zlog, "audit-*.jsonl")))
        newest = zfiles[-1]
        data_end = os.path.getsize(newest)
        with open(newest, "ab") as f:
            f.write(b"\0" * 4096)
        r = run(binary, "audit", "verify", zlog, "--json")
        report = json.loads(r.stdout) if r.returncode == 0 else {}
        check(r.returncode == 0 and report.get("intact") is True
              and report.get("unwritten_bytes") == 4096,
              "verify --json: a NUL tail is intact and its length reported", r)
        r = run(binary, "audit", "verify", zlog)
        check(r.returncode == 0 and "unwritten tail of 4096 NUL bytes" in r.stdout,
              "verify notes the NUL tail", r)
        r = run(binary, "audit", "tail", newest, "-n", "2")
        out = r.stdout.strip().splitlines()
        check(r.returncode == 0 and len(out) == 2 and all(l.startswith("#") for l in out),
              "tail -n 2 shows the last two records before the NUL tail", r)
        with open(newest, "r+b") as f:
            f.seek(data_end + 100)
            f.write(b"x")
        r = run(binary, "audit", "verify", zlog)
        check(r.returncode == 1 and "TAMPERED" in r.stdout and os.path.basename(newest) in r.stdout
              and f"byte offset {data_end + 100}" in r.stdout,
              "verify: a byte after the NUL tail is damage, with file and offset", r)

        # tail --follow reads a record written over the NULs in place (the size does not change).
        ffile = os.path.join(tmp, "follow", os.path.basename(files[0]))
        os.makedirs(os.path.dirname(ffile))
        first_lines = open(files[0], "rb").read().split(b"\n")
        with open(ffile, "wb") as f:
            f.write(first_lines[0] + b"\n" + b"\0" * 4096)
        proc = subprocess.Popen([binary, "audit", "tail", ffile, "-n", "5", "--follow"],
                                stdout=subprocess.PIPE, text=True)
        printed = queue.Queue()
        threading.Thread(target=lambda: [printed.put(l) for l in proc.stdout], daemon=True).start()

        def next_line():
            # A generous bound (tail polls every 200 ms): only a broken tail takes this long.
            try:
                return printed.get(timeout=30)
            except queue.Empty:
                return ""
        try:
            first = next_line()
            with open(ffile, "r+b") as f:
                f.seek(len(first_lines[0]) + 1)
                f.write(first_lines[1] + b"\n")
            second = next_line()
            seq = json.loads(first_lines[1])["metadata"]["sequence"]
            check(first.startswith("#1 ") and second.startswith(f"#{seq} "),
                  f"tail --follow shows a record written over the NUL tail (got {first!r}, {second!r})")
        finally:
            proc.kill()
            proc.wait()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
