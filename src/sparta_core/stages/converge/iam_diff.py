"""What a template change broadens in IAM: pure functions over two template dicts.

Every permission a template grants is flattened into :class:`Grant` rows, one per
effect, action, resource and principal: the statements of roles, users, groups and
policies (identity policies: the principal is who holds them), the trust policy of a
role (who may assume it), resource policies (bucket, queue, topic, key, secret, event
bus policies), managed policies attached, and ``AWS::Lambda::Permission`` (who may
invoke a function, from which source). A change broadens IAM when the new template
allows a row the deployed one did not (a new role, an added action, a wider or new
resource, a new principal, a new permission), or no longer denies one it denied.

CloudFormation values that are references are shown as CDK shows them: ``${Role.Arn}``
for ``Fn::GetAtt``, ``${Queue}`` for ``Ref``, the string of a ``Fn::Sub``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Resource types whose property holds a resource policy, and the property that names
#: what the policy is on (shown when a statement has no ``Resource``).
RESOURCE_POLICIES: dict[str, tuple[str, str]] = {
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
    "AWS::KMS::Key": ("KeyPolicy", ""),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy", "SecretId"),
    "AWS::ECR::Repository": ("RepositoryPolicyText", ""),
    "AWS::Lambda::LayerVersionPermission": ("", "LayerVersionArn"),
    "AWS::ApiGateway::RestApi": ("Policy", ""),
    "AWS::OpenSearchService::Domain": ("AccessPolicies", ""),
}
#: Identity holders: their inline ``Policies`` and ``ManagedPolicyArns``.
IDENTITIES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
#: Policies attached to identities: the properties that name who holds them.
ATTACHED_POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
HOLDERS = ("Roles", "Users", "Groups")


@dataclass(frozen=True, order=True)
class Grant:
    """One thing a template allows (or denies): who may do what on what."""

    resource: str  # logical ID of the template resource that grants it
    resource_type: str
    effect: str
    action: str
    target: str  # the statement's Resource; what the permission is on
    principal: str
    condition: str = ""


@dataclass(frozen=True)
class Broadening:
    """One row of the table: a grant that is new (or a deny that is gone)."""

    change: str
    grant: Grant

    def cells(self) -> tuple[str, ...]:
        g = self.grant
        principal = g.principal + (f" when {g.condition}" if g.condition else "")
        return (g.resource, self.change, g.effect, g.action, g.target or "-", principal or "-")


COLUMNS = ("resource", "change", "effect", "action", "on", "principal")


def render(value: Any) -> str:
    """A CloudFormation value as one readable string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"${{{arg}}}"
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return "${" + ".".join(str(part) for part in parts) + "}"
        if key == "Fn::Sub":
            return render(arg[0] if isinstance(arg, list) and arg else arg)
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(render(item) for item in as_list(arg[1]))
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def principals(value: Any) -> list[str]:
    """``Principal`` as ``Service:lambda.amazonaws.com``, ``AWS:arn:...``, ``*``."""
    if value is None:
        return [""]
    if isinstance(value, dict) and not any(key.startswith("Fn::") or key == "Ref"
                                           for key in value):
        return [f"{kind}:{render(item)}" for kind, items in sorted(value.items())
                for item in as_list(items)] or [""]
    return [render(item) for item in as_list(value)] or [""]


def statements(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return
    if not isinstance(document, dict):
        return
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, dict):
            yield statement


def statement_grants(lid: str, kind: str, statement: Mapping[str, Any], *,
                     principal: str | None = None, target: str = "") -> Iterator[Grant]:
    """The rows of one statement; ``principal`` for an identity policy (its holder),
    ``target`` for a policy on something whose statements may omit ``Resource``."""
    effect = str(statement.get("Effect", "Allow"))
    actions = [render(a) for a in as_list(statement.get("Action"))]
    actions += [f"NOT {render(a)}" for a in as_list(statement.get("NotAction"))]
    resources = [render(r) for r in as_list(statement.get("Resource"))]
    resources += [f"NOT {render(r)}" for r in as_list(statement.get("NotResource"))]
    who = [principal] if principal is not None else principals(
        statement.get("Principal", statement.get("NotPrincipal")))
    condition = render(statement["Condition"]) if statement.get("Condition") else ""
    for action in actions or [""]:
        for resource in resources or [target]:
            for one in who:
                yield Grant(lid, kind, effect, action, resource, one, condition)


