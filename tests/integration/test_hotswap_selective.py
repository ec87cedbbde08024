"""``provision --hotswap`` updates only the functions that can run what changed: every
function shares one archive, but a function that imports none of the changed modules
keeps the archive it runs (its CodeSha256 on the endpoint does not move). Anything the
import graph cannot judge (a data file, a dynamic import, a lost manifest) updates every
function, saying why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aws_helpers import configure, stack

pytestmark = pytest.mark.integration

FUNCTIONS = ("first", "second", "third")

SERVICE = '''import sparta_core as sparta

service = sparta.Service("pick", runtime="python3.12")


@service.function()
def first(event, context):
    from app.first import answer
    return answer()


@service.function()
def second(event, context):
    from app.second import answer
    return answer()


@service.function()
def third(event, context):
    from app.third import answer
    return answer()
'''


@pytest.fixture
def pick(tmp_path: Path, bucket: str) -> Path:
    """Three functions: first and second import app.shared (absolutely and relatively),
    third imports only its own module; app/data.json is shipped and read by nobody."""
    root = tmp_path / "pick"
    (root / "app").mkdir(parents=True)
    (root / "service.py").write_text(SERVICE)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "shared.py").write_text('PREFIX = "p0 "\n')
    (root / "app" / "first.py").write_text(
        "from app.shared import PREFIX\n\n\ndef answer():\n    return PREFIX + 'first v0'\n")
    (root / "app" / "second.py").write_text(
        "from . import shared\n\n\ndef answer():\n    return shared.PREFIX + 'second v0'\n")
    (root / "app" / "third.py").write_text("def answer():\n    return 'third v0'\n")
    (root / "app" / "data.json").write_text('{"v": 0}\n')
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    return configure(root, **{"s3-bucket": bucket})


def invoke(aws, name: str) -> str:
    response = aws("lambda").invoke(FunctionName=f"pick-{name}", Payload=b"{}")
    return json.loads(response["Payload"].read())


def shas(aws) -> dict[str, str]:
    return {name: aws("lambda").get_function_configuration(
        FunctionName=f"pick-{name}")["CodeSha256"] for name in FUNCTIONS}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def moved(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in FUNCTIONS if before[name] != after[name]}


def test_an_edit_of_one_handler_module_updates_only_its_function(cli, pick, aws):
    cli("provision", "--yes", project=pick)
    created = stack(aws, "pick")
    original = shas(aws)
    assert invoke(aws, "third") == "third v0"

    edit(pick / "app" / "third.py", "v0", "v1")
    result = cli("provision", "--hotswap", project=pick)

    assert "pick: CREATE_COMPLETE (hotswapped 1 resource(s)" in result.stdout
    assert ("the other 2 function(s) whose code location changed run none of what changed "
            "and keep the previous archive until the next full provision") in result.output
    after = shas(aws)
    assert moved(original, after) == {"third"}
    assert invoke(aws, "third") == "third v1"
    assert invoke(aws, "first") == "p0 first v0"
    assert stack(aws, "pick").get("LastUpdatedTime") == created.get("LastUpdatedTime")
    # What runs is on record, truthfully: third alone runs other code than the template's.
    record = json.loads((pick / ".sparta" / "pick-hotswap.json").read_text())
    assert set(record["resources"]) == {"ThirdFunction"}

    # Back to the deployed code, provisioned in full (a new tag forbids a hotswap):
    # CloudFormation sees no code change, so sparta puts third back itself.
    edit(pick / "app" / "third.py", "v1", "v0")
    full = cli("provision", "--hotswap", "--yes", "--tag", "team=core", project=pick)
    assert "hotswap: not possible (stack tag team changed)" in full.output
    assert "1 resource(s) that an earlier hotswap changed put back" in full.output
    assert invoke(aws, "third") == "third v0"
    assert shas(aws) == original
    assert not (pick / ".sparta" / "pick-hotswap.json").exists()


def test_an_edit_of_a_module_two_handlers_import_updates_both(cli, pick, aws):
    cli("provision", "--yes", project=pick)
    original = shas(aws)

    edit(pick / "app" / "shared.py", "p0", "p1")
    result = cli("provision", "--hotswap", project=pick)

    assert "hotswapped 2 resource(s)" in result.stdout
    assert moved(original, shas(aws)) == {"first", "second"}
    assert invoke(aws, "first") == "p1 first v0"
    assert invoke(aws, "second") == "p1 second v0"

    # third never got the archive with p1; an edit of it now compares what it runs
    # (the first archive) with the newest: only third.py changed for it.
    between = shas(aws)
    edit(pick / "app" / "third.py", "v0", "v2")
    again = cli("provision", "--hotswap", project=pick)
    assert "hotswapped 1 resource(s)" in again.stdout
    assert moved(between, shas(aws)) == {"third"}
    assert invoke(aws, "third") == "third v2"


def test_a_data_file_or_a_dynamic_import_updates_every_function(cli, pick, aws):
    cli("provision", "--yes", project=pick)
    original = shas(aws)

    edit(pick / "app" / "data.json", "0", "1")
    data = cli("provision", "--hotswap", project=pick)

    assert ("every function whose code changed gets it (app/data.json changed and is not "
            "a project module)") in data.output
    assert "hotswapped 3 resource(s)" in data.stdout
    assert moved(original, shas(aws)) == set(FUNCTIONS)

    between = shas(aws)
    edit(pick / "app" / "third.py", "def answer", "import importlib\n\n\ndef answer")
    dynamic = cli("provision", "--hotswap", project=pick)

    assert ("every function whose code changed gets it (a module a function runs imports "
            "in a way the import graph cannot follow: importlib imported at "
            "app/third.py:1)") in dynamic.output
    assert "hotswapped 3 resource(s)" in dynamic.stdout
    assert moved(between, shas(aws)) == set(FUNCTIONS)


def test_without_the_deployed_archives_manifest_every_function_is_updated(cli, pick, aws):
    cli("provision", "--yes", project=pick)
    original = shas(aws)
    shutil.rmtree(pick / ".sparta" / "manifests")

    edit(pick / "app" / "third.py", "v0", "v1")
    result = cli("provision", "--hotswap", project=pick)

    assert "every function whose code changed gets it (the manifest of pick/" in result.output
    assert "is not kept in .sparta/manifests/, so what changed is unknown)" in result.output
    assert "hotswapped 3 resource(s)" in result.stdout
    assert moved(original, shas(aws)) == set(FUNCTIONS)
    assert invoke(aws, "third") == "third v1"

    # Back to the deployed code, in full: CloudFormation touches no function, and sparta
    # puts back only third; first and second run the same code from either archive, so
    # they keep it, and stay on record as running it.
    swapped = shas(aws)
    edit(pick / "app" / "third.py", "v1", "v0")
    full = cli("provision", "--hotswap", "--yes", "--tag", "team=core", project=pick)
    assert "1 resource(s) that an earlier hotswap changed put back" in full.output
    after = shas(aws)
    assert moved(swapped, after) == {"third"} and after["third"] == original["third"]
    record = json.loads((pick / ".sparta" / "pick-hotswap.json").read_text())
    assert set(record["resources"]) == {"FirstFunction", "SecondFunction"}


ONE_MODULE_SERVICE = '''import sparta_core as sparta

service = sparta.Service("one", runtime="python3.12")
for i in range(3):
    service.add_function(handler=f"handlers.handler_{i}")
'''

HANDLERS = '''PREFIX = "v0"


def handler_0(event, context):
    return PREFIX + " h0 a"


def handler_1(event, context):
    return PREFIX + " h1 a"


def handler_2(event, context):
    return PREFIX + " h2 a"
'''


@pytest.fixture
def one(tmp_path: Path, bucket: str) -> Path:
    """Three functions whose handlers all live in handlers.py."""
    root = tmp_path / "one"
    root.mkdir()
    (root / "service.py").write_text(ONE_MODULE_SERVICE)
    (root / "handlers.py").write_text(HANDLERS)
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    return configure(root, **{"s3-bucket": bucket})


def one_shas(aws) -> list[str]:
    return [aws("lambda").get_function_configuration(
        FunctionName=f"one-handler_{i}")["CodeSha256"] for i in range(3)]


def one_invoke(aws, index: int) -> str:
    response = aws("lambda").invoke(FunctionName=f"one-handler_{index}", Payload=b"{}")
    return json.loads(response["Payload"].read())


def changed_shas(before: list[str], after: list[str]) -> list[int]:
    return [i for i in range(3) if before[i] != after[i]]


def test_in_a_shared_module_only_the_function_whose_part_changed_is_updated(cli, one, aws):
    cli("provision", "--yes", project=one)
    original = one_shas(aws)
    handlers = one / "handlers.py"

    edit(handlers, 'h1 a"', 'h1 b"')
    first = cli("provision", "--hotswap", project=one)
    assert "hotswapped 1 resource(s)" in first.stdout
    after_first = one_shas(aws)
    assert changed_shas(original, after_first) == [1]
    assert one_invoke(aws, 1) == "v0 h1 b"
    assert one_invoke(aws, 0) == "v0 h0 a"

    # handler_0 still runs the first archive; handler_1 the second: each is compared
    # with what it runs, part by part.
    edit(handlers, 'h2 a"', 'h2 b"')
    second = cli("provision", "--hotswap", project=one)
    assert "hotswapped 1 resource(s)" in second.stdout
    assert changed_shas(after_first, one_shas(aws)) == [2]
    assert one_invoke(aws, 2) == "v0 h2 b"

    # Module-level code runs for every function: all of them are updated.
    between = one_shas(aws)
    edit(handlers, 'PREFIX = "v0"', 'PREFIX = "v1"')
    third = cli("provision", "--hotswap", project=one)
    assert "hotswapped 3 resource(s)" in third.stdout
    assert changed_shas(between, one_shas(aws)) == [0, 1, 2]
    assert [one_invoke(aws, i) for i in range(3)] == ["v1 h0 a", "v1 h1 b", "v1 h2 b"]


def test_without_the_scan_of_what_runs_the_shared_module_updates_all(cli, one, aws):
    cli("provision", "--yes", project=one)
    original = one_shas(aws)
    (one / ".sparta" / "import-scans.json").unlink()

    edit(one / "handlers.py", 'h1 a"', 'h1 b"')
    result = cli("provision", "--hotswap", project=one)

    assert "hotswapped 3 resource(s)" in result.stdout
    assert changed_shas(original, one_shas(aws)) == [0, 1, 2]


def test_a_function_is_kept_only_if_lambda_says_it_runs_what_was_assumed(cli, pick, aws):
    """The record of what runs can be wrong (lost here; another machine's hotswap or a
    cut-short one alike): a function the graph would keep is checked against its
    CodeSha256 on Lambda, and updated when it runs something else."""
    cli("provision", "--yes", project=pick)
    edit(pick / "app" / "third.py", "v0", "v1")
    assert "hotswapped 1 resource(s)" in cli("provision", "--hotswap", project=pick).stdout
    assert invoke(aws, "third") == "third v1"
    (pick / ".sparta" / "pick-hotswap.json").unlink()  # what third runs is forgotten

    # third.py back to v0 and an edit that only first and second can run: from the
    # deployed template's view third need not change, but it runs v1.
    edit(pick / "app" / "third.py", "v1", "v0")
    edit(pick / "app" / "shared.py", "p0", "p1")
    result = cli("-v", "provision", "--hotswap", project=pick)

    assert "1 function(s) run other code than on record (ThirdFunction...)" in result.output
    assert "hotswapped 3 resource(s)" in result.stdout
    assert invoke(aws, "third") == "third v0"
    assert invoke(aws, "first") == "p1 first v0"


def test_a_hotswap_cut_short_leaves_its_functions_on_record_as_unknown(cli, pick, aws):
    """An update that fails part-way may have switched some functions: they are on
    record as unknown, and the next hotswap updates every function, saying why."""
    cli("provision", "--yes", project=pick)
    aws("lambda").delete_function(FunctionName="pick-second")  # its update will fail
    edit(pick / "app" / "shared.py", "p0", "p1")
    failed = cli("provision", "--hotswap", project=pick, ok=False)
    assert failed.exit_code != 0
    assert "hotswapping" in failed.output and "failed" in failed.output
    record = json.loads((pick / ".sparta" / "pick-hotswap.json").read_text())
    assert record["resources"]["FirstFunction"]["Code"].startswith("sparta:unknown")

    assert record["resources"]["SecondFunction"]["Code"].startswith("sparta:unknown")

    edit(pick / "app" / "third.py", "v0", "v3")
    again = cli("provision", "--hotswap", project=pick, ok=False)  # second is still gone
    assert ("every function whose code changed gets it (what FirstFunction runs is not "
            "known (an earlier hotswap did not finish))") in again.output
