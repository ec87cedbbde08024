"""A code edit changes only code: two templates built before and after a one-line edit
differ only in the functions' code location and the build id in ``Metadata``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Cli


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Every path at which ``old`` and ``new`` differ, as ``A/B/C``."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in sorted(set(old) | set(new)):
            found += differences(old.get(key), new.get(key), f"{path}/{key}")
        return found
    return [] if old == new else [path]


def build(cli: Cli, project: Path) -> dict[str, Any]:
    cli("build", project=project)
    return json.loads((project / ".sparta" / "hello-template.json").read_text())


def test_a_one_line_edit_changes_only_the_code_location_and_the_build_id(
    cli: Cli, hello_project: Path
) -> None:
    before = build(cli, hello_project)
    greetings = hello_project / "hello" / "greetings.py"
    greetings.write_text(greetings.read_text().replace("!", "!!"))
    after = build(cli, hello_project)

    assert differences(before, after) == [
        "/Metadata/sparta:build-id",
        "/Resources/ConfigFunction/Properties/Code/S3Key",
        "/Resources/GreetFunction/Properties/Code/S3Key",
    ]
    build_id = after["Metadata"]["sparta:build-id"]
    assert len(build_id) == 16 and build_id != before["Metadata"]["sparta:build-id"]
    assert build_id in after["Resources"]["GreetFunction"]["Properties"]["Code"]["S3Key"]
