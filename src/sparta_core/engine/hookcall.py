"""Calling a hook one implementation at a time, so that sparta knows who did what.

pluggy's hook caller returns results without saying which plugin gave them, and lets an
exception out without saying which plugin raised it. sparta calls the implementations
itself, in pluggy's order (last registered first; ``tryfirst`` before and ``trylast``
after the rest), so that a broken contract or a failure names the plugin. A hook that
has a ``wrapper`` implementation is called through pluggy instead, and the plugin is
then found in the traceback.
"""

from __future__ import annotations

from typing import Any

from sparta_core.errors import SpartaError, StageError

WRAPPED = "a wrapped plugin"


def call_hook(
    pm: Any,
    stage: str,
    hook_name: str,
    *,
    firstresult: bool = False,
    **kwargs: Any,
) -> list[tuple[str, Any]]:
    """Call ``hook_name`` with ``kwargs``; return ``(plugin, result)`` for each non-``None``
    result (only the first with ``firstresult``). An exception that is not a
    ``SpartaError`` becomes a ``StageError`` naming ``stage`` and the plugin."""
    caller = getattr(pm.hook, hook_name)
    impls = caller.get_hookimpls()
    if any(impl.wrapper or impl.hookwrapper for impl in impls):
        return _through_pluggy(stage, caller, firstresult, kwargs)
    results: list[tuple[str, Any]] = []
    for impl in reversed(impls):
        try:
            result = impl.function(*(kwargs[name] for name in impl.argnames))
        except SpartaError:
            raise
        except Exception as error:
            raise StageError(stage, describe_error(error), impl.plugin_name) from error
        if result is not None:
            results.append((impl.plugin_name, result))
            if firstresult:
                break
    return results


def _through_pluggy(
    stage: str, caller: Any, firstresult: bool, kwargs: dict[str, Any]
) -> list[tuple[str, Any]]:
    try:
        outcome = caller(**kwargs)
    except SpartaError:
        raise
    except Exception as error:
        plugin = plugin_in_traceback(caller, error)
        raise StageError(stage, describe_error(error), plugin) from error
    if firstresult:
        return [] if outcome is None else [(WRAPPED, outcome)]
    return [(WRAPPED, result) for result in outcome]


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def plugin_in_traceback(caller: Any, error: BaseException) -> str | None:
    """The plugin whose hook implementation is deepest in ``error``'s traceback."""
    codes = {
        impl.function.__code__: impl.plugin_name
        for impl in caller.get_hookimpls()
        if hasattr(impl.function, "__code__")
    }
    plugin = None
    traceback = error.__traceback__
    while traceback is not None:
        plugin = codes.get(traceback.tb_frame.f_code, plugin)
        traceback = traceback.tb_next
    return plugin
