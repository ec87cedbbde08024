"""The plugin guide's worked example is a real plugin.

docs/writing-plugins.md marks the files of its example distribution, sparta-acme, with
``<!-- file: sparta-acme/... -->`` before a fenced block (blocks naming one file are its
parts, in order). This test extracts them, pip-installs the distribution offline into a
folder of its own, builds a service that uses the five things the guide teaches (a hook,
a setting, an event-source kind, a component kind, a custom resource type with its
Lambda-side handler), checks the template with cfn-lint (the kit's ``sparta_run``), and
runs the plugin's own tests, which use the kit. A guide that drifts from the contract
fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "writing-plugins.md"
MARKED = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)^```", re.S | re.M)


def guide_files() -> dict[str, str]:
    """The marked files of the guide: path -> content (parts joined in order)."""
    parts: dict[str, list[str]] = {}
    for match in MARKED.finditer(GUIDE.read_text()):
        parts.setdefault(match["path"], []).append(match["body"].strip("\n"))
    return {path: "\n\n\n".join(bodies) + "\n" for path, bodies in parts.items()}


@pytest.fixture(scope="module")
def acme_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(source folder, site folder)``: the guide's sparta-acme, extracted and really
    installed by pip (offline, no build isolation: hatchling is in sparta's dev extra)."""
    root = tmp_path_factory.mktemp("guide")
    for relative, text in guide_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "--target", str(site),
         str(root / "sparta-acme")],
        check=True,
    )
    return root / "sparta-acme", site


@pytest.fixture
def acme_installed(acme_site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """sparta-acme on sys.path (its entry point found) for this test."""
    _, site = acme_site
    monkeypatch.syspath_prepend(str(site))
    for name in [m for m in sys.modules if m == "sparta_acme" or m.startswith("sparta_acme.")]:
        monkeypatch.delitem(sys.modules, name)
    return site


def test_the_guide_marks_a_whole_distribution() -> None:
    assert sorted(guide_files()) == [
        "sparta-acme/pyproject.toml",
        "sparta-acme/sparta_acme/__init__.py",
        "sparta-acme/sparta_acme/board.py",
        "sparta-acme/sparta_acme/events.py",
        "sparta-acme/sparta_acme/lambda_side/parameter.py",
        "sparta-acme/sparta_acme/plugin.py",
        "sparta-acme/tests/conftest.py",
        "sparta-acme/tests/test_acme.py",
    ]
    for path, text in guide_files().items():
        if path.endswith(".py"):
            compile(text, path, "exec")


def service():
    from sparta_acme import AcmeBoard, AcmeTick

    import sparta_core as sparta

    service = sparta.Service("guided")
    service.add(AcmeBoard("news", message="Launch at noon", readers=["reader", "poller"]))

    @service.function(events=[AcmeTick(minutes=1)])
    def poller(event, context):
        return event

    @service.function()
    def reader(event, context):
        import os

        return os.environ["ACME_BOARD"]


def test_a_service_uses_all_five(acme_installed, sparta_project, sparta_run) -> None:
    project = sparta_project({
        "service.py": service,
        "pyproject.toml": """
            [tool.sparta]
            service = "service:service"
            acme-team = "rockets"
        """,
    })
    listed = sparta_run("plugins", cwd=project)
    assert listed.exit_code == 0, listed.output
    [row] = [line.split() for line in listed.output.splitlines() if line.startswith("acme ")]
    assert row[1:5] == ["1.0.0", "entry", "point", "(sparta-acme)"]
    assert {"sparta_addoption,", "sparta_custom_resource_types,"} <= set(row)

    result = sparta_run("build", cwd=project)  # the template passes cfn-lint
    assert result.exit_code == 0, result.output
    resources = result.template["Resources"]
    # The hook and the setting: every function carries the team.
    for function_id in ("PollerFunction", "ReaderFunction"):
        tags = resources[function_id]["Properties"]["Tags"]
        assert {"Key": "acme:team", "Value": "rockets"} in tags
    # The event-source kind.
    rule = resources["PollerFunctionAcmeTick0"]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert resources["PollerFunctionAcmeTick0Permission"]["Type"] == "AWS::Lambda::Permission"
    # The component kind, through the custom resource type, whose provider is the
    # handler the archive ships.
    board = resources["NewsBoardParameter"]
    assert board["Type"] == "Custom::AcmeParameter"
    assert board["Properties"]["Path"] == "/acme/guided/news"
    providers = [r["Properties"] for r in resources.values()
                 if r["Type"] == "AWS::Lambda::Function"
                 and r["Properties"].get("Handler") == "acme_runtime.parameter.handler"]
    assert len(providers) == 1
    for function_id in ("PollerFunction", "ReaderFunction"):
        variables = resources[function_id]["Properties"]["Environment"]["Variables"]
        assert variables["ACME_BOARD"] == "/acme/guided/news"
    assert "acme_runtime/parameter.py" in result.archive
    assert "sparta_acme/events.py" in result.archive  # service.py imports it in Lambda
    # A real local invoke: Lambda imports service.py, and with it sparta_acme, from the
    # archive alone.
    invoked = sparta_run("invoke", "reader", cwd=project)
    assert invoked.exit_code == 0, invoked.output
    assert invoked.stdout.strip().splitlines()[-1] == '"/acme/guided/news"'

    # Blocked, the plugin's setting is a warning naming it; commands still run.
    blocked = sparta_run("-p", "no:acme", "plugins", cwd=project)
    assert blocked.exit_code == 0, blocked.output
    assert "setting 'acme-team' in [tool.sparta] belongs to plugin 'acme' (sparta-acme), " \
        "which is blocked (-p no:acme); ignored" in blocked.output


def test_the_plugins_own_tests_pass_on_the_kit(acme_site: tuple[Path, Path]) -> None:
    source, site = acme_site
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.pop("AWS_ENDPOINT_URL", None)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(source), str(source / "tests")],
        cwd=source, env=env, capture_output=True, text=True, timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
