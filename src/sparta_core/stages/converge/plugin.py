"""Built-in plugin ``converge``: make the stack match the template, through a change set
(``sparta_converge``), or say what that would change (``sparta_plan``). With
``--hotswap``, a change that only touches resources' properties (a code edit) is applied
directly instead (:mod:`sparta_core.stages.converge.hotswap`), when plugins can.

The work is in :mod:`sparta_core.stages.converge` (imported when the hook runs, so that a build
that never converges does not load it).

Both hooks are marked :func:`~sparta_core.engine.background.joins_background`: the
artifact uploads go on while they read the stack and upload the templates, and they join
them just before their first call that changes anything (a change set, a stack deleted
or recovered, a function's code hotswapped).
"""

from __future__ import annotations

from sparta_core.engine.background import joins_background
from sparta_core.engine.context import PlanResult, ProvisionContext, StackResult
from sparta_core.engine.template import Template
from sparta_core.hookspecs import hookimpl


@hookimpl(trylast=True)
@joins_background
def sparta_converge(ctx: ProvisionContext, template: Template) -> StackResult:
    from sparta_core.stages.converge import hotswap
    from sparta_core.stages.converge.operations import converge

    if ctx.settings.hotswap:
        result = hotswap.hotswap(ctx, template)
        if result is not None:
            return result
    before = hotswap.before_full_provision(ctx)
    outcome = converge(ctx, template)
    if before is not None:
        hotswap.reconcile(ctx, template, before)
    if ctx.build is not None:
        from sparta_core.stages.converge.hotswap_select import remember

        # What the functions now run, scanned for the next hotswap's comparison. Only a
        # cache: the stack is already updated, so nothing here may fail the provision.
        try:
            remember(ctx)
        except Exception as error:  # the next hotswap scans anew
            ctx.reporter.warn(f"hotswap: could not scan the handlers' modules for the "
                              f"next hotswap ({type(error).__name__}: {error})")
    if outcome.slowest:
        ctx.reporter.info(
            "  slowest: " + ", ".join(f"{lid} {sec:.1f}s" for lid, sec in outcome.slowest)
        )
    return StackResult(
        stack_name=outcome.stack_name,
        status=outcome.status,
        stack_id=outcome.stack_id,
        changed=outcome.changed,
        outputs=dict(outcome.outputs),
    )


@hookimpl(trylast=True)
@joins_background
def sparta_plan(ctx: ProvisionContext, template: Template) -> PlanResult:
    from sparta_core.stages.converge.operations import converge

    lines: list[str] = []
    outcome = converge(ctx, template, execute=False, show=lines.append)
    return PlanResult(stack_name=outcome.stack_name, lines=lines, changes=len(outcome.changes))
