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

#: One compact, key-sorted encoder (the C one), made once.
_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":"))

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
    found: list[str] = []
    _collect(value, found)
    return iter(found)


def references(value: Any) -> list[tuple[str, str | None]]:
    """``(logical ID, attribute)`` of every reference inside ``value``, in order: the
    attribute is ``None`` for ``Ref`` and ``${Id}``, the attribute's name for
    ``Fn::GetAtt`` and ``${Id.Attribute}``."""
    found: list[tuple[str, str | None]] = []
    _collect(value, found, True)
    return found


def _collect(value: Any, out: list[Any], attributes: bool = False) -> None:
    # A plain recursive walk appending to one list: the template's validators and its
    # split into nested stacks walk every value of every resource, so a generator per
    # level (what this was) cost several times as much.
    if isinstance(value, dict):
        if len(value) == 1:
            if "Ref" in value:
                target = value["Ref"]
                if isinstance(target, str):
                    if not target.startswith("AWS::"):
                        out.append((target, None) if attributes else target)
                    return
            elif "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                if isinstance(target, list) and target and isinstance(target[0], str):
                    attribute = ".".join(str(part) for part in target[1:]) or None
                    out.append((target[0], attribute) if attributes else target[0])
                elif isinstance(target, str):
                    name, _, attribute = target.partition(".")
                    out.append((name, attribute or None) if attributes else name)
                return
            elif "Fn::Sub" in value:
                sub = value["Fn::Sub"]
                text, variables = (
                    (sub[0], sub[1]) if isinstance(sub, list) and len(sub) == 2 else (sub, {})
                )
                if isinstance(text, str):
                    for piece in text.split("${")[1:]:
                        inner = piece.split("}", 1)[0]
                        name, _, attribute = inner.partition(".")
                        if name and not name.startswith(("!", "AWS::")) and name not in variables:
                            out.append((name, attribute or None) if attributes else name)
                _collect(variables, out, attributes)
                return
        for item in value.values():
            if isinstance(item, (dict, list)):
                _collect(item, out, attributes)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _collect(item, out, attributes)
    elif isinstance(value, Mapping):
        _collect(dict(value), out, attributes)


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
        #: Logical IDs in the order they were claimed (resources are only ever appended,
        #: so a reader can look at just the ones added since it last looked).
        self._order: list[str] = []
        #: Logical ID of an ``AWS::CloudFormation::Stack`` -> the child's template.
        self._nested: dict[str, Template] = {}
        #: The compact JSON, once :meth:`freeze` says the template is finished.
        self._frozen: str | None = None
        #: :meth:`resource_references` of the frozen template, and the JSON it was
        #: worked out for (a thawed and refrozen template has a new one).
        self._references: dict[str, list[tuple[str, str | None]]] = {}
        self._references_of: str | None = None

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
        self._frozen = None
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
        self._frozen = None
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
        self._frozen = None
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
        self._frozen = None
        self._check_unique(name, "parameter")
        parameter: dict[str, Any] = {"Type": type, **options}
        if default is not None:
            parameter["Default"] = default
        self._parameters[name] = parameter

    def set_metadata(self, key: str, value: Any) -> None:
        """Set ``key`` of the template's top-level ``Metadata`` (sparta keeps its build id
        there, as ``sparta:build-id``: unlike a stack tag, it is not copied onto every
        resource, so a code-only change changes only the functions' code)."""
        self._frozen = None
        self._metadata[key] = to_cfn(value)

    def add_condition(self, name: str, expression: Any) -> None:
        self._frozen = None
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
        self._order.append(logical_id)

    def remove_resource(self, logical_id: str) -> dict[str, Any]:
        """Take a resource out (to move it into a nested stack); returns its dict."""
        self._frozen = None
        resource = self._resources.pop(logical_id)
        self._owners.pop(logical_id, None)
        return resource

    def place_resource(self, logical_id: str, resource: dict[str, Any], owner: str) -> None:
        """Put a resource dict, already in template form, in as it is (no copy): what a
        nested stack's split does with the resources it moves."""
        self._frozen = None
        self._claim(logical_id, owner)
        self._resources[logical_id] = resource

    def add_nested_stack(
        self, logical_id: str, child: Template, properties: Mapping[str, Any], **attributes: Any
    ) -> dict[str, Any]:
        """Add an ``AWS::CloudFormation::Stack`` whose template is ``child``."""
        resource = self.add_resource(
            logical_id, "AWS::CloudFormation::Stack", properties,
            owner="sparta's nested stacks", **attributes,
        )
        self._nested[logical_id] = child
        return resource

    def remove_output(self, name: str) -> dict[str, Any]:
        self._frozen = None
        return self._outputs.pop(name)

    def place_output(self, name: str, output: dict[str, Any]) -> None:
        """Put an output already in template form in as it is."""
        self._frozen = None
        if name in self._outputs:
            raise DuplicateLogicalIdError(f"output '{name}' is added twice")
        self._outputs[name] = output

    # -- reading -----------------------------------------------------------------------

    @property
    def resources(self) -> Mapping[str, dict[str, Any]]:
        """Read-only view of the resources (each resource dict itself may be changed)."""
        return MappingProxyType(self._resources)

    def resource_ids(self, start: int = 0) -> list[str]:
        """The logical IDs claimed since the ``start``-th, in order (of resources still
        in the template)."""
        return [lid for lid in self._order[start:] if lid in self._resources]

    @property
    def outputs(self) -> Mapping[str, dict[str, Any]]:
        return MappingProxyType(self._outputs)

    @property
    def parameters(self) -> Mapping[str, dict[str, Any]]:
        return MappingProxyType(self._parameters)

    @property
    def conditions(self) -> Mapping[str, Any]:
        return MappingProxyType(self._conditions)

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Read-only view of the top-level ``Metadata`` (change it with
        :meth:`set_metadata`)."""
        return MappingProxyType(self._metadata)

    @property
    def nested(self) -> Mapping[str, Template]:
        """The nested stacks' templates, by the logical ID of their stack resource."""
        return MappingProxyType(self._nested)

    def stacks(self) -> Iterator[tuple[str, Template]]:
        """This template (``""``) and every nested one (by logical ID), depth first."""
        yield "", self
        for logical_id, child in self._nested.items():
            for inner, template in child.stacks():
                yield (f"{logical_id}.{inner}" if inner else logical_id), template

    def all_resources(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every resource of this template and of its nested stacks (not the stack
        resources themselves): what the service deploys, wherever it was placed."""
        for _, template in self.stacks():
            for logical_id, resource in template._resources.items():
                if logical_id not in template._nested:
                    yield logical_id, resource

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

    def to_compact_json(self) -> str:
        """Deterministic compact JSON, from the C encoder: what is uploaded and what
        CloudFormation's size limit is checked on."""
        if self._frozen is not None:
            return self._frozen
        return _COMPACT.encode(self.to_dict())

    def freeze(self) -> None:
        """Say the template (and its nested ones) is finished: the compact JSON is made
        once and reused by the validators, the written files and the upload. The
        workflow calls it after ``sparta_post_marshall``; from then on the template is
        read-only (adding to it thaws it)."""
        for _, stack in self.stacks():
            if stack._frozen is None:  # a nested stack may have been finished already
                stack._frozen = stack.to_compact_json()

    def resource_references(self) -> Mapping[str, list[tuple[str, str | None]]]:
        """Logical ID -> :func:`references` of that resource, in template order.

        Several validators (references, attributes, cycles) and the nested-stack split
        each need every resource's references; on a finished (frozen) template they are
        worked out once and shared, since walking every value of thousands of resources
        is what such a template's checks cost. The lists are the caller's to read only.
        """
        if self._frozen is not None and self._references_of is self._frozen:
            return self._references
        found = {logical_id: references(resource)
                 for logical_id, resource in self._resources.items()}
        if self._frozen is not None:
            self._references, self._references_of = found, self._frozen
        return found

    def to_json(self) -> str:
        """Deterministic indented JSON (for people: the file in ``.sparta/``). Indented
        output comes from the pure-Python encoder, several times slower than
        :meth:`to_compact_json`; use that one for anything a machine reads."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_lines(self) -> str:
        """Deterministic JSON, indented down to each resource, output and parameter,
        each of which is one compact line: for a template too big to indent fully in
        good time (one C-encoder call per entry), still readable and diffable line by
        line. Parses to the same template as :meth:`to_json`."""
        encode = _COMPACT.encode
        body = self.to_dict()
        lines = ["{"]
        for index, key in enumerate(sorted(body)):
            comma = "," if index < len(body) - 1 else ""
            value = body[key]
            if isinstance(value, dict) and value and key != "Metadata":
                lines.append(f"  {encode(key)}: {{")
                names = sorted(value)
                for position, name in enumerate(names):
                    inner = "," if position < len(names) - 1 else ""
                    lines.append(f"    {encode(name)}: {encode(value[name])}{inner}")
                lines.append(f"  }}{comma}")
            else:
                lines.append(f"  {encode(key)}: {encode(value)}{comma}")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_yaml(self) -> str:
        from cfn_flip import to_yaml  # imported here: only YAML output needs it

        return to_yaml(self.to_compact_json(), clean_up=False)
