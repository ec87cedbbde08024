"""``sparta logs``: the deployed function's CloudWatch Logs."""

from __future__ import annotations

import click

from sparta_core.commands.options import deploy_context
from sparta_core.errors import SpartaError


@click.command()
@click.argument("function")
@click.option("--since", default="10m", show_default=True, metavar="DURATION",
              help="How far back to start: 30s, 10m, 2h, 1d.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events until Ctrl-C.")
@click.pass_context
def logs(ctx: click.Context, function: str, since: str, follow: bool) -> None:
    """Print the deployed FUNCTION's CloudWatch Logs."""
    import time

    from sparta_core.aws import clients as aws_module
    from sparta_core.aws import errors as aws_errors
    from sparta_core.commands import invoke_local as invoker
    from sparta_core.commands.logs_fetch import format_log_event, log_events, parse_since

    start_ms = int((time.time() - parse_since(since)) * 1000)
    run = deploy_context(ctx, "logs", noop=True)
    target = invoker.find_function(run.service, function)
    log_group = f"/aws/lambda/{run.service.physical_name(target)}"
    aws = aws_module.for_context(run)
    try:
        for event in log_events(aws.client("logs"), log_group, start_ms, follow=follow):
            click.echo(format_log_event(event))
    except KeyboardInterrupt:
        return
    except SpartaError:
        raise
    except Exception as error:
        raise aws_errors.explain(error, f"reading {log_group}", aws) from None
