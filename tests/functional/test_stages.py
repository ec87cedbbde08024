"""`--stage NAME`: the same service as another stack, `<service>-<stage>`, with
`[tool.sparta.stages.NAME]` laid over `[tool.sparta]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

STAGED = """
[tool.sparta]
service = "service:service"
log-retention-days = 14
tags = {team = "core", cost = "shared"}

[tool.sparta.stages.prod]
log-retention-days = 365
tags = {cost = "prod"}
"""


def template(project: Path) -> dict:
    return json.loads((project / ".sparta" / "hello-template.json").read_text())


def staged(hello_project: Path) -> Path:
    (hello_project / "pyproject.toml").write_text(STAGED)
    return hello_project


def test_a_stage_prefixes_every_name_derived_from_the_stack(cli, hello_project):
    project = staged(hello_project)
    cli("--stage", "dev", "build", project=project)
    resources = template(project)["Resources"]
    assert resources["GreetFunction"]["Properties"]["FunctionName"] == "hello-dev-greet"
    assert resources["GreetLogGroup"]["Properties"]["LogGroupName"] == "/aws/lambda/hello-dev-greet"
    # dev has no table of its own: the base settings hold.
    assert resources["GreetLogGroup"]["Properties"]["RetentionInDays"] == 14


def test_the_stage_table_is_laid_over_the_settings(cli, hello_project, monkeypatch):
    project = staged(hello_project)
    monkeypatch.setenv("SPARTA_STAGE", "prod")
    cli("build", project=project)
    resources = template(project)["Resources"]
    assert resources["GreetFunction"]["Properties"]["FunctionName"] == "hello-prod-greet"
    assert resources["GreetLogGroup"]["Properties"]["RetentionInDays"] == 365


def test_without_a_stage_the_stages_table_is_ignored(cli, hello_project):
    project = staged(hello_project)
    cli("build", project=project)
    assert template(project)["Resources"]["GreetFunction"]["Properties"]["FunctionName"] == (
        "hello-greet"
    )


@pytest.mark.parametrize(("stage", "message"), [
    ("9lives", "stage '9lives' must start with a letter"),
    ("dev_1", "stage 'dev_1' must start with a letter and hold only letters, digits and '-'"),
])
def test_a_bad_stage_name_is_one_error_line(cli, hello_project, stage, message):
    result = cli("--stage", stage, "build", project=staged(hello_project), ok=False)
    assert result.exit_code != 0
    assert result.output.splitlines()[-1].startswith(f"error: {message}")


def test_a_stage_table_that_is_not_a_table_is_refused(cli, hello_project):
    (hello_project / "pyproject.toml").write_text(
        '[tool.sparta]\nservice = "service:service"\nstages = {prod = 1}\n'
    )
    result = cli("--stage", "prod", "build", project=hello_project, ok=False)
    assert result.output.splitlines()[-1].endswith(
        "[tool.sparta.stages] must hold one table per stage"
    )
