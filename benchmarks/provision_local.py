"""How long `sparta --local` takes on examples/hello: endpoint start + first provision,
an unchanged re-provision, a code-change update, a local invoke, a remote invoke.

    .venv/bin/python benchmarks/provision_local.py [--runs 5]

Each run works on a fresh copy of examples/hello in a temporary directory, with its own
local endpoint (stopped at the end). Prints the median and best wall time per step, each
step a fresh `sparta` process, as a user would run it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path, stdin: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, input=stdin, text=True, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def one_run(sparta: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "hello"
        shutil.copytree(REPO / "examples" / "hello", project,
                        ignore=shutil.ignore_patterns(".sparta"))
        try:
            times = {
                "start + create": timed([sparta, "--local", "provision", "--yes"], project),
                "unchanged": timed([sparta, "--local", "provision", "--yes"], project),
            }
            greetings = project / "hello" / "greetings.py"
            greetings.write_text(greetings.read_text().replace("!", "!!"))
            times["code update"] = timed([sparta, "--local", "provision", "--yes"], project)
            times["invoke (local)"] = timed([sparta, "invoke", "greet"], project)
            times["invoke --remote"] = timed([sparta, "--local", "invoke", "greet", "--remote"],
                                             project)
        finally:
            subprocess.run([sparta, "local", "stop"], cwd=project, check=False,
                           stdout=subprocess.DEVNULL)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sparta = shutil.which("sparta", path=str(Path(sys.executable).parent))
    if sparta is None:
        sys.exit("sparta is not installed in this environment (run scripts/test once)")
    runs = [one_run(sparta) for _ in range(args.runs)]
    print(f"{'step':<18} {'median':>9} {'best':>9}   ({args.runs} runs)")
    for step in runs[0]:
        samples = [run[step] for run in runs]
        print(f"{step:<18} {statistics.median(samples) * 1000:7.0f} ms "
              f"{min(samples) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
