"""What a new user tripped on, each fixed: a stale template of the other format, a
missing -C folder, a misspelt -p no:NAME."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli

SPARTA = Path(sys.executable).parent / "sparta"


def test_build_in_one_format_removes_the_other(cli: Cli, hello_project: Path) -> None:
    work = hello_project / ".sparta"
    cli("build", project=hello_project)
    assert (work / "hello-template.json").is_file()
    cli("build", "--format", "yaml", project=hello_project)
    assert (work / "hello-template.yaml").is_file()
    assert not (work / "hello-template.json").exists()
    cli("build", project=hello_project)
    assert not (work / "hello-template.yaml").exists()


def test_a_missing_project_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = subprocess.run([SPARTA, "-C", str(missing), "build"], capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: Invalid value for '-C' / '--project-dir': Directory '{missing}' does not "
        "exist.")


def test_blocking_a_plugin_nobody_has_warns_with_the_closest_name(
    cli: Cli, hello_project: Path
) -> None:
    result = cli("-p", "no:uplaod", "-p", "no:acm", "build", project=hello_project)
    assert ("warning: -p no:uplaod: no plugin is called 'uplaod' (did you mean 'upload'?); "
            "nothing was blocked (`sparta plugins` lists them)") in result.stderr
    assert "warning: -p no:acm: no plugin is called 'acm'; nothing was blocked" in result.stderr
    quiet = cli("-p", "no:upload", "build", project=hello_project)
    assert "warning" not in quiet.stderr


def test_plan_columns_fit_the_longest_logical_id() -> None:
    from sparta_core.stages.converge.planner import (
        CreateChangeSet,
        ResourceChange,
        format_change_set,
    )

    step = CreateChangeSet("s", "cs", "UPDATE", "https://x", (), (), ())
    long_id = "OrdersApiThumbsParamIdDeleteAnotherVeryLongPermission"
    lines = format_change_set(step, [
        ResourceChange("Add", "Short", "AWS::SNS::Topic"),
        ResourceChange("Modify", long_id, "AWS::Lambda::Permission", "True"),
    ])
    columns = {line.index("AWS::") for line in lines[1:]}
    assert len(columns) == 1, lines  # the types line up
    assert f"{long_id} AWS::Lambda::Permission  replacement: True" in lines[2]
