"""Built-in plugin ``nested-stacks``: a template past CloudFormation's limits becomes a root
and ``AWS::CloudFormation::Stack`` children (DESIGN §6), without the user doing anything.

Why here, in marshall, and not in converge: the split is a property of the template, not
of talking to AWS. ``sparta build`` (nothing in AWS changes) must write each child to
``.sparta/<service>-<LogicalId>-template.json`` where cfn-lint can check it, the template
validators must check each child's own limits, and ``describe`` draws what will be
deployed. So the split is the last ``sparta_post_marshall`` (``trylast``: every plugin's
own post-marshall change is in the template first), and converge only uploads the
children's templates (content-addressed, before the root) and streams their events.

Placement. Each function's resources (its function, role, log group, the resources its
event sources and decorators add, which name it as their owner, and the permissions,
mappings and subscriptions that point at it alone) go to one child, chosen by a stable
hash of the function's key: ``sha256(key) mod buckets``. The number of buckets is chosen
from the size when the service is first split and written into the root's ``Metadata``
(``sparta:nested-stacks``), and every later build keeps it, so adding or removing a
function never moves another one (CloudFormation would delete and recreate it in the
other child, and its fixed physical name would collide). A bucket that would overflow
sends the function to an overflow child, and that placement is recorded in the same
Metadata so it sticks. The service's own resources, the API, the site and sparta's
custom resource providers stay in the root; references across stacks become
Parameters and Outputs (:mod:`sparta_core.stages.marshall.nesting_refs`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template, references
from sparta_core.errors import TemplateError
from sparta_core.hookspecs import hookimpl
from sparta_core.stages.marshall.functions import ARTIFACT_BUCKET_PARAMETER, function_ids
from sparta_core.stages.marshall.nesting_refs import Split

#: The root's Metadata key that keeps the layout from one build to the next.
METADATA_KEY = "sparta:nested-stacks"
#: CloudFormation's per-template limits (MiniStack reads at most 1,000,000 bytes by URL).
MAX_RESOURCES = 500
MAX_BYTES = 1_000_000
MAX_OUTPUTS = 200
#: What a child is filled to when the bucket count is first chosen: half the limits,
#: so that the service can grow a long way before any bucket overflows.
TARGET_RESOURCES = 250
TARGET_BYTES = 450_000
TARGET_OUTPUTS = 90
#: What a child may hold before further functions overflow, leaving room for the
#: parameters and outputs that references across stacks add.
FULL_RESOURCES = 460
FULL_BYTES = 900_000
FULL_OUTPUTS = 170
#: Resource types that belong with the one function they point at.
FUNCTION_SIDE_TYPES = frozenset({
    "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Url",
    "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Version", "AWS::Lambda::Alias",
    "AWS::Logs::SubscriptionFilter", "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm",
    "AWS::Logs::MetricFilter",
})
#: A function's resources' average compact size, when the template was not measured.
ESTIMATED_RESOURCE_BYTES = 450
OWNER = re.compile(r"(?:^|of )function '([^']+)'")


def child_id(bucket: int) -> str:
    return f"Functions{bucket:02d}Stack"


def bucket_of(key: str, buckets: int) -> int:
    """The default bucket of a function: stable, whatever else the service holds."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % buckets


def template_key(service_name: str, body: str) -> str:
    """The content-addressed S3 key of a template (the root's and every child's)."""
    return f"{service_name}/{hashlib.sha256(body.encode()).hexdigest()}.json"


def over_counts(template: Template) -> bool:
    return len(template.resources) > MAX_RESOURCES or len(template.outputs) > MAX_OUTPUTS


def needs_split(template: Template, body: str) -> bool:
    return over_counts(template) or len(body.encode()) > MAX_BYTES


# -- which resources are a function's ------------------------------------------------------


def function_groups(ctx: ProvisionContext, template: Template) -> dict[str, list[str]]:
    """Function key -> the logical IDs of its resources, in template order."""
    owner_of: dict[str, str] = {}
    for function in ctx.service.functions.values():
        ids = function_ids(function)
        for role in ("function", "role", "log_group"):
            if ids[role] in template.resources:
                owner_of[ids[role]] = function.key
    keys = set(ctx.service.functions)
    resources = template.resources
    for logical_id in resources:
        if logical_id in owner_of or "Condition" in resources[logical_id]:
            continue
        found = OWNER.search(template.owner_of(logical_id) or "")
        if found and found.group(1) in keys:
            owner_of[logical_id] = found.group(1)
    # Permissions, mappings, subscriptions...: with the one function they point at.
    for logical_id, resource in resources.items():
        if logical_id in owner_of or resource.get("Type") not in FUNCTION_SIDE_TYPES:
            continue
        if "Condition" in resource:
            continue
        targets = {owner_of[target] for target, _ in references(resource) if target in owner_of}
        if len(targets) == 1:
            owner_of[logical_id] = targets.pop()
    # A resource that must wait for another function's resource stays in the root: two
    # children waiting on each other would be a cycle CloudFormation cannot deploy.
    for logical_id, key in list(owner_of.items()):
        depends = resources[logical_id].get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target in owner_of and owner_of[target] != key:
                del owner_of[logical_id]
                break
    groups: dict[str, list[str]] = {key: [] for key in ctx.service.functions}
    for logical_id in resources:
        if logical_id in owner_of:
            groups[owner_of[logical_id]].append(logical_id)
    return groups


# -- where each function goes ----------------------------------------------------------------


