"""Benchmark: `sparta build` beside Chalice's `chalice package` on the same one-module service.

The service is the one-module layout (:mod:`one_module`): N handlers in one module,
for sparta declared by string in ``service.py`` (``handlers.py`` holds them), for Chalice
as N ``@app.lambda_function()`` handlers in ``app.py``. With ``--deps`` both ship the
same requirements (requests, PyYAML, pydantic) from one local wheelhouse for the
interpreter's Python on manylinux2014 x86_64, downloaded from PyPI once; every run then
installs offline (``PIP_NO_INDEX``/``PIP_FIND_LINKS`` for Chalice's pip, ``UV_OFFLINE``
and ``find-links`` for sparta's uv), so the network is not in the figures.

Chalice is installed with pip into a throwaway virtual environment (in the benchmark's
cache), with the requirements (Chalice imports ``app.py`` to read it; sparta reads
``handlers.py`` without importing it). Each figure is the median of several fresh processes:

- cold: no cache of either tool (sparta's dependency cache and ``.sparta/``, Chalice's
  ``.chalice/deployments``) and no output;
- unchanged: the same command again (sparta replays the last build's record, see
  ``sparta_core.engine.replay``; the build before the timed ones leaves it);
- unchanged, every stage: the same, with ``SPARTA_NO_REPLAY=1``: every stage runs
  (compared with Chalice's unchanged run);
- edit: one line of one handler changed.

It prints both tools' figures, the ratios sparta/Chalice from the same run, the bare
interpreter start and the load average (the machine may be shared).

    python benchmarks/vs_chalice.py [--sizes 100,1000] [--runs 3] [--deps | --no-deps]
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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_module import edit_handler, handler_source, make_service

REQUIREMENTS = "requests\nPyYAML\npydantic\n"
BIN = Path(sys.executable).parent
BENCH_CACHE = Path(os.environ.get("SPARTA_BENCH_CACHE", Path.home() / ".cache" / "sparta-bench"))
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
RUNTIME = f"python{PY}"


def run(args: list[str], **kwargs) -> None:
    subprocess.run(args, check=True, **kwargs)


def chalice_bin() -> Path:
    venv = BENCH_CACHE / "chalice-venv"
    binary = venv / "bin" / "chalice"
    if not binary.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        # Chalice imports app.py on the build host, so its environment holds the
        # service's requirements too, as a Chalice user's does.
        run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
             "chalice", *REQUIREMENTS.split()])
    return binary


def wheelhouse() -> Path:
    folder = BENCH_CACHE / f"wheelhouse-cp{PY.replace('.', '')}-x86_64"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--platform",
             "manylinux2014_x86_64", "--python-version", PY, "--implementation", "cp",
             "-d", str(folder), "-q", "--disable-pip-version-check", *REQUIREMENTS.split()])
        (folder / ".complete").touch()
    return folder


def make_chalice(root: Path, count: int, deps: bool) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / ".chalice").mkdir(parents=True)
    (root / ".chalice" / "config.json").write_text(
        '{"version": "2.0", "app_name": "bench", "stages": {"dev": {}}}')
    lines = ["from chalice import Chalice", "", 'app = Chalice(app_name="bench")', ""]
    if deps:
        lines[0:0] = ["import yaml", "import requests", "from pydantic import BaseModel"]
    for i in range(count):
        lines += ["", "@app.lambda_function()", handler_source(i)]
    (root / "app.py").write_text("\n".join(lines) + "\n")
    (root / "requirements.txt").write_text(REQUIREMENTS if deps else "")


def edit_chalice(root: Path, edit: int) -> None:
    path = root / "app.py"
    text = path.read_text()
    marker = "def handler_0(event, context):\n"
    start = text.index(marker)
    end = text.index("\n", start + len(marker)) + 1
    path.write_text(text[:start] + handler_source(0, edit) + text[end:])


def environment(work: Path, house: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' Pythons keep bytecode caches
    env.update(SPARTA_CACHE_DIR=str(work / "sparta-cache"),
               UV_CACHE_DIR=str(BENCH_CACHE / "uv-cache"), UV_NO_INDEX="1", UV_OFFLINE="1",
               PIP_NO_INDEX="1", PIP_FIND_LINKS=str(house),
               PIP_DISABLE_PIP_VERSION_CHECK="1", AWS_DEFAULT_REGION="us-east-1")
    return env


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median(runs: int, action: Callable[[], float]) -> float:
    return statistics.median(action() for _ in range(runs))


def bench(count: int, deps: bool, runs: int, work: Path, house: Path) -> dict[str, float]:
    env = environment(work, house)
    sparta_dir, chalice_dir = work / f"sparta-{count}", work / f"chalice-{count}"
    make_service(sparta_dir, count, requirements=REQUIREMENTS if deps else "",
                 extra_toml=f'find-links = ["{house}"]\n' if deps else "")
    service = sparta_dir / "service.py"
    service.write_text(service.read_text().replace("python3.12", RUNTIME))
    make_chalice(chalice_dir, count, deps)
    sparta = [str(BIN / "sparta"), "-q", "build"]
    chalice = [str(chalice_bin()), "package", str(work / "chalice-out")]
    edits = iter(range(1, 10_000))
    figures: dict[str, float] = {}

    def sparta_cold() -> float:
        shutil.rmtree(work / "sparta-cache", ignore_errors=True)
        shutil.rmtree(sparta_dir / ".sparta", ignore_errors=True)
        return timed(sparta, sparta_dir, env)

    def chalice_cold() -> float:
        shutil.rmtree(chalice_dir / ".chalice" / "deployments", ignore_errors=True)
        shutil.rmtree(work / "chalice-out", ignore_errors=True)
        return timed(chalice, chalice_dir, env)

    def chalice_again() -> float:
        shutil.rmtree(work / "chalice-out", ignore_errors=True)  # it refuses to overwrite
        return timed(chalice, chalice_dir, env)

    figures["sparta cold"] = median(runs, sparta_cold)
    figures["chalice cold"] = median(runs, chalice_cold)
    # The first unchanged build runs every stage and leaves the record the next ones
    # replay (sparta_core.engine.replay); SPARTA_NO_REPLAY=1 shows the whole pipeline.
    timed(sparta, sparta_dir, env)
    figures["sparta unchanged"] = median(runs, lambda: timed(sparta, sparta_dir, env))
    every_stage = {**env, "SPARTA_NO_REPLAY": "1"}
    figures["sparta unchanged, every stage"] = median(
        runs, lambda: timed(sparta, sparta_dir, every_stage))
    figures["chalice unchanged"] = median(runs, chalice_again)

    def sparta_edit() -> float:
        edit_handler(sparta_dir, 0, next(edits))
        return timed(sparta, sparta_dir, env)

    def chalice_edit() -> float:
        edit_chalice(chalice_dir, next(edits))
        return chalice_again()

    figures["sparta edit"] = median(runs, sparta_edit)
    figures["chalice edit"] = median(runs, chalice_edit)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deps", action=argparse.BooleanOptionalAction, default=True)
    options = parser.parse_args()
    house = wheelhouse()
    chalice_bin()
    with tempfile.TemporaryDirectory(prefix="sparta-vs-chalice-") as tmp:
        work = Path(tmp)
        start = median(9, lambda: timed([sys.executable, "-c", "pass"], work, os.environ.copy()))
        print(f"# sparta build vs chalice package  {time.strftime('%Y-%m-%d %H:%M')}  "
              f"{platform.machine()} {os.cpu_count()} cores  Python {platform.python_version()}"
              f"  median of {options.runs}  deps={'yes' if options.deps else 'no'}")
        print(f"# bare process start: {start * 1000:.0f} ms; load average before: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| N | step | sparta | chalice | sparta / chalice | sparta beyond start |")
        print("|---|---|---|---|---|---|")
        for count in [int(size) for size in options.sizes.split(",")]:
            figures = bench(count, options.deps, options.runs, work, house)
            for step in ("cold", "unchanged", "unchanged, every stage", "edit"):
                ours = figures[f"sparta {step}"]
                theirs = figures[f"chalice {step.split(',')[0]}"]
                print(f"| {count} | {step} | {ours:.3f} s | {theirs:.3f} s | "
                      f"{ours / theirs:.2f} | +{ours - start:.3f} s |", flush=True)
        print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
