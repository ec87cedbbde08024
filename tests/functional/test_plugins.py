"""Plugins through the CLI: spartaconf.py decorates, stages fire in order, bad plugins fail
in one line, and `sparta plugins` says where each plugin came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Cli

from sparta_core import hookspecs

#: DESIGN §3's order for `sparta build` (upload and converge are skipped with --noop).
NOOP_ORDER = [
    "sparta_addoption",
    "sparta_configure",
    "sparta_validate_service",
    "sparta_pre_build",
    "sparta_build",
    "sparta_post_build",
    "sparta_package",
    "sparta_archive",
    "sparta_pre_marshall",
    "sparta_marshall",
    "sparta_invoke_target",  # asked once per function while marshall writes it
    "sparta_invoke_target",
    "sparta_decorate_function",
    "sparta_decorate_function",
    "sparta_decorate_service",
    "sparta_post_marshall",
    "sparta_validate_template",
    "sparta_provisioned",
]

#: What a plugin does in the stages that let it change the build; which hooks fired, and
#: with what, the kit's ``hook_recorder`` sees through pluggy's hook-call monitoring.
EFFECTS = '''
def sparta_archive(ctx, archive):
    archive.add_bytes("extra/VERSION", "1.0\\n", origin="spartaconf")

def sparta_decorate_function(ctx, function, logical_id, template):
    template.resources[logical_id]["Properties"]["Description"] = "decorated"

def sparta_decorate_service(ctx, template):
    return {"Audit": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "audit"}}}
'''

#: Hooks called for the engine's own registries, not stages of the pipeline.
REGISTRIES = {"sparta_custom_resource_types"}


def stages(recorder) -> list[str]:
    """The hooks that fired, without the registries' (called whenever they are needed)."""
    return [name for name in recorder.names() if name not in REGISTRIES]


def test_hooks_fire_in_designs_order(cli: Cli, hello_project: Path, hook_recorder, cfn_lint) -> None:
    (hello_project / "spartaconf.py").write_text(EFFECTS)
    result = cli("build", project=hello_project)
    assert stages(hook_recorder) == NOOP_ORDER
    assert hook_recorder.calls("sparta_configure")[0]["config"].settings.noop is False
    assert "service.py" in hook_recorder.calls("sparta_post_build")[0]["build"].sources
    assert "sparta_runtime/__init__.py" in hook_recorder.calls("sparta_archive")[0]["archive"].names()
    assert [(call["function"].key, call["logical_id"])
            for call in hook_recorder.calls("sparta_decorate_function")] == [
        ("greet", "GreetFunction"), ("config", "ConfigFunction"),
    ]
    package = hook_recorder.results("sparta_package")[0]
    assert hook_recorder.calls("sparta_pre_marshall")[0]["ctx"].archive is package
    resources = result.template["Resources"]
    assert resources["Audit"]["Type"] == "AWS::SNS::Topic"
    assert resources["GreetFunction"]["Properties"]["Description"] == "decorated"
    assert cfn_lint(hello_project / ".sparta" / "hello-template.json") == []
    assert "extra/VERSION" in result.archive


def test_spartaconf_decorate_service_adds_a_resource(cli: Cli, hello_project: Path, cfn_lint) -> None:
    (hello_project / "spartaconf.py").write_text(
        "import sparta_core as sparta\n\n"
        "@sparta.hookimpl\n"
        "def sparta_decorate_service(ctx, template):\n"
        "    template.add_resource('Uploads', 'AWS::S3::Bucket', owner='spartaconf')\n"
        "    template.add_output('UploadsBucket', sparta.Ref('Uploads'))\n"
    )
    cli("build", project=hello_project)
    template_path = hello_project / ".sparta" / "hello-template.json"
    template = json.loads(template_path.read_text())
    assert template["Resources"]["Uploads"] == {"Type": "AWS::S3::Bucket"}
    assert template["Outputs"]["UploadsBucket"]["Value"] == {"Ref": "Uploads"}
    assert cfn_lint(template_path) == []


