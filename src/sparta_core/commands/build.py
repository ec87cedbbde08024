"""``sparta build``: the archive and the template into ``.sparta/``; nothing in AWS changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sparta_core.commands.options import (
    build_id_option,
    display,
    force_option,
    format_option,
    open_session,
)

#: Names a one-line summary lists before it says how many more there are.
LISTED = 8


def listed(names: list[str]) -> str:
    """``a, b, c``, or the first :data:`LISTED` and ``... and N more``: a service of a
    thousand functions gets one readable line, not a thousand names."""
    if len(names) <= LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED])} ... and {len(names) - LISTED:,} more"


def build_and_report(run: Any, template_format: str) -> None:
    """Run the pipeline on ``run`` (a context with ``noop`` set: nothing in AWS changes)
    and print what it made."""
    from sparta_core.engine.workflow import Workflow, template_path

    Workflow(run).provision(template_format=template_format)
    archive = run.archive
    assert archive is not None and run.template is not None
    click.echo(f"{run.service.name}: {len(run.service.functions)} function(s): "
               f"{listed(list(run.service.functions))}")
    click.echo(
        f"archive   {display(archive.path, run.project_dir)}  {archive.size:,} bytes  "
        f"{archive.entries} files  sha256 {archive.sha256}"
    )
    for architecture, other in sorted(run.archives.items()):
        click.echo(
            f"archive   {display(other.path, run.project_dir)}  {other.size:,} bytes  "
            f"{other.entries} files  sha256 {other.sha256}  ({architecture} functions)"
        )
    for artifact in run.extra_artifacts:
        click.echo(
            f"{artifact.name:<9} {display(artifact.path, run.project_dir)}  "
            f"{artifact.path.stat().st_size:,} bytes  sha256 {artifact.sha256}"
        )
    nested = len(run.template.nested)
    across = (f" ({sum(1 for _ in run.template.all_resources()):,} in all, with {nested} "
              "nested stacks)") if nested else ""
    click.echo(
        f"template  {display(template_path(run, template_format), run.project_dir)}  "
        f"{len(run.template.resources)} resources{across}"
    )
    assert run.build is not None
    for architecture, deps in run.build.report.get("dependencies", {}).items():
        how = "reused from cache" if deps["reused"] else "installed"
        click.echo(
            f"deps      {architecture} ({deps['target']}): {len(deps['packages'])} "
            f"package(s) {how}  key {deps['key'][:12]}"
        )


@click.command()
@format_option
@build_id_option
@force_option
@click.pass_context
def build(ctx: click.Context, template_format: str, build_id: str | None, force: bool) -> None:
    """Build the archive and the template into .sparta/; change nothing in AWS.

    Run again with nothing changed, it prints what it printed and runs no stage
    (see :mod:`sparta_core.engine.replay`); --force always builds."""
    from sparta_core.engine import replay_record

    recorder = replay_record.start(force=force)
    try:
        session = open_session(ctx, **{"build-id": build_id, "force": force or None})
        run = session.context(noop=True)
        build_and_report(run, template_format)
        if recorder is not None:
            from sparta_core.commands.build_replay import record

            record(recorder, run, template_format, ctx.obj["project_dir"] or Path.cwd())
    finally:
        if recorder is not None:
            recorder.stop()
