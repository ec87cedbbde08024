"""Each build-time hook, implemented in a project's spartaconf.py, changes what it may
change, and the change is seen in what sparta writes (the archive, the template, the
error line). The order in which hooks fire is checked by the recorder tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

SERVICE = """
import sparta_core as sparta

service = sparta.Service("effects")

@service.function()
def work(event, context):
    return "ok"
"""


def build(cli, make_project, spartaconf: str, ok: bool = True, **files: str):
    project = make_project({"service.py": SERVICE, "spartaconf.py": spartaconf, **files})
    result = cli("build", project=project, ok=ok)
    return project, result


def archive_names(project: Path) -> list[str]:
    return zipfile.ZipFile(project / ".sparta" / "effects-code.zip").namelist()


def template_of(project: Path) -> dict:
    return json.loads((project / ".sparta" / "effects-template.json").read_text())


def test_configure_reads_the_settings_and_validate_service_refuses_the_service(cli, make_project):
    _, result = build(cli, make_project, """
        import sparta_core as sparta

        SEEN = {}

        def sparta_configure(config):
            SEEN["region"] = config.settings.region

        def sparta_validate_service(ctx):
            if "work" in ctx.service.functions and SEEN["region"] == ctx.settings.region:
                raise sparta.ServiceDefinitionError("function 'work' needs an owner tag")
    """, ok=False)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "error: stage 'validate' (plugin 'spartaconf'): function 'work' needs an owner tag"
    )


def test_pre_build_writes_a_file_that_then_ships(cli, make_project):
    project, _ = build(cli, make_project, """
        def sparta_pre_build(ctx):
            (ctx.project_dir / "generated.py").write_text("VERSION = '1.2.3'\\n")
    """)
    assert "generated.py" in archive_names(project)


def test_build_provider_replaces_the_staging_and_post_build_drops_a_file(cli, make_project):
    project, _ = build(cli, make_project, """
        import sparta_core as sparta
        from sparta_core.hookspecs import hookimpl

        @hookimpl
        def sparta_build(ctx):
            from sparta_core.engine.context import BuildResult

            return BuildResult(sources={
                "service.py": ctx.project_dir / "service.py",
                "notes.txt": ctx.project_dir / "notes.txt",
                "extra.txt": ctx.project_dir / "notes.txt",
            })

        def sparta_post_build(ctx, build):
            del build.sources["notes.txt"]
    """, **{"notes.txt": "notes\n", "unlisted.txt": "not staged\n"})
    names = archive_names(project)
    assert "extra.txt" in names and "service.py" in names
    assert "notes.txt" not in names and "unlisted.txt" not in names


def test_pre_marshall_adds_a_resource_and_marshall_provider_writes_the_template(cli, make_project):
    project, _ = build(cli, make_project, """
        def sparta_pre_marshall(ctx):
            ctx.service.resource("Audit", "AWS::SNS::Topic")
    """)
    assert template_of(project)["Resources"]["Audit"]["Type"] == "AWS::SNS::Topic"

    project, _ = build(cli, make_project, """
        def sparta_marshall(ctx):
            from sparta_core.engine.template import Template

            template = Template(description="hand made")
            template.add_resource("Only", "AWS::SQS::Queue", owner="spartaconf")
            return template
    """)
    assert list(template_of(project)["Resources"]) == ["Only"]


def test_provisioned_sees_the_run_after_a_noop_build(cli, make_project):
    project, _ = build(cli, make_project, """
        def sparta_provisioned(ctx, result):
            (ctx.work_dir / "done.json").write_text(
                '{"result": %s, "resources": %d}'
                % ("null" if result is None else '"x"', len(ctx.template.resources))
            )
    """)
    done = json.loads((project / ".sparta" / "done.json").read_text())
    assert done == {"result": None, "resources": len(template_of(project)["Resources"])}
