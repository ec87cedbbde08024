"""Benchmark: `sparta build` of a service with real dependencies, cold and warm.

For N = 1, 25, 100 handler functions, with a realistic requirements.txt (requests,
PyYAML, pydantic, python-dateutil, attrs) installed for python3.12 x86_64 from a local
wheelhouse (downloaded once from PyPI into the benchmark's cache; every build then runs
with --no-index/--find-links, so the network is not in the figures), this prints:

- cold build: empty sparta cache, no .sparta/ (uv's own wheel cache is warm, as it is
  for the installer floor below);
- unchanged rebuild; rebuild after a one-line code edit;

each as a fresh `sparta -q build` process (median of several runs), as wall time and as
time beyond a bare interpreter start (`python -c pass` with the same Python); and the
floors on this machine: the installer alone (uv, same flags, into an empty folder) and
zipping the finished tree (zipfile, deflate level 6, the slimmed dependencies plus the
project's files).

    python benchmarks/build_deps.py [--runs 5] [--sizes 1,25,100]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REQUIREMENTS = "requests\nPyYAML\npydantic\npython-dateutil\nattrs\n"
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
BENCH_CACHE = Path(os.environ.get("SPARTA_BENCH_CACHE", Path.home() / ".cache" / "sparta-bench"))


def wheelhouse() -> Path:
    """The wheels for the target, downloaded once (the only network use)."""
    folder = BENCH_CACHE / "wheelhouse-cp312-x86_64"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--only-binary=:all:",
             "--platform", "manylinux2014_x86_64", "--python-version", "3.12",
             "--implementation", "cp", "-d", str(folder), "-q",
             "--disable-pip-version-check", *REQUIREMENTS.split()],
            check=True,
        )
        (folder / ".complete").touch()
    return folder


def make_service(root: Path, count: int, house: Path) -> None:
    """N decorated handlers in service.py, each with its logic in app/h<i>.py."""
    if root.exists():
        shutil.rmtree(root)
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    lines = [
        "import sparta_core as sparta",
        "",
        'service = sparta.Service("bench", runtime="python3.12", architecture="x86_64")',
        "",
    ]
    for i in range(count):
        lines += [
            "@service.function(memory_size=256, timeout=10)",
            f"def handler_{i}(event, context):",
            f"    from app.h{i} import handle",
            "    return handle(event)",
            "",
        ]
        (root / "app" / f"h{i}.py").write_text(
            "import yaml\nimport requests\nfrom pydantic import BaseModel\n\n\n"
            "class Item(BaseModel):\n    name: str\n    size: int = 0\n\n\n"
            "def handle(event):\n"
            f"    item = Item(name=event.get('name', 'h{i}'))\n"
            "    return {'statusCode': 200, 'body': yaml.safe_dump(item.model_dump())}\n"
        )
    (root / "service.py").write_text("\n".join(lines))
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (root / "pyproject.toml").write_text(f'[tool.sparta]\nfind-links = ["{house}"]\n')


def environment(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Users' Pythons keep bytecode caches; a machine-wide PYTHONDONTWRITEBYTECODE would
    # charge every run for compiling sparta (and click, pluggy...) from source again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        SPARTA_CACHE_DIR=str(cache),
        UV_CACHE_DIR=str(BENCH_CACHE / "uv-cache"),
        UV_NO_INDEX="1",
        UV_OFFLINE="1",
    )
    return env


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_of(runs: int, action) -> float:
    return statistics.median(action() for _ in range(runs))


def bench(count: int, runs: int, house: Path, work: Path, start: float) -> dict[str, float]:
    project = work / f"service-{count}"
    make_service(project, count, house)
    sparta = [str(BIN / "sparta"), "-q", "build"]
    results: dict[str, float] = {}

    def cold() -> float:
        cache = Path(tempfile.mkdtemp(dir=work, prefix="cold-cache-"))
        shutil.rmtree(project / ".sparta", ignore_errors=True)
        took = timed(sparta, project, environment(cache))
        shutil.rmtree(cache)
        return took

    results["cold"] = median_of(runs, cold)
    env = environment(work / "warm-cache")
    timed(sparta, project, env)  # fill the cache for the warm runs
    results["unchanged"] = median_of(runs, lambda: timed(sparta, project, env))
    edits = iter(range(10_000))

    def edit() -> float:
        module = project / "app" / "h0.py"
        text = module.read_text().splitlines()
        text[-1] = f"    return {{'statusCode': 200, 'body': 'edit {next(edits)}'}}"
        module.write_text("\n".join(text) + "\n")
        return timed(sparta, project, env)

    results["edit"] = median_of(runs, edit)

    requirements = project / "requirements.txt"

    def installer() -> float:
        target = Path(tempfile.mkdtemp(dir=work, prefix="floor-"))
        from uv import find_uv_bin

        took = timed(
            [find_uv_bin(), "pip", "install", "--target", str(target), "--python-platform",
             "x86_64-manylinux_2_34", "--python-version", "3.12", "--only-binary", ":all:",
             "--no-config", "--color", "never", "--find-links", str(house),
             "-r", str(requirements), "-q"],
            project, environment(work / "unused"),
        )
        shutil.rmtree(target)
        return took

    results["installer_floor"] = median_of(runs, installer)
    site = next((work / "warm-cache" / "deps").glob("*/site"))

    def zip_floor() -> float:
        from sparta_core.stages.build.plugin import list_project_files

        files = {**list_project_files(site), **list_project_files(project)}
        out = work / "floor.zip"
        started = time.perf_counter()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name in sorted(files):
                zf.write(files[name], name)
        took = time.perf_counter() - started
        out.unlink()
        return took

    results["zip_floor"] = median_of(runs, zip_floor)
    archive = project / ".sparta" / "bench-code.zip"
    results["archive_mb"] = archive.stat().st_size / 1e6
    results["files"] = len(zipfile.ZipFile(archive).namelist())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,25,100")
    options = parser.parse_args()
    house = wheelhouse()
    with tempfile.TemporaryDirectory(prefix="sparta-bench-") as tmp:
        work = Path(tmp)
        # Warm uv's wheel cache once, so cold builds and the installer floor start equal.
        make_service(work / "warmup", 1, house)
        subprocess.run([str(BIN / "sparta"), "-q", "build"], cwd=work / "warmup",
                       env=environment(work / "warmup-cache"), check=True,
                       stdout=subprocess.DEVNULL)
        start = median_of(
            max(options.runs, 9),
            lambda: timed([sys.executable, "-c", "pass"], work, environment(work)),
        )
        print(f"# sparta build benchmark  {time.strftime('%Y-%m-%d')}  "
              f"{platform.machine()} {os.cpu_count()} cores  Python {platform.python_version()}"
              f"  median of {options.runs} runs")
        print(f"# bare process start (python -c pass): {start * 1000:.0f} ms")
        print()
        header = ("N", "files", "zip MB", "cold", "unchanged", "edit",
                  "installer floor", "zip floor", "floors sum")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for count in [int(size) for size in options.sizes.split(",")]:
            r = bench(count, options.runs, house, work, start)

            def both(seconds: float) -> str:
                return f"{seconds:.3f} s (+{seconds - start:.3f})"

            print(
                f"| {count} | {r['files']:.0f} | {r['archive_mb']:.1f} | {both(r['cold'])} | "
                f"{both(r['unchanged'])} | {both(r['edit'])} | {r['installer_floor']:.3f} s | "
                f"{r['zip_floor']:.3f} s | {r['installer_floor'] + r['zip_floor']:.3f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
