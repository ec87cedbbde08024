"""CloudFormation values a local run can work out itself.

A function's environment in the template may hold references. Locally, those that name
only pseudo parameters (``AWS::Region``, ``AWS::StackName``...) or template parameters
with a value are resolved; a reference to a resource of the stack (its physical name or
an attribute) is not known before the stack exists, and :func:`resolve` says so with
``None``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

#: ``${Name}`` or ``${Resource.Attribute}`` in an ``Fn::Sub`` string (``${!x}`` is literal).
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


def resolve(value: Any, known: Mapping[str, str]) -> str | None:
    """``value`` as the string Lambda would see, or ``None`` when it depends on something
    only CloudFormation knows. ``known`` maps names ``Ref`` may use to their values."""
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (str, int, float)):
        return str(value)
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref":
        return known.get(argument) if isinstance(argument, str) else None
    if function == "Fn::Sub":
        return _sub(argument, known)
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
        separator, parts = argument
        if not isinstance(separator, str) or not isinstance(parts, list):
            return None
        resolved = [resolve(part, known) for part in parts]
        return None if None in resolved else separator.join(resolved)  # type: ignore[arg-type]
    return None


def _sub(argument: Any, known: Mapping[str, str]) -> str | None:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        text, extra = argument
        names = dict(known)
        for name, part in extra.items():
            resolved = resolve(part, known)
            if resolved is None:
                return None
            names[name] = resolved
    else:
        text, names = argument, dict(known)
    if not isinstance(text, str):
        return None
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name not in names:
            missing = True
            return match.group(0)
        return names[name]

    result = _SUB.sub(replace, text).replace("${!", "${")
    return None if missing else result
