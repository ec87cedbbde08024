"""The ``cloudwatch`` plugin: ``[tool.sparta] alarms = {...}`` for every function.

Declares the setting ``alarms`` (a table: ``errors``, ``throttles``, ``duration-p99-ms``,
``notify``; the same defaults as :class:`~sparta_cloudwatch.Alarms`), checks it before
anything is built, and adds those alarms in ``sparta_decorate_function`` to every
function of the service that has no ``Alarms`` decorator of its own. Without the
setting, only functions with ``decorators=[Alarms(...)]`` get alarms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sparta_core as sparta
from sparta_cloudwatch.alarms import Alarms
from sparta_core.errors import ConfigError, ServiceDefinitionError

SETTING = "alarms"
#: Key of the setting -> Alarms' parameter.
KEYS = {"errors": "errors", "throttles": "throttles", "duration-p99-ms": "duration_p99_ms",
        "notify": "notify"}
STASH_KEY = "sparta_cloudwatch.default_alarms"


@sparta.hookimpl
def sparta_addoption(parser: Any) -> None:
    parser.add_option(
        SETTING, type="mapping", default=None,
        help="alarms for every function without its own Alarms: a table of errors, "
        "throttles, duration-p99-ms (0 disables one) and notify (an SNS topic ARN or "
        "logical ID)",
    )


def default_alarms(options: Mapping[str, Any]) -> Alarms | None:
    """The ``Alarms`` the setting asks for, or ``None`` when it is not set; a bad key or
    value is a :class:`ConfigError` naming it."""
    table = options.get(SETTING)
    if table is None:
        return None
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"setting '{SETTING}': unknown key '{unknown[0]}' (known: {', '.join(KEYS)})"
        )
    arguments: dict[str, Any] = {}
    for key, value in table.items():
        parameter = KEYS[key]
        if parameter == "notify":
            arguments[parameter] = value or None
        else:
            arguments[parameter] = _number(value, key, whole=parameter != "duration_p99_ms")
    try:
        return Alarms(**arguments)
    except ServiceDefinitionError as error:
        message = str(error).replace("Alarms: ", "", 1)
        raise ConfigError(f"setting '{SETTING}': {message}") from None


def _number(value: Any, key: str, *, whole: bool) -> float:
    text = str(value).strip()
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number of milliseconds"
        raise ConfigError(
            f"setting '{SETTING}': {key} must be {kind} (0 disables it), got {value!r}"
        ) from None


def _defaults(ctx: Any) -> Alarms | None:
    if STASH_KEY not in ctx.stash:
        ctx.stash[STASH_KEY] = default_alarms(ctx.settings.options)
    return ctx.stash[STASH_KEY]


@sparta.hookimpl
def sparta_validate_service(ctx: Any) -> None:
    _defaults(ctx)


@sparta.hookimpl
def sparta_decorate_function(
    ctx: Any, function: Any, logical_id: str, template: Any
) -> dict[str, Any] | None:
    alarms = _defaults(ctx)
    if alarms is None or any(isinstance(d, Alarms) for d in function.decorators):
        return None
    return alarms.resources(ctx, function, logical_id, template)
