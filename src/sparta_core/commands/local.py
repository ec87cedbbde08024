"""``sparta local start|stop|status``: the embedded local AWS endpoint."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def local() -> None:
    """The embedded local AWS endpoint (MiniStack) that --local uses, and the local API
    server."""


def _local_dir(ctx: click.Context) -> Path:
    from sparta_core.aws import local as local_endpoint
    from sparta_core.engine.settings import WORK_DIR_NAME, find_project_dir

    obj = ctx.find_object(dict) or {}
    project = find_project_dir(obj.get("project_dir") or Path.cwd())
    return local_endpoint.local_dir(project / WORK_DIR_NAME)


@local.command("start")
@click.pass_context
def local_start(ctx: click.Context) -> None:
    """Start the project's local endpoint (or report the running one)."""
    from sparta_core.aws import local as local_endpoint

    endpoint = local_endpoint.ensure_endpoint(_local_dir(ctx))
    click.echo(f"local endpoint {endpoint.url} (pid {endpoint.pid}, log {endpoint.log})")


@local.command("stop")
@click.pass_context
def local_stop(ctx: click.Context) -> None:
    """Stop the project's local endpoint; everything on it is forgotten."""
    from sparta_core.aws import local as local_endpoint

    stopped = local_endpoint.stop_endpoint(_local_dir(ctx))
    if stopped is None:
        click.echo("local endpoint: not running")
    else:
        click.echo(f"local endpoint {stopped.url} stopped (pid {stopped.pid})")


@local.command("status")
@click.pass_context
def local_status(ctx: click.Context) -> None:
    """Say whether the project's local endpoint runs, and where."""
    from sparta_core.aws import local as local_endpoint

    endpoint = local_endpoint.read_endpoint(_local_dir(ctx))
    if endpoint is None:
        click.echo("local endpoint: not running")
    else:
        click.echo(f"local endpoint {endpoint.url} running (pid {endpoint.pid}, "
                   f"log {endpoint.log})")


@local.command("api")
@click.option("--port", type=click.IntRange(0, 65535), default=3000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port, printed).")
@click.pass_context
def local_api(ctx: click.Context, port: int) -> None:
    """Serve the service's API routes on 127.0.0.1 from the built archive, rebuilding on
    every change; a route's path is served as written, without the stage."""
    from sparta_core.commands import local_api as server
    from sparta_core.commands.options import open_session

    def open_context() -> object:
        # A fresh session per build: pyproject.toml and spartaconf.py changes count too.
        run = open_session(ctx).context(noop=True)
        run.command = "local api"
        return run

    server.serve(open_context, port)
