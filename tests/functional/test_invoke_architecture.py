"""A local ``sparta invoke`` runs a function from the archive of its own architecture,
when its dependencies gave that architecture an archive of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.wheelhouse import standard_wheelhouse

SERVICE = """
import os

import sparta_core as sparta

service = sparta.Service("deps", runtime="python3.12", architecture="x86_64")


def compiled():
    # The archive is the working directory, as /var/task is in Lambda.
    return sorted(name for name in os.listdir("fastpkg") if name.endswith(".so"))


@service.function()
def on_x86(event, context):
    return compiled()


@service.function(architecture="arm64")
def on_arm(event, context):
    return compiled()
"""


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standard_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def project(make_project, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Path:
    # Offline: a private cache, the local wheelhouse only.
    monkeypatch.setenv("SPARTA_CACHE_DIR", str(tmp_path / "sparta-cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    return make_project({
        "service.py": SERVICE,
        "pyproject.toml": f'[tool.sparta]\nfind-links = ["{wheelhouse}"]\n',
        "requirements.txt": "fastpkg\n",
    })


def test_each_function_runs_from_the_archive_of_its_architecture(cli, project):
    on_arm = cli("invoke", "on_arm", project=project)
    on_x86 = cli("invoke", "on_x86", project=project)

    assert (project / ".sparta" / "deps-code-arm64.zip").is_file()
    assert json.loads(on_arm.stdout) == ["_speed.cpython-312-aarch64-linux-gnu.so"]
    assert json.loads(on_x86.stdout) == ["_speed.cpython-312-x86_64-linux-gnu.so"]
