"""Comparing a built template with what a stack runs, for a hotswap: which resources
differ in their ``Properties`` alone, or the first difference that needs CloudFormation.

"What runs" is the deployed template with the properties earlier hotswaps applied laid
over it (:func:`overlay`), so that undoing an edit is a difference too.
"""

from __future__ import annotations

from typing import Any

from sparta_core.engine.hotswap import ResourceDifference
from sparta_core.stages.converge.deployed import BUILD_ID_KEY


class Fallback(Exception):
    """Why a full provision is needed; the message says it in one clause."""


def compare(new: dict[str, Any], deployed: dict[str, Any]) -> list[ResourceDifference]:
    """The resources whose ``Properties`` alone differ between ``new`` and ``deployed``,
    by logical ID; raise :class:`Fallback` naming the first other difference."""
    for section in sorted((set(new) | set(deployed)) - {"Resources"}):
        old_value, new_value = deployed.get(section), new.get(section)
        if section == "Metadata":
            old_value, new_value = _without_build_id(old_value), _without_build_id(new_value)
        if old_value != new_value:
            raise Fallback(f"the template's {section} changed")
    old_resources = deployed.get("Resources") or {}
    new_resources = new.get("Resources") or {}
    differences = []
    for logical_id in sorted(set(old_resources) | set(new_resources)):
        old, resource = old_resources.get(logical_id), new_resources.get(logical_id)
        if old is None or resource is None:
            kind = (resource or old or {}).get("Type", "?")
            verb = "is new" if old is None else "is removed"
            raise Fallback(f"resource {logical_id} ({kind}) {verb}")
        if old == resource:
            continue
        kind = resource.get("Type", "?")
        for attribute in sorted((set(old) | set(resource)) - {"Properties"}):
            if old.get(attribute) != resource.get(attribute):
                raise Fallback(f"resource {logical_id} ({kind}): its {attribute} changed")
        old_properties = old.get("Properties") or {}
        new_properties = resource.get("Properties") or {}
        changed = tuple(
            name for name in sorted(set(old_properties) | set(new_properties))
            if old_properties.get(name) != new_properties.get(name)
        )
        differences.append(ResourceDifference(logical_id, kind, changed, old, resource))
    return differences


def _without_build_id(metadata: Any) -> Any:
    if not isinstance(metadata, dict):
        return metadata
    rest = {key: value for key, value in metadata.items() if key != BUILD_ID_KEY}
    return rest or None


def overlay(deployed: dict[str, Any], record: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``deployed`` with the hotswapped properties of ``record`` laid over it."""
    if not record:
        return deployed
    resources = dict(deployed.get("Resources") or {})
    for logical_id, properties in record.items():
        if logical_id in resources:
            resource = dict(resources[logical_id])
            resource["Properties"] = {**(resource.get("Properties") or {}), **properties}
            resources[logical_id] = resource
    return {**deployed, "Resources": resources}
