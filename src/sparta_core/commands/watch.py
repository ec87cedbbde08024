"""``sparta watch``: rebuild on every change of the project's files and hotswap it.

It provisions once at start (``--hotswap``: a stack that only lacks the latest code gets
it directly; no stack, or any other difference, provisions in full), then waits for
changes with watchfiles (the project's folder, minus what never ships: ``.sparta/``,
caches, virtual environments, VCS folders, editor leftovers) and deploys each batch
the same way. One line per deploy says what changed, what was done and how long it
took; a failure is one ``error:`` line, and watching goes on.

Consent: a full provision executes a change set, which needs consent. ``--yes`` gives
it in advance, for every deploy of the session; without it, sparta asks at the terminal
for each full provision and, without a terminal, that deploy fails with one line and
changes nothing (hotswaps never ask: they change only code). Ctrl-C ends it (exit 0).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from sparta_core.commands.options import open_session, yes_option


@click.command()
@yes_option
@click.pass_context
def watch(ctx: click.Context, yes: bool) -> None:
    """Rebuild on every change and hotswap the code into the deployed stack."""
    from sparta_core.errors import ConfigError, InterruptedWaitError

    try:
        import watchfiles
    except ImportError:  # pragma: no cover - a dependency of sparta-core
        raise ConfigError("sparta watch needs watchfiles (pip install watchfiles)") from None
    session = open_session(ctx)
    if session.reporter.verbosity == 0:
        session.reporter.verbosity = -1  # one line per deploy; -v shows the stages
    project_dir = session.settings.project_dir
    try:
        deploy(session, yes, "start")
        click.echo(f"watching {project_dir} for changes (Ctrl-C to stop)")
        for changes in watchfiles.watch(
            project_dir, watch_filter=project_filter(watchfiles), debounce=400,
            raise_interrupt=False,
        ):
            deploy(session, yes, describe_changes(changes, project_dir))
    except (KeyboardInterrupt, InterruptedWaitError):
        pass
    click.echo("watch stopped")


def project_filter(watchfiles: Any) -> Any:
    """watchfiles' default filter, also ignoring every folder the build never ships."""
    from sparta_core.stages.build.plugin import EXCLUDED_DIRS

    ignored = tuple(sorted(set(watchfiles.DefaultFilter.ignore_dirs) | EXCLUDED_DIRS))
    return watchfiles.DefaultFilter(ignore_dirs=ignored)


def describe_changes(changes: set[tuple[Any, str]], project_dir: Path) -> str:
    """``hello/greetings.py`` or ``service.py, app/h1.py and 3 more``."""
    names = []
    for _, path in changes:
        try:
            names.append(Path(path).relative_to(project_dir).as_posix())
        except ValueError:
            names.append(path)
    names = sorted(set(names))
    if len(names) > 2:
        return f"{', '.join(names[:2])} and {len(names) - 2} more"
    return ", ".join(names)


def deploy(session: Any, yes: bool, what: str) -> None:
    """One deploy with ``--hotswap``, reported in one line."""
    from sparta_core.commands.provision import change_word
    from sparta_core.engine.workflow import Workflow
    from sparta_core.errors import InterruptedWaitError, SpartaError
    from sparta_core.stages.converge.hotswap import FALLBACK_KEY

    started = time.perf_counter()
    stamp = time.strftime("%H:%M:%S")
    try:
        run = session.context(yes=yes, hotswap=True)
        run.command = "watch"
        result = Workflow(run).provision()
    except InterruptedWaitError as error:
        click.echo(f"{stamp} {what}: error: {error}")
        raise
    except SpartaError as error:
        click.echo(f"{stamp} {what}: error: {error} ({time.perf_counter() - started:.2f} s)")
        return
    assert result is not None
    done = change_word(run, result.changed)
    fallback = run.stash.get(FALLBACK_KEY)
    if fallback and result.changed:
        done += f", in full: {fallback}"
    click.echo(f"{stamp} {what}: {result.stack_name} {done} "
               f"({time.perf_counter() - started:.2f} s)")
