"""``StateMachine``: a Step Functions state machine of the service's functions, a component.

``service.add(StateMachine("orders", start=validate))`` declares it; the graph of states
from ``start`` is checked in :meth:`StateMachine.validate` (before anything is built) and
marshalled by :meth:`StateMachine.contribute` into (``<L>`` is the machine's logical ID,
``name`` + ``StateMachine`` in CamelCase, e.g. ``OrdersStateMachine``):

- ``<L>``: ``AWS::StepFunctions::StateMachine`` named ``<stack>-<name>``, its ASL
  ``Definition`` with each task's ``Resource`` written ``${<FunctionLogicalId>Arn}`` and
  resolved by ``DefinitionSubstitutions`` to ``wiring.function_arn(fn)`` (so a plugin that
  redirects a function's callers, to an alias say, redirects the machine too);
- ``<L>Role``: trusted by ``states.amazonaws.com`` (from this account), allowed
  ``lambda:InvokeFunction`` on exactly the ARNs its tasks run, the CloudWatch Logs
  delivery actions AWS documents for Step Functions logging (they take no resource
  scoping), and X-Ray only with ``tracing=True``;
- ``<L>LogGroup``: ``/aws/vendedlogs/states/<stack>-<name>``, with retention, wired into
  the machine's ``LoggingConfiguration`` (none of the three with ``log_level="OFF"``);
- for each ``Schedule`` / ``EventBridgeRule`` in ``events``: an ``AWS::Events::Rule``
  ``<L><Kind><i>Rule`` targeting the machine, through ``<L>EventsRole``, trusted by
  ``events.amazonaws.com`` and allowed ``states:StartExecution`` on this machine only;
- the output ``<L>Arn`` (``OrdersStateMachineArn``): the machine's ARN.

A function that names the machine in its environment (``sparta.Ref("OrdersStateMachine")``)
learns its ARN from ``sparta_runtime.discover()``, as for any resource of the stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError, TemplateError
from sparta_stepfunctions.graph import Definition, Layout, layout
from sparta_stepfunctions.states import State

if TYPE_CHECKING:
    from sparta_core import ComponentWiring, LambdaFunction, Service

TYPES = ("STANDARD", "EXPRESS")
LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
#: CloudWatch Logs' allowed ``RetentionInDays``.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)
NAME = re.compile(r"[A-Za-z0-9_-]+")
PHYSICAL_NAME_MAX = 80
TARGET_ID_MAX = 64
#: Step Functions' limit on a definition (1 MB).
DEFINITION_MAX = 1024 * 1024
#: What AWS documents a state machine's role needs to log to CloudWatch Logs
#: ("IAM policies for logging to CloudWatch Logs"); these APIs take only ``*``.
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
]
XRAY_ACTIONS = ["xray:GetSamplingRules", "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
_DEFAULT = object()


def to_cfn(value: Any) -> Any:
    """A user's value as template JSON (``Ref``/``GetAtt``/``Sub`` objects turned into
    their intrinsic dicts, inside lists and dicts too)."""
    if hasattr(value, "to_cfn"):
        return value.to_cfn()
    if isinstance(value, Mapping):
        return {key: to_cfn(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_cfn(item) for item in value]
    return value


def referenced_ids(value: Any) -> set[str]:
    """The logical IDs ``value`` refers to (``Ref``, ``Fn::GetAtt``, ``${...}``)."""
    found: set[str] = set()
    value = to_cfn(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                spec = item.split(".", 1) if isinstance(item, str) else item
                if isinstance(spec, list) and spec and isinstance(spec[0], str):
                    found.add(spec[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                if isinstance(text, str):
                    names = re.findall(r"\$\{([^!}][^}]*)\}", text)
                    found.update(name.split(".", 1)[0] for name in names)
                if isinstance(item, list) and len(item) > 1:
                    found.update(referenced_ids(item[1]))
            else:
                found.update(referenced_ids(item))
    elif isinstance(value, list):
        for item in value:
            found.update(referenced_ids(item))
    return found


def _trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            # The confused-deputy guard AWS recommends; the ARN would be a cycle.
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }],
    }


class StateMachine(sparta.Component):
    """A Step Functions state machine whose first state is ``start``.

    ``type`` is ``"STANDARD"`` or ``"EXPRESS"``; ``events`` holds ``sparta.Schedule`` /
    ``sparta.EventBridgeRule`` objects that start executions (their expression, pattern,
    bus, input and target options; nothing of a function). ``log_level`` (``ALL``,
    ``ERROR``, ``FATAL`` or ``OFF``) and ``include_execution_data`` configure logging to
    the machine's log group, kept ``log_retention_days`` (default: ``[tool.sparta]
    log-retention-days``; ``None`` keeps them forever). ``timeout_seconds`` bounds an
    execution; ``tracing=True`` turns X-Ray on.
    """

    kind = "StateMachine"

    def __init__(
        self,
        name: str,
        *,
        start: State,
        type: str = "STANDARD",
        events: Sequence[Any] = (),
        comment: str = "",
        timeout_seconds: int | None = None,
        log_level: str = "ALL",
        include_execution_data: bool = True,
        log_retention_days: Any = _DEFAULT,
        tracing: bool = False,
    ) -> None:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ServiceDefinitionError(
                f"StateMachine name {name!r} must hold only letters, digits, '-' and '_'"
            )
        self.name = name
        what = self.what
        if not isinstance(start, State):
            raise ServiceDefinitionError(f"{what}: start must be a state, got {start!r}")
        if type not in TYPES:
            raise ServiceDefinitionError(f"{what}: type must be STANDARD or EXPRESS, got {type!r}")
        if log_level not in LOG_LEVELS:
            raise ServiceDefinitionError(
                f"{what}: log_level must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}"
            )
        if log_retention_days is not _DEFAULT and log_retention_days is not None \
                and log_retention_days not in RETENTION_DAYS:
            raise ServiceDefinitionError(
                f"{what}: log_retention_days must be one of "
                f"{', '.join(map(str, RETENTION_DAYS))} or None, got {log_retention_days!r}"
            )
        if timeout_seconds is not None and (isinstance(timeout_seconds, bool) or not isinstance(
                timeout_seconds, int) or not 1 <= timeout_seconds <= 99999999):
            raise ServiceDefinitionError(f"{what}: timeout_seconds must be from 1 to 99999999")
        for option, value in (("include_execution_data", include_execution_data),
                              ("tracing", tracing)):
            if not isinstance(value, bool):
                raise ServiceDefinitionError(f"{what}: {option} must be True or False")
        if isinstance(events, (str, Mapping)) or not isinstance(events, Sequence):
            raise ServiceDefinitionError(f"{what}: events must be a list")
        for event in events:
            if not isinstance(event, (sparta.Schedule, sparta.EventBridgeRule)):
                raise ServiceDefinitionError(
                    f"{what}: events take sparta.Schedule or sparta.EventBridgeRule, "
                    f"got {event!r}"
                )
            try:
                event.validate()
            except ServiceDefinitionError as error:
                raise ServiceDefinitionError(f"{what}: {event.describe()}: {error}") from None
        self.start = start
        self.type = type
        self.events = list(events)
        self.comment = comment
        self.timeout_seconds = timeout_seconds
        self.log_level = log_level
        self.include_execution_data = include_execution_data
        self.log_retention_days = log_retention_days
        self.tracing = tracing

    # -- what the stages ask --------------------------------------------------------------

    def layout(self, service: Service) -> Layout:
        """The checked, named graph of states (a ``ServiceDefinitionError`` if it cannot
        run)."""
        return layout(self.start, service, self.what)

    def validate(self, service: Service) -> None:
        machine = self.layout(service)
        physical = self.physical_name(service)
        if len(physical) > PHYSICAL_NAME_MAX:
            raise ServiceDefinitionError(
                f"{self.what}: the state machine name '{physical}' is {len(physical)} "
                f"characters; Step Functions allows {PHYSICAL_NAME_MAX}"
            )
        own = self.logical_id
        for function in machine.functions():
            values: list[Any] = [dict(function.environment)]
            role = function.role
            for privilege in getattr(role, "privileges", ()):
                values.append(privilege.to_statement())
            # Every resource of the machine but its log group depends on the function.
            cyclic = {ref for ref in referenced_ids(values) if ref.startswith(own)}
            if cyclic - {own + "LogGroup"}:
                raise ServiceDefinitionError(
                    f"{self.what}: function '{function.key}' runs in the machine and also "
                    f"refers to it (environment or privileges), a circular dependency "
                    "CloudFormation refuses; give the machine's ARN to another function"
                )

    def functions(self, service: Service) -> list[LambdaFunction]:
        return self.layout(service).functions()

    def edges(self, service: Service) -> list[tuple[str, LambdaFunction]]:
        machine = self.layout(service)
        return [(f"Task {machine.name_of(task)}", function) for task, function in machine.tasks]

    def describe(self) -> str:
        return f"StateMachine {self.name} ({self.type})"

    def physical_name(self, service: Service) -> str:
        """The state machine's name in AWS: ``<stack>-<name>``."""
        return f"{service.stack_name}-{self.name}"

    def definition(self, service: Service, resources: Mapping[str, str] | None = None
                   ) -> dict[str, Any]:
        """The ASL definition; ``resources`` maps a function key to its tasks'
        ``Resource`` text (default: the ``${<FunctionLogicalId>Arn}`` substitutions)."""
        machine = self.layout(service)
        if resources is None:
            resources = {f.key: "${" + substitution(f) + "}" for f in machine.functions()}
        body: dict[str, Any] = {}
        if self.comment:
            body["Comment"] = self.comment
        body.update(Definition(machine, dict(resources)).flow(self.start))
        if self.timeout_seconds is not None:
            body["TimeoutSeconds"] = self.timeout_seconds
        return body

    # -- the template ---------------------------------------------------------------------

    def contribute(self, wiring: ComponentWiring) -> None:
        service = wiring.service
        machine_id = self.logical_id
        role_id = wiring.child_id("Role")
        functions = self.layout(service).functions()
        arns = [wiring.function_arn(function) for function in functions]
        statements: list[dict[str, Any]] = []
        if arns:
            statements.append(
                {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": arns}
            )
        definition = self.definition(service)
        size = len(json.dumps(definition, separators=(",", ":")).encode())
        if size > DEFINITION_MAX:
            raise TemplateError(
                f"{self.what}: its definition is {size} bytes; Step Functions accepts "
                f"{DEFINITION_MAX}"
            )
        properties: dict[str, Any] = {
            "StateMachineName": self.physical_name(service),
            "StateMachineType": self.type,
            "RoleArn": {"Fn::GetAtt": [role_id, "Arn"]},
            "Definition": definition,
        }
        if functions:
            properties["DefinitionSubstitutions"] = {
                substitution(function): arn for function, arn in zip(functions, arns, strict=True)
            }
        if self.log_level != "OFF":
            log_group_id = wiring.child_id("LogGroup")
            log_group: dict[str, Any] = {
                "LogGroupName": f"/aws/vendedlogs/states/{self.physical_name(service)}"
            }
            retention = self.retention(wiring)
            if retention is not None:
                log_group["RetentionInDays"] = retention
            wiring.add_resource(log_group_id, "AWS::Logs::LogGroup", log_group)
            properties["LoggingConfiguration"] = {
                "Level": self.log_level,
                "IncludeExecutionData": self.include_execution_data,
                "Destinations": [{"CloudWatchLogsLogGroup": {
                    "LogGroupArn": {"Fn::GetAtt": [log_group_id, "Arn"]}}}],
            }
            statements.append({"Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"})
        if self.tracing:
            properties["TracingConfiguration"] = {"Enabled": True}
            statements.append({"Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"})
        role: dict[str, Any] = {"AssumeRolePolicyDocument": _trust("states.amazonaws.com")}
        if statements:
            role["Policies"] = [{
                "PolicyName": f"{self.name}-state-machine",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }]
        wiring.add_resource(role_id, "AWS::IAM::Role", role)
        wiring.add_resource(machine_id, "AWS::StepFunctions::StateMachine", properties)
        self._add_events(wiring)
        wiring.add_output(wiring.child_id("Arn"), {"Ref": machine_id},
                          description=f"ARN of state machine {self.name}")

    def retention(self, wiring: ComponentWiring) -> int | None:
        if self.log_retention_days is not _DEFAULT:
            return self.log_retention_days  # type: ignore[no-any-return]
        settings = getattr(wiring.ctx, "settings", None)
        return getattr(settings, "log_retention_days", 30)

    def _add_events(self, wiring: ComponentWiring) -> None:
        if not self.events:
            return
        machine_id = self.logical_id
        role_id = wiring.child_id("EventsRole")
        wiring.add_resource(role_id, "AWS::IAM::Role", {
            "AssumeRolePolicyDocument": _trust("events.amazonaws.com"),
            "Policies": [{
                "PolicyName": f"{self.name}-start-execution",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": ["states:StartExecution"],
                    "Resource": {"Ref": machine_id},
                }]},
            }],
        })
        seen: dict[str, int] = {}
        for event in self.events:
            index = seen.get(event.kind, 0)
            seen[event.kind] = index + 1
            wiring.add_resource(
                wiring.child_id(event.kind, str(index), "Rule"), "AWS::Events::Rule",
                rule_properties(event, {"Ref": machine_id},
                                {"Fn::GetAtt": [role_id, "Arn"]}, machine_id[:TARGET_ID_MAX]),
            )


