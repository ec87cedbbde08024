"""Benchmark: the 1,000-function one-module service provisioned through nested stacks on
the local endpoint: created, updated after a one-line edit, updated with a 1,001st
function.

The service is one_module.py's (N handlers in one handlers.py, no dependencies). A
MiniStack is started on a free loopback port through sparta's launcher (which corrects
MiniStack's nested update, see sparta_core.aws.local_endpoint) and stopped at the end.
Each step is a fresh `sparta provision --yes` process, as a user would run it; the
table shows its wall time and the time of its upload and converge stages (from the
stage lines sparta prints).

    .venv/bin/python benchmarks/nested_local.py [--functions 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from one_module import add_function, edit_handler, make_service  # noqa: E402

BUCKET = "bench-artifacts"
STAGE_LINE = re.compile(r"^\s+(upload|converge)\s+ok\s+([\d.]+) ms$", re.MULTILINE)


def provision(sparta: str, project: Path, env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run([sparta, "provision", "--yes"], cwd=project, env=env, text=True,
                          capture_output=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"sparta provision failed:\n{done.stderr[-2000:]}")
    stages = {name: float(ms) / 1000 for name, ms in STAGE_LINE.findall(done.stderr)}
    return {"wall": wall, **stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--functions", type=int, default=1000)
    args = parser.parse_args()
    sparta = shutil.which("sparta", path=str(Path(sys.executable).parent))
    if sparta is None:
        sys.exit("sparta is not installed in this environment")

    import boto3

    from sparta_core.testing.endpoint import running_endpoint

    with tempfile.TemporaryDirectory(prefix="sparta-nested-") as scratch:
        work = Path(scratch)
        project = work / "big"
        make_service(project, args.functions, name="big",
                     extra_toml=f's3-bucket = "{BUCKET}"\n')
        with running_endpoint(work / "endpoint") as url:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("AWS_", "SPARTA_"))}
            env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="test",
                       AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
            boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="test",
                         aws_secret_access_key="test").create_bucket(Bucket=BUCKET)
            steps = {"create": provision(sparta, project, env)}
            edit_handler(project, 5, 1)
            steps["one-line edit"] = provision(sparta, project, env)
            add_function(project, args.functions)
            steps["function added"] = provision(sparta, project, env)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{time.strftime('%Y-%m-%d')}  {platform.machine()} {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  load average {load}")
    print(f"{args.functions} functions, nested stacks, one run, seconds")
    print(f"{'step':<16} {'wall':>7} {'upload':>7} {'converge':>9}")
    for name, times in steps.items():
        print(f"{name:<16} {times['wall']:>7.1f} {times.get('upload', 0):>7.2f} "
              f"{times.get('converge', 0):>9.1f}")


if __name__ == "__main__":
    main()
