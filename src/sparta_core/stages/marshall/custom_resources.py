"""Custom resources: what CloudFormation cannot express, done by a Lambda handler.

A *custom resource type* names a handler that ships in the archive (a function of
``sparta_runtime`` or of a plugin's own module) and the IAM statements that handler needs
for a given resource's properties. Types are registered through the
``sparta_custom_resource_types(register)`` hook, the way tox registers environment
types: the built-in plugin registers the ones sparta's own event sources need, and any
plugin registers more the same way.

:func:`add_custom_resource` puts one resource of a type in the template. The first
resource of a type also adds that type's *provider*: one ``AWS::Lambda::Function`` (with
its log group and its own role) per type per service, running the handler from the
service's archive. Each further resource of the type adds only the statements it needs
to the provider's role, so the role allows exactly what the stack's resources of that
type touch. The Lambda side of the protocol is :mod:`sparta_core.runtime.custom_resource`.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparta_core.engine.hookcall import call_hook, running_plugin
from sparta_core.errors import PluginError, TemplateError
from sparta_core.model.events import after_the_last_on
from sparta_core.model.naming import logical_id as make_logical_id

if TYPE_CHECKING:
    from sparta_core.engine.context import ProvisionContext
    from sparta_core.engine.template import Template

TYPE_NAME = re.compile(r"[A-Za-z0-9_@-]{1,60}")
HANDLER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
STASH_KEY = "sparta.custom_resource_types"
PROVIDER_OWNER = "sparta's custom resource framework"
#: Seconds CloudFormation waits for a response beyond the provider's own timeout.
SERVICE_TIMEOUT_SLACK = 60

StatementsFor = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class CustomResourceType:
    """A kind of custom resource and the handler that implements it.

    ``name`` becomes the resource type ``Custom::<name>``. ``handler`` is the
    ``module.function`` Lambda calls, found in the service's archive (sparta's own
    handlers live in ``sparta_runtime``; a plugin ships its module with the
    ``sparta_archive`` hook). ``statements(properties)`` returns the IAM statements the
    handler needs for one resource with those (template) properties; they are added to
    the provider's role. ``timeout`` and ``memory_size`` configure the provider function.
    """

    name: str
    handler: str
    statements: StatementsFor = field(default=lambda properties: [])
    description: str = ""
    timeout: int = 120
    memory_size: int = 128

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not TYPE_NAME.fullmatch(self.name):
            raise PluginError(
                f"custom resource type name {self.name!r} must be 1-60 letters, digits, "
                "'_', '@' or '-'"
            )
        if not isinstance(self.handler, str) or not HANDLER.fullmatch(self.handler):
            raise PluginError(
                f"custom resource type '{self.name}': handler {self.handler!r} must be "
                "'module.function'"
            )
        if not callable(self.statements):
            raise PluginError(f"custom resource type '{self.name}': statements must be callable")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, int) or not (
            1 <= self.timeout <= 900
        ):
            raise PluginError(f"custom resource type '{self.name}': timeout must be 1-900 s")

    @property
    def resource_type(self) -> str:
        return f"Custom::{self.name}"


class CustomResourceRegistry:
    """The custom resource types of one run, by name; passed to the
    ``sparta_custom_resource_types`` hook as ``register``."""

    def __init__(self, plugin_order: Sequence[str] = ()) -> None:
        #: Plugins in registration order: of two that register one name, the earlier
        #: one is said to have it "already", whatever order pluggy called them in.
        self._order = {name: index for index, name in enumerate(plugin_order)}
        self._types: dict[str, CustomResourceType] = {}
        self._origins: dict[str, str] = {}
        #: Who registers when no hook implementation is running (sparta's own use).
        self.plugin = "?"

    @property
    def registering(self) -> str:
        """The plugin registering now: the one whose hook implementation runs."""
        return running_plugin() or self.plugin

    def add(self, resource_type: CustomResourceType) -> None:
        """Register ``resource_type``; a name registered twice is an error."""
        if not isinstance(resource_type, CustomResourceType):
            raise PluginError(
                f"plugin '{self.registering}' registered {resource_type!r}, not a "
                "CustomResourceType"
            )
        name = resource_type.name
        if name in self._types:
            first, second = sorted(
                (self._origins[name], self.registering),
                key=lambda plugin: self._order.get(plugin, len(self._order)),
            )
            raise PluginError(
                f"custom resource type '{name}' is registered by plugin '{second}' but "
                f"already by plugin '{first}'"
            )
        self._types[name] = resource_type
        self._origins[name] = self.registering

    def get(self, name: str) -> CustomResourceType:
        """The type called ``name``; an unknown name is a ``TemplateError``."""
        if name not in self._types:
            known = ", ".join(sorted(self._types)) or "none"
            raise TemplateError(
                f"no plugin registers the custom resource type '{name}' (registered: {known})"
            )
        return self._types[name]

    def origin(self, name: str) -> str:
        return self._origins[name]

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._types))


def custom_resource_types(ctx: ProvisionContext) -> CustomResourceRegistry:
    """The run's registry, built on first use by calling every
    ``sparta_custom_resource_types`` implementation (cached on ``ctx.stash``)."""
    cached = ctx.stash.get(STASH_KEY)
    if isinstance(cached, CustomResourceRegistry):
        return cached
    registry = CustomResourceRegistry(list(getattr(ctx.pluginmanager, "infos", ())))
    # Registration order, built-ins first (historic=False, so pluggy's order is reversed
    # registration; the registry sorts by name anyway, and who registered what is the
    # plugin running when ``register`` is called).
    call_hook(ctx.pluginmanager, "marshall", "sparta_custom_resource_types", register=registry)
    ctx.stash[STASH_KEY] = registry
    return registry


# -- the provider function ---------------------------------------------------------------


def provider_ids(type_name: str) -> dict[str, str]:
    """Stable logical IDs of a type's provider function, role and log group."""
    base = make_logical_id(type_name, "Provider")
    return {"function": base, "role": base + "Role", "log_group": base + "LogGroup"}


