"""The service's components in the template: each one's :meth:`Component.contribute`.

Called by the built-in ``sparta_marshall`` once every function is in the template (a
component refers to them) and before the service's outputs, in declaration order; the
decorators of stage 11-12 run afterwards, so they see every component's resources. A
plugin that replaces ``sparta_marshall`` takes components over with it.

What a component may do besides adding resources goes through callables this module
puts on its :class:`~sparta_core.model.component.ComponentWiring` (a function's logical
ID, an asset's S3 location, the custom resource framework), so that model code never
imports a stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import ServiceDefinitionError, StageError, TemplateError
from sparta_core.model.component import Component, ComponentWiring
from sparta_core.model.function import LambdaFunction
from sparta_core.stages.marshall.custom_resources import add_custom_resource
from sparta_core.stages.marshall.functions import (
    archive_key,
    code_location,
    function_ids,
    invoke_target,
)

#: Where the package stage keeps each asset's zip (``Archive``), by asset name (the
#: package stage's ``ASSETS_STASH_KEY``; the key, not the module, is shared).
ASSETS_STASH_KEY = "sparta.assets"


def asset_location(ctx: ProvisionContext, template: Template, name: str) -> tuple[Any, str]:
    """Bucket and key of the asset ``name``: the uploaded location, else where the
    upload stage will put it, in the code archive's bucket (or its ``ArtifactBucket``
    parameter when no bucket is configured)."""
    location = ctx.locations.get(name)
    if location is not None:
        return location.bucket, location.key
    archive = ctx.stash.get(ASSETS_STASH_KEY, {}).get(name)
    if archive is None:
        raise StageError("marshall", f"asset '{name}' was not zipped by the package stage")
    bucket = code_location(ctx, template)["S3Bucket"]
    return bucket, archive_key(ctx.service.name, archive.sha256)


def _function_id(function: LambdaFunction) -> str:
    return function_ids(function)["function"]


def wiring_for(ctx: ProvisionContext, template: Template, component: Component) -> ComponentWiring:
    return ComponentWiring(
        ctx=ctx,
        service=ctx.service,
        component=component,
        template=template,
        function_ids=_function_id,
        locations=partial(asset_location, ctx, template),
        custom_resources=partial(add_custom_resource, ctx, template),
        invoke_targets=partial(invoke_target, ctx),
    )


def marshal_components(
    ctx: ProvisionContext, template: Template
) -> dict[str, dict[str, dict[str, str]]]:
    """Let every component contribute; return what they exposed to each function
    (function key -> resource ID -> discovery fragments)."""
    exposed: dict[str, dict[str, dict[str, str]]] = {}
    for component in ctx.service.components:
        wiring = wiring_for(ctx, template, component)
        try:
            component.contribute(wiring)
        except (ServiceDefinitionError, TemplateError) as error:
            message = str(error)
            if component.what in message:
                raise
            raise type(error)(f"{component.what}: {message}") from error
        for key, resources in wiring.exposed.items():
            _merge(exposed.setdefault(key, {}), resources)
    return exposed


def _merge(into: dict[str, dict[str, str]], resources: Mapping[str, dict[str, str]]) -> None:
    for resource_id, values in resources.items():
        into.setdefault(resource_id, {}).update(values)
