"""``sparta invoke``: run one function from the built archive, or the deployed one."""

from __future__ import annotations

import click

from sparta_core.commands.options import deploy_context


@click.command()
@click.argument("function")
@click.option("--event", "event_file", metavar="FILE|-",
              help="JSON event from FILE, or standard input with '-' (default: {}).")
@click.option("--remote", is_flag=True,
              help="Invoke the deployed function (on AWS or the --local endpoint).")
@click.option("--env", "env", multiple=True, metavar="K=V",
              help="Set an environment variable of a local run (repeatable), e.g. one whose "
                   "value is a CloudFormation reference.")
@click.pass_context
def invoke(
    ctx: click.Context, function: str, event_file: str | None, remote: bool,
    env: tuple[str, ...],
) -> None:
    """Run FUNCTION from the built archive, as Lambda would; print its result as JSON."""
    import json

    from sparta_core.commands import invoke_local as invoker
    from sparta_core.engine.settings import parse_pairs
    from sparta_core.errors import ConfigError

    overrides = parse_pairs(list(env), what="--env")
    if overrides and remote:
        raise ConfigError("--env sets variables of a local run; the deployed function has its own")
    reserved = sorted(
        name for name in overrides
        if name.startswith(("AWS_", "SPARTA_", "_")) and name != "SPARTA_RESOURCES"
    )
    if reserved:
        raise ConfigError(f"--env {reserved[0]}: that variable is set by Lambda or sparta")
    event = invoker.read_event(event_file)
    run = deploy_context(ctx, "invoke", noop=not remote)
    run.reporter.stages = False  # the function's logs and result are the output
    target = invoker.find_function(run.service, function)
    if remote:
        result = invoker.invoke_remote(run, target, event)
    else:
        result = invoker.invoke_local(run, target, event, overrides)
    click.echo(json.dumps(result.payload, indent=2, sort_keys=True))
    if result.error:
        raise invoker.InvokeError(result.error)
