"""sparta: build and deploy AWS Lambda services from a Python service definition.

A user's ``service.py`` imports this package as ``import sparta_core as sparta`` and
declares a :class:`Service`, its functions, IAM privileges and event sources. Plugins
implement the hooks of :mod:`sparta_core.hookspecs` with the :data:`hookimpl` marker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError, SpartaError
from sparta_core.model import (
    CloudWatchLogsSubscription,
    CodeCommitTrigger,
    DynamoDBStream,
    EventBridgeRule,
    EventSource,
    FunctionWiring,
    GetAtt,
    IAMRoleDefinition,
    KinesisStream,
    LambdaFunction,
    Privilege,
    Ref,
    S3Event,
    Schedule,
    Service,
    SESRule,
    SNSEvent,
    SQSEvent,
    Sub,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sparta_core.hookspecs import hookimpl
    from sparta_core.template import Template

__all__ = [
    "CloudWatchLogsSubscription",
    "CodeCommitTrigger",
    "DynamoDBStream",
    "EventBridgeRule",
    "EventSource",
    "FunctionWiring",
    "GetAtt",
    "IAMRoleDefinition",
    "KinesisStream",
    "LambdaFunction",
    "Privilege",
    "Ref",
    "S3Event",
    "SESRule",
    "SNSEvent",
    "SQSEvent",
    "Schedule",
    "Service",
    "ServiceDefinitionError",
    "SpartaError",
    "Sub",
    "Template",
    "__version__",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    # ``hookimpl`` needs pluggy and ``Template`` is only for plugins: loaded on first
    # use so that importing a service (and ``sparta --help``) stays light.
    if name == "hookimpl":
        from sparta_core.hookspecs import hookimpl

        return hookimpl
    if name == "Template":
        from sparta_core.template import Template

        return Template
    raise AttributeError(f"module 'sparta_core' has no attribute {name!r}")
