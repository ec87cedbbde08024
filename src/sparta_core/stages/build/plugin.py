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
from sparta_core.errors import ServiceDefinitionError
from sparta_core.hookspecs import hookimpl

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
    ".env",
)


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


def list_project_files(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, Path]:
    """Archive name -> file for every file of the project that ships. Symbolic links
    to directories are followed, once each (a link back up the tree is not)."""
    files: dict[str, Path] = {}
    visited: set[str] = set()

    def walk(directory: Path, prefix: str) -> None:
        real = os.path.realpath(directory)
        if real in visited:
            return
        visited.add(real)
        with os.scandir(directory) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir():
                    if entry.name in EXCLUDED_DIRS or entry.name.endswith(".egg-info"):
                        continue
                    if (Path(entry.path) / "pyvenv.cfg").exists():
                        continue  # a virtual environment, whatever its name
                    # "drafts/" means the folder: match it with its slash, too.
                    if is_excluded(relative, entry.name, exclude) or is_excluded(
                        relative + "/", entry.name + "/", exclude
                    ):
                        continue
                    walk(Path(entry.path), relative + "/")
                elif entry.is_file():
                    if is_excluded(relative, entry.name, EXCLUDED_FILES + exclude):
                        continue
                    files[relative] = Path(entry.path)

    walk(root, "")
    return files


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

    sources = list_project_files(ctx.project_dir, ctx.settings.exclude)
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
