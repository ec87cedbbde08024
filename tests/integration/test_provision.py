"""``sparta provision`` against a real AWS API (MiniStack on a loopback port), through real
boto3: create, re-provision, update, failures, recovery, preconditions."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from aws_helpers import BUCKET, configure, keys, stack

pytestmark = pytest.mark.integration

FAILING_QUEUE = '''
def sparta_decorate_service(ctx, template):
    # SQS refuses a visibility timeout above 43200 s: the stack operation fails on it.
    return {"Queue": {"Type": "AWS::SQS::Queue",
                      "Properties": {"VisibilityTimeout": 99999999}}}


def sparta_rollback(ctx, error):
    (ctx.work_dir / "rollback.txt").write_text(str(error))
'''


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def invoke_remote(cli, project: Path, function: str, event: dict) -> dict:
    event_file = project / "event.json"
    event_file.write_text(json.dumps(event))
    result = cli("invoke", function, "--remote", "--event", str(event_file), project=project)
    return json.loads(result.stdout)


def test_provision_creates_the_stack_and_the_functions_run(cli, hello, aws, cfn_lint):
    result = cli("provision", "--yes", "--tag", "team=core", project=hello)

    assert "hello: CREATE_COMPLETE (created; code uploaded)" in result.stdout
    described = stack(aws, "hello")
    assert described is not None and described["StackStatus"] == "CREATE_COMPLETE"
    tags = {tag["Key"]: tag["Value"] for tag in described["Tags"]}
    assert tags["team"] == "core"
    assert tags["sparta:version"] == "0.1.0"
    # The build id is in the template's Metadata: a stack tag would be copied onto
    # every resource, so every build would touch them all.
    assert "sparta:build-id" not in tags
    deployed = aws("cloudformation").get_template(StackName="hello")["TemplateBody"]
    assert len(deployed["Metadata"]["sparta:build-id"]) == 16
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    assert outputs["GreetFunctionArn"].endswith(":function:hello-greet")
    # Events streamed while CloudFormation worked, one line per resource event.
    assert "CREATE_COMPLETE              GreetFunction" in result.output

    # The archive and the template are content-addressed and encrypted.
    stored = keys(aws, BUCKET)
    digest = hashlib.sha256((hello / ".sparta" / "hello-code.zip").read_bytes()).hexdigest()
    assert [key for key in stored if key.endswith(".zip")] == [f"hello/{digest}.zip"]
    assert any(key.endswith(".json") for key in stored)
    for key in stored:
        head = aws("s3").head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
    assert cfn_lint(hello / ".sparta" / "hello-template.json") == []

    # The deployed functions run, on the endpoint, from the uploaded archive.
    assert invoke_remote(cli, hello, "greet", {"name": "Ada"}) == {"message": "Hello, Ada!"}
    config = invoke_remote(cli, hello, "config", {})
    assert config["discovered"]["stack_name"] == "hello"
    assert config["discovered"]["function"] == "config"


def test_unchanged_reprovision_uploads_nothing_and_updates_nothing(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    before = stack(aws, "hello")
    objects = keys(aws, BUCKET)
    events = aws("cloudformation").describe_stack_events(StackName="hello")["StackEvents"]

    result = cli("provision", "--yes", project=hello)

    assert "upload code: skipped" in result.output
    assert "hello: CREATE_COMPLETE (no changes; code skipped)" in result.stdout
    after = stack(aws, "hello")
    assert after["StackStatus"] == "CREATE_COMPLETE"
    assert after.get("LastUpdatedTime") == before.get("LastUpdatedTime")
    assert keys(aws, BUCKET) == objects
    assert aws("cloudformation").describe_stack_events(StackName="hello")["StackEvents"] == events
    # The empty change set was deleted.
    summaries = aws("cloudformation").list_change_sets(StackName="hello")["Summaries"]
    assert all(s["ExecutionStatus"] == "EXECUTE_COMPLETE" for s in summaries)


def test_a_code_edit_updates_the_stack(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    greetings = hello / "hello" / "greetings.py"
    greetings.write_text(greetings.read_text().replace("{name}!", "{name}!!"))

    result = cli("provision", "--yes", project=hello)

    assert "upload code: uploaded" in result.output
    assert "~ Modify  GreetFunction" in result.output
    assert "hello: UPDATE_COMPLETE (updated; code uploaded)" in result.stdout
    assert stack(aws, "hello")["StackStatus"] == "UPDATE_COMPLETE"
    assert len([key for key in keys(aws, BUCKET) if key.endswith(".zip")]) == 2
    assert invoke_remote(cli, hello, "greet", {"name": "Bo"}) == {"message": "Hello, Bo!!"}


def test_a_failing_update_names_the_resource_and_its_reason(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    (hello / "spartaconf.py").write_text(FAILING_QUEUE)

    result = cli("provision", "--yes", project=hello, ok=False)

    assert result.exit_code == 1
    errors = error_lines(result.output)
    assert len(errors) == 1
    assert "resource Queue (AWS::SQS::Queue)" in errors[0]
    assert "Invalid value for the parameter VisibilityTimeout" in errors[0]
    assert "UPDATE_ROLLBACK_COMPLETE" in errors[0]
    assert "rollback requested" not in errors[0].lower()
    assert stack(aws, "hello")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    # sparta_rollback ran with the error.
    assert "VisibilityTimeout" in (hello / ".sparta" / "rollback.txt").read_text()
    # The previous version still runs.
    assert invoke_remote(cli, hello, "greet", {}) == {"message": "Hello, world!"}


def test_a_template_cloudformation_refuses_changes_nothing(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    (hello / "spartaconf.py").write_text(
        "def sparta_decorate_service(ctx, template):\n"
        "    return {'Thing': {'Type': 'AWS::Nope::Thing', 'Properties': {}}}\n"
    )

    result = cli("provision", "--yes", project=hello, ok=False)

    assert result.exit_code == 1
    [error] = error_lines(result.output)
    assert "CloudFormation refused the template of stack hello" in error
    assert "AWS::Nope::Thing" in error
    assert stack(aws, "hello")["StackStatus"] == "CREATE_COMPLETE"


def test_a_failed_first_create_is_explained_and_recovered(cli, hello, aws):
    (hello / "spartaconf.py").write_text(FAILING_QUEUE)
    failed = cli("provision", "--yes", project=hello, ok=False)
    [error] = error_lines(failed.output)
    assert "creating stack hello failed: resource Queue (AWS::SQS::Queue)" in error
    assert "ROLLBACK_COMPLETE" in error
    first = stack(aws, "hello")
    assert first["StackStatus"] == "ROLLBACK_COMPLETE"

    (hello / "spartaconf.py").unlink()
    # Without --yes and without a terminal: refused before anything is built or changed.
    refused = cli("provision", project=hello, ok=False)
    [error] = error_lines(refused.output)
    assert "ROLLBACK_COMPLETE" in error and "--yes" in error
    assert "upload" not in refused.output
    assert stack(aws, "hello")["StackId"] == first["StackId"]

    recovered = cli("provision", "--yes", project=hello)
    assert "its first create failed (resource Queue" in recovered.output
    assert "DELETE_COMPLETE" in recovered.output
    second = stack(aws, "hello")
    assert second["StackStatus"] == "CREATE_COMPLETE"
    assert second["StackId"] != first["StackId"]
    assert invoke_remote(cli, hello, "greet", {"name": "again"}) == {"message": "Hello, again!"}


def test_without_a_terminal_provision_refuses_without_yes_what_broadens_iam(cli, hello, aws):
    # The first create makes two roles: that broadens IAM, which needs --yes by default.
    result = cli("provision", project=hello, ok=False)

    assert result.exit_code == 1
    [error] = error_lines(result.output)
    assert "not executed: it broadens IAM" in error and "nothing changed" in error
    assert "--yes" in error
    assert "+ Add     GreetFunction" in result.output  # shown before asking
    assert "GreetRole   new role" in result.output  # and what broadens IAM
    assert stack(aws, "hello") is None  # the empty review stack was removed too


def test_without_a_terminal_a_change_that_does_not_broaden_iam_deploys_without_yes(
        cli, hello, aws):
    # --require-approval broadening (the default), as in the AWS CDK.
    cli("provision", "--yes", project=hello)
    greetings = hello / "hello" / "greetings.py"
    greetings.write_text(greetings.read_text().replace("{name}!", "{name}!!"))

    result = cli("provision", project=hello)

    assert "hello: UPDATE_COMPLETE (updated; code uploaded)" in result.stdout
    assert "IAM changes" not in result.output


def test_a_missing_bucket_fails_before_anything_changes(cli, tmp_path, hello, aws):
    configure(hello, **{"s3-bucket": "no-such-bucket"})
    # configure() put the new key first; the test bucket setting is then a duplicate.
    text = (hello / "pyproject.toml").read_text()
    (hello / "pyproject.toml").write_text(text.replace(f's3-bucket = "{BUCKET}"\n', ""))

    result = cli("provision", "--yes", project=hello, ok=False)

    assert result.exit_code == 1
    [error] = error_lines(result.output)
    assert "artifact bucket 'no-such-bucket' does not exist" in error
    buckets = [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]
    assert buckets == [BUCKET]
    assert keys(aws, BUCKET) == []
    assert stack(aws, "hello") is None
    assert not (hello / ".sparta" / "hello-code.zip").exists()


def test_a_missing_role_fails_before_anything_changes(cli, make_project, bucket, aws):
    project = make_project({
        "pyproject.toml": f"""
            [tool.sparta]
            s3-bucket = "{bucket}"
        """,
        "service.py": """
            import sparta_core as sparta

            service = sparta.Service("roles")

            @service.function(role="no-such-role")
            def first(event, context):
                return 1

            @service.function(role="arn:aws:iam::000000000000:role/no-such-role")
            def second(event, context):
                return 2
        """,
    })

    result = cli("provision", "--yes", project=project, ok=False)

    [error] = error_lines(result.output)
    assert "role 'no-such-role' does not exist" in error
    assert keys(aws, bucket) == []
    assert stack(aws, "roles") is None


def test_an_existing_role_is_used(cli, make_project, bucket, aws):
    role = aws("iam").create_role(
        RoleName="existing-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]
    project = make_project({
        "pyproject.toml": f"""
            [tool.sparta]
            s3-bucket = "{bucket}"
        """,
        "service.py": """
            import sparta_core as sparta

            service = sparta.Service("roles")

            @service.function(role="existing-role")
            def first(event, context):
                return {"n": 1}

            @service.function(role="arn:aws:iam::000000000000:role/existing-role")
            def second(event, context):
                return {"n": 2}
        """,
    })

    cli("provision", "--yes", project=project)

    function = aws("lambda").get_function(FunctionName="roles-first")["Configuration"]
    assert function["Role"] == role["Arn"]
    assert invoke_remote(cli, project, "second", {}) == {"n": 2}
