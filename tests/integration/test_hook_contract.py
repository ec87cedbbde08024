"""The hook contract on a real provision: pluggy's own hook-call monitoring sees every
hook sparta calls, a plugin that replaces the upload provider is used, and `sparta plan`
asks the converge provider's planner, not the built-in one."""

from __future__ import annotations

import json

import pytest
from aws_helpers import keys, stack

pytestmark = pytest.mark.integration

MONITOR = '''
import json, pathlib

LOG = pathlib.Path(__file__).parent / "monitored.json"
CALLS = []


def sparta_configure(config):
    def before(hook_name, hook_impls, kwargs):
        CALLS.append(hook_name)

    def after(outcome, hook_name, hook_impls, kwargs):
        LOG.write_text(json.dumps(CALLS))

    config.pluginmanager.add_hookcall_monitoring(before, after)
'''


def test_pluggy_monitoring_sees_every_hook_of_a_real_provision(cli, hello):
    (hello / "spartaconf.py").write_text(MONITOR)
    cli("provision", "--yes", project=hello)
    calls = json.loads((hello / "monitored.json").read_text())
    stages = [name for name in dict.fromkeys(calls) if name != "sparta_custom_resource_types"]
    assert stages == [
        "sparta_validate_service", "sparta_pre_build", "sparta_build", "sparta_post_build",
        "sparta_package", "sparta_archive", "sparta_upload", "sparta_pre_marshall",
        "sparta_marshall", "sparta_invoke_target", "sparta_decorate_function",
        "sparta_decorate_service",
        "sparta_post_marshall", "sparta_validate_template", "sparta_converge",
        "sparta_provisioned",
    ]
    assert calls.count("sparta_decorate_function") == 2  # greet and config


def test_a_plugin_upload_provider_puts_the_archive_where_it_says(cli, hello, aws, bucket):
    (hello / "spartaconf.py").write_text('''
import boto3
from sparta_core.engine.context import S3Location


def sparta_upload(ctx, artifacts):
    s3 = boto3.client("s3")
    locations = {}
    for artifact in artifacts:
        key = f"by-plugin/{artifact.sha256}{artifact.path.suffix}"
        s3.upload_file(str(artifact.path), ctx.settings.s3_bucket, key)
        locations[artifact.name] = S3Location(ctx.settings.s3_bucket, key)
    return locations
''')
    cli("provision", "--yes", project=hello)
    assert [key for key in keys(aws, bucket) if key.startswith("by-plugin/")]
    code = aws("lambda").get_function(FunctionName="hello-greet")["Code"]
    assert stack(aws, "hello")["StackStatus"] == "CREATE_COMPLETE"
    assert code  # the function was created from the plugin's key


REPLACED_CONVERGE = '''
from sparta_core.engine.context import PlanResult, StackResult


def sparta_converge(ctx, template):
    return StackResult(stack_name="elsewhere", status="PRETEND_COMPLETE")
'''


def test_plan_asks_the_plugin_that_replaces_converge(cli, hello, aws, bucket):
    (hello / "spartaconf.py").write_text(REPLACED_CONVERGE + '''

def sparta_plan(ctx, template):
    return PlanResult(
        stack_name="elsewhere",
        lines=[f"acme would deploy {len(template.resources)} resources elsewhere"],
        changes=len(template.resources),
    )
''')
    result = cli("plan", project=hello)
    assert "acme would deploy 6 resources elsewhere" in result.stdout
    assert "elsewhere: 6 change(s) planned; nothing was executed" in result.stdout
    assert stack(aws, "hello") is None
    assert aws("cloudformation").list_stacks()["StackSummaries"] == []


def test_plan_refuses_a_converge_plugin_without_a_planner(cli, hello, aws, bucket):
    (hello / "spartaconf.py").write_text(REPLACED_CONVERGE)
    result = cli("plan", project=hello, ok=False)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "error: stage 'plan' (plugin 'spartaconf'): this plugin replaces sparta_converge but "
        "implements no sparta_plan, so plan cannot say what provision would do"
    )
