"""IAM as the user declares it: privileges and role definitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.iam_checks import (
    check_action,
    check_condition,
    check_managed_policy_arn,
    check_resource,
)
from sparta_core.model.refs import Value, to_cfn


@dataclass(frozen=True)
class Privilege:
    """One ``Allow`` statement: ``actions`` on ``resources``, under an optional ``condition``.

    ``resources`` may hold ARN strings or references (``GetAtt("Table", "Arn")``...).
    A privilege with no resources is an error: sparta never writes ``"Resource": "*"``
    on the user's behalf; write ``resources=["*"]`` to mean it.
    """

    actions: Sequence[str]
    resources: Sequence[Value]
    condition: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.actions, str):
            object.__setattr__(self, "actions", (self.actions,))
        if isinstance(self.resources, (str, Mapping)) or not isinstance(
            self.resources, Sequence
        ):
            object.__setattr__(self, "resources", (self.resources,))
        if not isinstance(self.actions, Sequence):
            raise ServiceDefinitionError(
                f"Privilege actions must be a list of 'service:Action' strings, got "
                f"{self.actions!r}"
            )
        object.__setattr__(self, "actions", tuple(self.actions))
        object.__setattr__(self, "resources", tuple(self.resources))
        if not self.actions:
            raise ServiceDefinitionError("Privilege needs at least one action")
        what = f"Privilege {list(self.actions)!r}"
        for action in self.actions:
            check_action(action, "Privilege")
        if not self.resources or self.resources == (None,):
            raise ServiceDefinitionError(
                f"{what} names no resources (use ['*'] to mean all)"
            )
        for resource in self.resources:
            check_resource(resource, what)
        if self.condition is not None:
            check_condition(self.condition, what)

    def to_statement(self) -> dict[str, Any]:
        """The IAM policy statement for this privilege."""
        resources = [to_cfn(resource) for resource in self.resources]
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Action": list(self.actions),
            "Resource": resources[0] if len(resources) == 1 else resources,
        }
        if self.condition:
            statement["Condition"] = to_cfn(dict(self.condition))
        return statement


@dataclass(frozen=True)
class IAMRoleDefinition:
    """A role sparta generates for a function, with these privileges added to the
    least-privilege base (CloudWatch Logs for the function's own log group)."""

    privileges: Sequence[Privilege] = field(default_factory=tuple)
    managed_policy_arns: Sequence[Value] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if isinstance(self.privileges, Privilege):
            object.__setattr__(self, "privileges", (self.privileges,))
        if isinstance(self.managed_policy_arns, str) or not isinstance(
            self.managed_policy_arns, Sequence
        ):
            object.__setattr__(self, "managed_policy_arns", (self.managed_policy_arns,))
        if not isinstance(self.privileges, Sequence) or isinstance(self.privileges, str):
            raise ServiceDefinitionError(
                f"IAMRoleDefinition privileges must be a list of Privilege objects, got "
                f"{self.privileges!r}"
            )
        object.__setattr__(self, "privileges", tuple(self.privileges))
        object.__setattr__(self, "managed_policy_arns", tuple(self.managed_policy_arns))
        for arn in self.managed_policy_arns:
            check_managed_policy_arn(arn, "IAMRoleDefinition")
        for privilege in self.privileges:
            if not isinstance(privilege, Privilege):
                raise ServiceDefinitionError(
                    f"IAMRoleDefinition privileges must be Privilege objects, got {privilege!r}"
                )
