"""`sparta init`: each example scaffolded into an empty folder builds lint-clean, its own
test passes under pytest; a plugin scaffold installs with pip and is found by sparta."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from tests.conftest import Cli

SPARTA = Path(sys.executable).parent / "sparta"


@pytest.mark.parametrize("example", ["hello", "api", "events"])
def test_each_example_builds_and_its_test_passes(cli: Cli, tmp_path: Path, example: str) -> None:
    target = tmp_path / f"my_{example}"
    result = cli("init", str(target), "--example", example)
    assert f"created service 'my-{example}' ({example})" in result.output
    assert "next:" in result.output and f"cd {target}" in result.output
    assert {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} == {
        "service.py", "pyproject.toml", ".gitignore", "tests/conftest.py",
        "tests/test_service.py",
    }
    assert (target / ".gitignore").read_text().splitlines()[:3] == [
        ".sparta/", ".venv/", "__pycache__/"]

    built = cli("build", project=target)  # the cli fixture lints the template
    assert f"my-{example}: " in built.output
    template = json.loads((target / ".sparta" / f"my-{example}-template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    if example == "api":
        assert {"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Method"} <= types
    if example == "events":
        assert {"AWS::SQS::Queue", "AWS::Lambda::EventSourceMapping", "AWS::Events::Rule"} <= types

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=target, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout


def test_the_hello_function_runs_from_its_archive(cli: Cli, tmp_path: Path) -> None:
    cli("init", str(tmp_path / "app"))
    (tmp_path / "event.json").write_text('{"name": "Ann"}')
    result = cli("invoke", "hello", "--event", str(tmp_path / "event.json"),
                 project=tmp_path / "app")
    assert json.loads(result.stdout[result.stdout.index("{"):]) == {"message": "Hello, Ann!"}


def test_init_refuses_a_folder_that_is_not_empty(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = cli("init", str(tmp_path), ok=False)
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == (
        f"error: {tmp_path} is not empty; sparta init writes into an empty folder "
        "(--force writes anyway, overwriting only the files it scaffolds)")
    assert not (tmp_path / "service.py").exists()
    cli("init", str(tmp_path), "--force", "--name", "kept")
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert 'Service("kept"' in (tmp_path / "service.py").read_text()


def test_init_in_the_current_folder_names_the_service_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "Cool Thing"
    folder.mkdir()
    result = subprocess.run([SPARTA, "init"], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "created service 'cool-thing' (hello)" in result.stdout
    assert "cd " not in result.stdout  # already there


def test_plugin_scaffold_installs_and_sparta_finds_it(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "sparta-stamp"
    result = cli("init", "--plugin", "stamp", str(target))
    assert "created plugin sparta-stamp" in result.output
    assert (target / "src" / "sparta_stamp" / "plugin.py").is_file()
    assert 'pytest_plugins = ["sparta_core.testing"]' in (
        target / "tests" / "test_plugin.py").read_text()

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "--target", str(site),
         str(target)],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run([SPARTA, "plugins"], cwd=tmp_path, env=env, capture_output=True,
                            text=True)
    assert listed.returncode == 0, listed.stderr
    assert "stamp" in listed.stdout and "sparta_decorate_service" in listed.stdout

    # Installed, it tags the functions of a service built beside it.
    service = tmp_path / "svc"
    cli("init", str(service))
    text = (service / "pyproject.toml").read_text().replace(
        'service = "service:service"\n', 'service = "service:service"\nstamp-tag = "yes"\n')
    (service / "pyproject.toml").write_text(text)
    built = subprocess.run([SPARTA, "build"], cwd=service, env=env, capture_output=True,
                           text=True)
    assert built.returncode == 0, built.stderr
    template = json.loads((service / ".sparta" / "svc-template.json").read_text())
    tags = template["Resources"]["HelloFunction"]["Properties"]["Tags"]
    assert {"Key": "sparta:stamp", "Value": "yes"} in tags
    blocked = subprocess.run([SPARTA, "-p", "no:stamp", "build"], cwd=service, env=env,
                             capture_output=True, text=True)
    assert blocked.returncode == 0, blocked.stderr
    template = json.loads((service / ".sparta" / "svc-template.json").read_text())
    assert "Tags" not in template["Resources"]["HelloFunction"]["Properties"] or {
        "Key": "sparta:stamp", "Value": "yes"} not in template["Resources"]["HelloFunction"][
        "Properties"]["Tags"]
    assert "stamp-tag" in blocked.stderr  # its setting is said to be unused

    # The scaffolded test, on the testing kit (sparta_core.testing), passes.
    assert find_spec("sparta_core.testing") is not None
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=target, env=env, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_plugin_names_are_checked(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", "--plugin", "Bad-Name", str(tmp_path / "x"), ok=False)
    assert result.exit_code != 0
    assert "plugin name 'Bad-Name' must be lower-case" in result.output
