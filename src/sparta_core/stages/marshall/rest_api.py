"""Built-in plugin ``api``: the service's ``RestAPI`` as API Gateway resources.

It implements two hooks:

- ``sparta_validate_service``: the ``api=`` of the service is a ``RestAPI`` and every
  route reaches one of the service's functions (before anything is built);
- ``sparta_decorate_service`` (``tryfirst``): the API is added to the marshalled
  template, before any other service decorator runs, so that those see it. Being a
  decorator rather than part of ``sparta_marshall`` means a plugin that replaces the
  marshaller still gets the API, and a plugin can replace the API alone by blocking
  this one (``-p no:api``) and decorating the template itself.

What it writes, for ``RestAPI("photos", stage="v1")`` (logical IDs start with the API's,
``PhotosApi``, and come from paths and methods only, so they are stable):

- ``AWS::ApiGateway::RestApi`` ``PhotosApi``;
- one ``AWS::ApiGateway::Resource`` per path part (``/thumbs/{id}`` gives
  ``PhotosApiThumbsResource`` and ``PhotosApiThumbsParamIdResource``);
- one ``AWS::ApiGateway::Method`` per route method, a Lambda proxy (``AWS_PROXY``)
  integration to the function, and with CORS on, an ``OPTIONS`` mock per path that
  answers the browser's preflight;
- ``AWS::ApiGateway::Deployment`` ``PhotosApiDeployment<hash>``: the hash covers the
  API's resources and methods, so a changed route makes a new deployment (API Gateway
  serves a snapshot; an unchanged deployment would keep serving the old routes) and an
  unchanged API keeps its deployment;
- ``AWS::ApiGateway::Stage`` ``PhotosApiStage`` pointing at that deployment;
- one ``AWS::Lambda::Permission`` per route method, scoped to this API, that method and
  that path (``.../${PhotosApi}/*/GET/thumbs/*``);
- outputs ``PhotosApiUrl`` (the invoke URL) and ``PhotosApiId``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import ServiceDefinitionError, TemplateError
from sparta_core.hookspecs import hookimpl
from sparta_core.model.api import VARIABLE, CorsConfig, RestAPI, part_id, split_path
from sparta_core.model.naming import logical_id

#: The environment variable that tells ``sparta_runtime.api`` which CORS headers its
#: responses carry (with a proxy integration the function's response is what the
#: browser gets, so the function must add them).
CORS_VARIABLE = "SPARTA_CORS"
LAMBDA_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${%s.Arn}/invocations"
)
HASH_LENGTH = 12


@hookimpl
def sparta_validate_service(ctx: ProvisionContext) -> None:
    """The service's ``api`` is a ``RestAPI`` whose routes reach its functions."""
    api = ctx.service.api
    if api is None:
        return
    if not isinstance(api, RestAPI):
        raise ServiceDefinitionError(
            f"service '{ctx.service.name}': api must be a sparta.RestAPI, "
            f"got {type(api).__name__}"
        )
    api.resolve(ctx.service)


@hookimpl(tryfirst=True)
def sparta_decorate_service(ctx: ProvisionContext, template: Template) -> None:
    api = ctx.service.api
    if isinstance(api, RestAPI):
        add_api(ctx, template, api)


