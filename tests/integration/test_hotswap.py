"""``provision --hotswap`` on the local endpoint: a code edit goes straight to the
functions and the stack is not touched; anything else provisions in full; a plugin can
hotswap its own resources through ``sparta_hotswap``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_helpers import stack

pytestmark = pytest.mark.integration


def invoke(aws, name: str, event: dict | None = None) -> dict:
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return json.loads(response["Payload"].read())


def code_sha(aws, name: str) -> str:
    return aws("lambda").get_function_configuration(FunctionName=name)["CodeSha256"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_code_edit_is_hotswapped_without_touching_the_stack(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    before = stack(aws, "hello")
    assert invoke(aws, "hello-greet")["message"] == "Hello, world!"
    config_code = code_sha(aws, "hello-config")

    greetings = hello / "hello" / "greetings.py"
    edit(greetings, "!", "!!")
    result = cli("provision", "--hotswap", project=hello)  # no --yes: no change set to run

    # Only greet imports hello.greetings: config keeps the archive it runs.
    assert "hello: CREATE_COMPLETE (hotswapped 1 resource(s)" in result.stdout
    assert ("the other 1 function(s) whose code location changed run none of what changed "
            "and keep the previous archive until the next full provision") in result.output
    assert code_sha(aws, "hello-config") == config_code
    assert "now drifts from its template until the next full provision" in result.output
    assert "change set" not in result.output
    after = stack(aws, "hello")
    assert after["StackStatus"] == "CREATE_COMPLETE"
    assert after.get("LastUpdatedTime") == before.get("LastUpdatedTime")
    assert invoke(aws, "hello-greet")["message"] == "Hello, world!!"
    # The deployed template is not the one that runs: the hotswap is on record.
    assert (hello / ".sparta" / "hello-hotswap.json").is_file()

    # Undoing the edit is a difference too (from what runs, not from the stale template).
    edit(greetings, "!!", "!")
    again = cli("provision", "--hotswap", project=hello)
    assert "hotswapped 1 resource(s)" in again.stdout
    assert invoke(aws, "hello-greet")["message"] == "Hello, world!"

    # Nothing changed since: nothing to do.
    unchanged = cli("provision", "--hotswap", project=hello)
    assert "already runs this build" in unchanged.output


def test_any_other_change_falls_back_to_a_full_provision_saying_why(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    before = stack(aws, "hello")
    edit(hello / "service.py", "memory_size=256", "memory_size=512")
    edit(hello / "hello" / "greetings.py", "!", "?")

    result = cli("provision", "--hotswap", "--yes", project=hello)

    assert ("hotswap: not possible (resource GreetFunction (AWS::Lambda::Function): "
            "Code, MemorySize changed, which no plugin can hotswap); provisioning in full"
            ) in result.output
    assert "hello: UPDATE_COMPLETE (updated" in result.stdout
    after = stack(aws, "hello")
    assert after["LastUpdatedTime"] != before.get("LastUpdatedTime")
    configuration = aws("lambda").get_function_configuration(FunctionName="hello-greet")
    assert configuration["MemorySize"] == 512
    assert invoke(aws, "hello-greet")["message"] == "Hello, world?"


def test_a_full_provision_puts_back_what_cloudformation_would_not_touch(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    greetings = hello / "hello" / "greetings.py"
    edit(greetings, "!", "!!")
    cli("provision", "--hotswap", project=hello)
    assert invoke(aws, "hello-greet")["message"] == "Hello, world!!"

    # Back to the deployed template's code, provisioned in full (a new tag forbids a
    # hotswap): CloudFormation sees the code as unchanged, so sparta puts it back.
    edit(greetings, "!!", "!")
    result = cli("provision", "--hotswap", "--yes", "--tag", "team=core", project=hello)

    assert "hotswap: not possible (stack tag team changed)" in result.output

    assert "put back to the template's value" in result.output, result.output
    assert invoke(aws, "hello-greet")["message"] == "Hello, world!"
    assert not (hello / ".sparta" / "hello-hotswap.json").exists()


QUEUE_PLUGIN = '''
import boto3


def sparta_hotswap(ctx, template, deployed, changes):
    """Claim a queue whose only change is its VisibilityTimeout and set it directly."""
    import sparta_core as sparta

    actions = []
    for change in changes:
        if change.resource_type != "AWS::SQS::Queue" or change.properties != ("VisibilityTimeout",):
            continue
        timeout = change.new["Properties"]["VisibilityTimeout"]

        def apply(logical_id=change.logical_id, timeout=timeout):
            cloudformation = boto3.client("cloudformation")
            url = cloudformation.describe_stack_resource(
                StackName=ctx.stack_name, LogicalResourceId=logical_id
            )["StackResourceDetail"]["PhysicalResourceId"]
            boto3.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"VisibilityTimeout": str(timeout)})

        actions.append(sparta.HotswapAction((change.logical_id,), f"queue {change.logical_id}",
                                            apply))
    return actions
'''


def test_a_plugin_hotswaps_its_own_resources(cli, hello, aws):
    with (hello / "service.py").open("a") as handle:
        handle.write('\nservice.resource("Jobs", "AWS::SQS::Queue", {"VisibilityTimeout": 30})\n')
    (hello / "spartaconf.py").write_text(QUEUE_PLUGIN)
    cli("provision", "--yes", project=hello)
    before = stack(aws, "hello")

    edit(hello / "service.py", '"VisibilityTimeout": 30', '"VisibilityTimeout": 45')
    edit(hello / "hello" / "greetings.py", "!", "!!")
    result = cli("provision", "--hotswap", project=hello)

    assert "hotswapped 3 resource(s)" in result.stdout  # service.py changed: every function
    assert stack(aws, "hello").get("LastUpdatedTime") == before.get("LastUpdatedTime")
    url = next(q for q in aws("sqs").list_queues()["QueueUrls"] if "Jobs" in q)
    attributes = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "45"
    assert invoke(aws, "hello-greet")["message"] == "Hello, world!!"

    # Without the plugin, nobody claims the queue: a full provision, naming it.
    (hello / "spartaconf.py").unlink()
    edit(hello / "service.py", '"VisibilityTimeout": 45', '"VisibilityTimeout": 50')
    fallback = cli("provision", "--hotswap", "--yes", project=hello)
    assert ("resource Jobs (AWS::SQS::Queue): VisibilityTimeout changed, which no plugin "
            "can hotswap") in fallback.output
