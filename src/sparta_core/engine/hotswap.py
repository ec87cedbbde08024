"""What ``sparta_hotswap`` receives and returns: the differences between the new
template and the deployed one, and the actions that apply them without CloudFormation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResourceDifference:
    """A resource present in both templates, with the same type and attributes, whose
    ``Properties`` differ: ``properties`` names the top-level properties that changed
    (sorted); ``old`` and ``new`` are the resource as deployed (with earlier hotswaps
    laid over) and as built; ``stack`` is the logical ID of the nested stack that holds
    it (``""``: the root stack)."""

    logical_id: str
    resource_type: str
    properties: tuple[str, ...]
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    stack: str = ""

    def __str__(self) -> str:
        changed = ", ".join(self.properties)
        where = f" of nested stack {self.stack}" if self.stack else ""
        return f"resource {self.logical_id}{where} ({self.resource_type}): {changed} changed"


@dataclass(frozen=True)
class HotswapAction:
    """A plugin's claim on some differences, and how to apply them.

    ``logical_ids`` are the resources it takes care of; ``description`` is one line for
    humans; ``apply()`` makes the change in AWS and returns once it is in effect (it
    runs on a worker thread, beside the other actions), raising ``SpartaError`` with a
    one-line reason if it cannot.

    ``kept`` are resources the plugin also claims but deliberately leaves as they are
    (their difference cannot matter: a function that runs none of the archive entries
    that changed); they are not in ``logical_ids``, and the record of what runs keeps
    their deployed value."""

    logical_ids: tuple[str, ...]
    description: str
    apply: Callable[[], None]
    kept: tuple[str, ...] = field(default=())