def add_api(ctx: ProvisionContext, template: Template, api: RestAPI) -> None:
    """Write ``api`` into ``template`` (see the module docstring)."""
    from sparta_core.stages.marshall.functions import function_ids

    service = ctx.service
    owner = api.what
    api_id = api.logical_id
    routes = api.resolve(service)
    function_of: list[str] = []  # the function's logical ID, by route
    for resolved in routes:
        function_id = function_ids(service.functions[resolved.function_key])["function"]
        if function_id not in template.resources:
            raise TemplateError(
                f"{owner}: route '{resolved.route.describe()}' goes to function "
                f"'{resolved.function_key}', but the template has no resource "
                f"'{function_id}' (did a plugin replace the marshaller?)"
            )
        function_of.append(function_id)

    properties: dict[str, Any] = {
        "Name": api.name,
        "Description": api.description or f"API of sparta service {service.name}",
        "EndpointConfiguration": {"Types": [api.endpoint_type]},
    }
    if api.binary_media_types:
        properties["BinaryMediaTypes"] = list(api.binary_media_types)
    template.add_resource(api_id, "AWS::ApiGateway::RestApi", properties, owner=owner)
    definition: dict[str, Any] = {api_id: properties}  # what the deployment's hash covers

    def resource_ref(path: str) -> dict[str, Any]:
        if path == "/":
            return {"Fn::GetAtt": [api_id, "RootResourceId"]}
        return {"Ref": api.resource_id(path)}

    for path in api.paths():
        parent = "/" + "/".join(split_path(path)[:-1])
        resource_properties = {
            "RestApiId": {"Ref": api_id},
            "ParentId": resource_ref(parent),
            "PathPart": split_path(path)[-1],
        }
        resource_id = api.resource_id(path)
        template.add_resource(
            resource_id, "AWS::ApiGateway::Resource", resource_properties, owner=owner
        )
        definition[resource_id] = resource_properties

    method_ids: list[str] = []
    for resolved, function_id in zip(routes, function_of, strict=True):
        route = resolved.route
        for method in route.methods:
            method_id = api.method_id(route.path, method)
            method_properties = {
                "RestApiId": {"Ref": api_id},
                "ResourceId": resource_ref(route.path),
                "HttpMethod": method,
                "AuthorizationType": route.authorization_type,
                "Integration": {
                    "Type": "AWS_PROXY",
                    # A Lambda integration is always a POST to Lambda's Invoke API,
                    # whatever the client's method.
                    "IntegrationHttpMethod": "POST",
                    "Uri": {"Fn::Sub": LAMBDA_URI % function_id},
                },
            }
            template.add_resource(
                method_id, "AWS::ApiGateway::Method", method_properties, owner=owner
            )
            definition[method_id] = method_properties
            method_ids.append(method_id)
            template.add_resource(
                permission_id(api, route.path, method),
                "AWS::Lambda::Permission",
                {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {"Fn::Sub": source_arn(api_id, route.path, method)},
                },
                owner=owner,
            )

    if api.cors_config is not None:
        for path, methods in api.methods_by_path().items():
            if "OPTIONS" in methods:
                continue  # the user's own OPTIONS route answers the preflight
            method_id = api.method_id(path, "OPTIONS")
            method_properties = preflight_method(
                {"Ref": api_id}, resource_ref(path), api.cors_config.headers(methods)
            )
            template.add_resource(
                method_id, "AWS::ApiGateway::Method", method_properties, owner=owner
            )
            definition[method_id] = method_properties
            method_ids.append(method_id)
        _set_cors_variable(template, sorted(set(function_of)), api.cors_config)

    digest = hashlib.sha256(
        json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:HASH_LENGTH]
    deployment_id = logical_id(api_id, "Deployment", digest)
    template.add_resource(
        deployment_id,
        "AWS::ApiGateway::Deployment",
        {"RestApiId": {"Ref": api_id}, "Description": f"sparta deployment {digest}"},
        owner=owner,
        # A deployment snapshots the methods that exist when it is created.
        DependsOn=sorted(method_ids),
    )
    template.add_resource(
        logical_id(api_id, "Stage"),
        "AWS::ApiGateway::Stage",
        {
            "RestApiId": {"Ref": api_id},
            "DeploymentId": {"Ref": deployment_id},
            "StageName": api.stage,
            "Description": f"stage {api.stage} of {api.name}",
        },
        owner=owner,
    )
    template.add_output(
        logical_id(api_id, "Url"),
        {"Fn::Sub": invoke_url(api_id, api.stage)},
        description=f"Invoke URL of {owner}, stage {api.stage}",
    )
    template.add_output(
        logical_id(api_id, "Id"), {"Ref": api_id}, description=f"ID of {owner}"
    )


def permission_id(api: RestAPI, path: str, method: str) -> str:
    parts = [part_id(p) for p in split_path(path)] or ["Root"]
    return logical_id(api.logical_id, *parts, method.capitalize(), "Permission")


def source_arn(api_id: str, path: str, method: str) -> str:
    """The execute-api ARN (an ``Fn::Sub`` string) of one route method, any stage:
    path variables become ``*`` and ``ANY`` is every method."""
    resource = "/".join("*" if VARIABLE.fullmatch(p) else p for p in split_path(path))
    verb = "*" if method == "ANY" else method
    return (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        f"${{{api_id}}}/*/{verb}/{resource}"
    )


def invoke_url(api_id: str, stage: str) -> str:
    return f"https://${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}/"


def preflight_method(
    rest_api: dict[str, Any], resource: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """An ``OPTIONS`` method that API Gateway answers itself (a ``MOCK`` integration)
    with ``headers``: the browser's CORS preflight never reaches a function."""
    names = {f"method.response.header.{name}": value for name, value in headers.items()}
    return {
        "RestApiId": rest_api,
        "ResourceId": resource,
        "HttpMethod": "OPTIONS",
        "AuthorizationType": "NONE",
        "Integration": {
            "Type": "MOCK",
            "RequestTemplates": {"application/json": '{"statusCode": 200}'},
            "IntegrationResponses": [
                {
                    "StatusCode": "200",
                    # Static values in a response mapping are quoted literals.
                    "ResponseParameters": {
                        name: f"'{_quote(value)}'" for name, value in names.items()
                    },
                    "ResponseTemplates": {"application/json": ""},
                }
            ],
        },
        "MethodResponses": [
            {
                "StatusCode": "200",
                "ResponseParameters": {name: True for name in names},
                "ResponseModels": {"application/json": "Empty"},
            }
        ],
    }


def _quote(value: str) -> str:
    if "'" in value:
        raise ServiceDefinitionError(f"CORS header value {value!r} must not contain a quote")
    return value


def response_headers(config: CorsConfig) -> dict[str, str]:
    """The CORS headers every (non-preflight) response carries."""
    names = (
        "Access-Control-Allow-Origin",
        "Access-Control-Expose-Headers",
        "Access-Control-Allow-Credentials",
    )
    return {k: v for k, v in config.headers(()).items() if k in names}


def _set_cors_variable(template: Template, function_ids: list[str], config: CorsConfig) -> None:
    value = json.dumps(response_headers(config), sort_keys=True)
    for function_id in function_ids:
        properties = template.resources[function_id].setdefault("Properties", {})
        variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
        variables[CORS_VARIABLE] = value
