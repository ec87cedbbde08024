"""The built-in ``sparta_local_routes``: every component's own local routes.

A component kind says which HTTP routes it has by implementing
:meth:`~sparta_core.model.component.Component.local_routes` (the built-in ``RestAPI``
does); this plugin asks each component of the service, in declaration order, so that
core lists no API kinds.
"""

from __future__ import annotations

from sparta_core.engine.context import ProvisionContext
from sparta_core.hookspecs import hookimpl
from sparta_core.model.local_route import LocalRoute


@hookimpl(trylast=True)
def sparta_local_routes(ctx: ProvisionContext) -> list[LocalRoute]:
    service = ctx.service
    routes: list[LocalRoute] = []
    for component in service.components:
        routes += component.local_routes(service)
    return routes
