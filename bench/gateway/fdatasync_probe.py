#!/usr/bin/env python3
"""fdatasync_probe.py: what one fdatasync costs on a file system, now.

Issue 5's strict-mode latency target is "nginx's added latency plus one fdatasync, measured in
the same run". This measures that fdatasync the way strict mode pays it: append SIZE bytes to a
file (by default 5,600, one decision record plus the previous call's outcome record, which the
gateway writes together) and fdatasync it, COUNT times in a row on a fresh file in DIR (use the
file system the gateway's audit directory is on). Appending grows the file, so every sync also
commits the new size, as the audit log's do.

    fdatasync_probe.py [--dir DIR] [--size BYTES] [--count N]

Prints one line: p50, p90, p99 and the mean in microseconds, and the CPU time per sync (this VM
spends much of a sync on the CPU). Exit 0; 2 if DIR is not writable.
"""
import argparse
import os
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--size", type=int, default=5600)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    try:
        fd, path = tempfile.mkstemp(prefix="fdatasync-probe.", dir=args.dir)
    except OSError as e:
        print(f"fdatasync_probe: cannot write in {args.dir}: {e}", file=sys.stderr)
        return 2
    record = b"x" * (args.size - 1) + b"\n"
    samples = []
    try:
        cpu_start = time.process_time()
        for _ in range(args.count):
            start = time.perf_counter()
            os.write(fd, record)
            os.fdatasync(fd)
            samples.append((time.perf_counter() - start) * 1e6)
        cpu = (time.process_time() - cpu_start) / args.count * 1e6
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(len(samples) * p))]

    mean = sum(samples) / len(samples)
    print(f"fdatasync of a {args.size} B append in {args.dir}, {args.count} in a row: "
          f"p50 {pct(0.5):.0f} us, p90 {pct(0.9):.0f} us, p99 {pct(0.99):.0f} us, "
          f"mean {mean:.0f} us, CPU {cpu:.0f} us per sync")
    return 0


if __name__ == "__main__":
    sys.exit(main())
