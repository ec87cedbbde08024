"""The base class of event sources.

An event source is an object attached to a function (``events=[...]``) that knows the
CloudFormation it becomes: its own resources, the ``AWS::Lambda::Permission`` a push
source needs, the IAM statements a pull source needs on the function's role. Core lists
no kinds: each kind is a subclass, and a plugin adds a kind by subclassing
:class:`EventSource` in its own package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparta_core.errors import TemplateError
from sparta_core.model.naming import logical_id

if TYPE_CHECKING:
    from sparta_core.engine.context import ProvisionContext
    from sparta_core.engine.template import Template
    from sparta_core.model.function import LambdaFunction


@dataclass
class FunctionWiring:
    """What an event source sees, and may change, while its function is marshalled.

    ``template`` is the template being built; ``statements`` is the list of IAM
    statements of the function's generated role (append to it; it is ignored, with a
    warning, when the user named an existing role, which must then already allow them).
    """

    ctx: ProvisionContext | None
    function: LambdaFunction
    logical_id: str
    template: Template
    statements: list[dict[str, Any]] = field(default_factory=list)
    #: Resources of the template this function depends on, for discovery: logical ID
    #: to ``{attribute: Fn::Sub fragment}`` (empty: sparta derives them from the type).
    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The marshall stage's custom resource framework, put here by that stage so that
    #: model code never imports it (see :meth:`add_custom_resource`).
    custom_resources: Callable[..., dict[str, Any]] | None = None
    #: What callers invoke (a plugin's ``sparta_invoke_target``, e.g. an alias ARN);
    #: ``None``: the function itself.
    invoke_target: Any = None

    def add_custom_resource(
        self,
        type_name: str,
        logical_id: str,
        properties: Mapping[str, Any],
        *,
        owner: str,
        **attributes: Any,
    ) -> dict[str, Any]:
        """Add a ``Custom::<type_name>`` resource (a type registered through
        ``sparta_custom_resource_types``) and return its dict; its provider function is
        added on first use, and the statements this resource needs go to its role."""
        if self.custom_resources is None:
            raise TemplateError("custom resources are added only by the marshall stage")
        return self.custom_resources(
            type_name, logical_id, properties, owner=owner, **attributes
        )

    def after_the_last(self, type_name: str, prop: str, value: Any) -> list[str]:
        """See :func:`after_the_last_on`, on this wiring's template."""
        return after_the_last_on(self.template, type_name, prop, value)

    @property
    def function_arn(self) -> Any:
        """The ARN callers invoke, as a template value: the function's, unless a plugin
        redirects its callers (``sparta_invoke_target``, e.g. to an alias)."""
        if self.invoke_target is not None:
            return self.invoke_target
        return {"Fn::GetAtt": [self.logical_id, "Arn"]}

    @property
    def function_name(self) -> Any:
        """``FunctionName`` for a resource that takes a name or an ARN (a mapping, a
        permission): the function's ``Ref``, or the redirected target."""
        if self.invoke_target is not None:
            return self.invoke_target
        return {"Ref": self.logical_id}

    def child_id(self, *suffix: str) -> str:
        """A stable logical ID for a resource belonging to this function."""
        return logical_id(self.logical_id, *suffix)

    def expose(self, resource_id: str, values: dict[str, str] | None = None) -> None:
        """Record that the function depends on the template's resource ``resource_id``,
        so that ``sparta_runtime.discover()`` finds its physical name. ``values`` maps
        attribute names (``Ref``, ``Arn``...) to ``Fn::Sub`` fragments, for a resource
        the function must not reference directly (it would make a dependency cycle)."""
        entry = self.resources.setdefault(resource_id, {})
        if values:
            entry.update(values)


def after_the_last_on(
    template: Template, type_name: str, prop: str, value: Any
) -> list[str]:
    """``[logical ID]`` of the last ``Custom::<type_name>`` already in ``template`` whose
    ``prop`` is ``value`` (``[]`` if none). For types that read, change and write a
    whole configuration (a bucket's notifications, a repository's triggers): depending
    on it makes resources on the same target run one after the other, never in parallel."""
    earlier = [
        logical_id for logical_id, resource in template.resources.items()
        if resource.get("Type") == f"Custom::{type_name}"
        and resource.get("Properties", {}).get(prop) == value
    ]
    return earlier[-1:]


class EventSource:
    """Base of every event source kind.

    Subclasses implement :meth:`contribute`; ``index`` is the position of this source
    among the function's sources of the same class, so that logical IDs stay stable.
    """

    #: Short name of the kind, used in logical IDs and in ``sparta describe``.
    kind: str = "Event"

    def validate(self) -> None:
        """Check this source's parameters when it is attached to a function; raise
        :class:`~sparta_core.errors.ServiceDefinitionError` naming the bad parameter
        (the function adds its own name and this source's :meth:`describe`)."""

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        """Add this source's resources to ``wiring.template`` and its IAM statements
        to ``wiring.statements``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement contribute()")

    def existing_resources(self) -> list[tuple[str, str]]:
        """``(kind, name)`` of what this source needs to exist already outside the stack
        (``("s3-bucket", "my-photos")``), checked before anything changes; kinds the
        checker does not know are skipped."""
        return []

    def describe(self) -> str:
        """One line naming this source, for listings."""
        return self.kind
