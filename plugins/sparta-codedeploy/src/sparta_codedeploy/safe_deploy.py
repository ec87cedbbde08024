"""``SafeDeploy``: a function's callers invoke its ``live`` alias, and CodeDeploy moves
the alias to each new version gradually, rolling back on failure or alarm.

For a function ``Fn`` (its resource ``FnFunction``) it adds:

* ``FnFunctionVersion<hash>``: an ``AWS::Lambda::Version`` whose logical ID carries a
  hash of the function's resource as marshalled (code location, configuration), so each
  change publishes a new version and an unchanged build publishes none;
* ``FnFunctionAliasLive``: the ``AWS::Lambda::Alias`` ``live`` on that version, with the
  update policy ``CodeDeployLambdaAliasUpdate`` (application, deployment group, the
  ``BeforeAllowTrafficHook`` / ``AfterAllowTrafficHook`` functions' names). Every caller
  of the function invokes it (the plugin's ``sparta_invoke_target``);
* ``CodeDeployApplication`` (one per service, ``ComputePlatform: Lambda``) and
  ``FnFunctionDeploymentGroup``: BLUE_GREEN with traffic control,
  ``CodeDeployDefault.Lambda<strategy>``, the alarms that stop a deployment, automatic
  rollback on ``DEPLOYMENT_FAILURE`` and ``DEPLOYMENT_STOP_ON_ALARM``;
* ``FnFunctionDeploymentRole``: trusted by ``codedeploy.amazonaws.com``, with what AWS's
  ``AWSCodeDeployRoleForLambdaLimited`` allows, scoped to this function, plus
  ``lambda:InvokeFunction`` on the hook functions;
* ``FnFunctionDeploymentHooksPolicy``: lets the hook functions' roles call
  ``codedeploy:PutLifecycleEventHookExecutionStatus`` on this deployment group.

Without CodeDeploy (the ``codedeploy`` setting, see :mod:`sparta_codedeploy.plugin`),
only the version and the alias are added, and the alias has no update policy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sparta_core.errors import ServiceDefinitionError

#: The deployment configurations AWS offers for Lambda (``CodeDeployDefault.Lambda<...>``).
STRATEGIES = (
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
    "AllAtOnce",
)
APPLICATION_ID = "CodeDeployApplication"
#: ``ctx.stash`` key: the keys of the functions whose callers the plugin moved to ``live``.
REDIRECTED_KEY = "sparta_codedeploy.redirected"
#: ``ctx.stash`` key: whether this run deploys through CodeDeploy (set by the plugin).
ENABLED_KEY = "sparta_codedeploy.enabled"


def alias_id(logical_id: str) -> str:
    """The logical ID of the ``live`` alias of the function resource ``logical_id``."""
    return f"{logical_id}AliasLive"


def _alarm(value: Any, what: str) -> Any:
    if isinstance(value, str) and value:
        return value
    if hasattr(value, "to_cfn"):  # sparta.Ref / GetAtt / Sub
        return value.to_cfn()
    if isinstance(value, Mapping) and len(value) == 1 and str(next(iter(value))).startswith(
        ("Ref", "Fn::")
    ):
        return dict(value)
    raise ServiceDefinitionError(
        f"{what}: an alarm is its name or sparta.Ref('<Alarm logical ID>'), got {value!r}"
    )


class SafeDeploy:
    """Per-function decorator: deploy the function through its ``live`` alias.

    ``strategy`` is one of :data:`STRATEGIES`; ``alarms`` the CloudWatch alarms (names
    or ``Ref``s, e.g. sparta-cloudwatch's ``Ref("<Function>ErrorsAlarm")``) that stop
    and roll back a deployment; ``pre_traffic`` / ``post_traffic`` functions of the
    service (decorated functions, keys) that CodeDeploy runs before and after traffic
    moves. A bad argument is a :class:`ServiceDefinitionError` naming it.
    """

    def __init__(
        self,
        strategy: str = "Canary10Percent5Minutes",
        alarms: Sequence[Any] = (),
        pre_traffic: Any = None,
        post_traffic: Any = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ServiceDefinitionError(
                f"SafeDeploy: strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
            )
        if isinstance(alarms, (str, bytes)) or not isinstance(alarms, Sequence):
            raise ServiceDefinitionError(
                f"SafeDeploy: alarms must be a list of alarm names or Refs, got {alarms!r}"
            )
        self.strategy = strategy
        self.alarms = [_alarm(alarm, "SafeDeploy: alarms") for alarm in alarms]
        self.pre_traffic = pre_traffic
        self.post_traffic = post_traffic

    def hooks(self, service: Any) -> dict[str, Any]:
        """``BeforeAllowTrafficHook`` / ``AfterAllowTrafficHook`` -> the service's
        ``LambdaFunction`` (only those given)."""
        hooks = {}
        for name, target in (("BeforeAllowTrafficHook", self.pre_traffic),
                             ("AfterAllowTrafficHook", self.post_traffic)):
            if target is not None:
                what = "SafeDeploy: " + ("pre_traffic" if name.startswith("Before")
                                         else "post_traffic")
                hooks[name] = service.function_of(target, what=what)
        return hooks

    def __call__(self, ctx: Any, function: Any, logical_id: str, template: Any) -> dict[str, Any]:
        what = f"SafeDeploy of function '{function.key}'"
        if function.key not in ctx.stash.get(REDIRECTED_KEY, ()):
            raise ServiceDefinitionError(
                f"{what} needs the codedeploy plugin (pip install sparta-codedeploy; is it "
                "blocked with -p no:codedeploy?)"
            )
        hooks = self.hooks(ctx.service)
        for hook in hooks.values():
            if hook.key == function.key:
                raise ServiceDefinitionError(f"{what}: a function cannot be its own hook")
        version_id = f"{logical_id}Version{configuration_hash(template, logical_id)}"
        alias: dict[str, Any] = {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "Name": "live",
                "FunctionName": {"Ref": logical_id},
                "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
            },
        }
        resources: dict[str, Any] = {
            version_id: {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": logical_id},
                               "Description": f"sparta {function.key}"},
            },
            alias_id(logical_id): alias,
        }
        if not ctx.stash.get(ENABLED_KEY, True):
            return resources
        group_id = f"{logical_id}DeploymentGroup"
        role_id = f"{logical_id}DeploymentRole"
        policy = {"ApplicationName": {"Ref": APPLICATION_ID},
                  "DeploymentGroupName": {"Ref": group_id}}
        for name, hook in hooks.items():
            policy[name] = {"Ref": hook.logical_id}
        alias["UpdatePolicy"] = {"CodeDeployLambdaAliasUpdate": policy}
        if APPLICATION_ID not in template.resources:
            resources[APPLICATION_ID] = {
                "Type": "AWS::CodeDeploy::Application",
                "Properties": {"ComputePlatform": "Lambda"},
            }
        resources[role_id] = deployment_role(logical_id, [h.logical_id for h in hooks.values()])
        group: dict[str, Any] = {
            "ApplicationName": {"Ref": APPLICATION_ID},
            "ServiceRoleArn": {"Fn::GetAtt": [role_id, "Arn"]},
            "DeploymentConfigName": f"CodeDeployDefault.Lambda{self.strategy}",
            "DeploymentStyle": {"DeploymentType": "BLUE_GREEN",
                                "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
            "AutoRollbackConfiguration": {
                "Enabled": True, "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
            },
        }
        if self.alarms:
            group["AlarmConfiguration"] = {
                "Enabled": True, "Alarms": [{"Name": alarm} for alarm in self.alarms],
            }
        resources[group_id] = {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": group}
        roles = hook_roles(ctx, template, what, hooks.values())
        if roles:
            policy_id = f"{logical_id}DeploymentHooksPolicy"
            resources[policy_id] = {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": f"{function.key}-deployment-hooks",
                    "Roles": [{"Ref": role} for role in roles],
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
                        "Resource": {"Fn::Sub": (
                            "arn:${AWS::Partition}:codedeploy:${AWS::Region}:"
                            "${AWS::AccountId}:deploymentgroup:${" + APPLICATION_ID + "}/${"
                            + group_id + "}")},
                    }]},
                },
            }
            # The hooks report back while the alias moves: their right must exist first.
            alias["DependsOn"] = [policy_id]
        return resources


def configuration_hash(template: Any, logical_id: str) -> str:
    """Ten hex digits of the function resource's properties (code location, handler,
    environment, memory...): a new value publishes a new version."""
    properties = template.resources[logical_id].get("Properties", {})
    text = json.dumps(properties, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def deployment_role(logical_id: str, hook_ids: list[str]) -> dict[str, Any]:
    """CodeDeploy's service role for one function: what ``AWSCodeDeployRoleForLambdaLimited``
    allows (reading alarms; reading and moving the alias), scoped to this function, and
    invoking the hook functions. The managed policy's S3 reads are left out: a deployment
    started by CloudFormation carries its AppSpec inline, never from S3."""
    function_arns = [{"Fn::GetAtt": [logical_id, "Arn"]},
                     {"Fn::Sub": "${" + logical_id + ".Arn}:*"}]
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms"], "Resource": "*"},
        {"Effect": "Allow",
         "Action": ["lambda:GetAlias", "lambda:UpdateAlias",
                    "lambda:GetProvisionedConcurrencyConfig"],
         "Resource": function_arns},
    ]
    if hook_ids:
        statements.append({
            "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
            "Resource": [arn for hook in hook_ids for arn in (
                {"Fn::GetAtt": [hook, "Arn"]}, {"Fn::Sub": "${" + hook + ".Arn}:*"})],
        })
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }]},
            "Policies": [{"PolicyName": "deploy",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        },
    }


def hook_roles(ctx: Any, template: Any, what: str, hooks: Any) -> list[str]:
    """The logical IDs of the hook functions' generated roles; a hook with a role of its
    own (not in the template) gets a warning naming the right it must already have."""
    roles: list[str] = []
    for hook in hooks:
        role = template.resources[hook.logical_id].get("Properties", {}).get("Role")
        if isinstance(role, Mapping) and isinstance(role.get("Fn::GetAtt"), list) \
                and role["Fn::GetAtt"][0] in template.resources:
            if role["Fn::GetAtt"][0] not in roles:
                roles.append(role["Fn::GetAtt"][0])
        else:
            ctx.reporter.warn(
                f"{what}: hook '{hook.key}' uses an existing role; it must already allow "
                "codedeploy:PutLifecycleEventHookExecutionStatus"
            )
    return roles
