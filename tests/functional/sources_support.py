"""Helpers for the event-source tests: build a service through the real CLI and read
back its template."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADER = '''
import sparta_core as sparta

service = sparta.Service("svc", description="test service")

def handle(event, context):
    return event
'''


@dataclass
class Built:
    """A built service: its template (as a dict) and where it was written."""

    template: dict[str, Any]
    path: Path
    output: str

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def statements(self, role_id: str) -> list[dict[str, Any]]:
        role = self.resources[role_id]
        return role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

    def env(self, function_id: str) -> dict[str, Any]:
        return self.resources[function_id]["Properties"]["Environment"]["Variables"]


def write_service(make_project: Any, body: str, files: dict[str, str] | None = None) -> Path:
    source = HEADER + textwrap.dedent(body)
    return make_project({
        "pyproject.toml": '[project]\nname = "svc"\nversion = "0"\n'
                          '[tool.sparta]\nservice = "service:service"\n',
        "service.py": source,
        **(files or {}),
    })


def build(cli: Any, make_project: Any, body: str, files: dict[str, str] | None = None,
          args: tuple[str, ...] = ()) -> Built:
    project = write_service(make_project, body, files)
    result = cli(*args, "build", project=project)
    path = project / ".sparta" / "svc-template.json"
    return Built(json.loads(path.read_text()), path, result.output)


def build_error(cli: Any, make_project: Any, body: str, files: dict[str, str] | None = None,
                args: tuple[str, ...] = ()) -> str:
    """Build a service that must fail; return the last line of output."""
    project = write_service(make_project, body, files)
    result = cli(*args, "build", project=project, ok=False)
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    return lines[-1]
