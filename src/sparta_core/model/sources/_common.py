"""What the event source kinds share: parameter checks, target resolution, permissions.

A source's target (a queue, a topic, a bucket...) may be an ARN or name string, a
``Ref``/``GetAtt`` to a resource of the same template, or a raw intrinsic dict. The
helpers here tell which, find the resource's type when it is in the template, and build
the ARN or name CloudFormation needs, so that each kind's module stays about its kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sparta_core.errors import (
    SourceError,
)
from sparta_core.model.events import FunctionWiring
from sparta_core.model.refs import GetAtt, Ref, Reference, Sub, check_value, to_cfn

PARTITION = "${AWS::Partition}"
REGION = "${AWS::Region}"
ACCOUNT = "${AWS::AccountId}"


# -- definition-time checks ---------------------------------------------------------


def is_target(value: object) -> bool:
    """True for what a target parameter accepts: a non-empty string, a reference or an
    intrinsic dict."""
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, (Reference, Mapping))


def check_target(value: object, option: str) -> None:
    if not is_target(value):
        raise SourceError(
            f"{option} must be an ARN or name string, or a Ref/GetAtt to a resource of the "
            f"stack, got {value!r}"
        )
    if not isinstance(value, str):
        check_value(value, option)


def check_int(
    value: object, low: int, high: int, option: str, *, allow: Sequence[int] = ()
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not (
        low <= value <= high or value in allow
    ):
        extra = "".join(f" or {a}" for a in allow)
        raise SourceError(f"{option} must be an integer from {low} to {high}{extra}, got {value!r}")


def check_choice(value: object, choices: Sequence[str], option: str) -> None:
    if value is not None and value not in choices:
        raise SourceError(f"{option} must be one of {', '.join(choices)}, got {value!r}")


def check_bool(value: object, option: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise SourceError(f"{option} must be True or False, got {value!r}")


def string_list(
    value: object, option: str, *, allowed: Sequence[str] | None = None
) -> tuple[str, ...]:
    """``value`` as a tuple of non-empty strings (one string is a list of one)."""
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(i, str) and i for i in items):
        raise SourceError(f"{option} must be a string or a list of strings, got {value!r}")
    if allowed is not None:
        for item in items:
            if item not in allowed:
                raise SourceError(f"{option}: {item!r} is not one of {', '.join(allowed)}")
    return tuple(items)


def json_input(value: object, option: str) -> str | None:
    """A target's constant input as the JSON string CloudFormation wants."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            raise SourceError(f"{option} must be JSON (a dict, a list or a JSON string)") from None
        return value
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        raise SourceError(f"{option} must be JSON-serialisable, got {value!r}") from None


def check_pattern(pattern: Mapping[str, Any], option: str, path: str = "") -> None:
    """An event pattern (EventBridge's, or a Lambda filter's) matches each field against
    a list of values: a leaf that is not a list would be refused when the rule is made."""
    for key, value in pattern.items():
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, Mapping):
            if not value:
                raise SourceError(f"{option}: {where!r} is an empty object; give it fields")
            check_pattern(value, option, where)
        elif not isinstance(value, (list, tuple)) or not value:
            raise SourceError(
                f"{option}: {where!r} must be a non-empty list of values to match "
                f"(write [{value!r}]), got {value!r}"
            )


def brief(value: object) -> str:
    """A short rendering of a target for messages: 'orders', Ref('Orders')..."""
    if isinstance(value, Ref):
        return f"Ref('{value.logical_id}')"
    if isinstance(value, GetAtt):
        return f"GetAtt('{value.logical_id}', '{value.attribute}')"
    if isinstance(value, Sub):
        return f"Sub('{value.template}')"
    return repr(value)


