"""CloudFormation references a user may put wherever a value is expected.

``Ref("Queue")``, ``GetAtt("Queue", "Arn")`` and ``Sub("arn:${AWS::Partition}:...")``
stand for the intrinsic functions of the same names. :func:`to_cfn` turns any value
(literals, these objects, raw intrinsic dicts, lists and dicts of them) into the JSON
that goes into the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

#: Anything a user may pass where CloudFormation takes a value.
Value: TypeAlias = Any


class Reference:
    """Base of the reference objects; subclasses know their CloudFormation form."""

    def to_cfn(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Ref(Reference):
    """``{"Ref": logical_id}``: a resource's physical ID or a parameter's value."""

    logical_id: str

    def to_cfn(self) -> dict[str, Any]:
        return {"Ref": self.logical_id}


@dataclass(frozen=True)
class GetAtt(Reference):
    """``{"Fn::GetAtt": [logical_id, attribute]}``: an attribute such as ``Arn``."""

    logical_id: str
    attribute: str

    def to_cfn(self) -> dict[str, Any]:
        return {"Fn::GetAtt": [self.logical_id, self.attribute]}


@dataclass(frozen=True)
class Sub(Reference):
    """``{"Fn::Sub": template}``, with optional ``variables`` for the two-argument form."""

    template: str
    variables: Mapping[str, Value] | None = None

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
