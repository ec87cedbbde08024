"""sparta's testing kit: a pytest plugin for plugin authors and service tests (DESIGN §9).

Enable it in a test module or ``conftest.py`` (it is never loaded on its own)::

    pytest_plugins = ["sparta_core.testing"]

Fixtures:

* ``sparta_project(files, name=None)`` writes a project (``service.py``,
  ``pyproject.toml``, ``spartaconf.py``, any file) into a temporary folder and returns
  its path. A string is dedented; a function's body becomes the file; a minimal
  ``pyproject.toml`` (``[tool.sparta]``) is added when neither it nor ``sparta.toml`` is
  given.
* ``sparta_run(*args, cwd=None, input=None, env=None, lint=True)`` runs the ``sparta`` CLI
  in-process and returns a :class:`RunResult`: ``exit_code``, ``output`` (``stdout``,
  ``stderr``), ``template`` (the parsed template it wrote to ``.sparta/``, or ``None``),
  ``templates``, ``archive`` (the names in the zip it made, or ``None``). Every template
  it writes is linted with cfn-lint when cfn-lint is installed; an error fails the test
  (``lint=False`` skips that, for a template CloudFormation must refuse).
* ``hook_recorder``: a :class:`HookRecorder` of every hook call of the runs the test
  starts, through pluggy's hook-call monitoring: ``names()`` in call order,
  ``calls("sparta_archive")`` the keyword arguments of each call, ``results(name)``.
* ``aws_endpoint``: the URL of a local AWS endpoint (MiniStack from
  ``sparta-core[local]``) on a free loopback port, started once per session and emptied
  before each test, with ``AWS_ENDPOINT_URL``, the region and dummy credentials set so
  boto3 and sparta talk to it. Skips the test when MiniStack is not installed.

And a function: ``http_request(url, method="GET", body=None, headers=None)`` makes one
request to an API under test on a loopback address and returns ``(status, headers,
body)``, header names lower-case, whatever the status.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from sparta_core.testing.endpoint import (
    point_environment_at,
    require_ministack,
    reset,
    running_endpoint,
)
from sparta_core.testing.http import http_request
from sparta_core.testing.recorder import HookCall, HookRecorder
from sparta_core.testing.runner import (
    FileContent,
    RunResult,
    SpartaRunner,
    function_body,
    lint_errors,
    write_project,
)

__all__ = [
    "HookCall",
    "HookRecorder",
    "RunResult",
    "SpartaRunner",
    "aws_endpoint",
    "function_body",
    "hook_recorder",
    "http_request",
    "lint_errors",
    "sparta_endpoint_url",
    "sparta_project",
    "sparta_run",
    "write_project",
]

ProjectFactory = Callable[..., Path]


@pytest.fixture
def sparta_project(tmp_path: Path) -> ProjectFactory:
    """``sparta_project({"service.py": ..., ...}, name=None)``: write a project into a
    temporary folder (``project``, ``project-2``... unless named) and return its path."""
    numbers = itertools.count(1)

    def make(files: Mapping[str, FileContent], name: str | None = None) -> Path:
        if name is None:
            number = next(numbers)
            name = "project" if number == 1 else f"project-{number}"
        return write_project(tmp_path / name, files)

    return make


@pytest.fixture
def sparta_run() -> SpartaRunner:
    """``sparta_run("build", cwd=project)``: run the ``sparta`` CLI in-process."""
    return SpartaRunner()


@pytest.fixture
def hook_recorder() -> Iterator[HookRecorder]:
    """Every hook call of the sparta runs this test starts, in call order."""
    recorder = HookRecorder()
    with recorder.recording():
        yield recorder


@pytest.fixture(scope="session")
def sparta_endpoint_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's MiniStack server (started on first use); prefer ``aws_endpoint``,
    which also empties it and sets the environment."""
    require_ministack()
    with running_endpoint(tmp_path_factory.mktemp("sparta-endpoint")) as url:
        yield url


@pytest.fixture
def aws_endpoint(sparta_endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's local AWS endpoint, emptied, with the environment pointing at it."""
    reset(sparta_endpoint_url)
    point_environment_at(sparta_endpoint_url, monkeypatch)
    return sparta_endpoint_url
