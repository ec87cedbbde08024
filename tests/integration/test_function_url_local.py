"""A public function URL provisioned on the local endpoint answers real HTTP requests.
(MiniStack serves a URL at /_aws/lambda-url/<url id>/ on its own port.)"""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlparse

import pytest
from aws_helpers import stack

pytestmark = pytest.mark.integration


def test_a_public_function_url_answers_http(cli, make_project, bucket, aws, aws_endpoint):
    project = make_project({
        "pyproject.toml": f'[tool.sparta]\nservice = "service:service"\ns3-bucket = "{bucket}"\n',
        "service.py": """
            import json
            import sparta_core as sparta

            service = sparta.Service("urls")

            @service.function(function_url={"auth": "NONE", "cors": True})
            def hook(event, context):
                name = (event.get("queryStringParameters") or {}).get("name", "world")
                return {"statusCode": 200, "headers": {"content-type": "application/json"},
                        "body": json.dumps({"hello": name, "path": event["rawPath"]})}
        """,
    })
    cli("provision", "--yes", project=project)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack(aws, "urls")["Outputs"]}
    url_id = urlparse(outputs["HookFunctionUrl"]).hostname.split(".")[0]

    with urllib.request.urlopen(
        f"{aws_endpoint}/_aws/lambda-url/{url_id}/greet?name=Ann", timeout=30
    ) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"hello": "Ann", "path": "/greet"}
    permissions = {
        r["ResourceType"] for r in aws("cloudformation").describe_stack_resources(
            StackName="urls")["StackResources"]
    }
    assert {"AWS::Lambda::Url", "AWS::Lambda::Permission"} <= permissions