def resource_grants(lid: str, resource: Mapping[str, Any]) -> Iterator[Grant]:
    """Every grant of one template resource."""
    kind = str(resource.get("Type", ""))
    props = resource.get("Properties") or {}
    if not isinstance(props, dict):
        return
    if kind in IDENTITIES:
        holder = f"${{{lid}}}"
        if kind == "AWS::IAM::Role":
            for statement in statements(props.get("AssumeRolePolicyDocument")):
                yield from statement_grants(lid, kind, statement, target=holder)
        for policy in as_list(props.get("Policies")):
            if isinstance(policy, dict):
                for statement in statements(policy.get("PolicyDocument")):
                    yield from statement_grants(lid, kind, statement, principal=holder)
        for arn in as_list(props.get("ManagedPolicyArns")):
            yield Grant(lid, kind, "Allow", "(managed policy)", render(arn), holder)
    elif kind in ATTACHED_POLICIES:
        holders = ", ".join(render(h) for key in HOLDERS for h in as_list(props.get(key)))
        for statement in statements(props.get("PolicyDocument")):
            yield from statement_grants(lid, kind, statement, principal=holders)
    elif kind == "AWS::Lambda::Permission":
        conditions = [f"{key} {render(props[key])}" for key in
                      ("SourceArn", "SourceAccount", "PrincipalOrgID", "FunctionUrlAuthType")
                      if props.get(key)]
        yield Grant(lid, kind, "Allow", render(props.get("Action", "")),
                    render(props.get("FunctionName", "")), render(props.get("Principal", "")),
                    ", ".join(conditions))
    elif kind in RESOURCE_POLICIES:
        document_key, target_key = RESOURCE_POLICIES[kind]
        target = ", ".join(render(t) for t in as_list(props.get(target_key))) if target_key else ""
        if not document_key:  # a permission resource, like a layer's
            yield Grant(lid, kind, "Allow", render(props.get("Action", "")), target,
                        render(props.get("Principal", "")))
            return
        for statement in statements(props.get(document_key)):
            yield from statement_grants(lid, kind, statement, target=target or f"${{{lid}}}")


def grants(template: Mapping[str, Any]) -> set[Grant]:
    found: set[Grant] = set()
    for lid, resource in (template.get("Resources") or {}).items():
        if isinstance(resource, dict):
            found.update(resource_grants(str(lid), resource))
    return found


def wildcard(grant: Grant) -> bool:
    """Every action of a service (or all), every resource, or anyone."""
    return (grant.action == "*" or grant.action.endswith(":*") or grant.target == "*"
            or grant.principal in ("*", "AWS:*"))


def broadening(deployed: Mapping[str, Any], new: Mapping[str, Any]) -> list[Broadening]:
    """What ``new`` allows that ``deployed`` did not, sorted by resource."""
    before, after = grants(deployed), grants(new)
    old_resources = set(deployed.get("Resources") or {})
    rows: list[Broadening] = []
    for grant in sorted(after - before):
        if grant.effect != "Allow":
            continue
        if grant.resource not in old_resources:
            noun = {"AWS::IAM::Role": "role", "AWS::Lambda::Permission": "permission"}.get(
                grant.resource_type, "policy")
            change = f"new {noun}"
        elif wildcard(grant):
            change = "added, wildcard"
        else:
            change = "added"
        rows.append(Broadening(change, grant))
    for grant in sorted(before - after):
        if grant.effect == "Deny":
            rows.append(Broadening("deny removed", grant))
    return merge_actions(rows)


def merge_actions(rows: list[Broadening]) -> list[Broadening]:
    """One row per change, effect, resource and principal: their actions joined."""
    merged: dict[tuple[Any, ...], list[str]] = {}
    for row in rows:
        g = row.grant
        key = (g.resource, row.change, g.resource_type, g.effect, g.target, g.principal,
               g.condition)
        merged.setdefault(key, []).append(g.action)
    result = [
        Broadening(change, Grant(resource, kind, effect, ", ".join(sorted(set(actions))),
                                 target, principal, condition))
        for (resource, change, kind, effect, target, principal, condition), actions
        in merged.items()
    ]
    return sorted(result, key=lambda row: (row.grant.resource, row.change, row.grant))


def format_table(rows: Iterable[Broadening]) -> list[str]:
    """The rows as an aligned text table, with a header line."""
    cells = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return ["  " + "  ".join(cell.ljust(width)
                             for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in cells]
