"""Where a service's requirements come from, and the index settings that resolve them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sparta_core.errors import ConfigError

#: Lock files whose content changes what gets installed even if requirements do not.
LOCK_FILES = ("uv.lock", "requirements.lock", "poetry.lock", "pdm.lock")

#: Environment variables uv and pip read that change what is installed. They pass
#: through to the installer untouched and are part of the cache key.
INDEX_ENVIRONMENT = (
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_INDEX_STRATEGY",
    "UV_EXCLUDE_NEWER",
    "UV_PRERELEASE",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_PRE",
    "PIP_CONSTRAINT",
)


@dataclass(frozen=True)
class Requirements:
    """What to install: ``text`` in requirements.txt syntax, ``source`` naming where it
    came from (for messages), ``lock`` the content of a lock file beside it, if any."""

    text: str
    source: str
    directory: Path
    lock: bytes = b""

    @property
    def empty(self) -> bool:
        return not any(
            line.strip() and not line.lstrip().startswith("#") for line in self.text.splitlines()
        )


@dataclass(frozen=True)
class IndexSettings:
    """``index-url``, ``extra-index-url`` and ``find-links`` of ``[tool.sparta]``, plus the
    installer environment variables in effect (recorded for the cache key)."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()

    def key(self) -> str:
        return repr((self.index_url, self.extra_index_urls, self.find_links, self.environment))


def find_requirements(project_dir: Path, configured: str | None) -> Requirements | None:
    """The service's requirements: the ``requirements`` setting (a file, relative to the
    project), else ``requirements.txt``, else ``[project] dependencies`` of the project's
    ``pyproject.toml``; ``None`` when the service declares none."""
    if configured:
        path = (project_dir / configured).resolve()
        if not path.is_file():
            raise ConfigError(f"requirements file {configured!r} not found in {project_dir}")
        return _from_file(path, project_dir)
    path = project_dir / "requirements.txt"
    if path.is_file():
        return _from_file(path, project_dir)
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        from sparta_core.engine.settings import read_toml

        dependencies = read_toml(pyproject).get("project", {}).get("dependencies") or []
        if not isinstance(dependencies, list) or not all(
            isinstance(item, str) for item in dependencies
        ):
            raise ConfigError(f"{pyproject}: [project] dependencies must be a list of strings")
        if dependencies:
            return Requirements(
                text="".join(item + "\n" for item in dependencies),
                source="pyproject.toml [project] dependencies",
                directory=project_dir,
                lock=_lock(project_dir),
            )
    return None


def _from_file(path: Path, project_dir: Path) -> Requirements:
    try:
        source = str(path.relative_to(project_dir))
    except ValueError:
        source = str(path)
    text = path.read_text()
    # A requirements file may pull in others (-r/-c); their content changes the result,
    # so it is folded into the text the cache key is made from.
    included = _included_files(path)
    extra = b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in included)
    return Requirements(
        text=text, source=source, directory=path.parent, lock=_lock(path.parent) + extra
    )


def _included_files(path: Path, seen: set[Path] | None = None) -> list[Path]:
    seen = seen if seen is not None else {path}
    found: list[Path] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("-r", "-c", "--requirement", "--constraint"):
            included = (path.parent / parts[1]).resolve()
            if included.is_file() and included not in seen:
                seen.add(included)
                found.append(included)
                found.extend(_included_files(included, seen))
    return found


def _lock(directory: Path) -> bytes:
    return b"".join(
        name.encode() + b"\0" + (directory / name).read_bytes()
        for name in LOCK_FILES
        if (directory / name).is_file()
    )


def index_settings(
    options: Mapping[str, object], environ: Mapping[str, str] | None = None
) -> IndexSettings:
    """Index settings from the merged settings values and the environment."""
    environ = os.environ if environ is None else environ
    index_url = options.get("index_url")
    return IndexSettings(
        index_url=str(index_url) if index_url else None,
        extra_index_urls=tuple(options.get("extra_index_url") or ()),  # type: ignore[arg-type]
        find_links=tuple(options.get("find_links") or ()),  # type: ignore[arg-type]
        environment=tuple((name, environ[name]) for name in INDEX_ENVIRONMENT if name in environ),
    )
