"""How long `sparta --help` takes, against a bare `python -c pass`.

    .venv/bin/python benchmarks/cli_startup.py [--runs 30]

Runs each command RUNS times in fresh processes (after two warm-ups) and prints the
median and the best wall time. Target (issue 2): `sparta --help` at most 70 ms on the
2-core reference machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def measure(command: list[str], runs: int) -> tuple[float, float]:
    for _ in range(2):
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    sparta = shutil.which("sparta", path=str(Path(sys.executable).parent))
    if sparta is None:
        sys.exit("sparta is not installed in this environment (run scripts/test once)")
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("sparta --help", [sparta, "--help"]),
        ("sparta --version", [sparta, "--version"]),
    ]
    print(f"{'command':<20} {'median':>9} {'best':>9}")
    for label, command in rows:
        median, best = measure(command, args.runs)
        print(f"{label:<20} {median * 1000:7.1f}ms {best * 1000:7.1f}ms")


if __name__ == "__main__":
    main()