def previous_layout(ctx: ProvisionContext) -> dict[str, Any] | None:
    """The layout of the last build: the root template written to ``.sparta/``, else
    (when not ``--noop``) the deployed root stack's template."""
    path = ctx.work_dir / f"{ctx.service.name}-template.json"
    try:
        text = path.read_text()
    except OSError:
        text = None
    if text is not None:
        if METADATA_KEY not in text:  # cheaper than parsing a big flat template
            return None
        try:
            return json.loads(text).get("Metadata", {}).get(METADATA_KEY)
        except (ValueError, AttributeError):
            return None
    if ctx.settings.noop:
        return None
    from sparta_core.stages.marshall.nesting_remote import deployed_metadata

    return (deployed_metadata(ctx) or {}).get(METADATA_KEY)


def choose_buckets(template: Template, groups: dict[str, list[str]], size: int) -> int:
    """A power of two that fills children to about half of each limit."""
    total = sum(len(ids) for ids in groups.values())
    outputs = len(template.outputs)
    need = max(total / TARGET_RESOURCES, size / TARGET_BYTES, outputs / TARGET_OUTPUTS, 2)
    buckets = 2
    while buckets < need:
        buckets *= 2
    return buckets


def place(groups: dict[str, list[str]], size: int, buckets: int,
          placed: dict[str, int]) -> dict[str, int]:
    """Function key -> bucket. A recorded placement sticks; otherwise the hash decides,
    unless that child is full, in which case the first overflow child with room takes
    the function (and the caller records it)."""
    sizes: dict[int, list[int]] = {}
    # Each function's share of the template's bytes, estimated from its resource count
    # (serialising each resource to measure it would cost more than the split itself);
    # the limits checked afterwards, on each child's real text, have the last word.
    total = sum(len(ids) for ids in groups.values()) or 1
    per_resource = size / total
    weights = {key: [len(ids), int(len(ids) * per_resource), 2] for key, ids in groups.items()}
    where: dict[str, int] = {}
    for key in sorted(groups, key=lambda k: (k not in placed, k)):
        bucket = placed.get(key, bucket_of(key, buckets))
        if key not in placed:
            while not _fits(sizes.get(bucket), weights[key]):
                bucket = buckets if bucket < buckets else bucket + 1
        load = sizes.setdefault(bucket, [0, 0, 0])
        for index, amount in enumerate(weights[key]):
            load[index] += amount
        where[key] = bucket
    return where


def _fits(load: list[int] | None, weight: list[int]) -> bool:
    if load is None:
        return True
    return (load[0] + weight[0] <= FULL_RESOURCES and load[1] + weight[1] <= FULL_BYTES
            and load[2] + weight[2] <= FULL_OUTPUTS)


# -- the split -------------------------------------------------------------------------------


def split(ctx: ProvisionContext, template: Template, layout: dict[str, Any] | None,
          body: str | None) -> None:
    """Move each function's resources into its child and wire the references; ``body``
    is the template's compact JSON before the split, if it was made."""
    groups = function_groups(ctx, template)
    total = sum(len(ids) for ids in groups.values()) or 1
    size = len(body.encode()) if body is not None else total * ESTIMATED_RESOURCE_BYTES
    buckets = int((layout or {}).get("buckets") or choose_buckets(template, groups, size))
    recorded = {key: int(bucket) for key, bucket in ((layout or {}).get("placed") or {}).items()
                if key in groups}
    where = place(groups, size, buckets, recorded)
    overflow = {key: bucket for key, bucket in where.items()
                if bucket != bucket_of(key, buckets)}
    template.set_metadata(
        METADATA_KEY, {"buckets": buckets, "placed": dict(sorted(overflow.items()))}
    )
    members: dict[str, list[str]] = {}
    for key, bucket in where.items():
        members.setdefault(child_id(bucket), []).extend(groups[key])
    description = template.to_dict().get("Description", ctx.service.name)
    work = Split(template)
    for logical_id in sorted(members):
        if members[logical_id]:
            work.add_child(logical_id, members[logical_id],
                           f"{description} ({logical_id})"[:1024])
    work.wire({function_ids(function)["output"] for function in ctx.service.functions.values()})
    bucket_name = _bucket(ctx)
    for logical_id, child in work.children.items():
        child.freeze()  # finished: its JSON names it in S3, and is what is uploaded
        key = template_key(ctx.service.name, child.to_compact_json())
        url = {"Fn::Sub": [f"https://s3.${{AWS::Region}}.${{AWS::URLSuffix}}/${{Bucket}}/{key}",
                           {"Bucket": bucket_name}]}
        template.add_nested_stack(logical_id, child, {"TemplateURL": url,
                                                      **work.stack_properties(logical_id)},
                                  **work.stack_attributes(logical_id))
    # Children that wait on each other (a cycle) are caught by the validate-cycles
    # validator, which sees the root's stack resources, their parameters and DependsOn.


def _bucket(ctx: ProvisionContext) -> Any:
    location = ctx.locations.get("code")
    if location is not None:
        return location.bucket
    return ctx.settings.s3_bucket or {"Ref": ARTIFACT_BUCKET_PARAMETER}


@hookimpl(trylast=True)
def sparta_post_marshall(ctx: ProvisionContext, template: Template) -> None:
    """Split ``template`` into nested stacks if it is past a limit, or if the last build
    was split (a service that shrinks keeps its children: un-nesting would move every
    function)."""
    layout = previous_layout(ctx)
    # Past a count limit, the size is not needed to decide (nor, much, to place):
    # serialising a template of thousands of resources to measure it is skipped.
    body = None if layout is not None or over_counts(template) else template.to_compact_json()
    if layout is None and body is not None and not needs_split(template, body):
        return
    if template.nested:
        raise TemplateError("the template already has nested stacks; sparta splits it itself")
    split(ctx, template, layout, body)
