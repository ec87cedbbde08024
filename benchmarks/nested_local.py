"""Benchmark: the one-module service provisioned on the local endpoint: created, updated
after a one-line edit, updated with one more function; where the time of each step goes
between the artifact uploads, the template work and converging.

The service is one_module.py's (N handlers in one handlers.py; 1,000 functions are split
into 16 nested stacks). ``--deps`` gives it build_deps.py's requirements (installed
offline from that benchmark's wheelhouse, so the archive is about 4.4 MB instead of
90 KB). A MiniStack is started on a free loopback port through sparta's launcher (which
corrects MiniStack's nested update, see sparta_core.aws.local_endpoint) and stopped at
the end. Each step is a fresh `sparta -v provision --yes` process, as a user would run
it; ``--runs`` repeats the three steps on fresh stacks and prints medians.

The table shows, per step: the wall time; the ``upload`` stage; the template work (the
``marshall``, ``decorate``, ``post-marshall`` and ``validate-template`` stages); how long
converge waited for uploads still running when it needed them (``waited``, from the
``waited ... ms for`` line; ``-`` when the run prints none); the ``converge`` stage. With
``--latency-ms`` / ``--stream-mbit``, every AWS call goes through upload_local.py's proxy,
which models a link to AWS (each answer held back by that round trip, each connection
capped at that rate).

    .venv/bin/python benchmarks/nested_local.py [--functions 1000] [--deps] [--runs 1]
        [--latency-ms 0] [--stream-mbit 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from one_module import add_function, edit_handler, make_service  # noqa: E402

BUCKET = "bench-artifacts"
STAGE_LINE = re.compile(r"^\s+([a-z-]+)\s+ok\s+([\d.]+) ms$", re.MULTILINE)
WAITED_LINE = re.compile(r"waited ([\d.]+) ms for ")
TEMPLATE_STAGES = ("marshall", "decorate", "post-marshall", "validate-template")
COLUMNS = ("wall", "upload", "template", "waited", "converge")


def provision(sparta: str, project: Path, env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run([sparta, "-v", "provision", "--yes"], cwd=project, env=env,
                          text=True, capture_output=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"sparta provision failed:\n{done.stderr[-2000:]}")
    stages = {name: float(ms) / 1000 for name, ms in STAGE_LINE.findall(done.stderr)}
    times = {"wall": wall, "upload": stages.get("upload", 0.0),
             "template": sum(stages.get(name, 0.0) for name in TEMPLATE_STAGES),
             "converge": stages.get("converge", 0.0)}
    waited = WAITED_LINE.findall(done.stderr)
    if waited:
        times["waited"] = sum(float(ms) for ms in waited) / 1000
    return times


def one_run(sparta: str, work: Path, env: dict[str, str], count: int, name: str,
            requirements: str, extra_toml: str) -> dict[str, dict[str, float]]:
    project = work / name
    make_service(project, count, name=name, requirements=requirements,
                 extra_toml=f's3-bucket = "{BUCKET}"\n' + extra_toml)
    steps = {"create": provision(sparta, project, env)}
    edit_handler(project, 5, 1)
    steps["one-line edit"] = provision(sparta, project, env)
    add_function(project, count)
    steps["function added"] = provision(sparta, project, env)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--deps", action="store_true",
                        help="build_deps.py's requirements, from its offline wheelhouse")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="round trip the proxy adds to each answer")
    parser.add_argument("--stream-mbit", type=float, default=0.0,
                        help="most each connection may send, Mbit/s (0: no limit)")
    args = parser.parse_args()
    sparta = shutil.which("sparta", path=str(Path(sys.executable).parent))
    if sparta is None:
        sys.exit("sparta is not installed in this environment")

    import boto3

    from sparta_core.testing.endpoint import running_endpoint

    requirements, extra_toml = "", ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SPARTA_"))}
    if args.deps:
        import build_deps

        requirements = build_deps.REQUIREMENTS
        extra_toml = f'find-links = ["{build_deps.wheelhouse()}"]\n'
        env.update(UV_CACHE_DIR=str(build_deps.BENCH_CACHE / "uv-cache"), UV_NO_INDEX="1",
                   UV_OFFLINE="1")
    # Users' Pythons keep bytecode caches (see build_deps.py).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sparta-nested-") as scratch:
        work = Path(scratch)
        # One dependency cache for every run: the dependencies are installed once, as
        # they are on a developer's machine (the steps time the deploys, not uv).
        env["SPARTA_CACHE_DIR"] = str(work / "cache")
        with running_endpoint(work / "endpoint") as url:
            boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="test",
                         aws_secret_access_key="test").create_bucket(Bucket=BUCKET)
            if args.latency_ms or args.stream_mbit:
                from upload_local import slow_link

                url = slow_link(int(url.rsplit(":", 1)[1]), args.latency_ms / 1000,
                                args.stream_mbit * 1e6 / 8)
            env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="test",
                       AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
            if args.deps:  # the dependencies installed once, outside the figures
                warmup = work / "warmup"
                make_service(warmup, 1, name="warmup", requirements=requirements,
                             extra_toml=extra_toml)
                subprocess.run([sparta, "-q", "build"], cwd=warmup, env=env, check=True,
                               capture_output=True)
            runs = [one_run(sparta, work, env, args.functions, f"big{n}", requirements,
                            extra_toml) for n in range(args.runs)]
    load = " / ".join(f"{value:.2f}" for value in load_before)
    load_after = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    link = (f", through a proxy: {args.latency_ms:g} ms round trip, "
            f"{args.stream_mbit:g} Mbit/s per connection"
            if args.latency_ms or args.stream_mbit else "")
    print(f"{time.strftime('%Y-%m-%d')}  {platform.machine()} {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  load average {load} before, "
          f"{load_after} after")
    print(f"{args.functions} functions{' with dependencies' if args.deps else ''}, "
          f"median of {args.runs} run(s), seconds{link}")
    print(f"{'step':<16}" + "".join(f"{column:>10}" for column in COLUMNS))
    for step in runs[0]:
        cells = []
        for column in COLUMNS:
            samples = [run[step][column] for run in runs if column in run[step]]
            cells.append(f"{statistics.median(samples):>10.3f}" if samples else f"{'-':>10}")
        print(f"{step:<16}" + "".join(cells))


if __name__ == "__main__":
    main()
