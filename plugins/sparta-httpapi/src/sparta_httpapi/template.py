"""The CloudFormation an :class:`~sparta_httpapi.HttpAPI` becomes.

For ``HttpAPI("shop")`` (every logical ID starts with ``ShopHttpApi`` and is made of
names, route keys and function keys only, so it is stable across builds):

- ``AWS::ApiGatewayV2::Api`` ``ShopHttpApi``: ``ProtocolType: HTTP``, with
  ``CorsConfiguration`` when ``cors`` is on (API Gateway answers the preflight and adds
  the headers to every response; functions do nothing for CORS);
- one ``AWS::ApiGatewayV2::Integration`` per function, ``ShopHttpApi<Function>Integration``:
  ``AWS_PROXY``, payload format 2.0, ``IntegrationUri`` the ARN callers invoke the function
  through (``wiring.function_arn``: an alias when a plugin redirects callers);
- one ``AWS::ApiGatewayV2::Route`` per route, ``ShopHttpApiGetItemsParamIdRoute``, its
  ``Target`` ``integrations/<integration>``, with ``AuthorizationType: JWT`` and its
  ``AuthorizerId`` when the route has an authorizer;
- one ``AWS::ApiGatewayV2::Authorizer`` (``JWT``) per ``jwt_authorizer``;
- ``AWS::ApiGatewayV2::Stage`` ``ShopHttpApiStage`` with ``AutoDeploy``;
- one ``AWS::Lambda::Permission`` per route, ``...Permission``, for
  ``apigateway.amazonaws.com`` from this API and that route only:
  ``arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ShopHttpApi}/*/GET/items/*``;
- outputs ``ShopHttpApiUrl`` (``ApiEndpoint``, plus ``/<stage>`` for a named stage)
  and ``ShopHttpApiId``.

Template building is data: no I/O here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparta_httpapi.routes import DEFAULT_ROUTE

if TYPE_CHECKING:
    import sparta_core as sparta
    from sparta_httpapi.api import HttpAPI

SOURCE_ARN = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${%s}/*/%s"


def add_http_api(wiring: sparta.ComponentWiring, api: HttpAPI) -> None:
    """Write ``api`` into ``wiring.template`` (see the module docstring)."""
    resolved = api.resolve(wiring.service)
    api_id = api.logical_id
    properties: dict[str, Any] = {
        "Name": api.name,
        "ProtocolType": "HTTP",
        "Description": api.description or f"HTTP API of sparta service {wiring.service.name}",
    }
    cors = api.cors_configuration()
    if cors is not None:
        properties["CorsConfiguration"] = cors
    wiring.add_resource(api_id, "AWS::ApiGatewayV2::Api", properties)

    authorizer_ids = {}
    for authorizer in api.authorizers.values():
        authorizer_id = wiring.child_id(authorizer.name, "Authorizer")
        wiring.add_resource(authorizer_id, "AWS::ApiGatewayV2::Authorizer", {
            "ApiId": {"Ref": api_id},
            "AuthorizerType": "JWT",
            "Name": authorizer.name,
            "IdentitySource": [authorizer.identity_source],
            "JwtConfiguration": {
                "Issuer": authorizer.issuer,
                "Audience": list(authorizer.audience),
            },
        })
        authorizer_ids[authorizer.name] = authorizer_id

    integration_ids: dict[str, str] = {}
    for _, function in resolved:
        if function.key in integration_ids:
            continue
        integration_id = wiring.child_id(function.key, "Integration")
        wiring.add_resource(integration_id, "AWS::ApiGatewayV2::Integration", {
            "ApiId": {"Ref": api_id},
            "IntegrationType": "AWS_PROXY",
            "PayloadFormatVersion": "2.0",
            "IntegrationUri": wiring.function_arn(function),
        })
        integration_ids[function.key] = integration_id

    route_ids = []
    for route, function in resolved:
        route_id = wiring.child_id(*route.key.id_parts(), "Route")
        route_properties: dict[str, Any] = {
            "ApiId": {"Ref": api_id},
            "RouteKey": str(route.key),
            "Target": {"Fn::Sub": f"integrations/${{{integration_ids[function.key]}}}"},
        }
        if route.authorizer is not None:
            route_properties["AuthorizationType"] = "JWT"
            route_properties["AuthorizerId"] = {"Ref": authorizer_ids[route.authorizer.name]}
            if route.scopes:
                route_properties["AuthorizationScopes"] = list(route.scopes)
        else:
            route_properties["AuthorizationType"] = "NONE"
        wiring.add_resource(route_id, "AWS::ApiGatewayV2::Route", route_properties)
        route_ids.append(route_id)
        wiring.add_resource(
            wiring.child_id(*route.key.id_parts(), "Permission"),
            "AWS::Lambda::Permission",
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": wiring.function_arn(function),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Sub": source_arn(api_id, route.key.arn_path())},
            },
        )

    wiring.add_resource(
        wiring.child_id("Stage"),
        "AWS::ApiGatewayV2::Stage",
        {"ApiId": {"Ref": api_id}, "StageName": api.stage, "AutoDeploy": True},
        # The first automatic deployment then already holds every route.
        DependsOn=sorted(route_ids),
    )
    wiring.add_output(
        wiring.child_id("Url"),
        url(api_id, api.stage),
        description=f"URL of {api.what}" + ("" if api.stage == DEFAULT_ROUTE
                                            else f", stage {api.stage}"),
    )
    wiring.add_output(wiring.child_id("Id"), {"Ref": api_id}, description=f"ID of {api.what}")


def source_arn(api_id: str, arn_path: str) -> str:
    """The ``Fn::Sub`` string of the execute-api ARN of one route, any stage."""
    return SOURCE_ARN % (api_id, arn_path)


def url(api_id: str, stage: str) -> Any:
    """The API's URL: its ``ApiEndpoint``, plus the stage's path unless ``$default``."""
    if stage == DEFAULT_ROUTE:
        return {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
    return {"Fn::Sub": f"${{{api_id}.ApiEndpoint}}/{stage}"}