def test_rollback_hooks_run_when_a_stage_fails(cli: Cli, hello_project: Path, hook_recorder) -> None:
    (hello_project / "spartaconf.py").write_text(
        "def sparta_post_marshall(ctx, template):\n    raise KeyError('boom')\n"
    )
    result = cli("build", project=hello_project, ok=False)
    assert result.exit_code == 1
    message = "stage 'post-marshall' (plugin 'spartaconf'): KeyError: 'boom'"
    assert result.output.strip().splitlines()[-1] == f"error: {message}"
    assert stages(hook_recorder)[-2:] == ["sparta_post_marshall", "sparta_rollback"]
    assert [str(call["error"]) for call in hook_recorder.calls("sparta_rollback")] == [message]
    assert "sparta_provisioned" not in hook_recorder.names()


def test_provider_breaking_the_contract_is_named(cli: Cli, hello_project: Path) -> None:
    (hello_project / "spartaconf.py").write_text("def sparta_package(ctx):\n    return 'a zip'\n")
    result = cli("build", project=hello_project, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'package' (plugin 'spartaconf'): sparta_package returned str, expected Archive"
    )


def test_blocked_stage_without_replacement_is_explained(cli: Cli, hello_project: Path) -> None:
    result = cli("-p", "no:package", "build", project=hello_project, ok=False)
    assert "error: stage 'package': no plugin provides sparta_package" in result.output


def test_decorator_collision_is_an_error(cli: Cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("collide")

        def add_queue(template):
            return {"GreetRole": {"Type": "AWS::SQS::Queue"}}

        @service.function(decorators=[add_queue])
        def greet(event, context):
            return None
    """})
    result = cli("build", project=project, ok=False)
    assert (
        "error: logical ID 'GreetRole' is added by decorator add_queue of function 'greet' "
        "but already belongs to function 'greet'"
    ) in result.output


def test_function_decorators_receive_what_they_ask_for(cli: Cli, make_project, cfn_lint) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("decorated")

        def alarm(function, logical_id, template):
            template.resources[logical_id]["Properties"]["Description"] = function.key
            return {logical_id + "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "Namespace": "AWS/Lambda", "MetricName": "Errors", "Statistic": "Sum",
                "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]}}}

        @service.function(decorators=[alarm])
        def work(event, context):
            return None
    """})
    cli("build", project=project)
    path = project / ".sparta" / "decorated-template.json"
    resources = json.loads(path.read_text())["Resources"]
    assert resources["WorkFunctionErrors"]["Type"] == "AWS::CloudWatch::Alarm"
    assert resources["WorkFunction"]["Properties"]["Description"] == "work"
    assert cfn_lint(path) == []


@pytest.mark.usefixtures("demo_installed")
def test_plugins_command_lists_origins_versions_and_hooks(cli: Cli, hello_project: Path) -> None:
    (hello_project / "spartaconf.py").write_text("def sparta_pre_build(ctx):\n    pass\n")
    output = cli("plugins", project=hello_project).output
    lines = {line.split()[0]: line for line in output.splitlines()[1:]}
    assert "built-in" in lines["marshall"] and "sparta_marshall" in lines["marshall"]
    assert "1.2.3" in lines["demo"] and "entry point (sparta-demo)" in lines["demo"]
    assert "local file" in lines["spartaconf"] and "sparta_pre_build" in lines["spartaconf"]
    # The entry-point plugin takes part in the build, and can be blocked.
    cli("build", project=hello_project)
    template = json.loads((hello_project / ".sparta" / "hello-template.json").read_text())
    assert "DemoTopic" in template["Resources"]
    cli("-p", "no:demo", "build", project=hello_project)
    template = json.loads((hello_project / ".sparta" / "hello-template.json").read_text())
    assert "DemoTopic" not in template["Resources"]


def test_bad_plugin_fails_in_one_line(cli: Cli, hello_project: Path) -> None:
    (hello_project / "spartaconf.py").write_text("def sparta_bulid(ctx):\n    pass\n")
    result = cli("build", project=hello_project, ok=False)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "spartaconf.py:1: plugin 'spartaconf' implements 'sparta_bulid'" in result.output
    assert "did you mean 'sparta_build'" in result.output


