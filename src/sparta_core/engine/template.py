"""``Template``: a thin wrapper over the CloudFormation template dict.

Every contributor (the marshaller, event sources, decorators, plugins) adds resources
through it, so that a logical ID can be claimed only once: a collision raises
:class:`DuplicateLogicalIdError` naming both contributors instead of overwriting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from sparta_core.engine.hookcall import running_plugin
from sparta_core.errors import DuplicateLogicalIdError, TemplateError
from sparta_core.model.naming import LOGICAL_ID
from sparta_core.model.refs import to_cfn

#: Resource attributes CloudFormation accepts beside Type and Properties.
RESOURCE_ATTRIBUTES = (
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "CreationPolicy",
    "UpdatePolicy",
)


def referenced_ids(value: Any) -> Iterator[str]:
    """Logical IDs (resources or parameters) that ``value`` refers to, anywhere inside it,
    through ``Ref``, ``Fn::GetAtt`` or ``${...}`` in ``Fn::Sub``; pseudo parameters
    (``AWS::...``), escaped ``${!...}`` and a ``Fn::Sub``'s own variables are skipped."""
    if isinstance(value, list):
        for item in value:
            yield from referenced_ids(item)
        return
    if not isinstance(value, Mapping):
        return
    if isinstance(value.get("Ref"), str) and len(value) == 1:
        if not value["Ref"].startswith("AWS::"):
            yield value["Ref"]
        return
    if "Fn::GetAtt" in value and len(value) == 1:
        target = value["Fn::GetAtt"]
        if isinstance(target, list) and target and isinstance(target[0], str):
            yield target[0]
        elif isinstance(target, str):
            yield target.split(".", 1)[0]
        return
    if "Fn::Sub" in value and len(value) == 1:
        sub = value["Fn::Sub"]
        text, variables = (sub[0], sub[1]) if isinstance(sub, list) and len(sub) == 2 else (sub, {})
        if isinstance(text, str):
            for piece in text.split("${")[1:]:
                name = piece.split("}", 1)[0].split(".", 1)[0]
                if name and not name.startswith(("!", "AWS::")) and name not in variables:
                    yield name
        yield from referenced_ids(variables)
        return
    for item in value.values():
        yield from referenced_ids(item)


#: The owner of a resource added outside any hook implementation, without ``owner=``.
UNKNOWN_CONTRIBUTOR = "an earlier contributor"


def contributor() -> str:
    """Who is adding to the template or the archive now: ``plugin 'NAME'`` while a hook
    implementation runs, else :data:`UNKNOWN_CONTRIBUTOR`."""
    plugin = running_plugin()
    return f"plugin '{plugin}'" if plugin else UNKNOWN_CONTRIBUTOR


