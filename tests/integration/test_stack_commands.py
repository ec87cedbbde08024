"""``plan``, ``delete``, ``status`` and a service written from DESIGN.md's public API,
through its whole life on an endpoint started by someone else (only AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json

import pytest
from aws_helpers import BUCKET, keys, stack

pytestmark = pytest.mark.integration


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_plan_on_a_new_stack_creates_nothing(cli, hello, aws):
    result = cli("plan", project=hello)

    assert "create stack hello, 6 change(s)" in result.stdout
    assert "+ Add     GreetFunction" in result.stdout
    assert "nothing was executed" in result.stdout
    assert stack(aws, "hello") is None


def test_plan_shows_an_update_and_changes_nothing(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    before = stack(aws, "hello")
    service = hello / "service.py"
    service.write_text(service.read_text().replace("memory_size=256", "memory_size=512"))

    result = cli("plan", project=hello)

    assert "update stack hello, " in result.stdout
    assert "~ Modify  GreetFunction" in result.stdout
    assert "replacement: False" in result.stdout
    after = stack(aws, "hello")
    assert after["StackStatus"] == "CREATE_COMPLETE"
    assert after.get("LastUpdatedTime") == before.get("LastUpdatedTime")
    summaries = aws("cloudformation").list_change_sets(StackName="hello")["Summaries"]
    assert all(s["ExecutionStatus"] == "EXECUTE_COMPLETE" for s in summaries)
    memory = aws("lambda").get_function(FunctionName="hello-greet")["Configuration"]
    assert memory["MemorySize"] == 256

    unchanged = cli("plan", project=hello)
    assert "~ Modify  GreetFunction" in unchanged.stdout  # the plan did not apply itself


def test_plan_of_an_unchanged_stack_says_no_changes(cli, hello):
    cli("provision", "--yes", project=hello)
    assert "stack hello: no changes" in cli("plan", project=hello).stdout


def test_delete_removes_the_stack_and_succeeds_when_it_is_gone(cli, hello, aws):
    cli("provision", "--yes", project=hello)

    refused = cli("delete", project=hello, ok=False)
    assert "not deleted" in error_lines(refused.output)[0]
    assert stack(aws, "hello") is not None

    deleted = cli("delete", "--yes", project=hello)
    assert "hello: deleted" in deleted.stdout
    assert "DELETE_COMPLETE" in deleted.output
    assert stack(aws, "hello") is None
    functions = aws("lambda").list_functions()["Functions"]
    assert [f["FunctionName"] for f in functions if f["FunctionName"].startswith("hello-")] == []

    again = cli("delete", "--yes", project=hello)
    assert "no such stack; nothing to delete" in again.stdout


def test_status_shows_status_tags_outputs_and_events(cli, hello):
    assert "not deployed" in cli("status", project=hello).stdout
    cli("provision", "--yes", "--tag", "owner=me", project=hello)

    result = cli("status", project=hello)

    assert result.stdout.startswith("hello: CREATE_COMPLETE")
    assert "owner = me" in result.stdout
    # The build id is read from the deployed template's Metadata, not from the tags.
    assert "sparta:build-id" not in result.stdout
    built = json.loads((hello / ".sparta" / "hello-template.json").read_text())
    assert f"  build id      {built['Metadata']['sparta:build-id']}" in result.stdout
    assert "GreetFunctionArn" in result.stdout
    assert "last events:" in result.stdout
    assert "CREATE_COMPLETE              hello" in result.stdout


def test_params_reach_the_template_and_unknown_params_are_refused(cli, hello, aws):
    (hello / "spartaconf.py").write_text(
        "def sparta_decorate_service(ctx, template):\n"
        "    template.add_parameter('Stage', default='dev')\n"
        "    template.add_output('StageName', {'Ref': 'Stage'})\n"
    )
    result = cli("provision", "--yes", "--param", "Stage=prod", project=hello)
    assert "StageName          prod" in result.stdout

    refused = cli("provision", "--yes", "--param", "Nope=1", project=hello, ok=False)
    [error] = error_lines(refused.output)
    assert "--param Nope: the template declares no parameter Nope" in error

    # A parameter not given again keeps its previous value.
    kept = cli("provision", "--yes", project=hello)
    assert "no changes" in kept.stdout
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack(aws, "hello")["Outputs"]}
    assert outputs["StageName"] == "prod"


def test_a_service_from_the_public_api_lives_its_whole_life(cli, make_project, bucket, aws,
                                                           cfn_lint):
    project = make_project({
        "pyproject.toml": f"""
            [project]
            name = "orders"
            version = "1.0"

            [tool.sparta]
            service = "app.service:service"
            s3-bucket = "{bucket}"
        """,
        "app/__init__.py": "",
        "app/service.py": """
            import sparta_core as sparta

            service = sparta.Service("orders", description="Takes orders")
            service.add_function(
                handler="app.handlers.take",
                memory_size=256,
                environment={"CURRENCY": "EUR"},
                role=sparta.IAMRoleDefinition(privileges=[
                    sparta.Privilege(actions=["sqs:SendMessage"],
                                     resources=[sparta.GetAtt("Outbox", "Arn")]),
                ]),
            )
            service.resource("Outbox", "AWS::SQS::Queue", {"VisibilityTimeout": 60})
            service.output("OutboxUrl", sparta.Ref("Outbox"), description="the queue")
        """,
        "app/handlers.py": """
            import os

            def take(event, context):
                return {"total": sum(event.get("items", [])),
                        "currency": os.environ["CURRENCY"],
                        "function": context.function_name}
        """,
    })
    event = project / "event.json"
    event.write_text(json.dumps({"items": [2, 3]}))

    created = cli("provision", "--yes", project=project)
    assert "orders: CREATE_COMPLETE" in created.stdout
    assert "OutboxUrl" in created.stdout
    assert cfn_lint(project / ".sparta" / "orders-template.json") == []
    invoked = cli("invoke", "take", "--remote", "--event", str(event), project=project)
    assert json.loads(invoked.stdout) == {"total": 5, "currency": "EUR",
                                          "function": "orders-take"}
    objects = keys(aws, BUCKET)

    again = cli("provision", "--yes", project=project)
    assert "orders: CREATE_COMPLETE (no changes; code skipped)" in again.stdout
    assert keys(aws, BUCKET) == objects

    handlers = project / "app" / "handlers.py"
    handlers.write_text(handlers.read_text().replace('sum(event.get("items", []))',
                                                     'sum(event.get("items", [])) * 10'))
    updated = cli("provision", "--yes", project=project)
    assert "orders: UPDATE_COMPLETE (updated; code uploaded)" in updated.stdout
    invoked = cli("invoke", "take", "--remote", "--event", str(event), project=project)
    assert json.loads(invoked.stdout)["total"] == 50

    service = project / "app" / "service.py"
    service.write_text(service.read_text().replace('{"VisibilityTimeout": 60}',
                                                   '{"VisibilityTimeout": 99999999}'))
    failed = cli("provision", "--yes", project=project, ok=False)
    assert failed.exit_code == 1
    [error] = error_lines(failed.output)
    assert "resource Outbox (AWS::SQS::Queue)" in error and "VisibilityTimeout" in error
    assert stack(aws, "orders")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"

    deleted = cli("delete", "--yes", project=project)
    assert "orders: deleted" in deleted.stdout
    assert stack(aws, "orders") is None
