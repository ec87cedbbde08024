"""``sparta plan``: build, upload, create a change set, print it; execute nothing."""

from __future__ import annotations

import click

from sparta_core.commands.options import build_id_option, deploy_context


@click.command()
@click.option("--s3-bucket", metavar="BUCKET", help="Bucket for the archive and the template.")
@click.option("--tag", "tags", multiple=True, metavar="K=V", help="Stack tag (repeatable).")
@click.option("--param", "params", multiple=True, metavar="K=V",
              help="Template parameter (repeatable).")
@build_id_option
@click.pass_context
def plan(
    ctx: click.Context,
    s3_bucket: str | None,
    tags: tuple[str, ...],
    params: tuple[str, ...],
    build_id: str | None,
) -> None:
    """Build, upload and create a change set; print what would change; execute nothing."""
    from sparta_core.engine.workflow import Workflow

    run = deploy_context(ctx, "plan", s3_bucket=s3_bucket, tags=tags, params=params,
                         build_id=build_id)
    planned = Workflow(run).plan()
    for line in planned.lines:
        click.echo(line)
    if planned.changes:
        click.echo(f"{planned.stack_name}: {planned.changes} change(s) planned; "
                   "nothing was executed")
