"""``sparta describe``: one self-contained HTML page of the service."""

from __future__ import annotations

from pathlib import Path

import click

from sparta_core.commands.options import display, open_session
from sparta_core.errors import SpartaError


@click.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page (default: .sparta/<service>-describe.html).")
@click.pass_context
def describe(ctx: click.Context, out: Path | None) -> None:
    """Write one self-contained HTML page: the service as a graph, and its template."""
    from sparta_core.commands.describe_page import render_page
    from sparta_core.engine.workflow import Workflow

    session = open_session(ctx)
    session.reporter.stages = False
    run = session.context(noop=True)
    Workflow(run).provision()
    assert run.template is not None
    path = out or run.work_dir / f"{run.service.name}-describe.html"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_page(run, run.template))
    except OSError as error:
        raise SpartaError(f"cannot write {path}: {error.strerror or error}") from None
    click.echo(display(path, run.project_dir))
