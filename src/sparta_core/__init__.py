"""sparta: build and deploy AWS Lambda services from a Python service definition.

A user's ``service.py`` imports this package as ``import sparta_core as sparta`` and
declares a :class:`Service`, its functions, IAM privileges and event sources. Plugins
implement the hooks of :mod:`sparta_core.hookspecs` with the :data:`hookimpl` marker.

The public names are loaded on first use (PEP 562), so that ``sparta --help``, which
imports this package, does not pay for the model, the template or pluggy.
"""

from __future__ import annotations

import importlib

# Not typing's: importing typing costs as much as the rest of a replayed build (see
# sparta_core.engine.replay), and the console script imports this package first.
TYPE_CHECKING = False

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "HotswapAction": "sparta_core.engine.hotswap",
    "ResourceDifference": "sparta_core.engine.hotswap",
    "CloudWatchLogsSubscription": "sparta_core.model.sources",
    "CodeCommitTrigger": "sparta_core.model.sources",
    "Asset": "sparta_core.model.component",
    "Component": "sparta_core.model.component",
    "ComponentWiring": "sparta_core.model.component",
    "CorsConfig": "sparta_core.model.api",
    "CustomResourceType": "sparta_core.stages.marshall.custom_resources",
    "DynamoDBStream": "sparta_core.model.sources",
    "EventBridgeRule": "sparta_core.model.sources",
    "KinesisStream": "sparta_core.model.sources",
    "S3Event": "sparta_core.model.sources",
    "S3Site": "sparta_core.model.site",
    "SESRule": "sparta_core.model.sources",
    "SNSEvent": "sparta_core.model.sources",
    "SQSEvent": "sparta_core.model.sources",
    "Schedule": "sparta_core.model.sources",
    "EventSource": "sparta_core.model.events",
    "FunctionWiring": "sparta_core.model.events",
    "GetAtt": "sparta_core.model.refs",
    "IAMRoleDefinition": "sparta_core.model.iam",
    "LambdaFunction": "sparta_core.model.function",
    "LocalRoute": "sparta_core.model.local_route",
    "Privilege": "sparta_core.model.iam",
    "Ref": "sparta_core.model.refs",
    "RestAPI": "sparta_core.model.api",
    "Service": "sparta_core.model.service",
    "ServiceDefinitionError": "sparta_core.errors",
    "SpartaError": "sparta_core.errors",
    "Sub": "sparta_core.model.refs",
    "Template": "sparta_core.engine.template",
    "hookimpl": "sparta_core.hookspecs",
}

__all__ = [
    "Asset",
    "CloudWatchLogsSubscription",
    "CodeCommitTrigger",
    "Component",
    "ComponentWiring",
    "CorsConfig",
    "CustomResourceType",
    "DynamoDBStream",
    "EventBridgeRule",
    "EventSource",
    "FunctionWiring",
    "GetAtt",
    "HotswapAction",
    "IAMRoleDefinition",
    "KinesisStream",
    "LambdaFunction",
    "LocalRoute",
    "Privilege",
    "Ref",
    "ResourceDifference",
    "RestAPI",
    "S3Event",
    "S3Site",
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

if TYPE_CHECKING:
    from typing import Any

    from sparta_core.engine.template import Template
    from sparta_core.errors import ServiceDefinitionError, SpartaError
    from sparta_core.hookspecs import hookimpl
    from sparta_core.model.api import CorsConfig, RestAPI
    from sparta_core.model.component import Asset, Component, ComponentWiring
    from sparta_core.model.events import EventSource, FunctionWiring
    from sparta_core.model.function import LambdaFunction
    from sparta_core.model.iam import IAMRoleDefinition, Privilege
    from sparta_core.model.local_route import LocalRoute
    from sparta_core.model.refs import GetAtt, Ref, Sub
    from sparta_core.model.service import Service
    from sparta_core.model.site import S3Site
    from sparta_core.model.sources import (
        CloudWatchLogsSubscription,
        CodeCommitTrigger,
        DynamoDBStream,
        EventBridgeRule,
        KinesisStream,
        S3Event,
        Schedule,
        SESRule,
        SNSEvent,
        SQSEvent,
    )
    from sparta_core.stages.marshall.custom_resources import CustomResourceType


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sparta_core' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as error:
        if name != "hookimpl" or error.name not in ("pluggy", "sparta_core.hookspecs"):
            raise
        # Inside Lambda the archive ships sparta's model, not its hooks nor pluggy: a
        # plugin package whose event source or component a service uses is imported
        # there too, and its hook implementations are never called: mark nothing.
        value = _inert_hookimpl
    globals()[name] = value  # later look-ups skip this function
    return value


def _inert_hookimpl(function: Any = None, **options: Any) -> Any:
    """``hookimpl`` where pluggy is absent: ``@hookimpl`` and ``@hookimpl(...)`` return
    the function unchanged."""
    if function is None:
        return lambda decorated: decorated
    return function


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
