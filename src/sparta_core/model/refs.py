"""CloudFormation references a user may put wherever a value is expected.

``Ref("Queue")``, ``GetAtt("Queue", "Arn")`` and ``Sub("arn:${AWS::Partition}:...")``
stand for the intrinsic functions of the same names. :func:`to_cfn` turns any value
(literals, these objects, raw intrinsic dicts, lists and dicts of them) into the JSON
that goes into the template.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from sparta_core.errors import ServiceDefinitionError

#: Anything a user may pass where CloudFormation takes a value.
Value: TypeAlias = Any

#: CloudFormation's pseudo parameters: the only ``AWS::`` names a ``Ref`` may take.
PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)

#: The intrinsic and condition functions a template may hold (``Fn::ForEach::<Name>``
#: of the language extensions is matched by its prefix).
INTRINSIC_FUNCTIONS = (
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Not",
    "Fn::Or",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
)


def _hint(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_logical_name(name: object, what: str) -> str:
    """``name`` if a ``Ref`` or ``GetAtt`` may name it: a non-empty string, and among the
    ``AWS::`` names only a pseudo parameter."""
    if not isinstance(name, str) or not name.strip():
        raise ServiceDefinitionError(
            f"{what} needs the logical ID of a resource or parameter (a string), got {name!r}"
        )
    if name.startswith("AWS::") and name not in PSEUDO_PARAMETERS:
        raise ServiceDefinitionError(
            f"{what}: {name!r} is not a CloudFormation pseudo parameter"
            f"{_hint(name, PSEUDO_PARAMETERS)}"
        )
    return name


def sub_names(template: object, what: str) -> list[str]:
    """The names inside ``${...}`` of an ``Fn::Sub`` string (``${!x}`` is a literal);
    raises on an unclosed or empty placeholder and on an unknown ``AWS::`` name."""
    if not isinstance(template, str):
        raise ServiceDefinitionError(f"{what} needs a string, got {template!r}")
    names: list[str] = []
    start = template.find("${")
    while start != -1:
        end = template.find("}", start)
        if end == -1:
            raise ServiceDefinitionError(
                f"{what}: {template!r} opens '${{' at character {start} and never closes it "
                "(write '${!' for a literal '${')"
            )
        name = template[start + 2:end]
        if not name.startswith("!"):
            if not name.strip():
                raise ServiceDefinitionError(f"{what}: {template!r} holds an empty '${{}}'")
            check_logical_name(name.split(".", 1)[0], what)
            names.append(name)
        start = template.find("${", end)
    return names


class Reference:
    """Base of the reference objects; subclasses know their CloudFormation form."""

    def to_cfn(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Ref(Reference):
    """``{"Ref": logical_id}``: a resource's physical ID or a parameter's value."""

    logical_id: str

    def __post_init__(self) -> None:
        check_logical_name(self.logical_id, "Ref()")

    def to_cfn(self) -> dict[str, Any]:
        return {"Ref": self.logical_id}


@dataclass(frozen=True)
class GetAtt(Reference):
    """``{"Fn::GetAtt": [logical_id, attribute]}``: an attribute such as ``Arn``."""

    logical_id: str
    attribute: str

    def __post_init__(self) -> None:
        check_logical_name(self.logical_id, "GetAtt()")
        if self.logical_id.startswith("AWS::"):
            raise ServiceDefinitionError(
                f"GetAtt(): {self.logical_id} is a pseudo parameter, which has no attributes "
                "(use Ref)"
            )
        if not isinstance(self.attribute, str) or not self.attribute.strip():
            raise ServiceDefinitionError(
                f"GetAtt('{self.logical_id}', ...) needs an attribute name such as 'Arn', "
                f"got {self.attribute!r}"
            )

    def to_cfn(self) -> dict[str, Any]:
        return {"Fn::GetAtt": [self.logical_id, self.attribute]}


@dataclass(frozen=True)
class Sub(Reference):
    """``{"Fn::Sub": template}``, with optional ``variables`` for the two-argument form."""

    template: str
    variables: Mapping[str, Value] | None = None

    def __post_init__(self) -> None:
        sub_names(self.template, "Sub()")
        if self.variables is not None:
            if not isinstance(self.variables, Mapping):
                raise ServiceDefinitionError(
                    f"Sub(): variables must be a mapping of names to values, got "
                    f"{self.variables!r}"
                )
            check_value(dict(self.variables), "Sub() variables")

    def to_cfn(self) -> dict[str, Any]:
        if self.variables:
            return {"Fn::Sub": [self.template, to_cfn(dict(self.variables))]}
        return {"Fn::Sub": self.template}


_PLAIN = (str, int, float, bool, type(None))


def to_cfn(value: Value) -> Any:
    """Return ``value`` as template JSON: references become intrinsic dicts, recursively."""
    # Exact-type checks first: templates are mostly strings, numbers and plain dicts,
    # and the Mapping ABC check is slow when asked of every value of every resource.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {key if type(key) is str else str(key): to_cfn(item)
                for key, item in value.items()}
    if kind is list:
        return [to_cfn(item) for item in value]
    if isinstance(value, Reference):
        return value.to_cfn()
    if isinstance(value, Mapping):
        return {str(key): to_cfn(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_cfn(item) for item in value]
    return value


def check_value(value: Value, what: str) -> None:
    """Raise unless ``value`` can go into a template as it is: JSON leaves (no ``None``,
    no NaN, no other objects), string keys, known intrinsic functions with arguments of
    the right shape. ``what`` names the field in the message."""
    if isinstance(value, Reference):
        return  # checked when it was made
    if isinstance(value, (bool, str, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ServiceDefinitionError(f"{what}: {value!r} is not a number JSON can hold")
        return
    if value is None:
        raise ServiceDefinitionError(
            f"{what} is None, which CloudFormation refuses (leave the key out instead)"
        )
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise ServiceDefinitionError(f"{what}: key {key!r} is not a string")
        if len(value) == 1:
            _check_intrinsic(next(iter(value)), next(iter(value.values())), what)
        for key, item in value.items():
            check_value(item, f"{what}.{key}" if not key.startswith("Fn::") else what)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_value(item, f"{what}[{index}]")
        return
    raise ServiceDefinitionError(
        f"{what}: {type(value).__name__} {value!r} is not a CloudFormation value (a string, "
        "number, bool, list, dict or a Ref/GetAtt/Sub)"
    )


def _check_intrinsic(name: str, argument: Any, what: str) -> None:
    if name == "Ref":
        check_logical_name(argument, f"{what}: Ref")
    elif name == "Fn::GetAtt":
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        if not isinstance(parts, (list, tuple)) or len(parts) != 2:
            raise ServiceDefinitionError(
                f"{what}: Fn::GetAtt takes [logical ID, attribute], got {argument!r}"
            )
        check_logical_name(parts[0], f"{what}: Fn::GetAtt")
    elif name == "Fn::Sub":
        text = argument[0] if isinstance(argument, (list, tuple)) and argument else argument
        sub_names(text, f"{what}: Fn::Sub")
    elif name.startswith("Fn::") and name not in INTRINSIC_FUNCTIONS and not (
        name.startswith("Fn::ForEach::")
    ):
        raise ServiceDefinitionError(
            f"{what}: {name} is not a CloudFormation intrinsic function"
            f"{_hint(name, INTRINSIC_FUNCTIONS)}"
        )
