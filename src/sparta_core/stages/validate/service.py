"""Built-in plugin ``validate``: the service is checked before anything is built."""

from __future__ import annotations

from sparta_core.engine.context import ProvisionContext
from sparta_core.hookspecs import hookimpl

#: Service features deployed by a built-in plugin of the same name.
FEATURE_PLUGINS = ("api", "site")


# tryfirst: the model's own checks come before any plugin's, which may rely on them.
@hookimpl(tryfirst=True)
def sparta_validate_service(ctx: ProvisionContext) -> None:
    """Every handler resolves to a module of the project; a runtime AWS has deprecated
    and a declared API or site whose built-in plugin is blocked are pointed out (another
    plugin must then deploy it)."""
    from sparta_core.model.service import DEPRECATED_RUNTIMES

    service = ctx.service
    service.validate(ctx.project_dir)
    if service.runtime in DEPRECATED_RUNTIMES:
        date, successor = DEPRECATED_RUNTIMES[service.runtime]
        ctx.reporter.warn(
            f"service '{service.name}': AWS deprecated the {service.runtime} runtime on "
            f"{date}; move to {successor} or later (runtime=\"{successor}\")"
        )
    for feature in FEATURE_PLUGINS:
        if getattr(service, feature) is not None and ctx.pluginmanager.is_blocked(feature):
            ctx.reporter.warn(
                f"service '{service.name}' declares {feature}=..., but the built-in plugin "
                f"'{feature}' is blocked: sparta deploys it only if another plugin does"
            )
