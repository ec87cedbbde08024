"""Slimming: what an installed dependency tree does not need on Lambda is removed.

Applied to a freshly installed tree before it is cached and packed:

- bytecode (``__pycache__``, ``*.pyc``, ``*.pyo``): Lambda compiles on import, and
  bytecode made on the build host would be for the host's Python anyway;
- ``tests``/``test`` folders *inside* a package (never a top-level one, which may be a
  distribution's real package), and installer bookkeeping (``uv_cache.json``, which
  holds a timestamp and would make archives differ from build to build, and uv's
  ``.lock`` on the target folder);
- the user's ``exclude`` globs (matched against the path in the archive and the name);
- with ``exclude-runtime-provided = true``: boto3, botocore and s3transfer, and those of
  jmespath, python-dateutil, six and urllib3 that nothing else installed needs and the
  user did not ask for by name. The Lambda Python runtime ships all of them.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

#: Always removed by the runtime-provided option.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
#: The runtime's copies of boto3's own dependencies: removed only when nothing kept needs
#: them and the user did not require them directly.
RUNTIME_PROVIDED_DEPENDENCIES = ("jmespath", "python-dateutil", "six", "urllib3")

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"extra\s*==")


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class SlimReport:
    """What slimming removed: files and bytes, and distributions left to the runtime."""

    files: int = 0
    bytes: int = 0
    runtime_provided: list[str] = field(default_factory=list)


def slim(
    root: Path,
    exclude: tuple[str, ...] = (),
    exclude_runtime_provided: bool = False,
    requested: tuple[str, ...] = (),
) -> SlimReport:
    """Remove what Lambda does not need from the installed tree at ``root``.

    ``requested`` are the names the user's requirements list (kept even when the
    runtime provides them, except boto3/botocore/s3transfer)."""
    report = SlimReport()
    if exclude_runtime_provided:
        _remove_runtime_provided(root, requested, report)
    _walk(root, "", exclude, report, depth=0)
    return report


def _walk(directory: Path, prefix: str, exclude: tuple[str, ...], report: SlimReport,
          depth: int) -> None:
    with os.scandir(directory) as entries:
        listing = list(entries)
    in_package = depth > 0 and any(entry.name == "__init__.py" for entry in listing)
    for entry in listing:
        relative = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            drop = (
                entry.name == "__pycache__"
                or (in_package and entry.name in ("tests", "test"))
                or _matches(relative, entry.name, exclude)
            )
            if drop:
                _remove_tree(Path(entry.path), report)
            else:
                _walk(Path(entry.path), relative + "/", exclude, report, depth + 1)
        else:
            drop = (
                entry.name.endswith((".pyc", ".pyo"))
                or (entry.name == "uv_cache.json" and prefix.endswith(".dist-info/"))
                or (entry.name == ".lock" and not prefix)  # uv's lock on the target folder
                or _matches(relative, entry.name, exclude)
            )
            if drop:
                report.files += 1
                report.bytes += entry.stat(follow_symlinks=False).st_size
                os.unlink(entry.path)


def _matches(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(relative, pattern) or fnmatch(name, pattern) for pattern in patterns)


def _remove_tree(path: Path, report: SlimReport) -> None:
    for dirpath, _, filenames in os.walk(path):
        for filename in filenames:
            report.files += 1
            report.bytes += os.lstat(os.path.join(dirpath, filename)).st_size
    shutil.rmtree(path)


@dataclass
class InstalledDistribution:
    name: str
    dist_info: Path
    requires: set[str]


def installed_distributions(root: Path) -> dict[str, InstalledDistribution]:
    """Canonical name -> the distribution installed in ``root`` (from ``*.dist-info``)."""
    found: dict[str, InstalledDistribution] = {}
    for dist_info in root.glob("*.dist-info"):
        metadata = dist_info / "METADATA"
        if not metadata.is_file():
            continue
        name = ""
        requires: set[str] = set()
        for line in metadata.read_text(errors="replace").splitlines():
            if not line:
                break  # the headers end at the first blank line; the body follows
            key, _, value = line.partition(":")
            if key == "Name":
                name = value.strip()
            elif key == "Requires-Dist":
                requirement, _, marker = value.partition(";")
                match = _NAME.match(requirement)
                # An extra's requirement is only installed when that extra was asked
                # for; counting it as a need could only keep more, never break.
                if match and not _EXTRA_MARKER.search(marker):
                    requires.add(canonical(match.group(1)))
        if name:
            found[canonical(name)] = InstalledDistribution(name, dist_info, requires)
    return found


def requested_names(requirements_text: str) -> tuple[str, ...]:
    """The distribution names a requirements text asks for directly."""
    names = []
    for line in requirements_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _NAME.match(line)
        if match:
            names.append(canonical(match.group(1)))
    return tuple(names)


def _remove_runtime_provided(root: Path, requested: tuple[str, ...], report: SlimReport) -> None:
    distributions = installed_distributions(root)
    removed = {name for name in RUNTIME_PROVIDED if name in distributions}
    changed = True
    while changed:  # a dependency may only become unneeded once another one is removed
        changed = False
        for name in RUNTIME_PROVIDED_DEPENDENCIES:
            if name in removed or name not in distributions or name in requested:
                continue
            needed_by = [other for other, dist in distributions.items()
                         if name in dist.requires and other not in removed]
            if not needed_by:
                removed.add(name)
                changed = True
    for name in sorted(removed):
        _remove_distribution(root, distributions[name].dist_info, report)
        report.runtime_provided.append(distributions[name].name)


def _remove_distribution(root: Path, dist_info: Path, report: SlimReport) -> None:
    """Remove every file a distribution's RECORD lists, then its empty folders."""
    record = dist_info / "RECORD"
    paths = []
    if record.is_file():
        for line in record.read_text().splitlines():
            path = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
            if path:
                paths.append(path.strip('"'))
    folders = set()
    for relative in paths:
        target = (root / relative).resolve()
        if root.resolve() not in target.parents:
            continue  # RECORD may name scripts outside the tree; never touch those
        if target.is_file():
            report.files += 1
            report.bytes += target.stat().st_size
            target.unlink()
        folders.update(p for p in target.parents if root.resolve() in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if dist_info.exists():
        shutil.rmtree(dist_info)
