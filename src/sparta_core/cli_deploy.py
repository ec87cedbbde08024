"""The commands that talk to AWS: ``provision`` (for real), ``plan``, ``delete``, ``status``,
``invoke`` and ``local start|stop|status``.

Kept apart from :mod:`sparta_core.cli` so that module stays the thin core; the commands
are registered on the same ``main`` group. Progress goes to standard error (the
reporter); what a command answers (status, outputs, the change set of ``plan``, an
invoke's result) goes to standard output.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import click

from sparta_core.cli import build_id_option, main, open_session
from sparta_core.errors import SpartaError


def deploy_context(
    ctx: click.Context,
    command: str,
    *,
    yes: bool = False,
    s3_bucket: str | None = None,
    tags: tuple[str, ...] = (),
    params: tuple[str, ...] = (),
    build_id: str | None = None,
    noop: bool | None = False,
) -> Any:
    """A ``ProvisionContext`` for ``command``: ``--tag``/``--param`` are added to the
    configured tags and params (a flag wins over the file for the same key).
    ``noop=None`` keeps the configured ``noop`` (``SPARTA_NOOP``, ``[tool.sparta]``)."""
    from sparta_core.config import parse_pairs

    session = open_session(ctx, **{"s3-bucket": s3_bucket, "build-id": build_id})
    overrides: dict[str, Any] = {"yes": yes}
    if noop is not None:
        overrides["noop"] = noop
    if tags:
        overrides["tags"] = MappingProxyType(
            {**session.settings.tags, **parse_pairs(list(tags), what="--tag")}
        )
    if params:
        overrides["params"] = MappingProxyType(
            {**session.settings.params, **parse_pairs(list(params), what="--param")}
        )
    run = session.context(**overrides)
    run.command = command
    return run


def print_outputs(outputs: dict[str, str]) -> None:
    if outputs:
        click.echo("outputs:")
        width = max(len(name) for name in outputs)
        for name, value in sorted(outputs.items()):
            click.echo(f"  {name:<{width}}  {value}")


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
) -> None:
    """``sparta provision``: the whole pipeline, or, with ``--noop`` (or ``noop`` set by
    ``SPARTA_NOOP`` or ``[tool.sparta]``), the build and the template only: nothing in
    AWS is read or changed, and the output is ``sparta build``'s."""
    from sparta_core.cli import build_and_report
    from sparta_core.workflow import Workflow

    # noop=None: without the flag, the configured noop (not the flag's False) decides.
    run = deploy_context(ctx, "provision", yes=yes, s3_bucket=s3_bucket, tags=tags,
                         params=params, build_id=build_id, noop=True if noop else None)
    if run.settings.noop:
        build_and_report(run, template_format)
        return
    result = Workflow(run).provision(template_format=template_format)
    assert result is not None
    uploads = run.stash.get("sparta.upload", {})
    uploaded = ", ".join(f"{name} {what}" for name, what in sorted(uploads.items()))
    click.echo(f"{result.stack_name}: {result.status} ({change_word(run, result.changed)}; "
               f"{uploaded or 'no uploads'})")
    print_outputs(result.outputs)


def change_word(run: Any, changed: bool) -> str:
    """``created``, ``updated`` or ``no changes``: what converging did to the stack."""
    from sparta_core.deploy.operations import OUTCOME_KEY

    if not changed:
        return "no changes"
    outcome = run.stash.get(OUTCOME_KEY)
    if outcome is None:  # a plugin's own converge: it only says that something changed
        return "changed"
    return "created" if outcome.change_set_type == "CREATE" else "updated"


yes_option = click.option("--yes", "-y", is_flag=True,
                          help="Do not ask for confirmation (needed without a terminal).")


@main.command()
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
    from sparta_core.workflow import Workflow

    run = deploy_context(ctx, "plan", s3_bucket=s3_bucket, tags=tags, params=params,
                         build_id=build_id)
    outcome = Workflow(run).plan(show=click.echo)
    if outcome.changes:
        click.echo(f"{outcome.stack_name}: {len(outcome.changes)} change(s) planned; "
                   "nothing was executed")


@main.command()
@yes_option
@click.pass_context
def delete(ctx: click.Context, yes: bool) -> None:
    """Delete the stack and wait (succeeds if there is no stack)."""
    from sparta_core.deploy.operations import delete_stack

    run = deploy_context(ctx, "delete", yes=yes)
    if delete_stack(run):
        click.echo(f"{run.stack_name}: deleted")
    else:
        click.echo(f"{run.stack_name}: no such stack; nothing to delete")


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Stack status, parameters, tags, outputs and last events."""
    from sparta_core.deploy.events import format_event
    from sparta_core.deploy.operations import read_status

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


@main.command()
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

    from sparta_core import invoke as invoker
    from sparta_core.config import parse_pairs
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


@main.command()
@click.argument("function")
@click.option("--since", default="10m", show_default=True, metavar="DURATION",
              help="How far back to start: 30s, 10m, 2h, 1d.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events until Ctrl-C.")
@click.pass_context
def logs(ctx: click.Context, function: str, since: str, follow: bool) -> None:
    """Print the deployed FUNCTION's CloudWatch Logs."""
    import time

    from sparta_core import aws as aws_module
    from sparta_core import invoke as invoker
    from sparta_core.logs import format_log_event, log_events, parse_since

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
        raise aws_module.explain(error, f"reading {log_group}", aws) from None


@main.group()
def local() -> None:
    """The embedded local AWS endpoint (MiniStack) that --local uses."""


def _local_dir(ctx: click.Context) -> Path:
    from sparta_core import local as local_endpoint
    from sparta_core.config import WORK_DIR_NAME, find_project_dir

    obj = ctx.find_object(dict) or {}
    project = find_project_dir(obj.get("project_dir") or Path.cwd())
    return local_endpoint.local_dir(project / WORK_DIR_NAME)


@local.command("start")
@click.pass_context
def local_start(ctx: click.Context) -> None:
    """Start the project's local endpoint (or report the running one)."""
    from sparta_core import local as local_endpoint

    endpoint = local_endpoint.ensure_endpoint(_local_dir(ctx))
    click.echo(f"local endpoint {endpoint.url} (pid {endpoint.pid}, log {endpoint.log})")


@local.command("stop")
@click.pass_context
def local_stop(ctx: click.Context) -> None:
    """Stop the project's local endpoint; everything on it is forgotten."""
    from sparta_core import local as local_endpoint

    stopped = local_endpoint.stop_endpoint(_local_dir(ctx))
    if stopped is None:
        click.echo("local endpoint: not running")
    else:
        click.echo(f"local endpoint {stopped.url} stopped (pid {stopped.pid})")


@local.command("status")
@click.pass_context
def local_status(ctx: click.Context) -> None:
    """Say whether the project's local endpoint runs, and where."""
    from sparta_core import local as local_endpoint

    endpoint = local_endpoint.read_endpoint(_local_dir(ctx))
    if endpoint is None:
        click.echo("local endpoint: not running")
    else:
        click.echo(f"local endpoint {endpoint.url} running (pid {endpoint.pid}, "
                   f"log {endpoint.log})")
