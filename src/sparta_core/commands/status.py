"""``sparta status``: the stack's status, parameters, tags, outputs and last events."""

from __future__ import annotations

import click

from sparta_core.commands.options import deploy_context, print_outputs


@click.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Stack status, parameters, tags, outputs and last events."""
    from sparta_core.stages.converge.events import format_event
    from sparta_core.stages.converge.operations import read_build_id, read_status

    run = deploy_context(ctx, "status")
    state, events = read_status(run)
    if state is None:
        click.echo(f"{run.stack_name}: not deployed (no such stack)")
        return
    reason = f" ({state.reason})" if state.reason else ""
    click.echo(f"{state.name}: {state.status}{reason}")
    click.echo(f"  stack id      {state.stack_id}")
    if state.last_updated is not None:
        click.echo(f"  last updated  {state.last_updated}")
    build_id = read_build_id(run, state)
    if build_id:
        click.echo(f"  build id      {build_id}")
    for title, values in (("parameters", state.parameters), ("tags", state.tags)):
        if values:
            click.echo(f"{title}:")
            for name, value in sorted(values.items()):
                click.echo(f"  {name} = {value}")
    print_outputs(state.outputs)
    if events:
        click.echo("last events:")
        for event in events:
            click.echo(format_event(event, None, clock=True))
