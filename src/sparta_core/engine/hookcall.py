"""Calling hooks through pluggy, while still knowing which plugin did what.

Every hook is called through pluggy (``pm.hook.<name>(**kwargs)``), so pluggy's own
ordering rules apply and :meth:`pluggy.PluginManager.add_hookcall_monitoring` sees every
call. What pluggy does not say is *who* returned a result or raised: for that,
:func:`attribute` wraps each hook implementation when it is registered. While a call made
by :func:`call_hook` runs, the wrapper records ``(plugin, result)`` for each non-``None``
result and turns a failure into a :class:`~sparta_core.errors.StageError` naming the
stage and the plugin. A :class:`~sparta_core.errors.SpartaError` raised by a plugin that
is not a built-in is named the same way (a built-in's errors already say what failed).

Wrapper implementations (``wrapper=True`` / ``hookwrapper=True``) are generators that
pluggy drives itself; they are left as they are, and a failure inside one is found in
the traceback instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sparta_core.errors import SpartaError, StageError


@dataclass
class _Call:
    """The hook call in progress: its stage, and what each plugin returned."""

    stage: str
    #: ``raise``: a failure stops the call; ``warn``: it is given to ``warn`` and the
    #: other implementations still run (``sparta_rollback``).
    on_error: str = "raise"
    warn: Callable[[str], None] | None = None
    builtins: frozenset[str] = frozenset()
    results: list[tuple[str, Any]] = field(default_factory=list)


_current: ContextVar[_Call | None] = ContextVar("sparta_hook_call", default=None)
_running: ContextVar[str | None] = ContextVar("sparta_hook_plugin", default=None)


def running_plugin() -> str | None:
    """The plugin whose hook implementation is running now (``None`` outside hooks):
    for registries that record who registered what."""
    return _running.get()


def attribute(impl: Any) -> None:
    """Wrap ``impl.function`` (a pluggy ``HookImpl``) so that calls through
    :func:`call_hook` learn its results and failures by plugin name."""
    if impl.wrapper or impl.hookwrapper or getattr(impl.function, "__sparta_plugin__", None):
        return
    function = impl.function
    plugin = impl.plugin_name

    @functools.wraps(function)
    def attributed(*args: Any) -> Any:
        call = _current.get()
        running = _running.set(plugin)
        try:
            if call is None:  # called by someone else than call_hook: plain pluggy
                return function(*args)
            result = function(*args)
        except Exception as error:
            if call is None:
                raise
            failure = _named(error, call, plugin)
            if call.on_error == "warn" and call.warn is not None:
                call.warn(f"{call.stage}: plugin '{plugin}' failed: {describe_error(error)}")
                return None
            if failure is error:
                raise
            raise failure from error
        finally:
            _running.reset(running)
        if result is not None:
            call.results.append((plugin, result))
        return result

    attributed.__sparta_plugin__ = plugin  # type: ignore[attr-defined]
    impl.function = attributed


def _named(error: Exception, call: _Call, plugin: str) -> Exception:
    """``error`` as the run should report it: a ``StageError`` naming the plugin."""
    return named_failure(error, call.stage, plugin, plugin in call.builtins)


def named_failure(error: Exception, stage: str, plugin: str | None,
                  builtin: bool) -> Exception:
    """``error``, raised by ``plugin``'s work for ``stage``, as the run reports it: a
    ``StageError`` naming them, except a ``SpartaError`` of a built-in plugin (whose
    message already says what failed) or one already named."""
    if isinstance(error, StageError):
        return error
    if isinstance(error, SpartaError):
        if builtin or plugin is None or getattr(error, "plugin", None):
            return error
        error.plugin = plugin  # type: ignore[attr-defined]
        named = StageError(stage, str(error), plugin)
        named.exit_code = error.exit_code
        return named
    return StageError(stage, describe_error(error), plugin)


def current_call() -> tuple[str, str | None, bool] | None:
    """The hook call in progress (``None`` outside :func:`call_hook`): its stage, the
    plugin whose implementation runs now, and whether that plugin is a built-in."""
    call = _current.get()
    if call is None:
        return None
    plugin = _running.get()
    return call.stage, plugin, plugin is None or plugin in call.builtins


@contextmanager
def _calling(call: _Call) -> Iterator[_Call]:
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


def call_hook(
    pm: Any,
    stage: str,
    hook_name: str,
    *,
    firstresult: bool = False,
    on_error: str = "raise",
    warn: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> list[tuple[str, Any]]:
    """Call ``hook_name`` through pluggy with ``kwargs``; return ``(plugin, result)`` for
    each non-``None`` result, in call order (only the first with ``firstresult``).

    An exception is a ``StageError`` naming ``stage`` and the plugin; with
    ``on_error="warn"`` it is passed to ``warn`` instead and the call goes on."""
    caller = getattr(pm.hook, hook_name)
    builtins = getattr(pm, "builtin_names", None)
    if builtins is None:  # a plain pluggy manager, as some tests build
        builtins = frozenset(
            name for name, info in getattr(pm, "infos", {}).items()
            if info.origin == "built-in"
        )
    with _calling(_Call(stage, on_error, warn, builtins)) as call:
        try:
            outcome = caller(**kwargs)
        except SpartaError:
            raise
        except Exception as error:
            # Raised outside an attributed implementation (a wrapper's own code).
            raise StageError(stage, describe_error(error), plugin_in_traceback(caller, error)) \
                from error
    if firstresult:
        if outcome is None:
            return []
        # A wrapper may have replaced the result; then nobody in particular gave it.
        found = [(plugin, result) for plugin, result in call.results if result is outcome]
        return found[:1] or [(WRAPPED, outcome)]
    return call.results if len(call.results) == len(outcome) else \
        [(WRAPPED, result) for result in outcome]


#: The plugin named for a result that a wrapper implementation made.
WRAPPED = "a wrapped plugin"


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def plugin_in_traceback(caller: Any, error: BaseException) -> str | None:
    """The plugin whose hook implementation is deepest in ``error``'s traceback."""
    codes = {}
    for impl in caller.get_hookimpls():
        function = getattr(impl.function, "__wrapped__", impl.function)
        if hasattr(function, "__code__"):
            codes[function.__code__] = impl.plugin_name
    plugin = None
    traceback = error.__traceback__
    while traceback is not None:
        plugin = codes.get(traceback.tb_frame.f_code, plugin)
        traceback = traceback.tb_next
    return plugin
