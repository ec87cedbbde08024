"""Files that hold secrets, and sparta's own cache, never reach the archive (DESIGN §5).

Each test builds a real project through the CLI and reads the real zip it wrote.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from tests.conftest import Cli
from tests.wheelhouse import standard_wheelhouse

#: One of every kind of secret file, at the top and deeper down.
SECRETS = (
    ".aws/credentials",
    ".aws/config",
    ".ssh/id_ed25519",
    "deploy/.ssh/known_hosts",
    "id_rsa",
    "id_rsa.pub",
    "keys/id_ed25519.pub",
    "key.pem",
    "certs/Server.PEM",
    "tls/server.key",
    ".env",
    ".env.local",
    "app/.env.production",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    "terraform.tfstate",
    "infra/terraform.tfstate.backup",
)


def project_names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
    return [n for n in names if not n.startswith(("sparta_core/", "sparta_runtime/"))]


def add_files(root: Path, names: tuple[str, ...] | list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("SECRET=1\n")


def configure(root: Path, line: str) -> None:
    with (root / "pyproject.toml").open("a") as handle:
        handle.write(line + "\n")


def test_no_secret_file_ships_whatever_the_patterns_say(cli: Cli, hello_project: Path) -> None:
    add_files(hello_project, SECRETS)
    (hello_project / "data.json").write_text("{}")
    # Globs that would take everything, secrets included, if globs could.
    configure(hello_project, 'include = ["*", "*.pem", ".aws/*", "**/.ssh/*", ".env*"]')
    result = cli("build", project=hello_project)
    names = project_names(hello_project / ".sparta" / "hello-code.zip")
    assert sorted(names) == ["data.json", "hello/__init__.py", "hello/greetings.py",
                             "pyproject.toml", "service.py"]
    assert "warning:" not in result.output


def test_a_secret_named_by_its_exact_path_in_include_ships_with_a_warning(
    cli: Cli, hello_project: Path
) -> None:
    add_files(hello_project, SECRETS)
    configure(hello_project, 'include = ["app/.env.production", ".aws/config"]')
    result = cli("build", project=hello_project)
    names = project_names(hello_project / ".sparta" / "hello-code.zip")
    assert ".aws/config" in names and "app/.env.production" in names
    assert not set(SECRETS) - {".aws/config", "app/.env.production"} & set(names)
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: .aws/config holds secrets by its name, and ships because "
        "[tool.sparta] include names it",
        "warning: app/.env.production holds secrets by its name, and ships because "
        "[tool.sparta] include names it",
    ]


def test_include_brings_back_what_the_default_excludes_leave_out(
    cli: Cli, hello_project: Path
) -> None:
    add_files(hello_project, ["tests/fixtures/sample.json", "tests/test_x.py",
                              "config.bak", "notes.md"])
    configure(hello_project, 'exclude = ["*.md"]')
    configure(hello_project, 'include = ["tests/fixtures/*.json", "config.bak"]')
    cli("build", project=hello_project)
    names = project_names(hello_project / ".sparta" / "hello-code.zip")
    assert "tests/fixtures/sample.json" in names and "config.bak" in names
    assert "tests/test_x.py" not in names and "notes.md" not in names


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standard_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    return monkeypatch


def test_the_dependency_cache_inside_the_project_never_ships(
    cli: Cli, hello_project: Path, wheelhouse: Path, offline: pytest.MonkeyPatch
) -> None:
    (hello_project / "requirements.txt").write_text("purepkg\n")
    configure(hello_project, f'find-links = ["{wheelhouse}"]')
    offline.setenv("SPARTA_CACHE_DIR", str(hello_project / "build-cache"))
    cli("build", project=hello_project)
    assert (hello_project / "build-cache" / "CACHEDIR.TAG").is_file()
    # Built again, now that the cache holds an entry, and once more with the cache
    # moved elsewhere: the old folder is recognised by its tag.
    cli("build", project=hello_project)
    names = project_names(hello_project / ".sparta" / "hello-code.zip")
    assert not [n for n in names if n.startswith("build-cache/")]
    assert names.count("purepkg/__init__.py") == 1
    offline.setenv("SPARTA_CACHE_DIR", str(hello_project.parent / "elsewhere"))
    cli("build", project=hello_project)
    names = project_names(hello_project / ".sparta" / "hello-code.zip")
    assert not [n for n in names if n.startswith("build-cache/")]
    assert "purepkg/__init__.py" in names
