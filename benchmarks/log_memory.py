"""Memory and speed of the streaming log parser on a ~100 MB synthetic log.

Generates a synthetic log into a temporary directory (never into the repository): mostly
one timestamped format with many event types and high-cardinality values, plus interleaved
lines in other formats (stack-trace continuations, key=value lines, free text) and random
junk that creates a stream of one-off templates, so that the parser's caps are exercised.

Two measurements run in fresh child processes so that each peak RSS is its own:

* ``baseline``: read the file line by line and count the lines;
* ``parse``: ``parse_file`` over the same file, counting lines and keeping nothing else.

Usage::

    .venv/bin/python benchmarks/log_memory.py [--megabytes 100] [--keep]

Target: peak RSS of the parse run <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PEAK_RSS_TARGET_MB = 300
_USERS = [f"user{n:03d}" for n in range(400)]
_STATES = ["NEW", "QUEUED", "RUNNING", "DONE", "FAILED"]
_WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "sigma"]


def _event(rng: random.Random) -> str:
    """One message from a few dozen event types with variable values."""
    n = rng.randint(0, 10**9)
    ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    choices: list[Callable[[], str]] = [
        lambda: (
            f"Accepted connection from {ip}:{rng.randint(1024, 65535)} for {rng.choice(_USERS)}"
        ),
        lambda: (
            f"Request {n:x} finished in {rng.random() * 900:.2f} ms status={rng.randint(200, 504)}"
        ),
        lambda: f"Chunk chunk_{n} replicated to {ip} size {rng.randint(1, 1 << 27)}",
        lambda: f"Task {n % 5000} moved from {rng.choice(_STATES)} to {rng.choice(_STATES)}",
        lambda: f"Cache {rng.choice(_WORDS)} evicted {n % 999} entries ({n % 77} KB)",
        lambda: f"Opened file /data/{rng.choice(_WORDS)}/{n}.parquet for {rng.choice(_USERS)}",
        lambda: f"Session {n:016x} expired after {n % 3600} seconds",
        lambda: f"GET /api/v{n % 3}/items/{n} HTTP/1.1 {rng.randint(200, 504)} {n % 9999}",
        lambda: f"Worker worker-{n % 64} heartbeat ok load={rng.random():.3f}",
        lambda: f"Retrying connect to db-{n % 9}.example.org:5432 attempt {n % 10}",
    ]
    return rng.choice(choices)()


def _line(rng: random.Random, index: int) -> str:
    """One raw line: mostly the main format, sometimes another format or junk."""
    roll = rng.random()
    if roll < 0.03:
        return f"    at com.example.Service.method{index % 40}(Service.java:{index % 900})"
    if roll < 0.05:
        return f'ts={index} level=info msg="{_event(rng)}" shard={index % 16}'
    if roll < 0.06:
        junk = " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=7)) for _ in range(5))
        stamp = f"2024-03-01 12:{index % 60:02d}:{index % 60:02d},{index % 1000:03d}"
        return f"{stamp} WARN [main] x: {junk}"
    level = ("INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG")[index % 6]
    return (
        f"2024-03-01 12:{index // 60 % 60:02d}:{index % 60:02d},{index % 1000:03d} {level}"
        f" [pool-{index % 8}-thread-{index % 32}] com.example.{rng.choice(_WORDS)}.Component:"
        f" {_event(rng)}"
    )


def generate(path: Path, megabytes: int, seed: int = 42) -> int:
    """Write a synthetic log of about ``megabytes`` MB; return the number of lines."""
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    written = 0
    lines = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            chunk = "".join(_line(rng, lines + i) + "\n" for i in range(10_000))
            handle.write(chunk)
            written += len(chunk.encode("utf-8"))
            lines += 10_000
    return lines


def _peak_rss_mb() -> float:
    # ru_maxrss is reported in kilobytes on this platform.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(mode: str, path: Path) -> dict[str, float]:
    start = time.perf_counter()
    if mode == "baseline":
        with path.open(encoding="utf-8", errors="replace") as handle:
            count = sum(1 for _ in handle)
        templates = 0
    else:
        from casebridge.occurrences.logparse import LogParser, parse_file

        parser = LogParser()
        count = sum(1 for _ in parse_file(path, parser))
        templates = len(parser.templates())
    elapsed = time.perf_counter() - start
    return {
        "lines": count,
        "seconds": elapsed,
        "lines_per_s": count / elapsed,
        "peak_rss_mb": _peak_rss_mb(),
        "templates": templates,
    }


def _run_child(mode: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def main() -> int:
    """Generate, measure both runs, print a report; non-zero exit if over the RSS target."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--megabytes", type=int, default=100)
    options.add_argument("--keep", action="store_true", help="keep the generated file")
    options.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker[0], Path(args.worker[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="log-memory-") as folder:
        path = Path(folder) / "synthetic.log"
        started = time.perf_counter()
        lines = generate(path, args.megabytes)
        size_mb = path.stat().st_size / 1024 / 1024
        print(
            f"generated {lines:,} lines, {size_mb:.1f} MB in {time.perf_counter() - started:.1f} s"
        )
        baseline = _run_child("baseline", path)
        parse = _run_child("parse", path)
        for name, run in (("read lines only", baseline), ("parse_file", parse)):
            print(
                f"{name:<16} {run['lines']:>10,.0f} lines  {run['seconds']:7.2f} s"
                f"  {run['lines_per_s']:>10,.0f} lines/s  peak RSS {run['peak_rss_mb']:6.1f} MB"
            )
        print(f"templates kept: {parse['templates']:.0f}")
        print(f"parse / read throughput: {parse['lines_per_s'] / baseline['lines_per_s']:.3f}")
        ok = parse["peak_rss_mb"] <= PEAK_RSS_TARGET_MB
        print(f"peak RSS target <= {PEAK_RSS_TARGET_MB} MB: {'met' if ok else 'MISSED'}")
        if args.keep:
            kept = Path(tempfile.gettempdir()) / "log-memory-synthetic.log"
            path.replace(kept)
            print(f"kept {kept}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
