"""``sparta plugins``: every registered plugin, its version, origin and hooks."""

from __future__ import annotations

import click

from sparta_core.commands.options import open_session


@click.command()
@click.pass_context
def plugins(ctx: click.Context) -> None:
    """List every registered plugin: name, version, origin and hooks."""
    session = open_session(ctx)
    pm = session.pluginmanager
    rows = [
        (info.name, info.version, info.origin, ", ".join(pm.hooks_of(info.name)) or "-")
        for info in pm.infos.values()
    ]
    widths = [max(len(row[i]) for row in [("name", "version", "origin", ""), *rows])
              for i in range(3)]
    click.echo(f"{'name':<{widths[0]}}  {'version':<{widths[1]}}  {'origin':<{widths[2]}}  hooks")
    for name, version, origin, hooks in rows:
        click.echo(f"{name:<{widths[0]}}  {version:<{widths[1]}}  {origin:<{widths[2]}}  {hooks}")
        if session.reporter.verbosity > 0:
            click.echo(f"{'':<{widths[0]}}  {pm.infos[name].location}")
