"""Built-in plugin ``validate-cycles``: resources that depend on each other in a cycle.

CloudFormation refuses such a template only when the stack is created ("Circular
dependency between resources"), after the archive went up. Event sources make cycles
easy to write by accident (a function whose environment refers to the bucket that
notifies it), so the template is checked here and the cycle named, resource by resource.
"""

from __future__ import annotations

from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import TemplateError
from sparta_core.hookspecs import hookimpl


def dependency_graph(template: Template) -> dict[str, list[str]]:
    """Resource to the resources it depends on (references and ``DependsOn``)."""
    resources = template.resources
    asked = template.resource_references()  # DependsOn holds names, not references
    graph: dict[str, list[str]] = {}
    for resource_id, resource in resources.items():
        depends = resource.get("DependsOn", [])
        targets: list[Any] = [depends] if isinstance(depends, str) else list(depends)
        targets += [target for target, _ in asked[resource_id]]
        graph[resource_id] = sorted({t for t in targets if t in resources and t != resource_id})
    return graph


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a closed path (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in graph.get(node, []):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


@hookimpl(trylast=True)
def sparta_validate_template(ctx: ProvisionContext, template: Template) -> None:
    cycle = find_cycle(dependency_graph(template))
    if cycle is None:
        return
    hint = ""
    if any(template.resources[r].get("Type") == "AWS::S3::Bucket" for r in cycle):
        hint = (" (a bucket that notifies a function must not be referred to by that "
                "function's role or environment: name it with BucketName and use the name)")
    raise TemplateError(
        f"resources depend on each other in a cycle: {' -> '.join(cycle)}{hint}"
    )
