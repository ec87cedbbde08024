"""A local `sparta invoke` gives the handler every variable the template gives the
function: literals (SPARTA_CORS of an API with CORS on), references sparta can resolve
locally (pseudo parameters, parameters with a value), and a warning for the others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import EXAMPLES, Cli

from sparta_core.commands.local_values import resolve


def test_the_api_cors_variable_reaches_a_local_run(cli: Cli, tmp_path: Path) -> None:
    project = tmp_path / "api"
    shutil.copytree(EXAMPLES / "api", project, ignore=shutil.ignore_patterns(".sparta"))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pathParameters": {"id": "cat"}}))
    result = cli("invoke", "get_thumb", "--event", str(event), project=project)
    answer = json.loads(result.stdout)
    # The same header the deployed function sends (tests/integration/test_api_local.py).
    assert answer["headers"]["Access-Control-Allow-Origin"] == "*"
    assert answer["statusCode"] == 200


def test_references_are_resolved_where_sparta_can(cli: Cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("resolving")
        service.resource("Table", "AWS::DynamoDB::Table", {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        })

        @service.function(environment={
            "WHERE": sparta.Sub("${AWS::Region}/${AWS::StackName}"),
            "ACCOUNT": sparta.Ref("AWS::AccountId"),
            "TABLE": sparta.Ref("Table"),
        })
        def show(event, context):
            import os
            return {k: os.environ.get(k) for k in ("WHERE", "ACCOUNT", "TABLE")}
    """})
    result = cli("--region", "eu-west-1", "invoke", "show", project=project)
    assert json.loads(result.stdout) == {
        "WHERE": "eu-west-1/resolving", "ACCOUNT": "000000000000", "TABLE": None}
    assert "environment variable TABLE of function 'show' is a CloudFormation reference " \
           "sparta cannot resolve locally" in result.stderr
    assert "WHERE" not in result.stderr


def test_resolve() -> None:
    known = {"AWS::Region": "us-east-1", "Stage": "dev"}
    assert resolve("x", known) == "x"
    assert resolve(3, known) == "3"
    assert resolve({"Ref": "Stage"}, known) == "dev"
    assert resolve({"Ref": "Queue"}, known) is None
    assert resolve({"Fn::Sub": "a-${Stage}-${!Literal}"}, known) == "a-dev-${Literal}"
    assert resolve({"Fn::Sub": ["${X}.${AWS::Region}", {"X": {"Ref": "Stage"}}]}, known) \
        == "dev.us-east-1"
    assert resolve({"Fn::Sub": "${Queue.Arn}"}, known) is None
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}, known) == "a-dev"
    assert resolve({"Fn::GetAtt": ["Queue", "Arn"]}, known) is None
