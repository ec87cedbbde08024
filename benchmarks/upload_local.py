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
straight to the endpoint this shows only the overhead of the parallel forms. With
``--latency-ms`` and ``--stream-mbit`` the client talks to the endpoint through a small
proxy on loopback that holds each answer back by that round trip and lets each
connection send at most that rate (one TCP stream to S3 is bounded by its window over
the round trip; more connections get more of the link): a rough model of a real link.

    .venv/bin/python benchmarks/upload_local.py [--runs 5] [--size 64]
        [--latency-ms 0] [--stream-mbit 0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sparta_core.aws import local, transfer
from sparta_core.stages.converge.executor import TEMPLATE_UPLOADS
from sparta_core.testing.endpoint import running_endpoint

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
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="round trip the proxy adds to each answer")
    parser.add_argument("--stream-mbit", type=float, default=0.0,
                        help="most each connection may send, Mbit/s (0: no limit)")
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

        with running_endpoint(work / "endpoint") as url:
            if args.latency_ms or args.stream_mbit:
                url = slow_link(int(url.rsplit(":", 1)[1]), args.latency_ms / 1000,
                                args.stream_mbit * 1e6 / 8)
            s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket=BUCKET)
            results = bench(s3, args.runs, large, artifacts, templates)

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{time.strftime('%Y-%m-%d')}  {platform.machine()} {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  load average {load}")
    link = (f"through a proxy: {args.latency_ms:g} ms round trip, "
            f"{args.stream_mbit:g} Mbit/s per connection" if args.latency_ms or args.stream_mbit
            else "straight to the endpoint")
    print(f"median of {args.runs} runs, seconds, {link}")
    print(f"{'workload':<34} {'one by one':>11} {'sparta':>9}")
    for name, (plain, tuned) in results.items():
        print(f"{name:<34} {statistics.median(plain):>10.2f}s "
              f"{statistics.median(tuned):>8.2f}s")


def slow_link(port: int, latency: float, rate: float) -> str:
    """Start a proxy to 127.0.0.1:``port`` in a thread; its URL. Each answer that
    follows bytes from the client waits ``latency`` first; each connection sends at
    most ``rate`` bytes a second (0: no limit)."""
    ready = threading.Event()
    where: list[int] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   turn: list[bool], upstream: bool) -> None:
        try:
            while data := await reader.read(64 * 1024):
                if upstream:
                    turn[0] = True
                    if rate:
                        await asyncio.sleep(len(data) / rate)
                elif turn[0]:
                    turn[0] = False
                    await asyncio.sleep(latency)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(local.HOST, port)
        turn = [False]
        await asyncio.gather(pipe(reader, server_writer, turn, True),
                             pipe(server_reader, writer, turn, False))

    async def run() -> None:
        server = await asyncio.start_server(serve, local.HOST, 0)
        where.append(server.sockets[0].getsockname()[1])
        ready.set()
        await server.serve_forever()

    threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()
    ready.wait(10)
    return f"http://{local.HOST}:{where[0]}"


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
