"""``sparta init [DIR]``: scaffold a service (or, with ``--plugin``, a plugin distribution)."""

from __future__ import annotations

from pathlib import Path

import click

EXAMPLES = ("hello", "api", "events")


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", type=click.Choice(EXAMPLES), default="hello", show_default=True,
              help="The shape: one function (hello), a REST API (api), or a queue and a "
                   "schedule (events).")
@click.option("--name", metavar="NAME",
              help="The service's name (default: from the folder's name).")
@click.option("--plugin", "plugin", metavar="NAME",
              help="Scaffold the plugin distribution sparta-NAME instead of a service.")
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty (overwriting only the "
                   "scaffolded files).")
def init(
    directory: Path | None, example: str, name: str | None, plugin: str | None, force: bool
) -> None:
    """Scaffold a service in DIR (default: the current folder) that builds, tests and
    provisions --local at once; or, with --plugin NAME, the plugin sparta-NAME."""
    from sparta_core import __version__
    from sparta_core.commands import scaffold
    from sparta_core.commands.options import display

    if plugin is not None:
        target = directory or Path(f"sparta-{plugin}")
        files = scaffold.plugin_files(plugin, __version__)
        scaffold.write(files, target, force=force)
        click.echo(f"created plugin sparta-{plugin} in {display(target, Path.cwd())}/:")
        for relative in files:
            click.echo(f"  {relative}")
        click.echo("next:")
        where = display(target, Path.cwd())
        for step in (f"cd {where}", 'pip install -e ".[test]"', "pytest", "sparta plugins"):
            click.echo(f"  {step}")
        return
    target = directory or Path.cwd()
    service = name or scaffold.service_name(target)
    files = scaffold.service_files(example, service, __version__)
    scaffold.write(files, target, force=force)
    click.echo(f"created service '{service}' ({example}) in {display(target, Path.cwd())}/:")
    for relative in files:
        click.echo(f"  {relative}")
    click.echo("next:")
    steps = scaffold.next_steps(example)
    if directory is not None:
        steps = [f"cd {display(target, Path.cwd())}", *steps]
    for step in steps:
        click.echo(f"  {step}")
