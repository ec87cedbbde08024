"""Benchmark: what sparta's upload tuning (sparta_core.aws.transfer) buys, against a
MiniStack on a free loopback port (started through sparta's launcher, stopped at the end).

Three workloads, each timed both ways, median of RUNS, every run to fresh keys:

* one large artifact (``--size`` MiB of incompressible bytes): a single PutObject (the
  transfer manager with a threshold above the file) beside sparta's tuning (multipart
  from 16 MiB, 8 MiB pieces, 8 at a time);
* four artifacts of 4 MiB (an archive, a layer, two component assets): one after the
  other beside :func:`~sparta_core.aws.transfer.run_parallel` (4 at once);
* sixteen nested-stack templates of 150 KB (the 1,000-function service has 16 children
  of about this size): one after the other beside 8 at once, as converge uploads them.

Loopback has no latency and MiniStack shares the machine's cores with this script, so
this shows the overhead and the parallelism the machine allows; against S3 over a real
link, where each request waits a round trip, the parallel forms gain more.

    .venv/bin/python benchmarks/upload_local.py [--runs 5] [--size 64]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sparta_core.aws import local, transfer
from sparta_core.stages.converge.executor import TEMPLATE_UPLOADS

BUCKET = "bench-uploads"
MiB = 1024 * 1024


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=64, help="MiB of the large artifact")
    args = parser.parse_args()

    import boto3

    with tempfile.TemporaryDirectory(prefix="sparta-uploads-") as scratch:
        work = Path(scratch)
        rng = random.Random(7)
        large = work / "large.zip"
        large.write_bytes(rng.randbytes(args.size * MiB))
        artifacts = []
        for n in range(4):
            path = work / f"artifact-{n}.zip"
            path.write_bytes(rng.randbytes(4 * MiB))
            artifacts.append(path)
        templates = [rng.randbytes(150 * 1024) for _ in range(16)]

        port = local.free_port()
        log = work / "ministack.log"
        process = local.spawn(port, work / "tmp", log, detach=False)
        url = f"http://{local.HOST}:{port}"
        try:
            local.wait_ready(process, url, log)
            s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket=BUCKET)
            results = bench(s3, args.runs, large, artifacts, templates)
        finally:
            local.stop_process(process)

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{time.strftime('%Y-%m-%d')}  {platform.machine()} {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  load average {load}")
    print(f"median of {args.runs} runs, seconds")
    print(f"{'workload':<34} {'one by one':>11} {'sparta':>9}")
    for name, (plain, tuned) in results.items():
        print(f"{name:<34} {statistics.median(plain):>10.2f}s "
              f"{statistics.median(tuned):>8.2f}s")


def bench(s3: Any, runs: int, large: Path, artifacts: list[Path],
          templates: list[bytes]) -> dict[str, tuple[list[float], list[float]]]:
    tuned = transfer.tuning({})
    single = transfer.Tuning(threshold=2**40, chunk=tuned.chunk, concurrency=1)
    counter = iter(range(10**9))

    def key() -> str:
        return f"k/{next(counter)}"

    def put_file(path: Path, tuning: transfer.Tuning) -> None:
        s3.upload_file(str(path), BUCKET, key(), Config=tuning.transfer_config())

    def put_body(body: bytes) -> None:
        s3.put_object(Bucket=BUCKET, Key=key(), Body=body)

    size = large.stat().st_size // MiB
    results: dict[str, tuple[list[float], list[float]]] = {
        f"one {size} MiB artifact": ([], []),
        "four 4 MiB artifacts": ([], []),
        "sixteen 150 KB templates": ([], []),
    }
    for _ in range(runs):
        one, four, sixteen = results.values()
        one[0].append(timed(lambda: put_file(large, single)))
        one[1].append(timed(lambda: put_file(large, tuned)))
        four[0].append(timed(lambda: [put_file(path, tuned) for path in artifacts]))
        four[1].append(timed(lambda: transfer.run_parallel(
            [lambda p=path: put_file(p, tuned) for path in artifacts])))
        sixteen[0].append(timed(lambda: [put_body(body) for body in templates]))
        sixteen[1].append(timed(lambda: transfer.run_parallel(
            [lambda b=body: put_body(b) for body in templates], limit=TEMPLATE_UPLOADS)))
    return results


if __name__ == "__main__":
    main()