# -- marshall-time resolution ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A source's target as the template sees it.

    ``logical_id``/``type`` are set when the target is a resource of the template;
    ``attribute`` is the GetAtt attribute the user named, if any; ``literal`` is the
    string the user gave, if any.
    """

    value: Any
    logical_id: str | None = None
    type: str | None = None
    attribute: str | None = None
    literal: str | None = None

    @property
    def owned(self) -> bool:
        """True when the target is a resource the stack itself declares."""
        return self.type is not None


def resolve(wiring: FunctionWiring, value: Any) -> Target:
    """Tell what ``value`` points at in ``wiring.template``."""
    if isinstance(value, str):
        return Target(value, literal=value)
    raw = to_cfn(value)
    logical: str | None = None
    attribute: str | None = None
    if isinstance(raw, Mapping) and set(raw) == {"Ref"} and isinstance(raw["Ref"], str):
        logical = raw["Ref"]
    elif isinstance(raw, Mapping) and set(raw) == {"Fn::GetAtt"}:
        spec = raw["Fn::GetAtt"]
        if isinstance(spec, str):
            spec = spec.split(".", 1)
        if isinstance(spec, list) and len(spec) == 2 and all(isinstance(s, str) for s in spec):
            logical, attribute = spec
    resource = wiring.template.resources.get(logical) if logical else None
    if resource is None:
        return Target(value, attribute=attribute)
    return Target(value, logical, resource.get("Type"), attribute)


def expect_type(target: Target, types: Sequence[str], option: str) -> None:
    """Refuse a reference to a resource of the wrong type."""
    if target.type is not None and target.type not in types:
        raise SourceError(
            f"{option} refers to '{target.logical_id}', an {target.type}, not an "
            f"{' or '.join(types)}"
        )


def arn_from_name(literal: str, pattern: str) -> Any:
    """An ARN given as is, or built from a name with ``pattern`` (``{name}`` inside)."""
    if literal.startswith("arn:"):
        return literal
    return {"Fn::Sub": pattern.replace("{name}", literal.replace("${", "${!"))}


def permission(
    wiring: FunctionWiring,
    logical_id: str,
    principal: str,
    source_arn: Any,
    *,
    source_account: bool = False,
    owner: str,
) -> dict[str, Any]:
    """Add the ``AWS::Lambda::Permission`` that lets ``principal`` invoke the function
    on behalf of ``source_arn`` only."""
    properties: dict[str, Any] = {
        "Action": "lambda:InvokeFunction",
        "FunctionName": wiring.function_arn,
        "Principal": principal,
        "SourceArn": source_arn,
    }
    if source_account:
        properties["SourceAccount"] = {"Ref": "AWS::AccountId"}
    return wiring.template.add_resource(
        logical_id, "AWS::Lambda::Permission", properties, owner=owner
    )


def allow(actions: Sequence[str], resource: Any) -> dict[str, Any]:
    """An ``Allow`` statement on one resource (never ``*``)."""
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def destination_statement(target: Target, destination: Any, option: str) -> dict[str, Any]:
    """The statement that lets the function's role send to an SQS/SNS destination."""
    kind = None
    if target.type == "AWS::SQS::Queue":
        kind = "sqs"
    elif target.type == "AWS::SNS::Topic":
        kind = "sns"
    elif target.literal and target.literal.startswith("arn:"):
        service = target.literal.split(":")[2] if target.literal.count(":") >= 2 else ""
        kind = service if service in ("sqs", "sns") else None
    if kind is None:
        raise SourceError(
            f"{option} must be an SQS queue or SNS topic ARN, or a reference to a queue or "
            f"topic of the stack, got {brief(target.value)}"
        )
    action = "sqs:SendMessage" if kind == "sqs" else "sns:Publish"
    return allow([action], destination)


def queue_or_topic_arn(target: Target) -> Any:
    """The ARN of a queue (GetAtt Arn) or a topic (its Ref is its ARN)."""
    if target.type == "AWS::SQS::Queue" and target.attribute is None:
        return {"Fn::GetAtt": [target.logical_id, "Arn"]}
    return to_cfn(target.value)
