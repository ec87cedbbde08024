"""Two runs on one stack never fight (DESIGN §6), against MiniStack through real boto3:
two real ``sparta provision`` processes at once, a process killed between creating its
change set and executing it, a connection cut in the middle, and a change set of a live
run on another host.

MiniStack answers in milliseconds, so a race would rarely happen by itself: a proxy on
127.0.0.1 (:class:`fake_aws.Proxy`) forwards everything to it and only holds, drops or
lines up the CloudFormation calls that make the moment happen."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from aws_helpers import stack
from fake_aws import Proxy

pytestmark = pytest.mark.integration

SPARTA = str(Path(sys.executable).parent / "sparta")


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def unexecuted(aws, name: str) -> list[dict]:
    try:
        summaries = aws("cloudformation").list_change_sets(StackName=name)["Summaries"]
    except Exception as error:
        if "does not exist" in str(error):
            return []
        raise
    return [s for s in summaries if s["ExecutionStatus"] not in ("EXECUTE_COMPLETE",)]


def start(project: Path, endpoint: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    return subprocess.Popen([SPARTA, "-C", str(project), "provision", "--yes", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_two_provisions_at_once_on_one_stack_both_succeed(hello, aws, aws_endpoint, tmp_path):
    """Two processes; the proxy holds each one's first CreateChangeSet until both have
    sent theirs, and answers neither until both are made: both plan a create of the same
    new stack, as two CI jobs started together do."""
    second = tmp_path / "second"
    shutil.copytree(hello, second, ignore=shutil.ignore_patterns(".sparta"))
    barrier = threading.Barrier(2, timeout=60)
    upstream = threading.Lock()
    lined_up = []

    def intercept(request, forward) -> bool:
        if request.action != "CreateChangeSet" or len(lined_up) >= 2:
            return False
        lined_up.append(request.form["ChangeSetName"])
        barrier.wait()
        with upstream:
            answer = forward(request)
        barrier.wait()
        from fake_aws import send

        send(request, *answer)
        return True

    with Proxy(aws_endpoint, intercept) as proxy:
        runs = [start(hello, proxy.url), start(second, proxy.url)]
        outputs = [run.communicate(timeout=240)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0], "\n\n".join(outputs)
    assert len(lined_up) == 2
    summaries = sorted(line for out in outputs for line in out.splitlines()
                       if line.startswith("hello: "))
    assert summaries[0].startswith("hello: CREATE_COMPLETE (created")
    assert summaries[1].startswith("hello: CREATE_COMPLETE (no changes")
    assert any("another sparta run goes first" in out for out in outputs)
    assert stack(aws, "hello")["StackStatus"] == "CREATE_COMPLETE"
    assert unexecuted(aws, "hello") == []
    assert aws("lambda").get_function(FunctionName="hello-greet")


def test_a_killed_run_leaves_an_orphan_that_the_next_run_deletes(cli, hello, aws, aws_endpoint):
    """The proxy holds ExecuteChangeSet; the test kills the process there (SIGKILL: no
    cleanup can run), leaving a change set and a stack in REVIEW_IN_PROGRESS."""
    held = threading.Event()
    release = threading.Event()

    def intercept(request, forward) -> bool:
        if request.action == "ExecuteChangeSet":
            held.set()
            release.wait(60)
            request.drop()
            return True
        return False

    with Proxy(aws_endpoint, intercept) as proxy:
        run = start(hello, proxy.url)
        try:
            assert held.wait(120), run.communicate(timeout=5)[0]
            os.kill(run.pid, signal.SIGKILL)
            run.wait(30)
        finally:
            release.set()
    [orphan] = unexecuted(aws, "hello")
    assert orphan["ExecutionStatus"] == "AVAILABLE"
    assert f"pid {run.pid} host {socket.gethostname()}" in orphan["Description"]
    assert stack(aws, "hello")["StackStatus"] == "REVIEW_IN_PROGRESS"

    result = cli("provision", "--yes", project=hello)

    assert f"deleting change set {orphan['ChangeSetName']}" in result.output
    assert "its run is gone" in result.output
    assert "deleting stack hello (REVIEW_IN_PROGRESS" in result.output
    assert "hello: CREATE_COMPLETE (created" in result.stdout
    assert unexecuted(aws, "hello") == []


def test_a_cut_connection_leaves_no_change_set_and_no_review_stack(
        cli, hello, aws, aws_endpoint, monkeypatch):
    """The proxy drops every DescribeChangeSet (the connection is cut after the change
    set was made); every other call goes through, so the run can clean up."""
    monkeypatch.setenv("SPARTA_AWS_TIMEOUT", "3")

    def intercept(request, forward) -> bool:
        if request.action == "DescribeChangeSet":
            request.drop()
            return True
        return False

    with Proxy(aws_endpoint, intercept) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        result = cli("provision", "--yes", project=hello, ok=False)
        assert "CreateChangeSet" in proxy.requests

    [error] = error_lines(result.output)
    assert "cannot reach" in error
    assert unexecuted(aws, "hello") == []
    assert stack(aws, "hello") is None


def test_a_live_runs_change_set_is_waited_for_then_named(cli, hello, aws, monkeypatch):
    """A change set made by sparta on another host a moment ago: that run may execute it
    any time, so this one waits (shortened here), then fails naming it."""
    from sparta_core.stages.converge import locking

    cli("provision", "--yes", project=hello)
    template = aws("cloudformation").get_template(StackName="hello")["TemplateBody"]
    import json

    aws("s3").put_object(Bucket="sparta-test-artifacts", Key="other.json",
                         Body=json.dumps(template))
    aws("cloudformation").create_change_set(
        StackName="hello", ChangeSetName="sparta-20260101000000-other-abc123",
        ChangeSetType="UPDATE", Capabilities=["CAPABILITY_IAM"],
        TemplateURL="https://s3.us-east-1.amazonaws.com/sparta-test-artifacts/other.json",
        Description="sparta 0.1.0 run 0123456789ab pid 4242 host ci-runner-7")
    monkeypatch.setattr(locking, "CONTENDER_WAIT", 1.0)
    greetings = hello / "hello" / "greetings.py"
    greetings.write_text(greetings.read_text().replace("{name}!", "{name}!!"))

    result = cli("provision", "--yes", project=hello, ok=False)

    assert "another sparta run goes first" in result.output
    [error] = error_lines(result.output)
    assert "stack hello is being deployed by another sparta run: change set " \
           "sparta-20260101000000-other-abc123, made" in error
    assert "by pid 4242 on host ci-runner-7, is not executed yet" in error
    assert stack(aws, "hello")["StackStatus"] == "CREATE_COMPLETE"
    # Its own change set is not left behind; the other run's is not touched.
    assert [s["ChangeSetName"] for s in unexecuted(aws, "hello")] == [
        "sparta-20260101000000-other-abc123"]
