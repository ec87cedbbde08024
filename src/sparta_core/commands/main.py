"""The ``sparta`` command line: parse, build the context, call the workflow.

Commands stay thin. Everything heavy (pluggy, the built-in plugins, boto3) is imported
inside the commands, so ``sparta --help`` starts fast. Every ``SpartaError`` ends in one
``error: ...`` line and a non-zero exit; ``-v`` adds the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sparta_core import __version__
from sparta_core.errors import SpartaError

#: Allocations between two first-generation collections while a command runs.
GC_THRESHOLD = 10_000


class SpartaCommandError(click.ClickException):
    """A ``SpartaError`` on its way out: one line, the error's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


#: Every command, and the module that defines it (as an attribute of the same name).
#: A module is imported only when its command runs or ``--help`` lists it, and command
#: modules import only click at the top, so ``sparta --help`` stays fast.
COMMANDS: dict[str, str] = {
    "build": "sparta_core.commands.build",
    "delete": "sparta_core.commands.delete",
    "describe": "sparta_core.commands.describe",
    "init": "sparta_core.commands.init",
    "invoke": "sparta_core.commands.invoke",
    "local": "sparta_core.commands.local",
    "logs": "sparta_core.commands.logs",
    "plan": "sparta_core.commands.plan",
    "plugins": "sparta_core.commands.plugins",
    "provision": "sparta_core.commands.provision",
    "status": "sparta_core.commands.status",
    "watch": "sparta_core.commands.watch",
}


class SpartaGroup(click.Group):
    """Loads commands lazily and turns sparta's errors (and anyone else's) into one line
    and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        import importlib

        command = getattr(importlib.import_module(module_name), cmd_name)
        self.add_command(command, cmd_name)
        return command

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """click's ``main``, but a usage error (unknown option or command, bad value)
        ends like every other failure: the usage, then one ``error:`` line, exit 2."""
        # A command allocates a template's worth of small dicts and lists (tens of
        # thousands for a big service) and frees few of them before it ends; with the
        # default first-generation threshold (700) the collector runs a hundred times
        # and, for 1,000 functions, costs a tenth of the build. A larger threshold still
        # collects cycles, a few times per command instead.
        import gc

        threshold = gc.get_threshold()
        gc.set_threshold(GC_THRESHOLD, *threshold[1:])
        try:
            return self._main(*args, standalone_mode=standalone_mode, **kwargs)
        finally:  # an in-process run (a test's) leaves the collector as it found it
            gc.set_threshold(*threshold)

    def _main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
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
        import traceback  # only for -v: loading it costs sparta --help a tenth of its time

        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)


@click.group(cls=SpartaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--service", "service_ref", metavar="MOD:ATTR",
              help="The service object (default: [tool.sparta] service, else service:service).")
@click.option("-p", "plugins", multiple=True, metavar="PLUGIN",
              help="Load plugin module or entry point PLUGIN; -p no:NAME blocks plugin NAME.")
@click.option("-C", "--project-dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Run as if started in this directory.")
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="Set a setting declared by a plugin.")
@click.option("--local", is_flag=True, default=None,
              help="Use the embedded local AWS endpoint (started on first use).")
@click.option("--stage", metavar="NAME",
              help="Deploy as the stack <service>-NAME, with [tool.sparta.stages.NAME] "
                   "laid over [tool.sparta] (also SPARTA_STAGE).")
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
    stage: str | None,
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
            "stage": stage,
            "region": region,
            "profile": profile,
            "endpoint-url": endpoint_url,
        },
        "verbosity": verbose - quiet,
    }
