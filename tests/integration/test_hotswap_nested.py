"""``provision --hotswap`` of a service split into nested stacks: a code edit changes the
root only in the children's ``TemplateURL``, so each child is compared with what it
runs and its functions get the new code; any other change in a child falls back to a
full provision, naming the child and the resource.

Splitting is forced at a small size by lowering the nesting limits (the split itself is
tested at its real size in test_nested_stacks.py, marked slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_helpers import configure, stack

from sparta_core.stages.marshall import nesting

pytestmark = pytest.mark.integration

COUNT = 6


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template of more than 8 resources is split, into children of about 6."""
    monkeypatch.setattr(nesting, "MAX_RESOURCES", 8)
    monkeypatch.setattr(nesting, "TARGET_RESOURCES", 6)


@pytest.fixture
def nested(tmp_path: Path, bucket: str, split: None) -> Path:
    """``COUNT`` functions, each importing its own module of app/."""
    root = tmp_path / "nest"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    lines = ["import sparta_core as sparta", "",
             'service = sparta.Service("nest", runtime="python3.12")', ""]
    for i in range(COUNT):
        lines += ["@service.function()", f"def handler_{i}(event, context):",
                  f"    from app.h{i} import answer", "    return answer()", "", ""]
        (root / "app" / f"h{i}.py").write_text(f"def answer():\n    return 'h{i} v0'\n")
    (root / "service.py").write_text("\n".join(lines))
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    return configure(root, **{"s3-bucket": bucket})


def children(project: Path) -> dict[str, dict]:
    root = json.loads((project / ".sparta" / "nest-template.json").read_text())
    return {logical_id: json.loads(
        (project / ".sparta" / f"nest-{logical_id}-template.json").read_text())
        for logical_id, resource in root["Resources"].items()
        if resource["Type"] == "AWS::CloudFormation::Stack"}


def child_of(project: Path, logical_id: str) -> str:
    return next(child for child, body in children(project).items()
                if logical_id in body["Resources"])


def invoke(aws, index: int) -> str:
    response = aws("lambda").invoke(FunctionName=f"nest-handler_{index}", Payload=b"{}")
    return json.loads(response["Payload"].read())


def shas(aws) -> list[str]:
    return [aws("lambda").get_function_configuration(
        FunctionName=f"nest-handler_{i}")["CodeSha256"] for i in range(COUNT)]


def test_a_code_edit_in_a_nested_stack_is_hotswapped(cli, nested, aws):
    cli("provision", "--yes", project=nested)
    assert len(children(nested)) >= 2  # really split
    created = stack(aws, "nest")
    original = shas(aws)

    module = nested / "app" / "h4.py"
    module.write_text(module.read_text().replace("v0", "v1"))
    result = cli("provision", "--hotswap", project=nested)

    assert "hotswap: not possible" not in result.output
    assert "nest: CREATE_COMPLETE (hotswapped 1 resource(s)" in result.stdout
    after = shas(aws)
    assert [i for i in range(COUNT) if after[i] != original[i]] == [4]
    assert invoke(aws, 4) == "h4 v1"
    assert stack(aws, "nest").get("LastUpdatedTime") == created.get("LastUpdatedTime")
    child = child_of(nested, "Handler4Function")
    record = json.loads((nested / ".sparta" / "nest-hotswap.json").read_text())
    assert set(record["resources"]) == {f"{child}/Handler4Function"}

    # Undoing it is a difference too: the child runs what the record says, not its
    # deployed template.
    module.write_text(module.read_text().replace("v1", "v0"))
    undone = cli("provision", "--hotswap", project=nested)
    assert "hotswapped 1 resource(s)" in undone.stdout
    assert invoke(aws, 4) == "h4 v0"


def test_any_other_change_in_a_nested_stack_falls_back_naming_it(cli, nested, aws):
    cli("provision", "--yes", project=nested)
    child = child_of(nested, "Handler2Function")
    service = nested / "service.py"
    text = service.read_text()
    service.write_text(text.replace("@service.function()\ndef handler_2",
                                    "@service.function(memory_size=512)\ndef handler_2"))

    # The full provision that follows cannot run on MiniStack 1.5.33 (its nested update
    # drops the attributes of the child's unchanged resources; see
    # test_nested_stacks.py), so only the decision is checked here.
    result = cli("provision", "--hotswap", "--yes", project=nested, ok=False)

    assert (f"hotswap: not possible (resource Handler2Function of nested stack {child} "
            "(AWS::Lambda::Function): Code, MemorySize changed, which no plugin can "
            "hotswap); provisioning in full") in result.output