def test_unknown_plugin_named_with_p_fails_in_one_line(cli: Cli, hello_project: Path) -> None:
    result = cli("-p", "no_such_plugin", "plugins", project=hello_project, ok=False)
    assert result.output == (
        "error: plugin 'no_such_plugin' (from -p) failed to import: ModuleNotFoundError: "
        "No module named 'no_such_plugin'\n"
    )


def test_plugin_settings_reach_the_plugin(cli: Cli, hello_project: Path) -> None:
    (hello_project / "spartaconf.py").write_text(
        "def sparta_addoption(parser):\n"
        "    parser.add_option('log-retention', default='14', help='days')\n\n"
        "def sparta_decorate_service(ctx, template):\n"
        "    days = int(ctx.settings.options['log-retention'])\n"
        "    for resource in template.resources.values():\n"
        "        if resource['Type'] == 'AWS::Logs::LogGroup':\n"
        "            resource['Properties']['RetentionInDays'] = days\n"
    )
    # 7 is neither the plugin's default (14) nor sparta's own log retention default.
    cli("-o", "log-retention=7", "build", project=hello_project)
    template = json.loads((hello_project / ".sparta" / "hello-template.json").read_text())
    assert template["Resources"]["GreetLogGroup"]["Properties"]["RetentionInDays"] == 7


def test_every_hook_has_a_docstring_saying_when_it_is_called() -> None:
    names = [name for name in dir(hookspecs) if name.startswith("sparta_")]
    assert len(names) >= 17
    for name in names:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert len(doc.strip().splitlines()) >= 3, f"{name} needs a real docstring"
        assert "alled" in doc or "Provider" in doc, f"{name}: say when it is called"


def test_installed_plugin_seen_by_the_sparta_command(hello_project: Path, demo_wheel_site: Path) -> None:
    """A real process, a real installed distribution: the entry point is found."""
    import os
    import subprocess
    import sys

    sparta = Path(sys.executable).parent / "sparta"
    env = {**os.environ, "PYTHONPATH": str(demo_wheel_site)}
    listing = subprocess.run([sparta, "plugins"], cwd=hello_project, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert any(line.split()[:2] == ["demo", "1.2.3"] for line in listing.splitlines())
    blocked = subprocess.run([sparta, "plugins"], cwd=hello_project, capture_output=True, text=True,
                             env={**env, "SPARTA_DISABLE_PLUGIN_AUTOLOAD": "1"}, check=True).stdout
    assert "demo" not in blocked


def test_a_failing_archive_hook_is_blamed_on_its_plugin(cli: Cli, hello_project: Path) -> None:
    (hello_project / "spartaconf.py").write_text(
        "def sparta_archive(ctx, archive):\n    raise RuntimeError('disk full')\n"
    )
    result = cli("build", project=hello_project, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'package' (plugin 'spartaconf'): RuntimeError: disk full"
    )


def test_template_validators_may_only_read(cli: Cli, hello_project: Path) -> None:
    (hello_project / "spartaconf.py").write_text(
        "def sparta_validate_template(ctx, template):\n"
        "    template.add_output('Sneaky', 'x')\n"
    )
    result = cli("build", project=hello_project, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'validate-template' (plugin 'spartaconf'): sparta_validate_template "
        "changed the template, which it may only read (change it in sparta_post_marshall)"
    )
    assert not (hello_project / ".sparta" / "hello-template.json").exists()


def test_a_decorator_asking_for_what_decorators_do_not_get_is_explained(cli: Cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("deco")

        def tag_owner(fn, logical_id, template):
            pass

        @service.function(decorators=[tag_owner])
        def work(event, context):
            pass
    """})
    result = cli("build", project=project, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'decorate': decorator tag_owner of function 'work' asks for 'fn', which "
        "decorators are not given (they get ctx, function, logical_id, template)"
    )


COLLIDING_PLUGIN = '''
import sparta_core as sparta


@sparta.hookimpl
def sparta_decorate_service(ctx, template):
    template.add_resource("Audit", "AWS::SNS::Topic")


@sparta.hookimpl
def sparta_archive(ctx, archive):
    archive.add_bytes("extra/VERSION", "2.0\\n")
'''


@pytest.fixture
def acme_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plugin module ``acme_plugin`` on sys.path, for ``-p acme_plugin``."""
    import sys

    folder = tmp_path / "acme-site"
    folder.mkdir()
    (folder / "acme_plugin.py").write_text(COLLIDING_PLUGIN)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "acme_plugin", raising=False)
    return "acme_plugin"


def test_a_template_collision_names_both_plugins(cli: Cli, hello_project: Path, acme_module: str) -> None:
    (hello_project / "spartaconf.py").write_text(
        "def sparta_decorate_service(ctx, template):\n"
        "    template.add_resource('Audit', 'AWS::SQS::Queue')\n"
    )
    result = cli("-p", acme_module, "build", project=hello_project, ok=False)
    # spartaconf.py is registered last, so pluggy calls it first.
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'decorate' (plugin 'acme_plugin'): logical ID 'Audit' is added by "
        "plugin 'acme_plugin' but already belongs to plugin 'spartaconf'"
    )


