"""``Alarms``: one ``AWS::CloudWatch::Alarm`` per metric per function.

Each alarm watches the function itself (namespace ``AWS/Lambda``, dimension
``FunctionName`` = the function's ``Ref``), so it counts every version and alias of it,
a canary's new version included. Over one period of 60 s:

* ``errors=N``: the ``Sum`` of ``Errors`` is at least N;
* ``throttles=N``: the ``Sum`` of ``Throttles`` is at least N;
* ``duration_p99_ms=T``: the ``p99`` of ``Duration`` is at least T milliseconds.

``0`` or ``None`` leaves a metric without an alarm. Missing data is not breaching (a
function nobody calls is healthy). ``notify`` (an SNS topic: its ARN, or a ``Ref`` /
``GetAtt`` / the logical ID of a topic in the template) gets both the ALARM and the OK
notifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparta_core.errors import ServiceDefinitionError

#: Alarms' parameter -> (CloudWatch metric, logical-ID and name part).
METRICS: dict[str, tuple[str, str]] = {
    "errors": ("Errors", "Errors"),
    "throttles": ("Throttles", "Throttles"),
    "duration_p99_ms": ("Duration", "DurationP99"),
}
PERIOD_SECONDS = 60


def _count(value: Any, what: str) -> int | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ServiceDefinitionError(
            f"{what} must be a whole number of at least 1 (0 or None: no alarm), got {value!r}"
        )
    return value


def _milliseconds(value: Any, what: str) -> float | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ServiceDefinitionError(
            f"{what} must be a positive number of milliseconds (0 or None: no alarm), "
            f"got {value!r}"
        )
    return value


def _notify(value: Any, what: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and value:
        return value
    if hasattr(value, "to_cfn"):  # sparta.Ref / GetAtt / Sub
        return value.to_cfn()
    if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)).startswith(
        ("Ref", "Fn::")
    ):
        return dict(value)
    raise ServiceDefinitionError(
        f"{what} must be an SNS topic: its ARN, the logical ID of a topic in the template, "
        f"or sparta.Ref(...), got {value!r}"
    )


@dataclass(frozen=True)
class Alarms:
    """Per-function decorator: the alarms of the function it decorates.

    Thresholds are checked when it is created; a bad one is a
    :class:`~sparta_core.errors.ServiceDefinitionError` naming the parameter. Called by
    sparta's decorate stage, it returns the alarm resources (see :meth:`resources`).
    """

    errors: int | None = 1
    throttles: int | None = 1
    duration_p99_ms: float | None = None
    notify: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", _count(self.errors, "Alarms: errors"))
        object.__setattr__(self, "throttles", _count(self.throttles, "Alarms: throttles"))
        object.__setattr__(self, "duration_p99_ms",
                           _milliseconds(self.duration_p99_ms, "Alarms: duration_p99_ms"))
        object.__setattr__(self, "notify", _notify(self.notify, "Alarms: notify"))

    def thresholds(self) -> dict[str, float]:
        """Parameter -> threshold of each metric that gets an alarm."""
        values = {name: getattr(self, name) for name in METRICS}
        return {name: value for name, value in values.items() if value is not None}

    @staticmethod
    def alarm_id(logical_id: str, parameter: str) -> str:
        """The logical ID of the alarm on ``parameter`` (``errors``...) of the function
        whose resource is ``logical_id``: ``<Function>ErrorsAlarm``, ``...ThrottlesAlarm``,
        ``...DurationP99Alarm``. Stable, so other resources may ``Ref`` it."""
        return f"{logical_id}{METRICS[parameter][1]}Alarm"

    def __call__(self, ctx: Any, function: Any, logical_id: str, template: Any) -> dict[str, Any]:
        return self.resources(ctx, function, logical_id, template)

    def resources(
        self, ctx: Any, function: Any, logical_id: str, template: Any
    ) -> dict[str, Any]:
        """The alarm resources, in template form, for ``function`` (resource ``logical_id``)."""
        notify = _topic(self.notify, template, f"Alarms of function '{function.key}': notify")
        physical = ctx.service.physical_name(function) if ctx is not None else function.key
        resources: dict[str, Any] = {}
        for parameter, threshold in self.thresholds().items():
            metric, part = METRICS[parameter]
            properties: dict[str, Any] = {
                "AlarmName": f"{physical}-{part.lower()}",
                "AlarmDescription": _description(function.key, parameter, threshold),
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": logical_id}}],
                "Period": PERIOD_SECONDS,
                "EvaluationPeriods": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
            }
            if parameter == "duration_p99_ms":
                properties["ExtendedStatistic"] = "p99"
            else:
                properties["Statistic"] = "Sum"
            if notify is not None:
                properties["AlarmActions"] = [notify]
                properties["OKActions"] = [notify]
            resources[self.alarm_id(logical_id, parameter)] = {
                "Type": "AWS::CloudWatch::Alarm", "Properties": properties,
            }
        return resources


def _description(key: str, parameter: str, threshold: float) -> str:
    if parameter == "duration_p99_ms":
        return f"p99 duration of function {key} over 60 s is at least {threshold:g} ms"
    metric = METRICS[parameter][0]
    return f"{metric} of function {key} over 60 s: at least {threshold:g}"


def _topic(value: Any, template: Any, what: str) -> Any:
    """``notify`` as a template value: an ARN as is, a logical ID of the template's SNS
    topic as its ``Ref`` (a topic's Ref is its ARN)."""
    if not isinstance(value, str) or value.startswith("arn:"):
        return value
    resource = template.resources.get(value)
    if resource is None or resource.get("Type") != "AWS::SNS::Topic":
        raise ServiceDefinitionError(
            f"{what}: {value!r} is neither an SNS topic ARN (arn:...) nor the logical ID "
            "of an AWS::SNS::Topic in the template"
        )
    return {"Ref": value}
