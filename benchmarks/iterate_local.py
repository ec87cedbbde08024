"""Benchmark: a one-line code edit deployed to the local endpoint, with `--hotswap` and
with a full provision, for the 100-function benchmark service with dependencies.

The service is build_deps.py's (N handlers in service.py, each with its logic in
app/h<i>.py, requests/PyYAML/pydantic/python-dateutil/attrs from the same offline
wheelhouse), provisioned to a MiniStack started on a free loopback port, once with
`layer = true` and once without. For each, after a first full provision (not timed),
each run edits one line of app/h7.py and times a fresh `sparta -q provision --hotswap`
process, then edits it again and times a fresh `sparta -q provision --yes` (a full
provision through a change set). Bytes uploaded are what landed in the artifact bucket
during the step (new objects' sizes: archives, layer, template); "functions" is how
many functions the hotswap updated (the others run none of what changed).

`--layout one-module` uses one_module.py's service instead (every handler in one
handlers.py, so an edit of it reaches every function; past 500 resources it is split
into nested stacks), `layer = true` only (a full provision of nested stacks runs on the
embedded endpoint, whose launcher corrects MiniStack 1.5.33's nested update).

    .venv/bin/python benchmarks/iterate_local.py [--runs 5] [--functions 100]
    .venv/bin/python benchmarks/iterate_local.py --layout one-module --functions 1000
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_deps import BENCH_CACHE, BIN, environment, make_service, wheelhouse  # noqa: E402

BUCKET = "bench-artifacts"


def objects(s3: object) -> dict[str, int]:
    listing = s3.list_objects_v2(Bucket=BUCKET)  # type: ignore[attr-defined]
    return {item["Key"]: item["Size"] for item in listing.get("Contents", [])}


def step(command: list[str], project: Path, env: dict[str, str],
         s3: object) -> tuple[float, int, int]:
    """Wall time of one sparta process, the bytes it put in the bucket, and how many
    resources it hotswapped (0 for a full provision)."""
    before = objects(s3)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, text=True, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    after = objects(s3)
    swapped = re.search(r"hotswapped (\d+) resource", done.stdout)
    return (elapsed, sum(size for key, size in after.items() if key not in before),
            int(swapped.group(1)) if swapped else 0)


def edit(project: Path, counter: list[int], layout: str) -> None:
    counter[0] += 1
    if layout == "one-module":
        from one_module import edit_handler

        edit_handler(project, 7, counter[0])
        return
    module = project / "app" / "h7.py"
    lines = module.read_text().splitlines()
    lines = [line for line in lines if not line.startswith("EDIT = ")]
    module.write_text("\n".join([*lines, f"EDIT = {counter[0]}"]) + "\n")


def make_project(layout: str, layer: bool, count: int, work: Path) -> Path:
    house = wheelhouse()
    name = f"bench-{layout}-{'layer' if layer else 'plain'}"
    project = work / name
    extra = "layer = true\n" if layer else ""
    toml = f'find-links = ["{house}"]\ns3-bucket = "{BUCKET}"\n{extra}'
    if layout == "one-module":
        from one_module import make_service as one_module_service

        one_module_service(project, count, requirements="requests\nPyYAML\npydantic\n",
                           extra_toml=toml, name=name)
        return project
    make_service(project, count, house)
    # Each variant its own stack, so the two never share state.
    service = project / "service.py"
    service.write_text(service.read_text().replace('Service("bench"', f'Service("{name}"'))
    (project / "pyproject.toml").write_text(f"[tool.sparta]\n{toml}")
    return project


def bench(layout: str, layer: bool, count: int, runs: int, work: Path, env: dict[str, str],
          s3: object) -> dict[str, list[float]]:
    project = make_project(layout, layer, count, work)
    sparta = str(BIN / "sparta")
    step([sparta, "-q", "provision", "--yes"], project, env, s3)
    counter = [0]
    figures: dict[str, list[float]] = {"hotswap s": [], "hotswap bytes": [], "functions": [],
                                       "full s": [], "full bytes": []}
    for _ in range(runs):
        edit(project, counter, layout)
        seconds, size, swapped = step([sparta, "-q", "provision", "--hotswap"], project, env,
                                      s3)
        figures["hotswap s"].append(seconds)
        figures["hotswap bytes"].append(size)
        figures["functions"].append(swapped)
        edit(project, counter, layout)
        seconds, size, _ = step([sparta, "-q", "provision", "--yes"], project, env, s3)
        figures["full s"].append(seconds)
        figures["full bytes"].append(size)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--functions", type=int, default=100)
    parser.add_argument("--layout", choices=("per-module", "one-module"), default="per-module")
    args = parser.parse_args()
    layers = (True,) if args.layout == "one-module" else (True, False)

    import boto3

    from sparta_core.testing.endpoint import running_endpoint

    with tempfile.TemporaryDirectory(prefix="sparta-iterate-") as scratch:
        work = Path(scratch)
        with running_endpoint(work / "endpoint") as url:
            env = environment(BENCH_CACHE / "sparta-cache")
            env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="test",
                       AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
            for name in ("AWS_PROFILE", "SPARTA_LOCAL"):
                env.pop(name, None)
            s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket=BUCKET)
            results = {layer: bench(args.layout, layer, args.functions, args.runs, work, env,
                                    s3) for layer in layers}
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{time.strftime('%Y-%m-%d')}  {platform.machine()} {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  load average {load}")
    print(f"{args.functions} functions ({args.layout}), one-line edit, median of {args.runs} "
          "runs (each a fresh sparta process)")
    print(f"{'':<14} {'--hotswap':>10} {'uploaded':>12} {'functions':>10}   "
          f"{'full provision':>14} {'uploaded':>12}")
    for layer, figures in results.items():
        label = "layer = true" if layer else "layer = false"
        median = {key: statistics.median(values) if values else float("nan")
                  for key, values in figures.items()}
        print(f"{label:<14} {median['hotswap s']:>9.2f}s {median['hotswap bytes'] / 1024:>9.1f} KB"
              f" {median['functions']:>10.0f}   {median['full s']:>13.2f}s "
              f"{median['full bytes'] / 1024:>9.1f} KB")


if __name__ == "__main__":
    main()
