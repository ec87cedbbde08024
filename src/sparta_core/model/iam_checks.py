"""The shape IAM gives actions, resources, conditions and managed policy ARNs.

A privilege IAM would refuse (or, worse, accept and read differently from what the user
meant) is refused when it is declared, naming the bad value, rather than when
CloudFormation creates the role. No I/O: these are checks of the strings alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.refs import Reference, check_value

#: ``service:Action``: the service prefix has no wildcard; the action part may.
ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
MANAGED_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+")

#: IAM's condition operators (AWS documentation, "IAM JSON policy elements: Condition
#: operators"). Each but ``Null`` may end in ``IfExists``; each may start with
#: ``ForAllValues:`` or ``ForAnyValue:`` (the set operators).
CONDITION_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
SET_PREFIXES = ("ForAllValues:", "ForAnyValue:")


def check_action(action: object, what: str) -> str:
    """``action`` if it is ``*`` or ``service:Action`` (wildcards in the action part only)."""
    if action == "*" or (isinstance(action, str) and ACTION.fullmatch(action)):
        return action  # type: ignore[return-value]
    raise ServiceDefinitionError(
        f"{what}: action {action!r} is not of the form 'service:Action' (a wildcard may "
        "stand only in the action part, as in 's3:Get*', or alone as '*')"
    )


def check_resource(resource: object, what: str) -> None:
    """A resource is ``*``, an ARN (``arn:...``) or a reference that gives one."""
    if isinstance(resource, str):
        if resource == "*" or (resource.startswith("arn:") and resource.count(":") >= 5):
            return
        raise ServiceDefinitionError(
            f"{what}: resource {resource!r} is not an ARN ('arn:partition:service:region:"
            "account:resource') or '*'"
        )
    if isinstance(resource, (Reference, Mapping)):
        check_value(resource, f"{what}: resource")
        return
    raise ServiceDefinitionError(
        f"{what}: resource {resource!r} must be an ARN string, '*' or a reference "
        "(GetAtt(...), Sub(...))"
    )


def check_condition_operator(operator: object, what: str) -> None:
    if not isinstance(operator, str):
        raise ServiceDefinitionError(f"{what}: condition operator {operator!r} is not a string")
    base = operator
    for prefix in SET_PREFIXES:
        base = base.removeprefix(prefix)
    if base.endswith("IfExists") and base != "NullIfExists":
        base = base.removesuffix("IfExists")
    if base in CONDITION_OPERATORS:
        return
    close = difflib.get_close_matches(base, CONDITION_OPERATORS, n=1)
    hint = f" (did you mean '{operator.replace(base, close[0])}'?)" if close else ""
    raise ServiceDefinitionError(
        f"{what}: {operator!r} is not an IAM condition operator{hint}"
    )


def check_condition(condition: object, what: str) -> None:
    """``{operator: {condition key: value or values}}``, with IAM's operators."""
    if not isinstance(condition, Mapping):
        raise ServiceDefinitionError(
            f"{what}: condition must be a mapping such as "
            f"{{'StringEquals': {{'aws:SourceAccount': '123456789012'}}}}, got {condition!r}"
        )
    for operator, keys in condition.items():
        check_condition_operator(operator, what)
        if not isinstance(keys, Mapping) or not keys:
            raise ServiceDefinitionError(
                f"{what}: condition {operator} must map condition keys to values, got {keys!r}"
            )
        check_value(dict(keys), f"{what}: condition {operator}")


def check_managed_policy_arn(arn: Any, what: str) -> None:
    if isinstance(arn, str):
        if MANAGED_POLICY_ARN.fullmatch(arn):
            return
        raise ServiceDefinitionError(
            f"{what}: managed policy {arn!r} is not a policy ARN "
            "(arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)"
        )
    if isinstance(arn, (Reference, Mapping)):
        check_value(arn, f"{what}: managed policy")
        return
    raise ServiceDefinitionError(
        f"{what}: managed policy {arn!r} must be a policy ARN string or a reference"
    )
