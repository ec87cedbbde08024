"""``provision --hotswap``: apply a change that touches only resources' properties (a code
edit) directly, without CloudFormation, or say why a full provision is needed.

1. The stack must exist and be at rest; the run's tags and parameters must be the
   stack's (else: full provision).
2. The new template is compared with the deployed one (``GetTemplate``) with earlier
   hotswaps laid over it (``.sparta/<stack>-hotswap.json``, so that undoing an edit is
   a difference too). Any difference outside resources' ``Properties`` (the build id in
   ``Metadata`` aside) means a full provision, named by the first one found.
3. ``sparta_hotswap`` asks every plugin to claim the differences it can apply; one left
   unclaimed means a full provision, naming it. Otherwise every action runs, in
   parallel, and CloudFormation is skipped: the stack now drifts from its template
   until the next full provision.

After a full provision, :func:`reconcile` re-applies the template's value where an
earlier hotswap left a resource that CloudFormation saw no reason to update (the
template went back to what CloudFormation last deployed).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sparta_core.aws import clients as aws_module
from sparta_core.aws import errors as aws_errors
from sparta_core.engine.context import ProvisionContext, StackResult
from sparta_core.engine.hookcall import call_hook
from sparta_core.engine.hotswap import HotswapAction, ResourceDifference
from sparta_core.engine.template import Template
from sparta_core.errors import DeployError, SpartaError
from sparta_core.stages.converge.deployed import deployed_template
from sparta_core.stages.converge.hotswap_compare import Fallback, compare, overlay
from sparta_core.stages.converge.hotswap_nested import (
    StackPlan,
    child_plans,
    record_key,
    record_of,
    split_changes,
)
from sparta_core.stages.converge.state import SUCCESS, StackState, read_stack

#: ``ctx.stash`` key: what the last hotswap did (``{"applied": [descriptions],
#: "resources": count, "seconds": s}``).
HOTSWAP_KEY = "sparta.hotswap"
#: ``ctx.stash`` key: why the last ``--hotswap`` provisioned in full.
FALLBACK_KEY = "sparta.hotswap.fallback"
#: Actions applied at once; botocore keeps 10 connections per client.
WORKERS = 10
#: Stack states a hotswap may start from: at rest, and running a known template.
HOTSWAPPABLE = SUCCESS | {"UPDATE_ROLLBACK_COMPLETE"}
#: What the record says a property is when a hotswap may or may not have changed it.
UNKNOWN = "sparta:unknown (a hotswap of it did not finish)"


# -- what earlier hotswaps did -----------------------------------------------------------


def record_path(ctx: ProvisionContext) -> Path:
    return ctx.work_dir / f"{ctx.stack_name}-hotswap.json"


def read_record(ctx: ProvisionContext, stack_id: str) -> dict[str, dict[str, Any]]:
    """Logical ID -> the properties hotswaps gave it since the last full provision of
    the stack ``stack_id`` (another stack's record, after a delete, does not count)."""
    try:
        record = json.loads(record_path(ctx).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("stack_id") != stack_id:
        return {}
    return record.get("resources") or {}


def write_record(ctx: ProvisionContext, stack_id: str,
                 resources: dict[str, dict[str, Any]]) -> None:
    path = record_path(ctx)
    if not resources:
        path.unlink(missing_ok=True)
        return
    partial = path.with_name(path.name + ".partial")  # never a half-written record
    partial.write_text(json.dumps({"stack_id": stack_id, "resources": resources},
                                  indent=1, sort_keys=True))
    partial.replace(path)


# -- claiming and applying ---------------------------------------------------------------


def claim(ctx: ProvisionContext, template: Template, deployed: dict[str, Any],
          changes: list[ResourceDifference]) -> list[HotswapAction]:
    """The actions that apply ``changes``, one claim per resource (the first wins);
    raise :class:`Fallback` naming the first difference no plugin claims."""
    results = call_hook(ctx.pluginmanager, "hotswap", "sparta_hotswap", ctx=ctx,
                        template=template, deployed=deployed, changes=list(changes))
    claimed: dict[str, str] = {}
    actions: list[HotswapAction] = []
    for plugin, offered in results:
        for action in offered or []:
            if not isinstance(action, HotswapAction):
                raise DeployError(
                    f"plugin '{plugin}': sparta_hotswap returned {type(action).__name__}, "
                    "expected HotswapAction"
                )
            ids = (*action.logical_ids, *action.kept)
            if any(logical_id in claimed for logical_id in ids):
                ctx.reporter.detail(f"hotswap: {plugin}'s claim on {ids} "
                                    "is left to an earlier one")
                continue
            for logical_id in ids:
                claimed[logical_id] = plugin
            actions.append(action)
    for change in changes:
        if change.logical_id not in claimed:
            raise Fallback(f"{change}, which no plugin can hotswap")
    return actions


def apply_all(ctx: ProvisionContext, actions: list[HotswapAction]) -> list[HotswapAction]:
    """Run every action in parallel; the ones that succeeded, or raise on the first
    failure (after the others finished) naming it."""
    done: list[HotswapAction] = []
    failures: list[tuple[HotswapAction, BaseException]] = []
    with ThreadPoolExecutor(min(WORKERS, max(len(actions), 1))) as pool:
        futures = [(action, pool.submit(action.apply)) for action in actions]
        for action, future in futures:
            try:
                future.result()
            except Exception as error:  # reported below, after the others ended
                failures.append((action, error))
                continue
            done.append(action)
            if action.logical_ids:
                ctx.reporter.detail(f"hotswapped {action.description}")
    if failures:
        action, error = failures[0]
        if isinstance(error, SpartaError):
            message = str(error)
        else:
            message = aws_errors.error_message(error) or f"{type(error).__name__}: {error}"
        failure = DeployError(
            f"hotswapping {action.description} failed: {message} ({len(done)} other "
            "change(s) applied; `sparta provision` brings the stack back to its template)"
        )
        failure.sparta_done = done  # type: ignore[attr-defined]
        raise failure from error
    return done


# -- the fast path -----------------------------------------------------------------------


def hotswap(ctx: ProvisionContext, template: Template) -> StackResult | None:
    """Apply ``template`` by hotswapping, or return ``None`` (having said why) when a
    full provision is needed."""
    started = time.perf_counter()
    aws = aws_module.for_context(ctx)
    try:
        state = read_stack(aws.client("cloudformation"), ctx.stack_name)
        result = _hotswap(ctx, template, aws, state, started)
    except Fallback as reason:
        ctx.stash[FALLBACK_KEY] = str(reason)
        ctx.reporter.info(f"hotswap: not possible ({reason}); provisioning in full")
        return None
    except SpartaError:
        raise
    except Exception as error:
        raise aws_errors.explain(error, f"hotswapping stack {ctx.stack_name}", aws) from None
    return result


def _hotswap(ctx: ProvisionContext, template: Template, aws: aws_module.Aws,
             state: StackState | None, started: float) -> StackResult:
    from sparta_core.stages.converge.operations import stack_tags

    if state is None:
        raise Fallback(f"stack {ctx.stack_name} does not exist yet")
    if state.status not in HOTSWAPPABLE:
        raise Fallback(f"stack {state.name} is in {state.status}")
    tags = stack_tags(ctx)
    for key in sorted(set(tags) | set(state.tags)):
        if tags.get(key) != state.tags.get(key):
            raise Fallback(f"stack tag {key} changed")
    for key, value in sorted(ctx.settings.params.items()):
        if state.parameters.get(key) != value:
            raise Fallback(f"parameter {key} changed")
    cloudformation = aws.client("cloudformation")
    deployed = deployed_template(cloudformation, state.stack_id)
    if deployed is None:
        raise Fallback("the deployed template cannot be read")
    record = read_record(ctx, state.stack_id)
    plans = _plans(ctx, template, cloudformation, state.stack_id, deployed, record)
    compared = time.perf_counter()
    applied: list[tuple[str, HotswapAction]] = []
    actions = [(plan, action) for plan in plans if plan.changes
               for action in claim(ctx, plan.template, plan.effective, plan.changes)]
    ctx.reporter.detail(f"hotswap: stack read and compared in {compared - started:.2f} s, "
                        f"claimed in {time.perf_counter() - compared:.2f} s")
    if actions:
        # The actions point functions at the new archive's S3 key: it must be there.
        ctx.background.join()
        try:
            done = apply_all(ctx, [action for _, action in actions])
        except BaseException as error:
            # A failure, or Ctrl-C (ending `sparta watch`): what is on record must say
            # which functions may now run other code, or the next hotswap would trust it.
            done = getattr(error, "sparta_done", [])
            write_record(ctx, state.stack_id, _recorded(record, actions, done))
            raise
        applied = [(plan.stack, action) for plan, action in actions if action in done]
        write_record(ctx, state.stack_id, _recorded(record, actions, done))
    seconds = time.perf_counter() - started
    resources = sum(len(action.logical_ids) for _, action in applied)
    kept = sum(len(action.kept) for _, action in applied)
    ctx.stash[HOTSWAP_KEY] = {"applied": [a.description for _, a in applied if a.logical_ids],
                              "resources": resources, "kept": kept, "seconds": seconds}
    if resources:
        others = (f"; the other {kept} function(s) whose code location changed run none of "
                  "what changed and keep the previous archive until the next full "
                  "provision" if kept else "")
        ctx.reporter.info(
            f"hotswap: {resources} resource(s) updated directly in {seconds:.2f} s{others}; "
            f"stack {state.name} now drifts from its template until the next full "
            "provision (sparta provision)"
        )
    elif kept:
        ctx.reporter.info(f"hotswap: none of the {kept} function(s) whose code location "
                          "changed runs what changed; they keep the previous archive until "
                          "the next full provision")
    else:
        ctx.reporter.info(f"hotswap: stack {state.name} already runs this build; no changes")
    return StackResult(stack_name=state.name, status=state.status, stack_id=state.stack_id,
                       changed=bool(resources), outputs=dict(state.outputs))


def _plans(ctx: ProvisionContext, template: Template, cloudformation: Any, stack_id: str,
           deployed: dict[str, Any], record: dict[str, dict[str, Any]]) -> list[StackPlan]:
    """The stacks to hotswap: the root with its own differences, and each nested stack
    whose ``TemplateURL`` alone changed, compared with what it runs."""
    effective = overlay(deployed, record_of(record, ""))
    new = json.loads(template.to_compact_json())
    own, children = split_changes(compare(new, effective))
    # A nested stack an earlier hotswap changed runs other code than its template says,
    # even when its TemplateURL is back to the deployed one (an edit undone).
    children = sorted(set(children) | {key.split("/", 1)[0] for key in record if "/" in key}
                      & set(template.nested))
    plans = [StackPlan("", template, effective, own)]
    if children:
        from sparta_core.stages.converge.nested import child_stacks

        plans += child_plans(cloudformation, child_stacks(cloudformation, stack_id), template,
                             record, children)
    return plans


def _recorded(record: dict[str, dict[str, Any]],
              actions: list[tuple[StackPlan, HotswapAction]],
              done: list[HotswapAction]) -> dict[str, dict[str, Any]]:
    """``record`` with what the finished actions ``done`` applied: each resource they
    updated now runs its new properties; the ``kept`` ones still run what they ran. A
    resource of an action that did not finish (it failed part-way, or was interrupted)
    may run either: its properties are on record as :data:`UNKNOWN`, which differs from
    anything a template says, so the next hotswap updates it and a full provision puts
    the template's value back."""
    merged = {logical_id: dict(properties) for logical_id, properties in record.items()}
    for plan, action in actions:
        by_id = {change.logical_id: change for change in plan.changes}
        for logical_id in action.logical_ids:
            change = by_id.get(logical_id)
            if change is None:
                continue
            properties = change.new.get("Properties") or {}
            merged.setdefault(record_key(plan.stack, logical_id), {}).update(
                {name: properties.get(name) if action in done else UNKNOWN
                 for name in change.properties}
            )
    return merged


# -- after a full provision --------------------------------------------------------------


#: What :func:`before_full_provision` reads: the stack id, the deployed templates by
#: stack (``""``: the root, else a nested stack's logical ID), and the record.
Before = tuple[str, dict[str, dict[str, Any]], dict[str, dict[str, Any]]]


def before_full_provision(ctx: ProvisionContext) -> Before | None:
    """What :func:`reconcile` needs when earlier hotswaps are on record for the stack
    (a ``GetTemplate`` of the root and of each nested stack on record); ``None``
    otherwise, without any AWS call."""
    from sparta_core.stages.converge.hotswap_nested import deployed_children

    if not record_path(ctx).is_file():
        return None
    aws = aws_module.for_context(ctx)
    cloudformation = aws.client("cloudformation")
    state = read_stack(cloudformation, ctx.stack_name)
    if state is None:
        record_path(ctx).unlink(missing_ok=True)
        return None
    record = read_record(ctx, state.stack_id)
    if not record:
        return None
    deployed = {"": deployed_template(cloudformation, state.stack_id) or {},
                **deployed_children(cloudformation, state.stack_id, record)}
    return state.stack_id, deployed, record


def reconcile(ctx: ProvisionContext, template: Template, before: Before) -> None:
    """After a full provision: a hotswapped resource whose template value equals what
    CloudFormation had deployed was not updated by it, and still runs the hotswapped
    value; put the template's value back through the hotswap plugins, then forget the
    record."""
    stack_id, deployed, record = before
    stale: dict[str, list[ResourceDifference]] = {}
    for key, properties in sorted(record.items()):
        stack, _, logical_id = key.rpartition("/")
        built = template if not stack else template.nested.get(stack)
        if built is None or stack not in deployed:
            continue  # the nested stack went away, or could not be read
        resource = (built.to_dict().get("Resources") or {}).get(logical_id)
        old = (deployed[stack].get("Resources") or {}).get(logical_id)
        if resource is None or old is None or resource.get("Type") != old.get("Type"):
            continue  # removed or replaced: CloudFormation made it anew
        resource = json.loads(json.dumps(resource, default=str))
        wanted, had = resource.get("Properties") or {}, old.get("Properties") or {}
        # A property whose template value did not change was not touched by
        # CloudFormation (it updates what changed): it still holds the hotswapped value.
        changed = tuple(name for name in sorted(properties)
                        if wanted.get(name) == had.get(name) != properties[name])
        current = overlay(deployed[stack], {logical_id: properties})["Resources"][logical_id]
        if changed:
            stale.setdefault(stack, []).append(ResourceDifference(
                logical_id, resource.get("Type", "?"), changed, current, resource, stack=stack))
    still: dict[str, dict[str, Any]] = {}
    if stale:
        try:
            claimed = [(stack, action) for stack, changes in sorted(stale.items())
                       for action in claim(ctx, template if not stack else template.nested[stack],
                                           deployed[stack], changes)]
            apply_all(ctx, [action for _, action in claimed])
        except Fallback as reason:
            ctx.reporter.warn(f"{reason}: it still runs what an earlier hotswap gave it")
            return
        count = sum(len(action.logical_ids) for _, action in claimed)
        ctx.reporter.info(f"hotswap: {count} resource(s) that an earlier hotswap "
                          "changed put back to the template's value")
        # What a plugin kept as it was (its difference cannot matter) still runs the
        # hotswapped value: it stays on record.
        still = {key: record[key] for stack, action in claimed for logical_id in action.kept
                 if (key := record_key(stack, logical_id)) in record}
    write_record(ctx, stack_id, still)
