"""Built-in plugin ``validate``: the service is checked before anything is built."""

from __future__ import annotations

from sparta_core.engine.context import ProvisionContext
from sparta_core.errors import ServiceDefinitionError
from sparta_core.hookspecs import hookimpl
from sparta_core.model.component import Component
from sparta_core.model.service import Service


# tryfirst: the model's own checks come before any plugin's, which may rely on them.
@hookimpl(tryfirst=True)
def sparta_validate_service(ctx: ProvisionContext) -> None:
    """Every handler resolves to a module of the project; every component validates
    itself (in declaration order) and names only functions of the service; then each
    component's assets are found in the project (the package stage's own check); a
    runtime AWS has deprecated is a warning."""
    from sparta_core.model.service import DEPRECATED_RUNTIMES
    from sparta_core.stages.package.assets import check_assets

    service = ctx.service
    service.validate(ctx.project_dir)
    if service.runtime in DEPRECATED_RUNTIMES:
        date, successor = DEPRECATED_RUNTIMES[service.runtime]
        ctx.reporter.warn(
            f"service '{service.name}': AWS deprecated the {service.runtime} runtime on "
            f"{date}; move to {successor} or later (runtime=\"{successor}\")"
        )
    for component in service.components:
        validate_component(service, component)
    check_assets(ctx)


def validate_component(service: Service, component: Component) -> None:
    """``component.validate(service)``, with its errors prefixed by the component's
    name; then each function it names must be one of ``service``'s."""
    what = component.what
    try:
        component.validate(service)
        functions = component.functions(service)
    except ServiceDefinitionError as error:
        if str(error).startswith(what):
            raise
        raise ServiceDefinitionError(f"{what}: {error}") from error
    for function in functions:
        key = getattr(function, "key", None)
        if not isinstance(key, str) or service.functions.get(key) is not function:
            raise ServiceDefinitionError(
                f"{what}: it names {key or repr(function)}, which is not a function of "
                f"service '{service.name}'"
            )
