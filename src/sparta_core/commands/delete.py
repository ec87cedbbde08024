"""``sparta delete``: delete the stack and wait."""

from __future__ import annotations

import click

from sparta_core.commands.options import deploy_context, yes_option


@click.command()
@yes_option
@click.pass_context
def delete(ctx: click.Context, yes: bool) -> None:
    """Delete the stack and wait (succeeds if there is no stack)."""
    from sparta_core.stages.converge.operations import delete_stack

    run = deploy_context(ctx, "delete", yes=yes)
    if delete_stack(run):
        click.echo(f"{run.stack_name}: deleted")
    else:
        click.echo(f"{run.stack_name}: no such stack; nothing to delete")
