"""Fixtures shared by every test: example projects, the CLI, cfn-lint."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

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
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a project from ``{relative path: source}``; sources are dedented."""

    def make(files: dict[str, str], name: str = "project") -> Path:
        root = tmp_path / name
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
        return root

    return make


class Cli:
    """Runs ``sparta`` in-process through click's CliRunner.

    DESIGN §7: every template the tests generate passes cfn-lint. After each successful
    command, the templates it wrote under the project's ``.sparta/`` are linted (each
    distinct content once per session), and an error fails the test.
    """

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, project: Path | None = None, ok: bool = True) -> Result:
        import time

        from sparta_core.commands.main import main

        argv = (["-C", str(project)] if project else []) + list(args)
        started = time.time()
        result = self.runner.invoke(main, argv, catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"sparta {' '.join(args)} exited {result.exit_code}:\n{result.output}"
            )
        writes_templates = {"build", "provision", "plan", "describe"} & set(args)
        if result.exit_code == 0 and project is not None and writes_templates:
            for template in project.glob(".sparta/*-template.*"):
                if template.stat().st_mtime >= started:
                    errors = lint_once(template)
                    assert errors == [], f"cfn-lint on {template.name}: {errors}"
        return result


_LINTED: dict[str, list[str]] = {}


def lint_once(path: Path) -> list[str]:
    """cfn-lint's errors for ``path``, remembered by content for the session. Content
    hashes (archive keys, build ids) are masked first: templates that differ only in
    them lint alike, and most tests build the same few services."""
    import hashlib
    import re

    masked = re.sub(rb"[0-9a-f]{16,64}", b"#", path.read_bytes())
    key = hashlib.sha256(masked).hexdigest() + path.suffix
    if key not in _LINTED:
        _LINTED[key] = lint_template(path)
    return _LINTED[key]


@pytest.fixture
def cli() -> Iterator[Cli]:
    yield Cli()


def lint_template(path: Path) -> list[str]:
    """cfn-lint's errors (not warnings) for the template at ``path``."""
    from cfnlint.api import lint_file

    matches = lint_file(path)
    return [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches if m.rule.id.startswith("E")]


@pytest.fixture
def cfn_lint() -> Callable[[Path], list[str]]:
    return lint_template
