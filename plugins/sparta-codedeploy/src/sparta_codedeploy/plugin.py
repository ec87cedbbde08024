"""The ``codedeploy`` plugin: callers of a ``SafeDeploy`` function invoke its alias.

* ``sparta_invoke_target`` answers ``{"Ref": "<Function>AliasLive"}`` for every function
  with a ``SafeDeploy`` decorator, so event source mappings, push sources' permissions
  and targets, API routes (REST and HTTP), state-machine tasks, the function URL and
  discovery all invoke ``live``.
* The setting ``codedeploy`` (``auto``, ``on`` or ``off``) says whether the CodeDeploy
  resources are in the template. ``auto`` (the default) leaves them out only with
  ``--local``: sparta's own local endpoint (MiniStack) rejects every template that holds
  an ``AWS::CodeDeploy::*`` resource. ``off`` leaves them out on any endpoint override
  (``AWS_ENDPOINT_URL``, ``endpoint-url``) and is an error against AWS itself, so a safe
  deploy is never dropped there; every run without CodeDeploy says so in a warning.
* ``sparta_validate_template`` checks that an alarm given by ``Ref`` is an alarm of the
  template.
"""

from __future__ import annotations

import os
from typing import Any

import sparta_core as sparta
from sparta_codedeploy.safe_deploy import ENABLED_KEY, REDIRECTED_KEY, SafeDeploy, alias_id
from sparta_core.errors import ConfigError, TemplateError

SETTING = "codedeploy"
CHOICES = ("auto", "on", "off")


def safe_deploy_of(function: Any) -> SafeDeploy | None:
    """The function's ``SafeDeploy`` decorator, if it has one."""
    found = [d for d in function.decorators if isinstance(d, SafeDeploy)]
    return found[0] if found else None


@sparta.hookimpl
def sparta_addoption(parser: Any) -> None:
    parser.add_option(
        SETTING, default="auto",
        help="deploy SafeDeploy functions through CodeDeploy: auto (yes, except with "
        "--local), on, or off (alias and version only; local endpoints only)",
    )


def codedeploy_enabled(ctx: Any) -> bool:
    """Whether this run's template holds the CodeDeploy resources; a bad value, or
    ``off`` against AWS itself, is a :class:`ConfigError`."""
    value = str(ctx.settings.options.get(SETTING) or "auto").strip().lower()
    if value not in CHOICES:
        raise ConfigError(
            f"setting '{SETTING}' must be one of {', '.join(CHOICES)}, got {value!r}"
        )
    endpoint = ctx.settings.local or ctx.settings.endpoint_url or os.environ.get(
        "AWS_ENDPOINT_URL")
    if value == "off" and not endpoint:
        raise ConfigError(
            f"setting '{SETTING}' = off leaves CodeDeploy out, which only a local endpoint "
            "may do (--local, endpoint-url or AWS_ENDPOINT_URL): against AWS a SafeDeploy "
            "function always deploys through CodeDeploy"
        )
    return value == "on" or (value == "auto" and not ctx.settings.local)


@sparta.hookimpl
def sparta_validate_service(ctx: Any) -> None:
    safe = [f.key for f in ctx.service.functions.values() if safe_deploy_of(f)]
    enabled = codedeploy_enabled(ctx)
    ctx.stash[ENABLED_KEY] = enabled
    for function in ctx.service.functions.values():
        decorator = safe_deploy_of(function)
        if decorator is not None:
            decorator.hooks(ctx.service)  # every hook is a function of the service
    if safe and not enabled:
        ctx.reporter.warn(
            f"codedeploy: no CodeDeploy on this endpoint; the 'live' alias of "
            f"{', '.join(safe)} moves to each new version at once, and no hook runs"
        )


@sparta.hookimpl
def sparta_invoke_target(ctx: Any, function: Any, logical_id: str) -> Any:
    if safe_deploy_of(function) is None:
        return None
    redirected = ctx.stash.setdefault(REDIRECTED_KEY, [])
    if function.key not in redirected:
        redirected.append(function.key)
    return {"Ref": alias_id(logical_id)}


@sparta.hookimpl
def sparta_validate_template(ctx: Any, template: Any) -> None:
    resources = template.resources
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::CodeDeploy::DeploymentGroup":
            continue
        alarms = resource["Properties"].get("AlarmConfiguration", {}).get("Alarms", [])
        for alarm in alarms:
            name = alarm["Name"]
            if isinstance(name, dict) and isinstance(name.get("Ref"), str) and (
                resources.get(name["Ref"], {}).get("Type") != "AWS::CloudWatch::Alarm"
            ):
                raise TemplateError(
                    f"SafeDeploy ({logical_id}): alarm Ref('{name['Ref']}') is not an "
                    "AWS::CloudWatch::Alarm of the template"
                )
