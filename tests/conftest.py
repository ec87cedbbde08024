"""Fixtures shared by every test: example projects, the CLI, cfn-lint; most of them are
the testing kit's (``sparta_core.testing``), under the names the suite has always used."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sparta_core.testing import RunResult

# The kit is imported by pytest (below), not by this module, so that pytest loads it
# as a plugin first.
pytest_plugins = ["sparta_core.testing"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's SPARTA_* settings or AWS credentials."""
    import os

    for name in list(os.environ):
        if name.startswith(("SPARTA_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def hello_project(tmp_path: Path) -> Path:
    """A fresh copy of examples/hello."""
    target = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", target, ignore=shutil.ignore_patterns(".sparta"))
    return target


@pytest.fixture(scope="session")
def demo_wheel_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/sparta-demo, really installed by pip (offline) into a site folder."""
    import subprocess
    import sys

    site = tmp_path_factory.mktemp("demo-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "--target", str(site),
         str(REPO / "tests" / "data" / "sparta-demo")],
        check=True,
    )
    return site


@pytest.fixture
def demo_installed(demo_wheel_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sparta-demo distribution on sys.path for this test (a private copy)."""
    import sys

    site = tmp_path / "site-packages"
    shutil.copytree(demo_wheel_site, site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "sparta_demo", raising=False)
    return site


ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(sparta_project: ProjectFactory) -> ProjectFactory:
    """Write a project from ``{relative path: source}``; sources are dedented (the kit's
    ``sparta_project``, under the name the suite has always used)."""

    def make(files: dict[str, str], name: str = "project") -> Path:
        return sparta_project(files, name=name)

    return make


class Cli:
    """Runs ``sparta`` in-process: the kit's ``sparta_run``, with the project given as
    ``-C`` and, unless ``ok=False``, a non-zero exit failing the test.

    DESIGN §7: every template the tests generate passes cfn-lint; the kit lints each
    template a run writes (each distinct content once per session). A run expected to
    fail (``ok=False``) is not linted: some make templates CloudFormation must refuse.
    """

    def __init__(self) -> None:
        from sparta_core.testing import SpartaRunner

        self.run = SpartaRunner()
        self.runner = self.run.runner

    def __call__(self, *args: str, project: Path | None = None, ok: bool = True) -> RunResult:
        argv = (["-C", str(project)] if project else []) + list(args)
        result = self.run(*argv, lint=ok)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"sparta {' '.join(args)} exited {result.exit_code}:\n{result.output}"
            )
        return result


@pytest.fixture
def cli() -> Iterator[Cli]:
    yield Cli()


@pytest.fixture
def cfn_lint() -> Callable[[Path], list[str]]:
    from sparta_core.testing.runner import lint_template

    return lint_template
