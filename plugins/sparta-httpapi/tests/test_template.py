"""What an HttpAPI becomes: the template of examples/httpapi (linted by the kit's
sparta_run), a named stage, callers redirected to an alias, errors, describe, and the
Lambda-side helper imported from the archive by a real local ``sparta invoke``."""

from __future__ import annotations

import json
from typing import Any

API = "ShopHttpApi"


def of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == type_name}


def test_the_example_template(sparta_project, sparta_run, example_files) -> None:
    result = sparta_run("build", cwd=sparta_project(example_files()))
    assert result.exit_code == 0, result.output
    template = result.template
    [api] = of_type(template, "AWS::ApiGatewayV2::Api").values()
    assert api["ProtocolType"] == "HTTP"
    assert api["CorsConfiguration"] == {"AllowOrigins": ["*"], "AllowMethods": ["*"],
                                        "AllowHeaders": ["authorization", "content-type"]}

    integrations = of_type(template, "AWS::ApiGatewayV2::Integration")
    assert sorted(integrations) == [f"{API}CreateItemIntegration", f"{API}GetItemIntegration",
                                    f"{API}NotFoundIntegration", f"{API}WhoamiIntegration"]
    assert integrations[f"{API}GetItemIntegration"] == {
        "ApiId": {"Ref": API}, "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
        "IntegrationUri": {"Fn::GetAtt": ["GetItemFunction", "Arn"]}}

    routes = {p["RouteKey"]: p for p in of_type(template, "AWS::ApiGatewayV2::Route").values()}
    assert sorted(routes) == ["$default", "GET /items/{id}", "GET /me", "POST /items"]
    assert routes["GET /items/{id}"]["Target"] == {
        "Fn::Sub": f"integrations/${{{API}GetItemIntegration}}"}
    assert routes["GET /items/{id}"]["AuthorizationType"] == "NONE"
    assert (routes["GET /me"]["AuthorizationType"], routes["GET /me"]["AuthorizerId"]) == (
        "JWT", {"Ref": f"{API}UsersAuthorizer"})
    [authorizer] = of_type(template, "AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["JwtConfiguration"] == {"Issuer": "https://auth.example.com/",
                                              "Audience": ["shop-web"]}
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]

    stage = template["Resources"][f"{API}Stage"]
    assert stage["Properties"] == {"ApiId": {"Ref": API}, "StageName": "$default",
                                   "AutoDeploy": True}
    assert len(stage["DependsOn"]) == 4

    # A permission per route: this API, that method, that path (parameters as *).
    permissions = {p["SourceArn"]["Fn::Sub"].split("${AWS::AccountId}:")[1]: p["FunctionName"]
                   for p in of_type(template, "AWS::Lambda::Permission").values()
                   if p["Principal"] == "apigateway.amazonaws.com"}
    assert permissions == {
        f"${{{API}}}/*/GET/items/*": {"Fn::GetAtt": ["GetItemFunction", "Arn"]},
        f"${{{API}}}/*/POST/items": {"Fn::GetAtt": ["CreateItemFunction", "Arn"]},
        f"${{{API}}}/*/GET/me": {"Fn::GetAtt": ["WhoamiFunction", "Arn"]},
        f"${{{API}}}/*/$default": {"Fn::GetAtt": ["NotFoundFunction", "Arn"]},
    }
    assert template["Outputs"][f"{API}Url"]["Value"] == {"Fn::GetAtt": [API, "ApiEndpoint"]}
    assert template["Outputs"][f"{API}Id"]["Value"] == {"Ref": API}
    # The service module imports sparta_httpapi inside Lambda: the archive ships it.
    assert "sparta_httpapi/__init__.py" in result.archive
    assert "sparta_httpapi/response.py" in result.archive


SMALL = """
    import sparta_core as sparta
    from sparta_httpapi import HttpAPI, response

    service = sparta.Service("small")
    api = service.add(HttpAPI("small", stage="v1", cors={
        "allow_origins": ["https://app.example"], "allow_methods": ["GET"], "max_age": 300}))

    @service.function()
    def hello(event, context):
        return response({"hello": event["pathParameters"]["proxy"]})

    api.route("GET /hello/{proxy+}", function=hello)
    api.route("ANY /any", function="hello")
"""


