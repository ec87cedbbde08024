"""``UPDATE_ROLLBACK_FAILED``: explained from the stack's events and, with consent,
recovered by ``ContinueUpdateRollback`` before the update is retried (DESIGN §6).

MiniStack never leaves a stack in UPDATE_ROLLBACK_FAILED, so the stack is first
created on MiniStack for real, then a proxy on 127.0.0.1 (:class:`fake_aws.Proxy`) plays
CloudFormation's part of the failure: DescribeStacks says UPDATE_ROLLBACK_FAILED and
DescribeStackEvents adds the events of the failed update and rollback (canned AWS query
XML), until ContinueUpdateRollback (answered by the proxy) brings it to
UPDATE_ROLLBACK_COMPLETE. From the retried update on, every call is MiniStack's."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from aws_helpers import stack
from fake_aws import Proxy, send

pytestmark = pytest.mark.integration

REASON = "The role defined for the function cannot be assumed by Lambda"
CFN = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def member(stack_id: str, logical: str, kind: str, status: str, reason: str,
           when: datetime) -> str:
    return (f"<member><EventId>{uuid.uuid4()}</EventId><StackId>{stack_id}</StackId>"
            f"<StackName>hello</StackName><LogicalResourceId>{logical}</LogicalResourceId>"
            f"<PhysicalResourceId>{logical}</PhysicalResourceId><ResourceType>{kind}"
            f"</ResourceType><Timestamp>{when:%Y-%m-%dT%H:%M:%S.%f}Z</Timestamp>"
            f"<ResourceStatus>{status}</ResourceStatus><ResourceStatusReason>{reason}"
            "</ResourceStatusReason></member>")


def stamp(xml: str) -> datetime:
    """An event's time, to merge canned events with the real ones, newest first."""
    text = re.search(r"<Timestamp>(.*?)</Timestamp>", xml).group(1).replace("Z", "+00:00")
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class FailedRollback:
    """The proxy's state: ``failed``, then ``recovered``, then ``real``."""

    def __init__(self, stack_id: str) -> None:
        self.stack_id = stack_id
        self.mode = "failed"
        self.continued = 0
        start = datetime.now(timezone.utc)
        fn, stack_type = "AWS::Lambda::Function", "AWS::CloudFormation::Stack"
        steps = [
            ("hello", stack_type, "UPDATE_IN_PROGRESS", "User Initiated"),
            ("GreetFunction", fn, "UPDATE_FAILED", "Resource handler returned message: "
             "Memory size is too large"),
            ("hello", stack_type, "UPDATE_ROLLBACK_IN_PROGRESS",
             "The following resource(s) failed to update: [GreetFunction]"),
            ("GreetFunction", fn, "UPDATE_FAILED", f"Resource handler returned message: {REASON}"),
            ("hello", stack_type, "UPDATE_ROLLBACK_FAILED",
             "The following resource(s) failed to update: [GreetFunction]"),
        ]
        self.events = [member(stack_id, *step, start + timedelta(milliseconds=10 * i))
                       for i, step in enumerate(steps)]

    def status(self) -> str:
        return {"failed": "UPDATE_ROLLBACK_FAILED", "recovered": "UPDATE_ROLLBACK_COMPLETE"
                }.get(self.mode, "")

    def intercept(self, request, forward) -> bool:
        if request.action == "ContinueUpdateRollback":
            self.continued += 1
            self.mode = "recovered"
            self.events.append(member(self.stack_id, "hello", "AWS::CloudFormation::Stack",
                                      "UPDATE_ROLLBACK_COMPLETE", "",
                                      datetime.now(timezone.utc)))
            request.reply(200, f'<ContinueUpdateRollbackResponse xmlns="{CFN}">'
                          "<ContinueUpdateRollbackResult/><ResponseMetadata><RequestId>1"
                          "</RequestId></ResponseMetadata></ContinueUpdateRollbackResponse>")
            return True
        if request.action == "ExecuteChangeSet":
            self.mode = "real"
        if request.action not in ("DescribeStacks", "DescribeStackEvents"):
            return False
        status, headers, body = forward(request)
        text = body.decode()
        if request.action == "DescribeStacks" and self.status():
            text = re.sub(r"<StackStatus>[A-Z_]+</StackStatus>",
                          f"<StackStatus>{self.status()}</StackStatus>", text)
        if request.action == "DescribeStackEvents" and status == 200:
            real = re.findall(r"<member>.*?</member>", text, re.S)
            merged = sorted(real + self.events[::-1], key=stamp, reverse=True)
            text = re.sub(r"<StackEvents>.*</StackEvents>|<StackEvents/>",
                          "<StackEvents>" + "".join(merged) + "</StackEvents>", text,
                          flags=re.S)
        send(request, status, headers, text.encode())
        return True


@pytest.fixture
def rollback_failed(cli, hello, aws, aws_endpoint, monkeypatch) -> Iterator[FailedRollback]:
    cli("provision", "--yes", project=hello)
    fake = FailedRollback(stack(aws, "hello")["StackId"])
    with Proxy(aws_endpoint, fake.intercept) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield fake


def test_without_consent_it_is_explained_with_what_to_run_and_nothing_changes(
        cli, hello, rollback_failed):
    result = cli("provision", project=hello, ok=False)

    assert result.exit_code == 1
    [error] = error_lines(result.output)
    assert "stack hello is in UPDATE_ROLLBACK_FAILED: an update failed and so did its " \
           "rollback" in error
    assert f"resource GreetFunction (AWS::Lambda::Function) did not roll back: " \
           f"Resource handler returned message: {REASON}" in error
    assert "Memory size" not in error  # the update's failure, not the rollback's
    assert "`sparta provision --yes` continues the rollback" in error
    assert "aws cloudformation continue-update-rollback --stack-name hello --region " \
           "us-east-1" in error
    assert rollback_failed.continued == 0
    assert "upload" not in result.output  # refused before anything was built


def test_with_yes_the_rollback_is_continued_and_the_update_retried(
        cli, hello, aws, rollback_failed):
    greetings = hello / "hello" / "greetings.py"
    greetings.write_text(greetings.read_text().replace("{name}!", "{name}!!"))

    result = cli("provision", "--yes", project=hello)

    assert rollback_failed.continued == 1
    assert f"did not roll back: Resource handler returned message: {REASON}" in result.output
    assert "continuing the rollback of stack hello" in result.output
    assert "UPDATE_ROLLBACK_COMPLETE" in result.output
    assert "retrying the update" in result.output
    assert "hello: UPDATE_COMPLETE (updated; code uploaded)" in result.stdout
    assert stack(aws, "hello")["StackStatus"] == "UPDATE_COMPLETE"


def test_plan_explains_it_too(cli, hello, rollback_failed):
    result = cli("plan", project=hello, ok=False)

    [error] = error_lines(result.output)
    assert "did not roll back" in error and "sparta provision --yes" in error
