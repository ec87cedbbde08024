"""examples/httpapi provisioned on the local endpoint (MiniStack) and called over real
HTTP through its API Gateway V2: a path parameter, a JSON body, the $default route,
CORS preflight headers, and a JWT route refusing requests without a valid token."""

from __future__ import annotations

import json
from collections.abc import Mapping

import boto3
import pytest

from sparta_core.testing import http_request

pytestmark = pytest.mark.integration


def call(endpoint: str, api_id: str, method: str, path: str, body: bytes | None = None,
         headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request to the API's $default stage, by MiniStack's path form
    (``/_aws/execute-api/<api>/$default/<path>``): no DNS needed."""
    return http_request(f"{endpoint}/_aws/execute-api/{api_id}/$default{path}", method,
                        body, headers)


@pytest.fixture
def deployed(sparta_project, sparta_run, aws_endpoint, example_files):
    """The example, provisioned: ``(endpoint, api id, run result)``."""
    boto3.client("s3").create_bucket(Bucket="shop-artifacts")
    project = sparta_project(example_files(**{"s3-bucket": "shop-artifacts"}))
    result = sparta_run("provision", "--yes", cwd=project)
    assert result.exit_code == 0, result.output
    assert "shop: CREATE_COMPLETE" in result.output
    [stack] = boto3.client("cloudformation").describe_stacks(StackName="shop")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    api_id = outputs["ShopHttpApiId"]
    assert outputs["ShopHttpApiUrl"] == boto3.client("apigatewayv2").get_api(
        ApiId=api_id)["ApiEndpoint"]
    return aws_endpoint, api_id, result


def test_routes_answer_over_http(deployed) -> None:
    endpoint, api_id, _ = deployed
    status, _, body = call(endpoint, api_id, "GET", "/items/42")
    assert (status, json.loads(body)) == (200, {"id": "42", "name": "teapot"})
    status, _, body = call(endpoint, api_id, "GET", "/items/7")
    assert (status, json.loads(body)) == (404, {"error": "no such item"})

    json_headers = {"Content-Type": "application/json"}
    status, headers, body = call(endpoint, api_id, "POST", "/items",
                                 json.dumps({"name": "kettle"}).encode(), json_headers)
    assert (status, json.loads(body), headers["location"]) == (
        201, {"created": "kettle"}, "/items/new")
    status, _, body = call(endpoint, api_id, "POST", "/items", b"{not json", json_headers)
    assert (status, json.loads(body)) == (400, {"error": "the body must be JSON"})

    status, _, body = call(endpoint, api_id, "GET", "/nowhere/at/all")
    assert (status, json.loads(body)) == (404, {"error": "nothing at /nowhere/at/all"})

    # Each function allows API Gateway for this API and its own route only.
    policy = json.loads(boto3.client("lambda").get_policy(
        FunctionName="shop-get_item")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*/GET/items/*")


def test_the_jwt_route_refuses_requests_without_a_valid_token(deployed) -> None:
    endpoint, api_id, _ = deployed
    status, _, body = call(endpoint, api_id, "GET", "/me")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, _ = call(endpoint, api_id, "GET", "/me", headers={"Authorization": "Bearer x.y"})
    assert status == 401


def test_cors_preflight(deployed) -> None:
    endpoint, api_id, result = deployed
    # MiniStack 1.5.33 stores the template's CorsConfiguration under its PascalCase keys
    # but reads camelCase ones, so every preflight would get 403: set the same
    # configuration through the API, as AWS's CloudFormation would have (a MiniStack
    # quirk, worked around in this test only; docs/plugins/httpapi.md).
    cors = result.template["Resources"]["ShopHttpApi"]["Properties"]["CorsConfiguration"]
    boto3.client("apigatewayv2").update_api(ApiId=api_id, CorsConfiguration=cors)

    status, headers, _ = call(endpoint, api_id, "OPTIONS", "/items", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "*"
    assert headers["access-control-allow-headers"] == "authorization,content-type"
    status, headers, _ = call(endpoint, api_id, "GET", "/items/42",
                              headers={"Origin": "https://app.example"})
    assert (status, headers["access-control-allow-origin"]) == (200, "*")
