"""`function_url`: an AWS::Lambda::Url of the function, the policy a public one needs,
and its URL as the output <Function>FunctionUrl."""

from __future__ import annotations

import json

import pytest


def build(cli, make_project, option: str, ok: bool = True):
    project = make_project({"service.py": f"""
        import sparta_core as sparta

        service = sparta.Service("urls")

        @service.function(function_url={option})
        def hook(event, context):
            return {{"statusCode": 200, "body": "hi"}}
    """})
    result = cli("build", project=project, ok=ok)
    if not ok:
        return result
    return json.loads((project / ".sparta" / "urls-template.json").read_text())


def test_true_is_an_iam_url_without_a_public_policy(cli, make_project):
    template = build(cli, make_project, "True")
    resources = template["Resources"]
    assert resources["HookUrl"] == {
        "Type": "AWS::Lambda::Url",
        "Properties": {"TargetFunctionArn": {"Fn::GetAtt": ["HookFunction", "Arn"]},
                       "AuthType": "AWS_IAM"},
    }
    assert not [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert template["Outputs"]["HookFunctionUrl"]["Value"] == {
        "Fn::GetAtt": ["HookUrl", "FunctionUrl"]}


def test_a_public_url_gets_both_permissions_lambda_requires_and_cors(cli, make_project):
    template = build(cli, make_project,
                     '{"auth": "NONE", "cors": {"allow_origins": ["https://example.com"], '
                     '"allow_methods": ["get", "POST"], "max_age": 300}}')
    resources = template["Resources"]
    assert resources["HookUrl"]["Properties"]["Cors"] == {
        "AllowOrigins": ["https://example.com"], "AllowMethods": ["GET", "POST"], "MaxAge": 300}
    permissions = {r["Properties"]["Action"]: r["Properties"] for r in resources.values()
                   if r["Type"] == "AWS::Lambda::Permission"}
    assert permissions["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    assert permissions["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
    assert {p["Principal"] for p in permissions.values()} == {"*"}


@pytest.mark.parametrize(("option", "message"), [
    ('"yes"', "function_url must be True or a table"),
    ('{"auth": "PUBLIC"}', "function_url auth must be 'AWS_IAM' or 'NONE'"),
    ('{"auht": "NONE"}', "function_url has no key 'auht' (did you mean 'auth'?)"),
    ('{"cors": {"allow_methods": ["FETCH"]}}', "allow_methods: 'FETCH' is not one of"),
    ('{"cors": {"max_age": 100000}}', "max_age must be 0-86400 seconds"),
])
def test_a_bad_function_url_is_one_error_line(cli, make_project, option, message):
    result = build(cli, make_project, option, ok=False)
    assert result.exit_code == 1
    last = result.output.splitlines()[-1]
    assert last.startswith("error: ") and "function 'hook'" in last and message in last
