"""What several commands share: opening a session from the group's options, the
``ProvisionContext`` of a deploying command, common flags, and printing paths and outputs."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import click


def open_session(ctx: click.Context, **flags: Any) -> Any:
    """Start a session from the group's options plus this command's ``flags``."""
    from sparta_core.engine.session import SessionOptions, start_session

    obj = ctx.find_object(dict)
    return start_session(
        SessionOptions(
            project_dir=obj["project_dir"],
            plugins=obj["plugins"],
            options=obj["options"],
            flags={**obj["flags"], **flags},
            verbosity=obj["verbosity"],
        )
    )


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
    require_approval: str | None = None,
) -> Any:
    """A ``ProvisionContext`` for ``command``: ``--tag``/``--param`` are added to the
    configured tags and params (a flag wins over the file for the same key).
    ``noop=None`` keeps the configured ``noop`` (``SPARTA_NOOP``, ``[tool.sparta]``)."""
    from sparta_core.engine.settings import parse_pairs

    session = open_session(ctx, **{"s3-bucket": s3_bucket, "build-id": build_id,
                                   "require-approval": require_approval})
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


def display(path: Path, project_dir: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


format_option = click.option(
    "--format", "template_format", type=click.Choice(["json", "yaml"]), default="json",
    show_default=True, help="Format of the template written to .sparta/.",
)
build_id_option = click.option("--build-id", metavar="ID",
                               help="Build identifier (default: the archive's hash).")
force_option = click.option("--force", is_flag=True,
                            help="Rebuild the dependencies from scratch, ignoring the cache.")


require_approval_option = click.option(
    "--require-approval", type=click.Choice(["never", "broadening", "any-change"]),
    default=None, help="Which change sets need a yes (or --yes): those that broaden IAM "
    "(default, also [tool.sparta] require-approval), every one, or none.",
)
yes_option = click.option("--yes", "-y", is_flag=True,
                          help="Do not ask for confirmation (needed without a terminal).")
