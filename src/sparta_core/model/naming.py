"""Names: the rules AWS puts on them and the stable logical IDs sparta derives from them."""

from __future__ import annotations

import functools
import re

from sparta_core.errors import ServiceDefinitionError

STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]*")
STACK_NAME_MAX = 128
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]+")
FUNCTION_NAME_MAX = 64
LOGICAL_ID = re.compile(r"[A-Za-z0-9]+")
LOGICAL_ID_MAX = 255
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


def check_stack_name(name: object) -> str:
    """Return ``name`` if CloudFormation accepts it as a stack name, else raise."""
    if not isinstance(name, str) or not STACK_NAME.fullmatch(name):
        raise ServiceDefinitionError(
            f"service name {name!r} is not a valid stack name: it must start with a letter "
            "and hold only letters, digits and hyphens"
        )
    if len(name) > STACK_NAME_MAX:
        raise ServiceDefinitionError(
            f"service name {name!r} is {len(name)} characters; CloudFormation allows "
            f"{STACK_NAME_MAX}"
        )
    return name


def check_function_name(name: object, *, what: str) -> str:
    """Return ``name`` if Lambda accepts it as a function name, else raise."""
    if not isinstance(name, str) or not FUNCTION_NAME.fullmatch(name):
        raise ServiceDefinitionError(
            f"{what}: {name!r} is not a valid Lambda function name "
            "(letters, digits, hyphens and underscores only)"
        )
    if len(name) > FUNCTION_NAME_MAX:
        raise ServiceDefinitionError(
            f"{what}: Lambda function name {name!r} is {len(name)} characters; Lambda "
            f"allows {FUNCTION_NAME_MAX} (pass name=... to choose a shorter one)"
        )
    return name


@functools.lru_cache(maxsize=16384)
def logical_id(*parts: str) -> str:
    """A CloudFormation logical ID made of ``parts``: alphanumeric, CamelCase, stable.

    ``logical_id("make_thumbnail", "Role")`` is ``"MakeThumbnailRole"``. The same parts
    always give the same ID, so updates modify resources in place. (A pure function of
    its arguments, asked several times per function per build: remembered.)
    """
    words: list[str] = []
    for part in parts:
        for word in _SEPARATORS.split(part):
            if word:
                words.append(word[0].upper() + word[1:])
    result = "".join(words)
    if not result or not LOGICAL_ID.fullmatch(result):
        raise ServiceDefinitionError(f"cannot derive a logical ID from {parts!r}")
    if result[0].isdigit():
        result = "F" + result
    if len(result) > LOGICAL_ID_MAX:
        raise ServiceDefinitionError(f"logical ID {result[:40]}... is over {LOGICAL_ID_MAX} chars")
    return result
