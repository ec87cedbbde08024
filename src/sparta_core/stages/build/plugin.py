"""Built-in plugin ``build``: stage the project's files for the archive.

The user's code is not copied: the build lists the project's files (minus the default
and configured excludes) and the archive reads them in place.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from pathlib import Path
from typing import Any

from sparta_core.engine.context import BuildResult, ProvisionContext
from sparta_core.engine.replay import looked_at
from sparta_core.errors import ServiceDefinitionError
from sparta_core.hookspecs import hookimpl
from sparta_core.stages.build.never_ship import NeverShip, cache_dirs, is_secret_dir

#: Directory names never shipped: caches, VCS metadata, tests, sparta's own output.
EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".sparta",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".idea",
        ".vscode",
        "node_modules",
        "tests",
        "test",
    }
)
#: File patterns never shipped: bytecode, files only the build host reads (sparta's own,
#: the project's packaging metadata and locks), editor leftovers, secrets.
EXCLUDED_FILES = (
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "spartaconf.py",
    "sparta.toml",
    "pyproject.toml",
    "requirements*.txt",
    "uv.lock",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    ".python-version",
    "*.bak",
    "*.swp",
    "*~",
)
# Secrets (.env and the like) are never_ship's: they stay out whatever the patterns say.


def is_excluded(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    """True if the project path ``relative`` (posix) with basename ``name`` matches a
    user ``exclude`` glob (matched against the path and against the name)."""
    matcher = _matcher(patterns)
    return bool(matcher(relative) or matcher(name))


@functools.lru_cache(maxsize=32)
def _matcher(patterns: tuple[str, ...]) -> Any:
    """One compiled regular expression for all of ``patterns`` (``fnmatch`` semantics):
    the walk asks it of every file, so one match beats one ``fnmatch`` per pattern."""
    if not patterns:
        return lambda text: None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match


def list_project_files(
    root: Path,
    exclude: tuple[str, ...] = (),
    *,
    include: tuple[str, ...] = (),
    guard: NeverShip | None = None,
) -> dict[str, Path]:
    """Archive name -> file for every file of the project that ships. Symbolic links
    to directories are followed, once each (a link back up the tree is not).

    ``include`` globs bring back files that the default excludes or ``exclude`` leave
    out (a glob rooted in an excluded folder, ``tests/fixtures/*.json``, reaches into
    it). ``guard`` (the project walk's, see :mod:`never_ship`) keeps secrets and the
    dependency cache out, whatever the patterns say."""
    files: dict[str, Path] = {}
    visited: set[str] = set()
    included = _matcher(include)

    def walk(directory: Path, prefix: str, excluded: bool, secret: bool) -> None:
        real = os.path.realpath(directory)
        if real in visited or (guard is not None and real in guard.skip):
            return
        visited.add(real)
        with os.scandir(directory) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir():
                    inner_secret = secret or is_secret_dir(entry.name)
                    if guard is not None and guard.skips_dir(entry.path, relative, inner_secret):
                        continue
                    inner_excluded = excluded or _dir_excluded(entry, relative, exclude)
                    if inner_excluded and not _reaches(include, relative):
                        continue
                    walk(Path(entry.path), relative + "/", inner_excluded, inner_secret)
                elif entry.is_file():
                    verdict = None if guard is None else guard.allows_file(
                        relative, entry.name, secret
                    )
                    if verdict is False:
                        continue
                    if verdict is None and (
                        excluded or is_excluded(relative, entry.name, EXCLUDED_FILES + exclude)
                    ) and not (included(relative) or included(entry.name)):
                        continue
                    files[relative] = Path(entry.path)

    walk(root, "", False, False)
    return files


def _dir_excluded(entry: os.DirEntry[str], relative: str, exclude: tuple[str, ...]) -> bool:
    """True if the folder ``entry`` is left out by default or by ``exclude``."""
    if entry.name in EXCLUDED_DIRS or entry.name.endswith(".egg-info"):
        return True
    marker = Path(entry.path) / "pyvenv.cfg"
    looked_at(marker)  # its appearing or going changes the archive
    if marker.exists():
        return True  # a virtual environment, whatever its name
    # "drafts/" means the folder: match it with its slash, too.
    return is_excluded(relative, entry.name, exclude) or is_excluded(
        relative + "/", entry.name + "/", exclude
    )


def _reaches(include: tuple[str, ...], folder: str) -> bool:
    """True if an ``include`` glob with a folder in it may match a file under
    ``folder`` (a project path): its folders match ``folder``'s, up to a ``*`` (which
    crosses folders). A bare name glob (``*.json``) never reaches into an excluded
    folder: it would open ``.venv/`` and ``node_modules/`` to the walk."""
    wanted = folder.split("/")
    for pattern in include:
        parts = pattern.strip("/").split("/")
        if len(parts) < 2:
            continue
        for index, name in enumerate(wanted):
            if index >= len(parts):
                break
            if "*" in parts[index]:
                return True
            if index == len(parts) - 1 or not fnmatch.fnmatchcase(name, parts[index]):
                break
        else:
            return True
    return False


def check_handlers_ship(ctx: ProvisionContext, sources: dict[str, Path]) -> None:
    """Every handler's module is among ``sources``: an ``exclude`` glob must not leave a
    function without its code (Lambda would say so only when it is invoked)."""
    for function in ctx.service.functions.values():
        module = function.handler.rpartition(".")[0].replace(".", "/")
        if f"{module}.py" in sources or f"{module}/__init__.py" in sources:
            continue
        patterns = ", ".join(ctx.settings.exclude) or "the default excludes"
        raise ServiceDefinitionError(
            f"function '{function.key}': its handler module {module}.py is left out of the "
            f"archive by {patterns}"
        )


@hookimpl(trylast=True)
def sparta_build(ctx: ProvisionContext) -> BuildResult:
    from sparta_core.stages.build.dependencies import build_dependencies

    settings = ctx.settings
    guard = NeverShip(include=settings.include, skip=cache_dirs())
    sources = list_project_files(
        ctx.project_dir, settings.exclude, include=settings.include, guard=guard
    )
    for name in sorted(guard.admitted):
        ctx.reporter.warn(
            f"{name} holds secrets by its name, and ships because [tool.sparta] include "
            "names it"
        )
    check_handlers_ship(ctx, sources)
    ctx.reporter.detail(f"{len(sources)} project files staged")
    result = BuildResult(sources=sources, report={"sources": len(sources)})
    trees = build_dependencies(ctx)
    if trees:
        primary = trees[0]
        result.dependency_dirs.append(primary.entry.site)
        result.report["dependencies"] = {tree.architecture: tree.report for tree in trees}
        for tree in trees:
            result.packed[tree.entry.site] = tree.entry.packed
            # An architecture whose tree is the primary's (pure-Python dependencies)
            # runs from the primary archive; only different trees need their own.
            if tree is not primary and tree.manifest["packed_sha256"] != primary.manifest[
                "packed_sha256"
            ]:
                result.architecture_dependency_dirs[tree.architecture] = [tree.entry.site]
    return result