def substitution(function: LambdaFunction) -> str:
    """The ``DefinitionSubstitutions`` key of a function's ARN."""
    return f"{function.logical_id}Arn"


def rule_properties(event: Any, target_arn: Any, role_arn: Any, target_id: str) -> dict[str, Any]:
    """An ``AWS::Events::Rule``'s properties from a ``Schedule``/``EventBridgeRule``'s
    parameters, with one target (``target_arn``, assumed through ``role_arn``)."""
    if isinstance(event, sparta.Schedule):
        properties: dict[str, Any] = {"ScheduleExpression": event.expression}
    else:
        pattern = event.pattern
        properties = {"EventPattern": json.loads(pattern) if isinstance(pattern, str)
                      else to_cfn(dict(pattern))}
        if event.bus is not None:
            properties["EventBusName"] = to_cfn(event.bus)
    target: dict[str, Any] = {"Arn": target_arn, "Id": target_id, "RoleArn": role_arn}
    if event.input is not None:
        target["Input"] = event.input if isinstance(event.input, str) else json.dumps(
            event.input, sort_keys=True)
    if event.input_path:
        target["InputPath"] = event.input_path
    if event.input_transformer:
        target["InputTransformer"] = to_cfn(dict(event.input_transformer))
    retry: dict[str, int] = {}
    if event.retry_attempts is not None:
        retry["MaximumRetryAttempts"] = event.retry_attempts
    if event.maximum_event_age is not None:
        retry["MaximumEventAgeInSeconds"] = event.maximum_event_age
    if retry:
        target["RetryPolicy"] = retry
    properties["State"] = "ENABLED" if event.enabled else "DISABLED"
    if event.description:
        properties["Description"] = event.description
    properties["Targets"] = [target]
    return properties


__all__ = ["StateMachine", "rule_properties", "substitution"]
