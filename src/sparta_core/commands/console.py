"""The ``sparta`` console script.

It first asks :mod:`sparta_core.engine.replay` whether this exact command already ran
and nothing it read has changed since (an unchanged ``sparta build``): then it prints
what that run printed and ends, having loaded almost nothing. Otherwise it runs
:func:`sparta_core.commands.main.main` and ends without tearing the interpreter down.

Nothing heavy is imported at the top: not click, not typing, not the command line.
"""

from __future__ import annotations

import sys


def entry() -> None:
    """The ``sparta`` console script: a replay of an unchanged build, or :func:`main`,
    then an exit that skips tearing the interpreter down.

    Once boto3 is loaded, Python's own shutdown (finalising a thousand modules and their
    objects) takes about 0.2 s, a tenth of a hotswap. When the command has finished,
    only the main thread is left and there is nothing to clean up but what ``atexit``
    does, so that runs, the standard streams are flushed and the process ends with
    ``os._exit``. With any other thread still alive, the ordinary exit runs. (The
    in-process runners of the tests and the testing kit call :func:`main`, never this,
    and never replay or record.)
    """
    import os

    from sparta_core.engine import replay

    if replay.replayed(sys.argv[1:]):
        _flush()
        os._exit(0)
    replay.arm()

    import atexit

    from sparta_core.commands.main import main

    code: object
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    import threading  # after the command: `sparta --help` has no use for it

    if threading.active_count() > 1:
        sys.exit(code)  # type: ignore[arg-type]
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # what SystemExit("message") prints
        code = 1
    atexit._run_exitfuncs()
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            # A closed or broken stream (`sparta status | head`), or none at all:
            # nothing more can reach it.
            continue
