"""``sparta provision``: the whole pipeline, or with ``--noop`` the build only."""

from __future__ import annotations

from typing import Any

import click

from sparta_core.commands.options import (
    build_id_option,
    deploy_context,
    format_option,
    print_outputs,
    require_approval_option,
)


@click.command()
@click.option("--noop", is_flag=True, help="Build and marshall only; nothing in AWS changes.")
@click.option("--s3-bucket", metavar="BUCKET", help="Bucket for the archive and the template.")
@click.option("--tag", "tags", multiple=True, metavar="K=V", help="Stack tag (repeatable).")
@click.option("--param", "params", multiple=True, metavar="K=V",
              help="Template parameter (repeatable).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@require_approval_option
@click.option("--hotswap", is_flag=True,
              help="Apply a code-only change to the functions directly, bypassing "
                   "CloudFormation (the stack drifts until the next full provision); "
                   "any other change provisions in full.")
@format_option
@build_id_option
@click.pass_context
def provision(
    ctx: click.Context,
    noop: bool,
    s3_bucket: str | None,
    tags: tuple[str, ...],
    params: tuple[str, ...],
    yes: bool,
    require_approval: str | None,
    hotswap: bool,
    template_format: str,
    build_id: str | None,
) -> None:
    """Build, upload, marshall and converge the stack."""
    run_provision(ctx, s3_bucket=s3_bucket, tags=tags, params=params, yes=yes,
                  template_format=template_format, build_id=build_id, noop=noop,
                  require_approval=require_approval, hotswap=hotswap)


def run_provision(
    ctx: click.Context,
    *,
    s3_bucket: str | None,
    tags: tuple[str, ...],
    params: tuple[str, ...],
    yes: bool,
    template_format: str,
    build_id: str | None,
    noop: bool = False,
    require_approval: str | None = None,
    hotswap: bool = False,
) -> None:
    """``sparta provision``: the whole pipeline, or, with ``--noop`` (or ``noop`` set by
    ``SPARTA_NOOP`` or ``[tool.sparta]``), the build and the template only: nothing in
    AWS is read or changed, and the output is ``sparta build``'s."""
    from sparta_core.commands.build import build_and_report
    from sparta_core.engine.workflow import Workflow

    # noop=None: without the flag, the configured noop (not the flag's False) decides.
    run = deploy_context(ctx, "provision", yes=yes, s3_bucket=s3_bucket, tags=tags,
                         params=params, build_id=build_id, noop=True if noop else None,
                         require_approval=require_approval)
    if run.settings.noop:
        build_and_report(run, template_format)
        return
    if hotswap:
        import dataclasses

        run.settings = dataclasses.replace(run.settings, hotswap=True)
    result = Workflow(run).provision(template_format=template_format)
    assert result is not None
    uploads = run.stash.get("sparta.upload", {})
    uploaded = ", ".join(f"{name} {what}" for name, what in sorted(uploads.items()))
    click.echo(f"{result.stack_name}: {result.status} ({change_word(run, result.changed)}; "
               f"{uploaded or 'no uploads'})")
    print_outputs(result.outputs)


def change_word(run: Any, changed: bool) -> str:
    """``created``, ``updated`` or ``no changes``: what converging did to the stack."""
    from sparta_core.stages.converge.hotswap import HOTSWAP_KEY
    from sparta_core.stages.converge.operations import OUTCOME_KEY

    if not changed:
        return "no changes"
    if HOTSWAP_KEY in run.stash:
        return f"hotswapped {run.stash[HOTSWAP_KEY]['resources']} resource(s)"
    outcome = run.stash.get(OUTCOME_KEY)
    if outcome is None:  # a plugin's own converge: it only says that something changed
        return "changed"
    return "created" if outcome.change_set_type == "CREATE" else "updated"