def test_a_named_stage_and_explicit_cors(sparta_project, sparta_run) -> None:
    result = sparta_run("build", cwd=sparta_project({"service.py": SMALL}))
    assert result.exit_code == 0, result.output
    resources = result.template["Resources"]
    assert resources["SmallHttpApi"]["Properties"]["CorsConfiguration"] == {
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["GET"], "MaxAge": 300}
    assert resources["SmallHttpApiStage"]["Properties"]["StageName"] == "v1"
    assert result.template["Outputs"]["SmallHttpApiUrl"]["Value"] == {
        "Fn::Sub": "${SmallHttpApi.ApiEndpoint}/v1"}
    # One integration for the function of both routes, a permission for each route.
    assert [k for k in resources if k.endswith("Integration")] == ["SmallHttpApiHelloIntegration"]
    arns = sorted(p["Properties"]["SourceArn"]["Fn::Sub"].rsplit("}/", 1)[1]
                  for p in resources.values() if p["Type"] == "AWS::Lambda::Permission")
    assert arns == ["*/*/any", "*/GET/hello/*"]


ALIAS = """
    import sparta_core as sparta


    @sparta.hookimpl
    def sparta_invoke_target(ctx, function, logical_id):
        return {"Ref": "HelloAliasLive"}


    @sparta.hookimpl
    def sparta_decorate_function(function, logical_id, template):
        template.add_resource("HelloVersion", "AWS::Lambda::Version",
                              {"FunctionName": {"Ref": logical_id}})
        template.add_resource("HelloAliasLive", "AWS::Lambda::Alias", {
            "FunctionName": {"Ref": logical_id}, "Name": "live",
            "FunctionVersion": {"Fn::GetAtt": ["HelloVersion", "Version"]}})
"""


def test_a_redirect_to_an_alias_is_honoured(sparta_project, sparta_run) -> None:
    project = sparta_project({"service.py": SMALL, "spartaconf.py": ALIAS})
    result = sparta_run("build", cwd=project)
    assert result.exit_code == 0, result.output
    resources = result.template["Resources"]
    alias = {"Ref": "HelloAliasLive"}
    assert resources["SmallHttpApiHelloIntegration"]["Properties"]["IntegrationUri"] == alias
    permissions = [r["Properties"] for r in resources.values()
                   if r["Type"] == "AWS::Lambda::Permission"]
    assert [p["FunctionName"] for p in permissions] == [alias, alias]


def test_a_misspelt_route_stops_the_build_in_one_line(sparta_project, sparta_run) -> None:
    service = SMALL.replace('"ANY /any"', '"ANNY /any"')
    result = sparta_run("build", cwd=sparta_project({"service.py": service}), lint=False)
    assert result.exit_code != 0
    assert "HttpAPI 'small': route 'ANNY /any': 'ANNY' is not an HTTP API method" in (
        result.error_line() or "")
    assert "(did you mean 'ANY /any'?)" in result.error_line()


def test_describe_draws_each_route(sparta_project, sparta_run, example_files) -> None:
    project = sparta_project(example_files())
    result = sparta_run("describe", cwd=project)
    assert result.exit_code == 0, result.output
    page = (project / ".sparta" / "shop-describe.html").read_text()
    for label in ("GET /items/{id}", "POST /items", "GET /me [users]", "$default"):
        assert label in page


def test_the_helper_imports_inside_the_archive(sparta_project, sparta_run, example_files) -> None:
    """A real local invoke: the function runs from the built archive in its own
    process, where only what the archive ships can be imported."""
    project = sparta_project(example_files())
    assert sparta_run("build", cwd=project).exit_code == 0
    event = project / "event.json"
    event.write_text(json.dumps({"version": "2.0", "rawPath": "/items/42",
                                 "pathParameters": {"id": "42"}}))
    result = sparta_run("invoke", "get_item", "--event", str(event), cwd=project)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"id": "42", "name": "teapot"}
    post = project / "post.json"
    post.write_text(json.dumps({"body": "eyJuYW1lIjogImtldHRsZSJ9", "isBase64Encoded": True}))
    result = sparta_run("invoke", "create_item", "--event", str(post), cwd=project)
    assert json.loads(json.loads(result.stdout)["body"]) == {"created": "kettle"}