class Template:
    """A CloudFormation template under construction."""

    def __init__(self, description: str = "") -> None:
        self._body: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
        if description:
            self._body["Description"] = description
        self._parameters: dict[str, Any] = {}
        self._conditions: dict[str, Any] = {}
        self._resources: dict[str, dict[str, Any]] = {}
        self._outputs: dict[str, dict[str, Any]] = {}
        self._metadata: dict[str, Any] = {}
        self._owners: dict[str, str] = {}
        self._json: tuple[str, str] | None = None

    # -- adding ----------------------------------------------------------------------

    def add_resource(
        self,
        logical_id: str,
        type: str,
        properties: Mapping[str, Any] | None = None,
        *,
        owner: str = "",
        **attributes: Any,
    ) -> dict[str, Any]:
        """Add a resource and return its dict (which the caller may still change).

        ``attributes`` are resource attributes (``DependsOn``, ``Condition``...).
        ``owner`` names the contributor, for the message of a later collision; by
        default it is the plugin whose hook implementation is adding the resource.
        """
        self._claim(logical_id, owner or contributor())
        for name in attributes:
            if name not in RESOURCE_ATTRIBUTES:
                raise TemplateError(
                    f"resource '{logical_id}': unknown resource attribute '{name}' "
                    f"(expected one of {', '.join(RESOURCE_ATTRIBUTES)})"
                )
        resource: dict[str, Any] = {"Type": type}
        if properties:
            resource["Properties"] = to_cfn(dict(properties))
        resource.update(to_cfn(attributes))
        self._resources[logical_id] = resource
        return resource

    def merge_resources(self, resources: Mapping[str, Mapping[str, Any]], owner: str) -> None:
        """Add resources given in template form (``{"Id": {"Type": ..., ...}}``)."""
        if not isinstance(resources, Mapping):
            raise TemplateError(
                f"{owner} returned {type(resources).__name__}, not a dict of resources"
            )
        for resource_id, resource in resources.items():
            if not isinstance(resource, Mapping) or "Type" not in resource:
                raise TemplateError(f"{owner}: resource '{resource_id}' has no Type")
            self._claim(resource_id, owner)
            self._resources[resource_id] = to_cfn(dict(resource))

    def add_output(
        self,
        name: str,
        value: Any,
        description: str = "",
        export: Any | None = None,
    ) -> None:
        """Add a stack output; ``export`` is the export name, if any."""
        if not isinstance(name, str) or not LOGICAL_ID.fullmatch(name):
            raise TemplateError(f"output name {name!r} must be alphanumeric")
        if name in self._outputs:
            raise DuplicateLogicalIdError(f"output '{name}' is added twice")
        output: dict[str, Any] = {"Value": to_cfn(value)}
        if description:
            output["Description"] = description
        if export is not None:
            output["Export"] = {"Name": to_cfn(export)}
        self._outputs[name] = output

    def add_parameter(
        self, name: str, type: str = "String", default: Any | None = None, **options: Any
    ) -> None:
        """Add a template parameter (``Description``, ``AllowedValues``... as keywords)."""
        self._check_unique(name, "parameter")
        parameter: dict[str, Any] = {"Type": type, **options}
        if default is not None:
            parameter["Default"] = default
        self._parameters[name] = parameter

    def set_metadata(self, key: str, value: Any) -> None:
        """Set ``key`` of the template's top-level ``Metadata`` (sparta keeps its build id
        there, as ``sparta:build-id``: unlike a stack tag, it is not copied onto every
        resource, so a code-only change changes only the functions' code)."""
        self._metadata[key] = to_cfn(value)

    def add_condition(self, name: str, expression: Any) -> None:
        self._check_unique(name, "condition")
        self._conditions[name] = to_cfn(expression)

    def _check_unique(self, name: str, kind: str) -> None:
        """Parameters, conditions and resources share one namespace of logical IDs."""
        if not isinstance(name, str) or not LOGICAL_ID.fullmatch(name):
            raise TemplateError(f"{kind} name {name!r} must be alphanumeric")
        for section, names in (
            ("parameter", self._parameters),
            ("condition", self._conditions),
            ("resource", self._resources),
        ):
            if name in names:
                raise DuplicateLogicalIdError(
                    f"{kind} '{name}' is added, but the template already has a {section} "
                    "of that name"
                )

    def _claim(self, logical_id: str, owner: str) -> None:
        if not isinstance(logical_id, str) or not LOGICAL_ID.fullmatch(logical_id):
            raise TemplateError(f"logical ID {logical_id!r} must be alphanumeric")
        if logical_id in self._parameters or logical_id in self._conditions:
            self._check_unique(logical_id, "resource")
        if logical_id in self._resources:
            first = self._owners.get(logical_id, UNKNOWN_CONTRIBUTOR)
            raise DuplicateLogicalIdError(
                f"logical ID '{logical_id}' is added by {owner} but already belongs to {first}"
            )
        self._owners[logical_id] = owner

    # -- reading -----------------------------------------------------------------------

    @property
    def resources(self) -> Mapping[str, dict[str, Any]]:
        """Read-only view of the resources (each resource dict itself may be changed)."""
        return MappingProxyType(self._resources)

    @property
    def outputs(self) -> Mapping[str, dict[str, Any]]:
        return MappingProxyType(self._outputs)

    @property
    def parameters(self) -> Mapping[str, dict[str, Any]]:
        return MappingProxyType(self._parameters)

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Read-only view of the top-level ``Metadata``."""
        return MappingProxyType(self._metadata)

    def owner_of(self, logical_id: str) -> str | None:
        return self._owners.get(logical_id)

    def to_dict(self) -> dict[str, Any]:
        body = dict(self._body)
        if self._metadata:
            body["Metadata"] = self._metadata
        if self._parameters:
            body["Parameters"] = self._parameters
        if self._conditions:
            body["Conditions"] = self._conditions
        body["Resources"] = self._resources
        if self._outputs:
            body["Outputs"] = self._outputs
        return body

    def to_json(self) -> str:
        """Deterministic JSON: the same template always gives the same bytes.

        Indented JSON comes from the pure-Python encoder, about ten times slower than
        the compact one; the validator, the written file and the upload all ask for it,
        so the text is kept and reused while the compact form shows no change."""
        body = self.to_dict()
        compact = json.dumps(body, sort_keys=True, separators=(",", ":"))
        if self._json is None or self._json[0] != compact:
            self._json = (compact, json.dumps(body, indent=2, sort_keys=True) + "\n")
        return self._json[1]

    def to_yaml(self) -> str:
        from cfn_flip import to_yaml  # imported here: only YAML output needs it

        return to_yaml(self.to_json(), clean_up=False)