def provider_function_name(service_name: str, type_name: str) -> str:
    """``<service>-<type>``, shortened with a hash to Lambda's 64 characters."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", f"{service_name}-{type_name}")
    if len(name) > 64:
        name = name[:55] + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return name


def _ensure_provider(
    ctx: ProvisionContext, template: Template, resource_type: CustomResourceType
) -> dict[str, Any]:
    """The provider's role resource, adding function, role and log group on first use."""
    from sparta_core.stages.marshall.functions import (
        add_execution_role,
        add_log_group,
        code_location,
        log_retention,
        logs_statement,
    )

    ids = provider_ids(resource_type.name)
    if ids["role"] in template.resources:
        if template.owner_of(ids["role"]) != PROVIDER_OWNER:
            raise TemplateError(
                f"logical ID '{ids['role']}' belongs to {template.owner_of(ids['role'])}, "
                f"not to the provider of custom resource type '{resource_type.name}'"
            )
        return template.resources[ids["role"]]
    if ctx.archive is None:
        raise TemplateError("custom resources need the service's archive, which is not built")
    service = ctx.service
    name = provider_function_name(service.stack_name, resource_type.name)
    add_log_group(template, ids["log_group"], name, PROVIDER_OWNER, log_retention(ctx))
    role = add_execution_role(
        template, ids["role"], [logs_statement(name)],
        policy_name=f"{resource_type.name}-provider", owner=PROVIDER_OWNER,
    )
    description = resource_type.description or f"sparta custom resource {resource_type.name}"
    template.add_resource(
        ids["function"], "AWS::Lambda::Function",
        {
            "FunctionName": name,
            "Description": description[:256],
            "Handler": resource_type.handler,
            "Runtime": service.runtime,
            "Architectures": [service.architecture],
            "MemorySize": resource_type.memory_size,
            "Timeout": resource_type.timeout,
            "Code": code_location(ctx, template),
            "Role": {"Fn::GetAtt": [ids["role"], "Arn"]},
            "Tags": [{"Key": "sparta:service", "Value": service.name}],
        },
        owner=PROVIDER_OWNER,
        DependsOn=[ids["log_group"]],
    )
    return role


#: Template -> custom resource type -> (its provider role's statements, their canonical
#: JSON), so that adding a statement checks a set rather than the whole list.
_STATEMENTS: weakref.WeakKeyDictionary[
    Template, dict[str, tuple[list[dict[str, Any]], set[str]]]
] = weakref.WeakKeyDictionary()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def add_custom_resource(
    ctx: ProvisionContext,
    template: Template,
    type_name: str,
    logical_id: str,
    properties: Mapping[str, Any],
    *,
    owner: str,
    **attributes: Any,
) -> dict[str, Any]:
    """Add a ``Custom::<type_name>`` resource with ``properties`` (template values) and
    return its dict; add the type's provider on first use and the statements this
    resource needs to the provider's role. ``attributes`` are resource attributes
    (``DependsOn``...). An unknown type or a taken logical ID is an error."""
    resource_type = custom_resource_types(ctx).get(type_name)
    from sparta_core.stages.marshall.functions import role_statements

    role = _ensure_provider(ctx, template, resource_type)
    statements = role_statements(role)
    # A set of the statements already there, kept per role: one `in` on the list per
    # resource would make N resources of a type O(N²).
    per_role = _STATEMENTS.setdefault(template, {})
    known = per_role.get(type_name)
    if known is None or known[0] is not statements:
        known = (statements, {_canonical(statement) for statement in statements})
        per_role[type_name] = known
    for statement in resource_type.statements(properties):
        key = _canonical(statement)
        if key not in known[1]:
            known[1].add(key)
            statements.append(statement)
    function_id = provider_ids(type_name)["function"]
    return template.add_resource(
        logical_id,
        resource_type.resource_type,
        {
            "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
            "ServiceTimeout": resource_type.timeout + SERVICE_TIMEOUT_SLACK,
            **properties,
        },
        owner=owner,
        **attributes,
    )


__all__ = [
    "CustomResourceRegistry",
    "CustomResourceType",
    "add_custom_resource",
    "after_the_last_on",
    "custom_resource_types",
    "provider_ids",
]
