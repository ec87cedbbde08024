"""The ``sparta`` entry points of the installed distributions, read without
``importlib.metadata``.

Every command builds the plugin manager, so every command pays for finding the plugins.
``importlib.metadata`` parses every distribution's metadata with the ``email`` package
(about 40-60 ms on this machine once any plugin is installed); what the manager needs is
much less: which ``*.dist-info`` (or ``*.egg-info``) folders on ``sys.path`` declare a
``[sparta]`` section in ``entry_points.txt``, the entries in it, and that distribution's
name and version from the first lines of its ``METADATA``. Like ``importlib.metadata``,
a distribution found twice on ``sys.path`` counts once, where it is found first.

A path entry that is a file (a zip or an egg) is left to ``importlib.metadata``, which can
look inside it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

#: ``name = module:attr [extras]`` in an ``entry_points.txt`` section.
_ENTRY = re.compile(r"\s*([^=\s][^=]*?)\s*=\s*([\w.]+)\s*(?::\s*([\w.]+))?\s*(\[.*\])?\s*$")


@dataclass(frozen=True)
class Distribution:
    """The name and version a distribution's metadata declares."""

    name: str
    version: str

    @property
    def metadata(self) -> dict[str, str]:
        return {"Name": self.name, "Version": self.version}


@dataclass(frozen=True)
class EntryPoint:
    """One entry point: ``name = module:attr``, as ``importlib.metadata`` gives it
    (``name``, ``value``, ``dist``, ``load()``)."""

    name: str
    value: str
    dist: Distribution | None

    def load(self) -> Any:
        module_name, _, attribute = self.value.partition(":")
        target: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attribute.strip().split(".")):
            target = getattr(target, part)
        return target


def entry_points(group: str) -> dict[str, Any]:
    """Entry point name -> entry point, for the entry points in ``group`` of every
    distribution on ``sys.path`` (a name two distributions declare is the later one's,
    as a dict made from ``importlib.metadata.entry_points`` would have it)."""
    found: dict[str, Any] = {}
    seen: set[str] = set()
    header = f"[{group}]"
    for folder in sys.path:
        if os.path.isfile(folder) or folder.endswith(".egg"):
            return _with_importlib_metadata(group)  # a zip or an egg: look inside it
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            # The first copy of a distribution on the path is the one that counts, with
            # or without entry points; a later copy (an older version) is shadowed.
            key = _normalized(name.rsplit(".", 1)[0].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            where = os.path.join(folder or ".", name)
            try:
                with open(os.path.join(where, "entry_points.txt"), encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            if header not in text:
                continue
            dist = _distribution(where, name)
            for entry_name, value in _section(text, group):
                found[entry_name] = EntryPoint(entry_name, value, dist)
    return found


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` entries of section ``group`` of an ``entry_points.txt``."""
    entries: list[tuple[str, str]] = []
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            inside = stripped[1:-1].strip() == group
            continue
        if inside:
            match = _ENTRY.match(stripped)
            if match:
                module, attribute = match.group(2), match.group(3)
                entries.append((match.group(1), f"{module}:{attribute}" if attribute else module))
    return entries


def _distribution(folder: str, folder_name: str) -> Distribution:
    """Name and version from the metadata's header lines (``METADATA``, or an egg's
    ``PKG-INFO``), else from the folder's name (``name-version.dist-info``)."""
    fields: dict[str, str] = {}
    for file_name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, file_name), encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        break  # the headers end at the first empty line
                    key, _, value = line.partition(":")
                    if key in ("Name", "Version") and key not in fields:
                        fields[key] = value.strip()
                    if len(fields) == 2:
                        break
            break
        except OSError:
            continue
    stem = folder_name.rsplit(".", 1)[0]
    name, _, version = stem.partition("-")
    return Distribution(fields.get("Name", name), fields.get("Version", version or "-"))


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _with_importlib_metadata(group: str) -> dict[str, Any]:
    from importlib.metadata import entry_points as metadata_entry_points

    return {point.name: point for point in metadata_entry_points(group=group)}
