"""Built-in plugin ``validate-template``: CloudFormation's limits, checked before AWS is asked.

A template that breaks a limit would be refused by CloudFormation after the archive was
uploaded; checking here turns that into a clear error before anything changes. It also
checks that every ``Ref``, ``GetAtt``, ``${...}`` and ``DependsOn`` names something the template
declares, which CloudFormation would otherwise report only at create time.
"""

from __future__ import annotations

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template, referenced_ids
from sparta_core.errors import TemplateError
from sparta_core.hookspecs import hookimpl

#: CloudFormation quotas (AWS documentation, "CloudFormation quotas").
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_PARAMETERS = 200


def check_limits(template: Template, body: str, name: str = "template") -> None:
    """CloudFormation's quotas, on ``body``: the compact JSON that is uploaded."""
    size = len(body.encode())
    if size > MAX_TEMPLATE_BYTES:
        largest = sorted(
            ((len(str(resource)), name) for name, resource in template.resources.items()),
            reverse=True,
        )[:3]
        names = ", ".join(logical_id for _, logical_id in largest)
        raise TemplateError(
            f"{name} is {size / 1024 / 1024:.2f} MB; CloudFormation accepts at most 1 MB "
            f"(largest resources: {names})"
        )
    for what, count, limit in (
        ("resources", len(template.resources), MAX_RESOURCES),
        ("outputs", len(template.outputs), MAX_OUTPUTS),
        ("parameters", len(template.parameters), MAX_PARAMETERS),
    ):
        if count > limit:
            raise TemplateError(
                f"{name} has {count} {what}; CloudFormation allows at most {limit} per "
                "stack (split the service into several)"
            )


def check_references(template: Template) -> None:
    declared = set(template.resources) | set(template.parameters)
    body = template.to_dict()
    sections = [("resource", body.get("Resources", {})), ("output", body.get("Outputs", {}))]
    for section, items in sections:
        for name, item in items.items():
            for target in referenced_ids(item):
                if target in declared:
                    continue
                raise TemplateError(
                    f"{section} '{name}' refers to '{target}', which the template does not "
                    "declare"
                )
            depends = item.get("DependsOn", []) if section == "resource" else []
            for target in [depends] if isinstance(depends, str) else depends:
                if target not in template.resources:
                    raise TemplateError(
                        f"resource '{name}' depends on '{target}', which the template does "
                        "not declare"
                    )


@hookimpl(trylast=True)
def sparta_validate_template(ctx: ProvisionContext, template: Template) -> None:
    for logical_id, stack in template.stacks():
        check_references(stack)
        name = f"nested stack {logical_id}" if logical_id else "template"
        check_limits(stack, stack.to_compact_json(), name)
