"""``--require-approval never|broadening|any-change`` against MiniStack through real boto3:
what broadens IAM is shown as a table before the change set runs; without a terminal
and without ``--yes`` a change set that needs approval is deleted and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_helpers import configure, stack

pytestmark = pytest.mark.integration


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def change_sets(aws, name: str) -> list[dict]:
    return aws("cloudformation").list_change_sets(StackName=name)["Summaries"]


def deployed_template(aws, name: str) -> dict:
    return aws("cloudformation").get_template(StackName=name)["TemplateBody"]


def test_an_added_action_is_shown_and_refused_without_yes_and_nothing_changes(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    before = deployed_template(aws, "hello")
    edit(hello / "service.py", 'actions=["ssm:GetParameter"]',
         'actions=["ssm:GetParameter", "ssm:PutParameter"]')

    result = cli("provision", project=hello, ok=False)

    assert result.exit_code == 1
    assert "IAM changes that broaden access (1):" in result.output
    [row] = [line for line in result.output.splitlines() if "ssm:PutParameter" in line]
    assert row.split()[:4] == ["ConfigRole", "added", "Allow", "ssm:PutParameter"]
    assert "parameter/hello/greeting" in row and "${ConfigRole}" in row
    [error] = error_lines(result.output)
    assert error == (
        "error: change set for stack hello not executed: it broadens IAM (1 change(s) in "
        "the table above) and --require-approval is broadening; nothing changed (no "
        "terminal to confirm on: re-run with --yes)")
    assert deployed_template(aws, "hello") == before
    assert stack(aws, "hello")["StackStatus"] == "CREATE_COMPLETE"
    assert all(s["ExecutionStatus"] != "AVAILABLE" for s in change_sets(aws, "hello"))

    approved = cli("provision", "--yes", project=hello)
    assert "hello: UPDATE_COMPLETE (updated" in approved.stdout
    assert "ssm:PutParameter" in approved.output  # the table is shown with --yes too


def test_a_new_permission_names_its_principal(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    edit(hello / "service.py", "@service.function(memory_size=256, timeout=10,",
         '@service.function(events=[sparta.Schedule("rate(1 hour)")], memory_size=256, '
         "timeout=10,")

    result = cli("provision", project=hello, ok=False)

    [row] = [line for line in result.output.splitlines() if "new permission" in line]
    assert "lambda:InvokeFunction" in row and "events.amazonaws.com when SourceArn" in row
    assert len(error_lines(result.output)) == 1


def test_any_change_asks_for_every_change_and_never_never_asks(cli, hello, aws):
    created = cli("provision", "--require-approval", "never", project=hello)
    assert "hello: CREATE_COMPLETE (created" in created.stdout
    assert "GreetRole   new role" in created.output  # shown, not asked
    greetings = hello / "hello" / "greetings.py"
    edit(greetings, "{name}!", "{name}!!")

    refused = cli("provision", "--require-approval", "any-change", project=hello, ok=False)

    [error] = error_lines(refused.output)
    assert "--require-approval any-change needs approval for every change" in error
    assert "IAM changes" not in refused.output
    assert stack(aws, "hello")["StackStatus"] == "CREATE_COMPLETE"
    # An empty change set needs no approval, whatever the policy.
    edit(greetings, "{name}!!", "{name}!")
    unchanged = cli("provision", "--require-approval", "any-change", project=hello)
    assert "(no changes" in unchanged.stdout


def test_require_approval_is_a_setting_too(cli, hello, aws, monkeypatch):
    configure(hello, **{"require-approval": "never"})
    assert "CREATE_COMPLETE (created" in cli("provision", project=hello).stdout

    monkeypatch.setenv("SPARTA_REQUIRE_APPROVAL", "sometimes")
    bad = cli("provision", project=hello, ok=False)
    [error] = error_lines(bad.output)
    assert "must be one of never, broadening, any-change" in error


def test_plan_shows_the_same_table_and_executes_nothing(cli, hello, aws):
    result = cli("plan", project=hello)

    assert "IAM changes that broaden access (5):" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["GreetRole", "new", "role", "Allow", "sts:AssumeRole", "${GreetRole}",
            "Service:lambda.amazonaws.com"] in rows
    assert stack(aws, "hello") is None
