"""Built-in plugin ``validate-template``: CloudFormation's limits, checked before AWS is asked.

A template that breaks a limit would be refused by CloudFormation after the archive was
uploaded; checking here turns that into a clear error before anything changes. It also
checks that every ``Ref``, ``GetAtt``, ``${...}`` and ``DependsOn`` names something the template
declares, which CloudFormation would otherwise report only at create time; that a
``GetAtt`` asks a resource of a type sparta knows for an attribute it has; and that a
function's environment, sparta's own ``SPARTA_*`` variables included, fits Lambda's 4 KB.
Each message names what the user wrote (the function, the event source) before the
logical ID sparta generated for it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template, references
from sparta_core.errors import TemplateError
from sparta_core.hookspecs import hookimpl
from sparta_core.model.cfn_types import check_attribute
from sparta_core.stages.marshall.functions import function_ids

#: CloudFormation quotas (AWS documentation, "CloudFormation quotas").
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_PARAMETERS = 200
#: Lambda's limit on a function's environment: names and values, in bytes, in all.
MAX_ENVIRONMENT_BYTES = 4096


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


def _who(template: Template, section: str, name: str) -> str:
    """``section 'name'``, after what the user wrote that made it, when that is known."""
    owner = template.owner_of(name) if section == "resource" else None
    if owner and owner not in (f"service.resource('{name}')", "an earlier contributor"):
        return f"{owner} (resource '{name}')"
    return f"{section} '{name}'"


def check_references(template: Template) -> None:
    """Every ``Ref``/``GetAtt``/``${...}`` names something the template declares; every
    ``DependsOn`` a resource of it; and a ``GetAtt`` on a resource of a type sparta knows
    names one of its attributes. One pass over the template's references (shared with
    the other validators: :meth:`Template.resource_references`)."""
    declared = set(template.resources) | set(template.parameters)
    resources = template.resources
    asked = template.resource_references()
    outputs = template.outputs
    sections = [("resource", name, asked[name]) for name in resources]
    sections += [("output", name, references(item)) for name, item in outputs.items()]
    for section, name, found in sections:
        for target, attribute in found:
            if target not in declared:
                close = difflib.get_close_matches(target, sorted(declared), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise TemplateError(
                    f"{_who(template, section, name)} refers to '{target}', which the "
                    f"template does not declare{hint}"
                )
            if attribute is None or target not in resources:
                continue
            problem = check_attribute(resources[target].get("Type"), attribute)
            if problem:
                raise TemplateError(
                    f"{_who(template, section, name)} asks for GetAtt('{target}', "
                    f"'{attribute}'), but {problem}"
                )
        depends = resources[name].get("DependsOn", []) if section == "resource" else []
        for target in [depends] if isinstance(depends, str) else depends:
            if target not in resources:
                raise TemplateError(
                    f"resource '{name}' depends on '{target}', which the template does "
                    "not declare"
                )


def _least_bytes(value: Any, stack_name: str) -> int:
    """The fewest bytes ``value`` can take once CloudFormation resolves it."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, Mapping) and value == {"Ref": "AWS::StackName"}:
        return len(stack_name.encode())
    if isinstance(value, Mapping) and len(value) == 1 and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str):
            size, rest = 0, text
            while "${" in rest:
                before, _, rest = rest.partition("${")
                size += len(before.encode())
                rest = rest.partition("}")[2]
            return size + len(rest.encode())
    return 0


def check_environment_sizes(ctx: ProvisionContext, template: Template) -> None:
    """Each function's environment, as the template sets it (sparta's ``SPARTA_*``
    variables included), within Lambda's 4 KB; a reference counts what it resolves to
    at the least, so the check never refuses an environment Lambda would take."""
    resources = dict(template.all_resources())  # a split template's children included
    for function in ctx.service.functions.values():
        resource = resources.get(function_ids(function)["function"], {})
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if not isinstance(variables, Mapping):
            continue
        sizes = {key: len(key.encode()) + _least_bytes(value, ctx.stack_name)
                 for key, value in variables.items()}
        total = sum(sizes.values())
        if total <= MAX_ENVIRONMENT_BYTES:
            continue
        own = {key: size for key, size in sizes.items() if key.startswith("SPARTA_")}
        raise TemplateError(
            f"function '{function.key}': its environment holds at least {total} bytes, "
            f"{sum(own.values())} of them sparta's own ({', '.join(sorted(own))}); Lambda "
            f"allows {MAX_ENVIRONMENT_BYTES} in all (make the function's own variables "
            "smaller, or keep large values in SSM Parameter Store)"
        )


@hookimpl(trylast=True)
def sparta_validate_template(ctx: ProvisionContext, template: Template) -> None:
    for logical_id, stack in template.stacks():
        check_references(stack)
        name = f"nested stack {logical_id}" if logical_id else "template"
        check_limits(stack, stack.to_compact_json(), name)
    check_environment_sizes(ctx, template)
