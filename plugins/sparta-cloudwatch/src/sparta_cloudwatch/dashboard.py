"""``Dashboard``: an ``AWS::CloudWatch::Dashboard`` with a row of widgets per function.

Each row starts with a text widget naming the function, then four graphs of its
``AWS/Lambda`` metrics, each titled with the function's key: invocations (Sum), errors
(Sum), duration (p50 and p99) and throttles (Sum). The body is an ``Fn::Sub`` string, so
function names and the region resolve when the stack is deployed. The dashboard's
console URL is the output ``<Name>DashboardUrl``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError

_NAME = re.compile(r"[A-Za-z0-9_-]{1,200}")
WIDTH = 6
HEIGHT = 6
CONSOLE = (
    "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
    "#dashboards:name="
)


class Dashboard(sparta.Component):
    """A CloudWatch dashboard of the service's functions (all of them, or ``functions``:
    keys or decorated Python functions, in that order). Its physical name is
    ``<stack>-<name>`` (so stages do not share one); ``name`` may hold letters, digits,
    ``-`` and ``_``. ``period`` is the graphs' period in seconds."""

    kind = "Dashboard"

    def __init__(self, name: str, *, functions: Sequence[Any] | None = None,
                 period: int = 60) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ServiceDefinitionError(
                f"Dashboard: name must be 1 to 200 letters, digits, '-' or '_', got {name!r}"
            )
        if isinstance(period, bool) or not isinstance(period, int) or period <= 0 \
                or (period >= 60 and period % 60):
            raise ServiceDefinitionError(
                f"Dashboard '{name}': period must be 1, 5, 10, 30 or a multiple of 60 "
                f"seconds, got {period!r}"
            )
        self.name = name
        self.period = period
        self.selected = None if functions is None else list(functions)

    def validate(self, service: Any) -> None:
        if not self.watched(service):
            raise ServiceDefinitionError(f"{self.what}: the service has no functions to show")

    def functions(self, service: Any) -> list[Any]:
        return []  # a dashboard watches functions; it invokes none (describe, IAM)

    def watched(self, service: Any) -> list[Any]:
        """The functions shown, one row each, in order."""
        if self.selected is None:
            return list(service.functions.values())
        return [service.function_of(target, what=f"{self.what}: functions")
                for target in self.selected]

    def physical_name(self, service: Any) -> str:
        return f"{service.stack_name}-{self.name}"

    def body(self, wiring: Any) -> str:
        """The dashboard body: JSON with ``${...}`` for ``Fn::Sub``."""
        widgets: list[dict[str, Any]] = []
        for row, function in enumerate(self.watched(wiring.service)):
            name = "${" + wiring.function_id(function) + "}"
            top = row * (HEIGHT + 1)
            widgets.append({
                "type": "text", "x": 0, "y": top, "width": 4 * WIDTH, "height": 1,
                "properties": {"markdown": f"### {function.key}"},
            })
            graphs = [
                ("Invocations", [["Invocations", "Sum"]]),
                ("Errors", [["Errors", "Sum"]]),
                ("Duration p50/p99", [["Duration", "p50"], ["Duration", "p99"]]),
                ("Throttles", [["Throttles", "Sum"]]),
            ]
            for column, (title, metrics) in enumerate(graphs):
                widgets.append({
                    "type": "metric", "x": column * WIDTH, "y": top + 1,
                    "width": WIDTH, "height": HEIGHT,
                    "properties": {
                        "title": f"{function.key}: {title}",
                        "region": "${AWS::Region}",
                        "view": "timeSeries",
                        "stacked": False,
                        "period": self.period,
                        "metrics": [
                            ["AWS/Lambda", metric, "FunctionName", name,
                             {"stat": stat, "label": f"{metric} {stat}"}]
                            for metric, stat in metrics
                        ],
                    },
                })
        return json.dumps({"widgets": widgets}, separators=(",", ":"))

    def contribute(self, wiring: Any) -> None:
        dashboard_id = self.logical_id
        wiring.add_resource(dashboard_id, "AWS::CloudWatch::Dashboard", {
            "DashboardName": self.physical_name(wiring.service),
            "DashboardBody": {"Fn::Sub": self.body(wiring)},
        })
        wiring.add_output(
            wiring.child_id("Url"), {"Fn::Sub": CONSOLE + "${" + dashboard_id + "}"},
            description=f"Console URL of {self.what}",
        )

    def describe(self) -> str:
        return f"Dashboard {self.name}"
