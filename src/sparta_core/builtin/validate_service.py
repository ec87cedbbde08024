"""Built-in plugin ``validate``: the service is checked before anything is built."""

from __future__ import annotations

from sparta_core.context import ProvisionContext
from sparta_core.errors import ServiceDefinitionError
from sparta_core.hookspecs import hookimpl


@hookimpl(trylast=True)
def sparta_validate_service(ctx: ProvisionContext) -> None:
    """Every handler resolves to a module of the project; nothing sparta cannot
    marshal yet is declared."""
    service = ctx.service
    service.validate(ctx.project_dir)
    for feature in ("api",):
        if getattr(service, feature) is not None:
            raise ServiceDefinitionError(
                f"service '{service.name}' declares {feature}=..., which this version of "
                "sparta cannot deploy yet"
            )
