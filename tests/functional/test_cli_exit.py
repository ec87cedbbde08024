"""The ``sparta`` console script ends without tearing the interpreter down (about 0.2 s
once boto3 is loaded), and still ends like an ordinary exit: the exit code, every line
of output through a pipe, and the ``atexit`` handlers (a plugin's included)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SPARTA = Path(sys.executable).parent / "sparta"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SPARTA), *args], cwd=cwd, text=True, capture_output=True,
                          timeout=120)


def test_exit_codes_and_output_are_those_of_an_ordinary_exit() -> None:
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("sparta, version ")

    unknown = run("no-such-command")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines()[-1] == "error: No such command 'no-such-command'."

    # All of a long output reaches the pipe (the streams are flushed before the end):
    # the same as from click's own main, which exits the ordinary way.
    ordinary = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv[0] = 'sparta'\n"
         "from sparta_core.commands.main import main\nmain()", "--help"],
        text=True, capture_output=True, timeout=120)
    assert ordinary.returncode == 0
    assert run("--help").stdout == ordinary.stdout


def test_atexit_handlers_still_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "pyproject.toml").write_text("[tool.sparta]\n")
    (tmp_path / "service.py").write_text(
        "import sparta_core as sparta\n\nservice = sparta.Service('exits')\n")
    (tmp_path / "spartaconf.py").write_text(
        "import atexit\nfrom pathlib import Path\n\n"
        f"atexit.register(lambda: Path({str(marker)!r}).write_text('yes'))\n")

    done = run("-C", str(tmp_path), "plugins")

    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "yes"
