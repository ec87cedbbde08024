"""The template a ``RestAPI`` becomes; :meth:`RestAPI.contribute` calls :func:`add_api`.

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

Template building is data: no I/O here.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.api_checks import VARIABLE, CorsConfig, part_id, split_path
from sparta_core.model.naming import logical_id

if TYPE_CHECKING:
    from sparta_core.model.api import RestAPI
    from sparta_core.model.component import ComponentWiring

#: The environment variable that tells ``sparta_runtime.api`` which CORS headers its
#: responses carry (with a proxy integration the function's response is what the
#: browser gets, so the function must add them).
CORS_VARIABLE = "SPARTA_CORS"
LAMBDA_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${%s}/invocations"
)
HASH_LENGTH = 12


def add_api(wiring: ComponentWiring, api: RestAPI) -> None:
    """Write ``api`` into ``wiring.template`` (see the module docstring)."""
    service = wiring.service
    owner = api.what
    api_id = api.logical_id
    routes = api.resolve(service)
    # The function's logical ID, by route.
    function_of = [wiring.function_id(service.functions[r.function_key]) for r in routes]
    # What each route invokes: the function's ARN, or what a plugin redirects it to.
    target_of = [wiring.function_arn(service.functions[r.function_key]) for r in routes]

    properties: dict[str, Any] = {
        "Name": api.name,
        "Description": api.description or f"API of sparta service {service.name}",
        "EndpointConfiguration": {"Types": [api.endpoint_type]},
    }
    if api.binary_media_types:
        properties["BinaryMediaTypes"] = list(api.binary_media_types)
    wiring.add_resource(api_id, "AWS::ApiGateway::RestApi", properties)
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
        wiring.add_resource(resource_id, "AWS::ApiGateway::Resource", resource_properties)
        definition[resource_id] = resource_properties

    method_ids: list[str] = []
    for resolved, function_id, target in zip(routes, function_of, target_of, strict=True):
        own = target == {"Fn::GetAtt": [function_id, "Arn"]}
        uri = ({"Fn::Sub": LAMBDA_URI % f"{function_id}.Arn"} if own
               else {"Fn::Sub": [LAMBDA_URI % "Target", {"Target": target}]})
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
                    "Uri": uri,
                },
            }
            wiring.add_resource(method_id, "AWS::ApiGateway::Method", method_properties)
            definition[method_id] = method_properties
            method_ids.append(method_id)
            wiring.add_resource(
                permission_id(api, route.path, method),
                "AWS::Lambda::Permission",
                {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": target,
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {"Fn::Sub": source_arn(api_id, route.path, method)},
                },
            )

    if api.cors_config is not None:
        for path, methods in api.methods_by_path().items():
            if "OPTIONS" in methods:
                continue  # the user's own OPTIONS route answers the preflight
            method_id = api.method_id(path, "OPTIONS")
            method_properties = preflight_method(
                {"Ref": api_id}, resource_ref(path), api.cors_config.headers(methods)
            )
            wiring.add_resource(method_id, "AWS::ApiGateway::Method", method_properties)
            definition[method_id] = method_properties
            method_ids.append(method_id)
        value = json.dumps(response_headers(api.cors_config), sort_keys=True)
        for resolved in {r.function_key: r for r in routes}.values():
            wiring.set_environment(service.functions[resolved.function_key], CORS_VARIABLE, value)

    digest = hashlib.sha256(
        json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:HASH_LENGTH]
    deployment_id = logical_id(api_id, "Deployment", digest)
    wiring.add_resource(
        deployment_id,
        "AWS::ApiGateway::Deployment",
        {"RestApiId": {"Ref": api_id}, "Description": f"sparta deployment {digest}"},
        # A deployment snapshots the methods that exist when it is created.
        DependsOn=sorted(method_ids),
    )
    wiring.add_resource(
        logical_id(api_id, "Stage"),
        "AWS::ApiGateway::Stage",
        {
            "RestApiId": {"Ref": api_id},
            "DeploymentId": {"Ref": deployment_id},
            "StageName": api.stage,
            "Description": f"stage {api.stage} of {api.name}",
        },
    )
    wiring.add_output(
        logical_id(api_id, "Url"),
        {"Fn::Sub": invoke_url(api_id, api.stage)},
        description=f"Invoke URL of {owner}, stage {api.stage}",
    )
    wiring.add_output(logical_id(api_id, "Id"), {"Ref": api_id}, description=f"ID of {owner}")


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
