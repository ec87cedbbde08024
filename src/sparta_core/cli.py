"""The ``sparta`` command line: parse, build the context, call the workflow.

Commands stay thin. Everything heavy (pluggy, the built-in plugins, boto3) is imported
inside the commands, so ``sparta --help`` starts fast. Every ``SpartaError`` ends in one
``error: ...`` line and a non-zero exit; ``-v`` adds the traceback.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import click

from sparta_core import __version__
from sparta_core.errors import SpartaError


class SpartaCommandError(click.ClickException):
    """A ``SpartaError`` on its way out: one line, the error's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class SpartaGroup(click.Group):
    """Turns sparta's errors (and anyone else's) into one line and an exit code."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """click's ``main``, but a usage error (unknown option or command, bad value)
        ends like every other failure: the usage, then one ``error:`` line, exit 2."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            outcome = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            if error.ctx is not None:
                click.echo(error.ctx.get_usage(), err=True)
                click.echo(
                    f"Try '{error.ctx.command_path} {error.ctx.help_option_names[0]}' "
                    "for help.", err=True,
                )
            message = error.format_message()
            if isinstance(error, click.NoSuchOption) and self._is_global(error.option_name):
                message += f" (it is a global option: sparta {error.option_name} COMMAND ...)"
            click.echo(f"error: {message}", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.exceptions.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(outcome if isinstance(outcome, int) else 0)

    def _is_global(self, option: str) -> bool:
        return any(option in parameter.opts for parameter in self.params)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SpartaError as error:
            _maybe_traceback(ctx, error)
            raise SpartaCommandError(str(error), error.exit_code) from error
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`sparta status | head`): not an error of ours. Point
            # stdout at devnull so Python's own flush at exit does not complain again.
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except Exception as error:
            _maybe_traceback(ctx, error)
            raise SpartaCommandError(
                f"internal error: {type(error).__name__}: {error} (run with -v for the "
                "traceback, and please report it)",
                3,
            ) from error


def _maybe_traceback(ctx: click.Context, error: BaseException) -> None:
    options = ctx.find_object(dict) or {}
    if options.get("verbosity", 0) > 0:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)


@click.group(cls=SpartaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--service", "service_ref", metavar="MOD:ATTR",
              help="The service object (default: [tool.sparta] service, else service:service).")
@click.option("-p", "plugins", multiple=True, metavar="PLUGIN",
              help="Load plugin module or entry point PLUGIN; -p no:NAME blocks plugin NAME.")
@click.option("-C", "--project-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Run as if started in this directory.")
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="Set a setting declared by a plugin.")
@click.option("--local", is_flag=True, default=None,
              help="Use the embedded local AWS endpoint (started on first use).")
@click.option("--region", metavar="REGION", help="AWS region.")
@click.option("--profile", metavar="PROFILE", help="AWS credentials profile.")
@click.option("--endpoint-url", metavar="URL", help="Send every AWS call to this endpoint.")
@click.option("-v", "--verbose", count=True, help="More output; tracebacks on errors.")
@click.option("-q", "--quiet", count=True, help="Less output.")
@click.version_option(__version__, prog_name="sparta")
@click.pass_context
def main(
    ctx: click.Context,
    service_ref: str | None,
    plugins: tuple[str, ...],
    project_dir: Path | None,
    options: tuple[str, ...],
    local: bool | None,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    verbose: int,
    quiet: int,
) -> None:
    """sparta: build and deploy AWS Lambda services from one service.py."""
    ctx.obj = {
        "project_dir": project_dir,
        "plugins": plugins,
        "options": options,
        "flags": {
            "service": service_ref,
            "local": local,
            "region": region,
            "profile": profile,
            "endpoint-url": endpoint_url,
        },
        "verbosity": verbose - quiet,
    }


def open_session(ctx: click.Context, **flags: Any) -> Any:
    """Start a session from the group's options plus this command's ``flags``."""
    from sparta_core.session import SessionOptions, start_session

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


def build_and_report(run: Any, template_format: str) -> None:
    """Run the pipeline on ``run`` (a context with ``noop`` set: nothing in AWS changes)
    and print what it made."""
    from sparta_core.workflow import Workflow, template_path

    Workflow(run).provision(template_format=template_format)
    archive = run.archive
    assert archive is not None and run.template is not None
    functions = ", ".join(run.service.functions)
    click.echo(f"{run.service.name}: {len(run.service.functions)} function(s): {functions}")
    click.echo(
        f"archive   {_display(archive.path, run.project_dir)}  {archive.size:,} bytes  "
        f"{archive.entries} files  sha256 {archive.sha256}"
    )
    for architecture, other in sorted(run.archives.items()):
        click.echo(
            f"archive   {_display(other.path, run.project_dir)}  {other.size:,} bytes  "
            f"{other.entries} files  sha256 {other.sha256}  ({architecture} functions)"
        )
    for artifact in run.extra_artifacts:
        click.echo(
            f"{artifact.name:<9} {_display(artifact.path, run.project_dir)}  "
            f"{artifact.path.stat().st_size:,} bytes  sha256 {artifact.sha256}"
        )
    click.echo(
        f"template  {_display(template_path(run, template_format), run.project_dir)}  "
        f"{len(run.template.resources)} resources"
    )
    assert run.build is not None
    for architecture, deps in run.build.report.get("dependencies", {}).items():
        how = "reused from cache" if deps["reused"] else "installed"
        click.echo(
            f"deps      {architecture} ({deps['target']}): {len(deps['packages'])} "
            f"package(s) {how}  key {deps['key'][:12]}"
        )


def _display(path: Path, project_dir: Path) -> str:
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


@main.command()
@format_option
@build_id_option
@force_option
@click.pass_context
def build(ctx: click.Context, template_format: str, build_id: str | None, force: bool) -> None:
    """Build the archive and the template into .sparta/; change nothing in AWS."""
    session = open_session(ctx, **{"build-id": build_id, "force": force or None})
    build_and_report(session.context(noop=True), template_format)


@main.command()
@click.option("--noop", is_flag=True, help="Build and marshal only; nothing in AWS changes.")
@click.option("--s3-bucket", metavar="BUCKET", help="Bucket for the archive and the template.")
@click.option("--tag", "tags", multiple=True, metavar="K=V", help="Stack tag (repeatable).")
@click.option("--param", "params", multiple=True, metavar="K=V",
              help="Template parameter (repeatable).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@format_option
@build_id_option
@click.pass_context
def provision(
    ctx: click.Context,
    noop: bool,
    s3_bucket: str | None,
    tags: tuple[str, ...],
    params: tuple[str, ...],
    yes: bool,
    template_format: str,
    build_id: str | None,
) -> None:
    """Build, upload, marshal and converge the stack."""
    from sparta_core.cli_deploy import run_provision

    run_provision(ctx, s3_bucket=s3_bucket, tags=tags, params=params, yes=yes,
                  template_format=template_format, build_id=build_id, noop=noop)


@main.command()
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


@main.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page (default: .sparta/<service>-describe.html).")
@click.pass_context
def describe(ctx: click.Context, out: Path | None) -> None:
    """Write one self-contained HTML page: the service as a graph, and its template."""
    from sparta_core.describe import render_page
    from sparta_core.workflow import Workflow

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
    click.echo(_display(path, run.project_dir))


# The commands that talk to AWS live in their own module and register on ``main``.
from sparta_core import cli_deploy  # noqa: E402, F401
