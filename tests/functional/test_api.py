"""RestAPI through the real CLI: the template it becomes (cfn-lint clean, exact
resources, scoped permissions, CORS preflight), when its deployment changes, the errors
a bad API stops the build with, and how `sparta describe` draws it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import EXAMPLES
from tests.functional.sources_support import build, build_error

SUB_PREFIX = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${PhotosApi}"


def build_example(cli: Any, project: Path) -> dict[str, Any]:
    cli("-q", "build", project=project)
    return json.loads((project / ".sparta" / "photos-template.json").read_text())


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    target = tmp_path / "api"
    shutil.copytree(EXAMPLES / "api", target, ignore=shutil.ignore_patterns(".sparta"))
    return target


def test_example_template_is_lint_clean_with_exactly_the_api_resources(cli, photos, cfn_lint):
    template = build_example(cli, photos)
    assert cfn_lint(photos / ".sparta" / "photos-template.json") == []
    resources = template["Resources"]
    api = {k: v["Type"] for k, v in resources.items() if k.startswith("PhotosApi")}
    deployment = next(k for k in api if k.startswith("PhotosApiDeployment"))
    assert api == {
        "PhotosApi": "AWS::ApiGateway::RestApi",
        "PhotosApiThumbsResource": "AWS::ApiGateway::Resource",
        "PhotosApiThumbsParamIdResource": "AWS::ApiGateway::Resource",
        "PhotosApiRootGetMethod": "AWS::ApiGateway::Method",
        "PhotosApiThumbsParamIdGetMethod": "AWS::ApiGateway::Method",
        "PhotosApiThumbsPostMethod": "AWS::ApiGateway::Method",
        "PhotosApiRootOptionsMethod": "AWS::ApiGateway::Method",
        "PhotosApiThumbsOptionsMethod": "AWS::ApiGateway::Method",
        "PhotosApiThumbsParamIdOptionsMethod": "AWS::ApiGateway::Method",
        "PhotosApiRootGetPermission": "AWS::Lambda::Permission",
        "PhotosApiThumbsParamIdGetPermission": "AWS::Lambda::Permission",
        "PhotosApiThumbsPostPermission": "AWS::Lambda::Permission",
        deployment: "AWS::ApiGateway::Deployment",
        "PhotosApiStage": "AWS::ApiGateway::Stage",
    }
    assert resources["PhotosApi"]["Properties"] == {
        "Name": "photos", "Description": "Thumbnails over HTTP",
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
    }
    # Path parts chain from the API's root resource.
    assert resources["PhotosApiThumbsResource"]["Properties"] == {
        "RestApiId": {"Ref": "PhotosApi"},
        "ParentId": {"Fn::GetAtt": ["PhotosApi", "RootResourceId"]}, "PathPart": "thumbs",
    }
    assert resources["PhotosApiThumbsParamIdResource"]["Properties"]["ParentId"] == {
        "Ref": "PhotosApiThumbsResource"}
    assert resources["PhotosApiThumbsParamIdResource"]["Properties"]["PathPart"] == "{id}"
    get = resources["PhotosApiThumbsParamIdGetMethod"]["Properties"]
    assert get["HttpMethod"] == "GET" and get["AuthorizationType"] == "NONE"
    assert get["Integration"] == {
        "Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
        "Uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                           "2015-03-31/functions/${GetThumbFunction.Arn}/invocations"},
    }
    # The deployment snapshots every method; the stage serves it.
    assert resources[deployment]["DependsOn"] == sorted(
        k for k, v in api.items() if v == "AWS::ApiGateway::Method")
    assert resources["PhotosApiStage"]["Properties"]["DeploymentId"] == {"Ref": deployment}
    assert resources["PhotosApiStage"]["Properties"]["StageName"] == "v1"
    assert template["Outputs"]["PhotosApiUrl"]["Value"] == {
        "Fn::Sub": "https://${PhotosApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1/"}
    assert template["Outputs"]["PhotosApiId"]["Value"] == {"Ref": "PhotosApi"}


def test_each_permission_is_scoped_to_this_api_its_method_and_path(cli, photos):
    resources = build_example(cli, photos)["Resources"]
    permissions = {
        k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Lambda::Permission"
    }
    assert {k: (p["FunctionName"], p["SourceArn"]) for k, p in permissions.items()} == {
        "PhotosApiRootGetPermission": (
            {"Fn::GetAtt": ["IndexFunction", "Arn"]}, {"Fn::Sub": SUB_PREFIX + "/*/GET/"}),
        "PhotosApiThumbsParamIdGetPermission": (
            {"Fn::GetAtt": ["GetThumbFunction", "Arn"]},
            {"Fn::Sub": SUB_PREFIX + "/*/GET/thumbs/*"}),
        "PhotosApiThumbsPostPermission": (
            {"Fn::GetAtt": ["CreateThumbFunction", "Arn"]},
            {"Fn::Sub": SUB_PREFIX + "/*/POST/thumbs"}),
    }
    for permission in permissions.values():
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert permission["Action"] == "lambda:InvokeFunction"


def test_cors_preflight_is_a_mock_and_functions_learn_the_headers(cli, photos):
    resources = build_example(cli, photos)["Resources"]
    options = resources["PhotosApiThumbsParamIdOptionsMethod"]["Properties"]
    assert options["HttpMethod"] == "OPTIONS" and options["AuthorizationType"] == "NONE"
    assert options["Integration"]["Type"] == "MOCK"
    mapped = options["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
    assert mapped == {
        "method.response.header.Access-Control-Allow-Origin": "'*'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
        "method.response.header.Access-Control-Allow-Headers":
            "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
    }
    assert options["MethodResponses"][0]["ResponseParameters"] == {name: True for name in mapped}
    posts = resources["PhotosApiThumbsOptionsMethod"]["Properties"]["Integration"]
    assert posts["IntegrationResponses"][0]["ResponseParameters"][
        "method.response.header.Access-Control-Allow-Methods"] == "'OPTIONS,POST'"
    for function in ("IndexFunction", "GetThumbFunction", "CreateThumbFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert json.loads(variables["SPARTA_CORS"]) == {"Access-Control-Allow-Origin": "*"}


def deployment_of(template: dict[str, Any]) -> str:
    (found,) = [k for k, v in template["Resources"].items()
                if v["Type"] == "AWS::ApiGateway::Deployment"]
    return found


@pytest.mark.parametrize(("change", "changes_deployment"), [
    ('api.route("/thumbs/{id}", methods=["DELETE"], function=get_thumb)', True),
    ('api.route("/health", function="index")', True),
    ("", False),
])
def test_deployment_id_changes_with_the_routes_and_only_then(
    cli, photos, change, changes_deployment
):
    first = deployment_of(build_example(cli, photos))
    service = photos / "service.py"
    text = service.read_text()
    # Function settings and handler code are not part of the API: no new deployment.
    text = text.replace("def index(event, context):",
                        "def index(event, context):  # edited\n    pass")
    text = text.replace('"photos.handlers.get_thumb", timeout=5', '"photos.handlers.get_thumb", '
                                                                   "timeout=9, memory_size=512")
    service.write_text(text + "\n" + change + "\n")
    (photos / "photos" / "handlers.py").write_text(
        (photos / "photos" / "handlers.py").read_text() + "\n# edited\n")
    second = deployment_of(build_example(cli, photos))
    assert (second != first) is changes_deployment
    assert second.startswith("PhotosApiDeployment")


def test_changing_a_route_target_or_cors_changes_the_deployment(cli, photos):
    first = deployment_of(build_example(cli, photos))
    service = photos / "service.py"
    original = service.read_text()
    service.write_text(original.replace('function="create_thumb"', 'function="index"'))
    retargeted = deployment_of(build_example(cli, photos))
    service.write_text(original.replace("cors=True", 'cors={"allow_origin": "https://x.test"}'))
    recors = deployment_of(build_example(cli, photos))
    assert len({first, retargeted, recors}) == 3


API_SERVICE = '''
api = service.add(sparta.RestAPI("shop", stage="prod", cors={cors},
                                  binary_media_types=["image/png"], endpoint_type="EDGE"))

@service.function()
def catch_all(event, context):
    return handle(event, context)

@service.function()
def preflight(event, context):
    return handle(event, context)

api.route("/files/{{path+}}", methods=["ANY"], function=catch_all)
api.route("/items", methods=["GET", "OPTIONS"], function=preflight)
api.route("/items", methods=["post"], function=catch_all, authorization_type="AWS_IAM")
'''


def test_any_greedy_paths_own_options_and_no_cors(cli, make_project, cfn_lint):
    built = build(cli, make_project, API_SERVICE.format(cors="False"))
    assert cfn_lint(built.path) == []
    resources = built.resources
    assert resources["ShopApi"]["Properties"]["BinaryMediaTypes"] == ["image/png"]
    assert resources["ShopApi"]["Properties"]["EndpointConfiguration"] == {"Types": ["EDGE"]}
    assert resources["ShopApiFilesParamPathPlusResource"]["Properties"]["PathPart"] == "{path+}"
    arns = {k: v["Properties"]["SourceArn"]["Fn::Sub"].split("${ShopApi}")[1]
            for k, v in built.of_type("AWS::Lambda::Permission").items()}
    assert arns == {
        "ShopApiFilesParamPathPlusAnyPermission": "/*/*/files/*",
        "ShopApiItemsGetPermission": "/*/GET/items",
        "ShopApiItemsOptionsPermission": "/*/OPTIONS/items",
        "ShopApiItemsPostPermission": "/*/POST/items",
    }
    methods = built.of_type("AWS::ApiGateway::Method")
    assert methods["ShopApiItemsPostMethod"]["Properties"]["AuthorizationType"] == "AWS_IAM"
    # No CORS: no mock methods, no header variable.
    assert all(m["Properties"]["Integration"]["Type"] == "AWS_PROXY" for m in methods.values())
    assert "SPARTA_CORS" not in built.env("CatchAllFunction")
    assert built.template["Outputs"]["ShopApiUrl"]["Value"]["Fn::Sub"].endswith("/prod/")


def test_cors_on_leaves_a_users_options_route_alone(cli, make_project, cfn_lint):
    built = build(cli, make_project, API_SERVICE.format(
        cors='{"allow_origin": "https://shop.test", "max_age": 600, '
             '"expose_headers": ["ETag"], "allow_credentials": True}'))
    assert cfn_lint(built.path) == []
    methods = built.of_type("AWS::ApiGateway::Method")
    # /items has the user's own OPTIONS (a proxy); /files/{path+} gets the mock, and
    # ANY there means every method.
    assert methods["ShopApiItemsOptionsMethod"]["Properties"]["Integration"]["Type"] == "AWS_PROXY"
    mock = methods["ShopApiFilesParamPathPlusOptionsMethod"]["Properties"]["Integration"]
    headers = mock["IntegrationResponses"][0]["ResponseParameters"]
    assert headers["method.response.header.Access-Control-Allow-Methods"] == (
        "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'")
    assert headers["method.response.header.Access-Control-Allow-Origin"] == "'https://shop.test'"
    assert headers["method.response.header.Access-Control-Max-Age"] == "'600'"
    assert json.loads(built.env("CatchAllFunction")["SPARTA_CORS"]) == {
        "Access-Control-Allow-Origin": "https://shop.test",
        "Access-Control-Expose-Headers": "ETag",
        "Access-Control-Allow-Credentials": "true",
    }


@pytest.mark.parametrize(("body", "message"), [
    ('''
api = sparta.RestAPI("shop")
service.api = api
api.route("/x", function=handle)

@service.function()
def fn(event, context):
    return handle(event, context)
''', "RestAPI 'shop': route 'GET /x' goes to function service.handle, which is not a "
     "function of service 'svc'"),
    ('''
api = service.add(sparta.RestAPI("shop"))
api.route("/x", function="nope")

@service.function()
def fn(event, context):
    return handle(event, context)
''', "RestAPI 'shop': route 'GET /x' goes to function 'nope', which is not a function of "
     "service 'svc'"),
    ('''
service.add(sparta.RestAPI("shop"))

@service.function()
def fn(event, context):
    return handle(event, context)
''', "RestAPI 'shop' of service 'svc' has no routes"),
    ('''
service.add({"routes": []})

@service.function()
def fn(event, context):
    return handle(event, context)
''', "service 'svc': service.add() takes a sparta.Component (RestAPI, S3Site or a "
     "plugin's kind), got dict"),
    ('''
service.api = {"routes": []}

@service.function()
def fn(event, context):
    return handle(event, context)
''', "service 'svc': api must be a sparta.RestAPI, got dict"),
    ('''
api = sparta.RestAPI("shop")
service.api = api

@service.function()
def fn(event, context):
    return handle(event, context)

api.route("/thumbs/{id}", methods=["GET"], function=fn)
api.route("/thumbs/{name}", methods=["PUT"], function=fn)
''', "RestAPI 'shop': route '/thumbs/{name}': {name} and {id} (route '/thumbs/{id}') would "
     "both be path variables under '/thumbs'"),
])
def test_bad_api_stops_the_build_with_one_line(cli, make_project, body, message):
    line = build_error(cli, make_project, body)
    assert line.startswith("error: ") and message in line, line


def test_describe_draws_routes_to_their_functions(cli, photos):
    cli("-q", "describe", project=photos)
    page = (photos / ".sparta" / "photos-describe.html").read_text()
    for route in ("GET /", "GET /thumbs/{id}", "POST /thumbs"):
        assert f"<title>{route}|RestAPI photos /v1</title>" in page.replace("&#x27;", "'")
    # Routes stand for the API's resources: no box per method or path part.
    assert "PhotosApiThumbsParamIdGetMethod|" not in page
    assert page.count('class="edge"') >= 3


def test_decorators_see_the_api_it_is_marshalled_with_the_functions(cli, photos):
    # A component contributes inside sparta_marshall, after the functions: function
    # decorators and service decorators both see its resources.
    (photos / "spartaconf.py").write_text(
        "def sparta_decorate_function(ctx, function, template):\n"
        "    ctx.stash.setdefault('seen', []).append(\n"
        "        [k for k in template.resources if k.startswith('PhotosApiSt')])\n"
        "def sparta_decorate_service(ctx, template):\n"
        "    ctx.work_dir.mkdir(exist_ok=True)\n"
        "    (ctx.work_dir / 'seen.txt').write_text(repr(ctx.stash['seen']) + ' ' +\n"
        "        ','.join(sorted(k for k in template.resources if k.startswith('PhotosApiSt'))))\n"
    )
    template = build_example(cli, photos)
    seen = (photos / ".sparta" / "seen.txt").read_text()
    assert seen == "[['PhotosApiStage'], ['PhotosApiStage'], ['PhotosApiStage']] PhotosApiStage"
    assert "PhotosApi" in template["Resources"]


def test_api_is_shorthand_for_service_add(cli, make_project):
    built = build(cli, make_project, '''
api = service.add(sparta.RestAPI("shop"))
assert service.api is api and service.components == [api]

@service.function()
def fn(event, context):
    return handle(event, context)

api.route("/x", function=fn)
''')
    assert built.resources["ShopApi"]["Type"] == "AWS::ApiGateway::RestApi"
