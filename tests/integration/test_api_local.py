"""examples/api provisioned on the local endpoint (MiniStack), then called over HTTP
through API Gateway's execute-api front door: the request reaches the function through
its proxy integration and its answer comes back with the CORS headers; a changed route
makes a new deployment that serves it."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import configure, stack

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(endpoint: str, api_id: str, method: str, path: str,
         body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to stage v1 of the API. MiniStack serves execute-api under
    ``/_aws/execute-api/<api>/<stage>/...`` of its own (loopback) address, as LocalStack
    does, since ``<api>.execute-api.<region>.amazonaws.com`` would need DNS."""
    assert endpoint.startswith("http://127.0.0.1:")
    request = urllib.request.Request(
        f"{endpoint}/_aws/execute-api/{api_id}/v1{path}", data=body, method=method,
        headers={"Origin": "https://app.test", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def outputs(aws: Callable[[str], Any]) -> dict[str, str]:
    described = stack(aws, "photos")
    assert described is not None
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def test_api_example_answers_http_requests_through_api_gateway(
    cli, tmp_path: Path, bucket: str, aws, aws_endpoint: str
) -> None:
    project = tmp_path / "api"
    shutil.copytree(EXAMPLES / "api", project, ignore=shutil.ignore_patterns(".sparta"))
    configure(project, **{"s3-bucket": bucket})
    assert "photos: CREATE_COMPLETE" in cli("provision", "--yes", project=project).stdout

    out = outputs(aws)
    api_id = out["PhotosApiId"]
    assert out["PhotosApiUrl"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/v1/"
    gateway = aws("apigateway")
    resources = {r["path"]: sorted(r.get("resourceMethods", {}))
                 for r in gateway.get_resources(restApiId=api_id)["items"]}
    assert resources == {"/": ["GET", "OPTIONS"], "/thumbs": ["OPTIONS", "POST"],
                         "/thumbs/{id}": ["GET", "OPTIONS"]}
    (stage,) = gateway.get_stages(restApiId=api_id)["item"]
    assert stage["stageName"] == "v1"
    first_deployment = stage["deploymentId"]

    # A path parameter and a query string reach the function; its response (and the
    # CORS header sparta_runtime.api adds) reaches the client.
    status, headers, body = call(aws_endpoint, api_id, "GET", "/thumbs/cat?format=png")
    assert (status, json.loads(body)) == (200, {"id": "cat", "size": 120, "format": "png"})
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, _, body = call(aws_endpoint, api_id, "GET", "/thumbs/zebra")
    assert (status, json.loads(body)) == (404, {"error": "no thumbnail 'zebra'"})
    status, headers, body = call(aws_endpoint, api_id, "POST", "/thumbs", b'{"id": "owl"}')
    assert (status, json.loads(body), headers["Location"]) == (
        201, {"created": "owl"}, "/thumbs/owl")
    status, _, body = call(aws_endpoint, api_id, "GET", "/")
    assert json.loads(body)["routes"] == ["GET /", "GET /thumbs/{id}", "POST /thumbs"]
    # The preflight is answered by API Gateway's mock, with the path's methods.
    status, headers, _ = call(aws_endpoint, api_id, "OPTIONS", "/thumbs/cat")
    assert status == 200
    assert headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert headers["Access-Control-Allow-Origin"] == "*"

    # Each function allows API Gateway, for this API and its route only.
    policy = json.loads(aws("lambda").get_policy(FunctionName="photos-get_thumb")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*/GET/thumbs/*")

    # Re-provisioning the same service changes nothing; a new route makes a new
    # deployment, which the stage serves.
    assert "no changes" in cli("provision", "--yes", project=project).stdout
    service = project / "service.py"
    service.write_text(service.read_text() + '\napi.route("/thumbs/{id}", methods=["DELETE"], '
                                              'function="create_thumb")\n')
    assert "photos: UPDATE_COMPLETE" in cli("provision", "--yes", project=project).stdout
    (stage,) = gateway.get_stages(restApiId=api_id)["item"]
    assert stage["deploymentId"] != first_deployment
    deployments = [d["id"] for d in gateway.get_deployments(restApiId=api_id)["items"]]
    assert deployments == [stage["deploymentId"]]  # the old one was cleaned up
    status, _, body = call(aws_endpoint, api_id, "DELETE", "/thumbs/owl")
    assert (status, json.loads(body)) == (
        400, {"error": "the body must be an object with a string 'id'"})
