"""A function's own HTTPS endpoint: ``AWS::Lambda::Url``, the resource policy a public
URL needs, and the URL as the output ``<Function>FunctionUrl``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparta_core.model.naming import logical_id

if TYPE_CHECKING:
    from sparta_core.engine.template import Template
    from sparta_core.model.function import LambdaFunction


def add_function_url(
    template: Template, function: LambdaFunction, owner: str, target: Any = None
) -> None:
    """Add the URL of ``function`` (its ``function_url`` is normalised already). The URL
    and its permissions are on ``target`` when a plugin redirects the function's callers
    (``sparta_invoke_target``: an alias, whose ARN Lambda accepts as the URL's target),
    else on the function itself."""
    url = function.function_url
    if url is None:
        return
    function_id = function.logical_id
    name = target or {"Ref": function_id}
    url_id = logical_id(function.key, "Url")
    properties: dict[str, Any] = {
        "TargetFunctionArn": target or {"Fn::GetAtt": [function_id, "Arn"]},
        "AuthType": url["auth"],
    }
    if url["invoke_mode"] != "BUFFERED":
        properties["InvokeMode"] = url["invoke_mode"]
    if url["cors"]:
        properties["Cors"] = dict(url["cors"])
    template.add_resource(url_id, "AWS::Lambda::Url", properties, owner=owner)
    if url["auth"] == "NONE":
        # A public URL needs a resource policy that lets anyone call it; Lambda asks for
        # lambda:InvokeFunction too (limited to calls through the URL) since October 2025.
        template.add_resource(
            logical_id(function.key, "Url", "Permission"), "AWS::Lambda::Permission",
            {"FunctionName": name, "Action": "lambda:InvokeFunctionUrl",
             "Principal": "*", "FunctionUrlAuthType": "NONE"},
            owner=owner,
        )
        template.add_resource(
            logical_id(function.key, "Url", "InvokePermission"), "AWS::Lambda::Permission",
            {"FunctionName": name, "Action": "lambda:InvokeFunction",
             "Principal": "*", "InvokedViaFunctionUrl": True},
            owner=owner,
        )
    template.add_output(
        logical_id(function.key, "FunctionUrl"), {"Fn::GetAtt": [url_id, "FunctionUrl"]},
        description=f"URL of function {function.key}",
    )