def test_an_archive_collision_names_both_plugins(cli: Cli, hello_project: Path, acme_module: str) -> None:
    (hello_project / "spartaconf.py").write_text(
        "def sparta_archive(ctx, archive):\n"
        "    archive.add_bytes('extra/VERSION', '1.0')\n"
    )
    result = cli("-p", acme_module, "build", project=hello_project, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'package' (plugin 'acme_plugin'): archive entry 'extra/VERSION' from "
        "plugin 'acme_plugin' collides with the entry from plugin 'spartaconf'"
    )


@pytest.mark.usefixtures("demo_installed")
def test_a_blocked_plugins_setting_is_a_warning_naming_it(cli: Cli, hello_project: Path) -> None:
    pyproject = hello_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        "[tool.sparta]\n", '[tool.sparta]\ndemo-team = "blue"\n'))
    cli("plugins", project=hello_project)  # loaded, the plugin declares it
    warning = (
        f"warning: {pyproject}: setting 'demo-team' in [tool.sparta] belongs to plugin "
        "'demo' (sparta-demo), which is blocked (-p no:demo); ignored"
    )
    for command in ("plugins", "build"):
        result = cli("-p", "no:demo", command, project=hello_project)
        assert warning in result.stderr.splitlines()
    assert "demo" not in cli("-p", "no:demo", "plugins", project=hello_project).stdout.split()


@pytest.mark.usefixtures("demo_installed")
def test_a_setting_of_a_plugin_not_autoloaded_is_a_warning(cli: Cli, hello_project: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARTA_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = cli("-o", "demo-team=red", "plugins", project=hello_project)
    assert (
        "warning: -o demo-team: setting 'demo-team' belongs to plugin 'demo' (sparta-demo), "
        "which is not loaded (SPARTA_DISABLE_PLUGIN_AUTOLOAD); ignored"
    ) in result.stderr.splitlines()


def test_a_setting_named_for_a_blocked_plugin_warns_and_others_still_fail(cli: Cli, hello_project: Path) -> None:
    pyproject = hello_project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace("[tool.sparta]\n", '[tool.sparta]\nacme-team = "blue"\n'))
    result = cli("-p", "no:acme", "plugins", project=hello_project)
    assert (
        f"warning: {pyproject}: setting 'acme-team' in [tool.sparta] belongs, by its name, to "
        "plugin 'acme', which is blocked (-p no:acme); ignored"
    ) in result.stderr.splitlines()
    pyproject.write_text(text.replace("[tool.sparta]\n", '[tool.sparta]\nteam = "blue"\n'))
    result = cli("-p", "no:acme", "plugins", project=hello_project, ok=False)
    assert result.output.splitlines()[-1] == (
        f"error: {pyproject}: unknown setting 'team' in [tool.sparta] (plugins not loaded, "
        "whose settings sparta cannot know: acme)"
    )
