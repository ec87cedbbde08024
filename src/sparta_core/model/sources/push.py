"""Push sources that AWS services deliver to the function directly: SNS topics,
CloudWatch Logs subscriptions and SES receipt rules.

Each adds the resource that routes events to the function and an
``AWS::Lambda::Permission`` for that one service principal and that one source ARN.
Where the service checks that it may invoke the function when the routing resource is
created (CloudWatch Logs, SES), the routing resource ``DependsOn`` the permission.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, ClassVar

from sparta_core.model.events import EventSource, FunctionWiring
from sparta_core.model.naming import logical_id
from sparta_core.model.refs import Value, to_cfn
from sparta_core.model.sources._common import (
    ACCOUNT,
    PARTITION,
    REGION,
    SourceError,
    arn_from_name,
    brief,
    check_bool,
    check_choice,
    check_target,
    expect_type,
    permission,
    resolve,
    string_list,
)

# -- SNS -------------------------------------------------------------------------------


@dataclass
class SNSEvent(EventSource):
    """Messages published to an SNS topic.

    ``topic``: the topic's ARN or name, or ``Ref``/``GetAtt(..., "TopicArn")`` to an
    ``AWS::SNS::Topic`` of the stack. ``filter_policy`` (a dict) and
    ``filter_policy_scope`` (``MessageAttributes`` or ``MessageBody``) select messages.
    """

    topic: Value
    _: KW_ONLY
    filter_policy: Mapping[str, Any] | None = None
    filter_policy_scope: str | None = None

    kind: ClassVar[str] = "SNS"

    def describe(self) -> str:
        return f"SNSEvent(topic={brief(self.topic)})"

    def validate(self) -> None:
        check_target(self.topic, "topic")
        if self.filter_policy is not None:
            if not isinstance(self.filter_policy, Mapping) or not self.filter_policy:
                raise SourceError("filter_policy must be a non-empty dict")
            try:
                json.dumps(self.filter_policy)
            except (TypeError, ValueError):
                raise SourceError("filter_policy is not JSON-serialisable") from None
        check_choice(self.filter_policy_scope, ("MessageAttributes", "MessageBody"),
                     "filter_policy_scope")
        if self.filter_policy_scope and self.filter_policy is None:
            raise SourceError("filter_policy_scope needs a filter_policy")

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        target = resolve(wiring, self.topic)
        expect_type(target, ["AWS::SNS::Topic"], "topic")
        if target.literal is not None:
            topic_arn = arn_from_name(
                target.literal, f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{{name}}"
            )
        elif target.owned and target.attribute not in (None, "TopicArn"):
            raise SourceError(f"topic must be Ref('{target.logical_id}'), whose value is its ARN")
        else:
            topic_arn = to_cfn(target.value)  # a topic's Ref is its ARN
        properties: dict[str, Any] = {
            "Protocol": "lambda",
            "Endpoint": wiring.function_arn,
            "TopicArn": topic_arn,
        }
        if self.filter_policy is not None:
            properties["FilterPolicy"] = to_cfn(dict(self.filter_policy))
        if self.filter_policy_scope:
            properties["FilterPolicyScope"] = self.filter_policy_scope
        wiring.template.add_resource(
            wiring.child_id(self.kind, str(index), "Subscription"),
            "AWS::SNS::Subscription", properties, owner=owner,
        )
        permission(wiring, wiring.child_id(self.kind, str(index), "Permission"),
                   "sns.amazonaws.com", topic_arn, owner=owner)
        if target.owned and target.logical_id:
            wiring.expose(target.logical_id)


# -- CloudWatch Logs ---------------------------------------------------------------------

LOG_GROUP_ARN = re.compile(r"arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?")


@dataclass
class CloudWatchLogsSubscription(EventSource):
    """Log events of a log group that match ``filter_pattern`` ("" for all).

    ``log_group``: the group's name or ARN, or ``Ref`` to an ``AWS::Logs::LogGroup`` of
    the stack (its Ref is its name). Never the function's own log group: it would
    invoke itself with its own output.
    """

    log_group: Value
    _: KW_ONLY
    filter_pattern: str = ""
    filter_name: str | None = None

    kind: ClassVar[str] = "Logs"

    def describe(self) -> str:
        return f"CloudWatchLogsSubscription(log_group={brief(self.log_group)})"

    def validate(self) -> None:
        check_target(self.log_group, "log_group")
        if not isinstance(self.filter_pattern, str) or len(self.filter_pattern) > 1024:
            raise SourceError("filter_pattern must be a string of at most 1024 characters")
        if self.filter_name is not None and (
            not isinstance(self.filter_name, str) or not 1 <= len(self.filter_name) <= 512
        ):
            raise SourceError("filter_name must be a string of 1 to 512 characters")

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        target = resolve(wiring, self.log_group)
        expect_type(target, ["AWS::Logs::LogGroup"], "log_group")
        own = wiring.template.resources.get(wiring.logical_id, {})
        if target.logical_id == logical_id(wiring.function.key, "LogGroup"):
            raise SourceError(
                "log_group is the function's own log group: the function would be invoked "
                "with its own output, forever"
            )
        if target.literal is not None:
            match = LOG_GROUP_ARN.fullmatch(target.literal)
            name = match.group(1) if match else target.literal
            if name == f"/aws/lambda/{own.get('Properties', {}).get('FunctionName')}":
                raise SourceError("log_group is the function's own log group")
            group_name: Any = name
            source_arn: Any = {
                "Fn::Sub": f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:"
                + name.replace("${", "${!") + ":*"
            }
        elif target.owned:
            group_name = {"Ref": target.logical_id}
            source_arn = {"Fn::GetAtt": [target.logical_id, "Arn"]}  # ends with ":*"
        else:
            group_name = to_cfn(target.value)
            source_arn = {"Fn::Join": ["", [
                "arn:", {"Ref": "AWS::Partition"}, ":logs:", {"Ref": "AWS::Region"}, ":",
                {"Ref": "AWS::AccountId"}, ":log-group:", group_name, ":*",
            ]]}
        permission_id = wiring.child_id(self.kind, str(index), "Permission")
        # CloudWatch Logs tries the destination when the filter is created.
        permission(wiring, permission_id, "logs.amazonaws.com", source_arn,
                   source_account=True, owner=owner)
        properties: dict[str, Any] = {
            "LogGroupName": group_name,
            "FilterPattern": self.filter_pattern,
            "DestinationArn": wiring.function_arn,
        }
        if self.filter_name:
            properties["FilterName"] = self.filter_name
        wiring.template.add_resource(
            wiring.child_id(self.kind, str(index), "SubscriptionFilter"),
            "AWS::Logs::SubscriptionFilter", properties, owner=owner,
            DependsOn=[permission_id],
        )
        if target.owned and target.logical_id:
            wiring.expose(target.logical_id)


# -- SES ---------------------------------------------------------------------------------

RULE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")
INVOCATION_TYPES = ("Event", "RequestResponse")
TLS_POLICIES = ("Optional", "Require")


@dataclass
class SESRule(EventSource):
    """Mail received by SES for ``recipients`` (addresses or domains; empty: every
    verified identity), through a receipt rule in ``rule_set`` (a name, or ``Ref`` to an
    ``AWS::SES::ReceiptRuleSet`` of the stack; activating the rule set is up to you).
    """

    recipients: Sequence[str] = ()
    _: KW_ONLY
    rule_set: Value = None
    name: str | None = None
    invocation_type: str = "Event"
    after: str | None = None
    enabled: bool = True
    scan_enabled: bool | None = None
    tls_policy: str | None = None

    kind: ClassVar[str] = "SES"

    def describe(self) -> str:
        return f"SESRule(rule_set={brief(self.rule_set)})"

    def validate(self) -> None:
        self.recipients = string_list(self.recipients, "recipients") if self.recipients else ()
        if len(self.recipients) > 100:
            raise SourceError("recipients holds more than 100 entries (an SES limit)")
        if self.rule_set is None:
            raise SourceError("rule_set is required (the receipt rule set the rule joins)")
        check_target(self.rule_set, "rule_set")
        if self.name is not None and (
            not isinstance(self.name, str) or not RULE_NAME.fullmatch(self.name)
        ):
            raise SourceError(
                f"name {self.name!r} must be 1-64 letters, digits, '.', '_' or '-', starting "
                "and ending with a letter or digit"
            )
        check_choice(self.invocation_type, INVOCATION_TYPES, "invocation_type")
        check_choice(self.tls_policy, TLS_POLICIES, "tls_policy")
        check_bool(self.enabled, "enabled")
        check_bool(self.scan_enabled, "scan_enabled")

    def rule_name(self, wiring: FunctionWiring, index: int) -> str:
        """The rule's name: the given one, else one derived from service and function
        (the permission's SourceArn names the rule, so it must be known up front)."""
        if self.name:
            return self.name
        service = wiring.ctx.service.name if wiring.ctx is not None else "sparta"
        name = re.sub(r"[^A-Za-z0-9._-]", "-", f"{service}-{wiring.function.key}-{index}")
        return name[:64].strip("-._") or "sparta-rule"

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        target = resolve(wiring, self.rule_set)
        expect_type(target, ["AWS::SES::ReceiptRuleSet"], "rule_set")
        name = self.rule_name(wiring, index)
        if target.literal is not None:
            rule_set: Any = target.literal
            set_fragment = target.literal.replace("${", "${!")
            variables: dict[str, Any] = {}
        else:
            rule_set = to_cfn(target.value)
            set_fragment = "${RuleSet}"
            variables = {"RuleSet": rule_set}
        arn = (f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:receipt-rule-set/{set_fragment}"
               f":receipt-rule/{name}")
        source_arn = {"Fn::Sub": [arn, variables]} if variables else {"Fn::Sub": arn}
        permission_id = wiring.child_id(self.kind, str(index), "Permission")
        # SES checks that it may invoke the function when the rule is created.
        permission(wiring, permission_id, "ses.amazonaws.com", source_arn,
                   source_account=True, owner=owner)
        rule: dict[str, Any] = {
            "Name": name,
            "Enabled": self.enabled,
            "Actions": [{"LambdaAction": {"FunctionArn": wiring.function_arn,
                                          "InvocationType": self.invocation_type}}],
        }
        if self.recipients:
            rule["Recipients"] = list(self.recipients)
        if self.scan_enabled is not None:
            rule["ScanEnabled"] = self.scan_enabled
        if self.tls_policy:
            rule["TlsPolicy"] = self.tls_policy
        properties: dict[str, Any] = {"RuleSetName": rule_set, "Rule": rule}
        if self.after:
            properties["After"] = self.after
        wiring.template.add_resource(
            wiring.child_id(self.kind, str(index), "ReceiptRule"),
            "AWS::SES::ReceiptRule", properties, owner=owner, DependsOn=[permission_id],
        )
        if target.owned and target.logical_id:
            wiring.expose(target.logical_id)


__all__ = ["CloudWatchLogsSubscription", "SESRule", "SNSEvent"]
