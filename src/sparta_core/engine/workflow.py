"""The pipeline: calls the hooks of ``hookspecs.py`` in order on one ``ProvisionContext``.

A run walks DESIGN's stages:

1. ``sparta_validate_service``: the service is checked; nothing is built yet.
2. ``sparta_pre_build`` / 3. ``sparta_build`` / 4. ``sparta_post_build``: the build's
   files (the user's code and, later, its dependencies) are staged.
5-7. ``sparta_package`` writes the one archive, calling ``sparta_archive`` while open.
8. ``sparta_upload`` puts the archive in S3 (skipped with ``--noop``); the built-in one
   leaves the uploads running in ``ctx.background`` while the next stages go on.
9-14. ``sparta_pre_marshall``, ``sparta_marshall``, ``sparta_decorate_function`` and the
   function's own ``decorators=``, ``sparta_decorate_service``,
   ``sparta_post_marshall``, ``sparta_validate_template``; the template is then written
   to ``.sparta/``.
15-16. ``sparta_converge`` makes the stack match the template (skipped with ``--noop``).
17. ``sparta_rollback`` runs if any stage failed, then the error goes on to the user.
18. ``sparta_provisioned`` runs last on success.

Each provider's result is checked before the next stage starts, and hooks are called
through :func:`sparta_core.engine.hookcall.call_hook`, so that a broken contract or a failure
names the plugin.

Work a stage left running (``ctx.background``, :mod:`sparta_core.engine.background`) is
joined before ``sparta_converge`` and ``sparta_plan`` (unless every implementation joins
it itself, :func:`~sparta_core.engine.background.joins_background`), again after them and
before ``sparta_provisioned``; a run that fails or is interrupted settles it before
``sparta_rollback``. No stage's thread outlives the run, and no failure of one is lost.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from sparta_core.engine.background import joins_itself
from sparta_core.engine.context import (
    Archive,
    Artifact,
    BuildResult,
    PlanResult,
    ProvisionContext,
    S3Location,
    StackResult,
)
from sparta_core.engine.hookcall import call_hook, describe_error
from sparta_core.engine.template import Template
from sparta_core.errors import SpartaError, StageError, TemplateError

TEMPLATE_FORMATS = ("json", "yaml")
#: The key of the build id in the template's top-level ``Metadata``.
BUILD_ID_KEY = "sparta:build-id"
#: Templates larger than this (compact) are written one line per resource rather than
#: fully indented: the pure-Python indenting encoder takes about 0.3 s per MB.
FULL_INDENT_BYTES = 128 * 1024


class Workflow:
    """Runs the stages of one command on ``ctx``."""

    def __init__(self, ctx: ProvisionContext) -> None:
        self.ctx = ctx
        self.pm = ctx.pluginmanager
        #: stage -> the plugin that provided its result, for later error messages.
        self.providers: dict[str, str] = {}

    # -- calling hooks ---------------------------------------------------------------

    def call(
        self,
        stage: str,
        hook_name: str,
        *,
        firstresult: bool = False,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call ``hook_name``; see :func:`sparta_core.engine.hookcall.call_hook`."""
        return call_hook(self.pm, stage, hook_name, firstresult=firstresult, **kwargs)

    def provide(self, stage: str, hook_name: str, expected: type, **kwargs: Any) -> Any:
        """Call a provider hook and check that its result is an ``expected``."""
        results = self.call(stage, hook_name, firstresult=True, **kwargs)
        if not results:
            raise StageError(
                stage,
                f"no plugin provides {hook_name} (is the built-in plugin blocked with -p no:?)",
            )
        plugin, result = results[0]
        self.providers[stage] = plugin
        if not isinstance(result, expected):
            raise StageError(
                stage,
                f"{hook_name} returned {type(result).__name__}, expected {expected.__name__}",
                plugin,
            )
        return result

    def event(self, stage: str, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call an event hook on every implementation (always through pluggy, so that a
        monitor sees it), timing it as a stage if anyone implements it."""
        if not getattr(self.pm.hook, hook_name).get_hookimpls():
            return self.call(stage, hook_name, **kwargs)
        with self.ctx.reporter.stage(stage):
            return self.call(stage, hook_name, **kwargs)

    # -- the stages --------------------------------------------------------------------

    def build(self) -> Archive:
        """Stages 1-7: validate, build, package."""
        ctx = self.ctx
        self.event("validate", "sparta_validate_service", ctx=ctx)
        self.event("pre-build", "sparta_pre_build", ctx=ctx)
        with ctx.reporter.stage("build"):
            ctx.build = self.provide("build", "sparta_build", BuildResult, ctx=ctx)
        self.event("post-build", "sparta_post_build", ctx=ctx, build=ctx.build)
        with ctx.reporter.stage("package"):
            ctx.archive = self.provide("package", "sparta_package", Archive, ctx=ctx)
        return ctx.archive

    def upload(self) -> None:
        """Stage 8: the archive (and ``ctx.extra_artifacts``, such as the site) to S3."""
        ctx = self.ctx
        assert ctx.archive is not None
        artifacts = [Artifact("code", ctx.archive.path, ctx.archive.sha256)]
        artifacts += [Artifact(f"code-{architecture}", archive.path, archive.sha256)
                      for architecture, archive in sorted(ctx.archives.items())]
        artifacts += ctx.extra_artifacts
        with ctx.reporter.stage("upload"):
            locations = self.provide("upload", "sparta_upload", dict, ctx=ctx, artifacts=artifacts)
        provider = self.providers["upload"]
        missing = {artifact.name for artifact in artifacts} - set(locations)
        if missing:
            raise StageError(
                "upload", f"sparta_upload gave no location for {sorted(missing)}", provider
            )
        for name, location in locations.items():
            if not isinstance(location, S3Location):
                raise StageError(
                    "upload",
                    f"sparta_upload gave {type(location).__name__} for '{name}', "
                    "expected S3Location",
                    provider,
                )
        ctx.locations = locations

    def marshall(self) -> Template:
        """Stages 9-14: the template, decorated and validated."""
        ctx = self.ctx
        self.event("pre-marshall", "sparta_pre_marshall", ctx=ctx)
        with ctx.reporter.stage("marshall"):
            template = self.provide("marshall", "sparta_marshall", Template, ctx=ctx)
        # The build id lives in the template's Metadata, not in stack tags, which
        # CloudFormation copies onto every resource (DESIGN §6).
        template.set_metadata(BUILD_ID_KEY, ctx.build_id)
        ctx.template = template
        with ctx.reporter.stage("decorate"):
            self.decorate(template)
        self.event("post-marshall", "sparta_post_marshall", ctx=ctx, template=template)
        template.freeze()  # finished: its JSON is made once from here on
        with ctx.reporter.stage("validate-template"):
            # Validators may only read. The built-in ones are known to; a template is
            # serialised afresh after them only when a plugin's validator runs, so a
            # build that has none pays nothing for the check.
            suspects = [
                impl.plugin_name
                for impl in self.pm.hook.sparta_validate_template.get_hookimpls()
                if self.pm.infos.get(impl.plugin_name) is None
                or self.pm.infos[impl.plugin_name].origin != "built-in"
            ]
            # The frozen JSON is the template as it was finished: one fresh serialisation
            # afterwards is enough to see a change.
            before = "\n".join(stack.to_compact_json() for _, stack in template.stacks()) \
                if suspects else ""
            self.call(
                "validate-template", "sparta_validate_template", ctx=ctx, template=template
            )
            if suspects and _fingerprint(template) != before:
                raise StageError(
                    "validate-template",
                    "sparta_validate_template changed the template, which it may only "
                    "read (change it in sparta_post_marshall)",
                    ", ".join(suspects),
                )
        return template

    def decorate(self, template: Template) -> None:
        """Stages 11-12: function decorators (hooks, then ``decorators=``), then service
        decorators. What they return is merged; a logical ID collision is an error."""
        ctx = self.ctx
        for function in ctx.service.functions.values():
            function_id = function.logical_id
            for plugin, extra in self.call(
                "decorate", "sparta_decorate_function",
                ctx=ctx, function=function, logical_id=function_id, template=template,
            ):
                template.merge_resources(extra, f"plugin '{plugin}' (sparta_decorate_function)")
            for decorator in function.decorators:
                owner = f"decorator {_name_of(decorator)} of function '{function.key}'"
                extra = _call_decorator(
                    decorator, owner,
                    ctx=ctx, function=function, logical_id=function_id, template=template,
                )
                if extra is not None:
                    template.merge_resources(extra, owner)
        for plugin, extra in self.call(
            "decorate", "sparta_decorate_service", ctx=ctx, template=template
        ):
            template.merge_resources(extra, f"plugin '{plugin}' (sparta_decorate_service)")

    def join_before(self, hook_name: str) -> None:
        """Join the background work of earlier stages before calling ``hook_name``,
        unless every implementation of it joins the work itself (it is marked
        :func:`~sparta_core.engine.background.joins_background`): a plugin that
        replaces the stage is safe without knowing that the work exists."""
        if not joins_itself(getattr(self.pm.hook, hook_name)):
            self.ctx.background.join()

    def converge(self) -> StackResult:
        """Stages 15-16: the stack made to match the template."""
        ctx = self.ctx
        assert ctx.template is not None
        self.join_before("sparta_converge")
        with ctx.reporter.stage("converge"):
            ctx.result = self.provide(
                "converge", "sparta_converge", StackResult, ctx=ctx, template=ctx.template
            )
        # A provider that joins the work itself may have had no need to (no changes).
        ctx.background.join()
        return ctx.result

    def provision(self, template_format: str = "json") -> StackResult | None:
        """The whole pipeline; with ``settings.noop``, up to the written template."""
        ctx = self.ctx
        try:
            self.build()
            if not ctx.settings.noop:
                self.upload()
            template = self.marshall()
            write_template(ctx, template, template_format)
            if not ctx.settings.noop:
                self.converge()
            ctx.background.join()  # whatever a plugin started in a --noop run
        except BaseException as error:
            ctx.background.settle()  # stopped and ended before rollback runs
            self.rollback(error)
            raise
        self.call("provisioned", "sparta_provisioned", ctx=ctx, result=ctx.result)
        return ctx.result

    def plan(self, template_format: str = "json") -> PlanResult:
        """``sparta plan``: build, upload, marshall, then ask the ``sparta_plan`` provider
        what converging would change; nothing in the stack changes."""
        ctx = self.ctx
        try:
            self.build()
            self.upload()
            template = self.marshall()
            write_template(ctx, template, template_format)
            self.check_plan_provider()
            self.join_before("sparta_plan")
            with ctx.reporter.stage("plan"):
                planned = self.provide("plan", "sparta_plan", PlanResult, ctx=ctx,
                                       template=template)
            ctx.background.join()
            return planned
        except BaseException as error:
            ctx.background.settle()  # stopped and ended before rollback runs
            self.rollback(error)
            raise

    def check_plan_provider(self) -> None:
        """A plugin that replaces ``sparta_converge`` must also answer ``sparta_plan``:
        otherwise ``plan`` would show what the built-in converge would do, not what
        ``provision`` will."""
        planners = {impl.plugin_name for impl in self.pm.hook.sparta_plan.get_hookimpls()}
        for impl in self.pm.hook.sparta_converge.get_hookimpls():
            info = self.pm.infos.get(impl.plugin_name)
            if info is not None and info.origin != "built-in" and impl.plugin_name not in planners:
                raise StageError(
                    "plan",
                    "this plugin replaces sparta_converge but implements no sparta_plan, so "
                    "plan cannot say what provision would do",
                    impl.plugin_name,
                )

    def rollback(self, error: BaseException) -> None:
        """Stage 17: every ``sparta_rollback``; their own failures become warnings."""
        call_hook(self.pm, "rollback", "sparta_rollback", on_error="warn",
                  warn=self.ctx.reporter.warn, ctx=self.ctx, error=error)


def template_path(ctx: ProvisionContext, template_format: str = "json",
                  logical_id: str = "") -> Any:
    """``.sparta/<service>-template.<format>``, or for a nested stack
    ``.sparta/<service>-<LogicalId>-template.<format>``."""
    middle = f"-{logical_id}" if logical_id else ""
    return ctx.work_dir / f"{ctx.service.name}{middle}-template.{template_format}"


def write_template(ctx: ProvisionContext, template: Template, template_format: str) -> None:
    """Write ``.sparta/<service>-template.<json|yaml>`` and, for each nested stack,
    ``.sparta/<service>-<LogicalId>-template.<json|yaml>``; remove the other format's.

    The files are for people, so they are indented; indenting is slow (the pure-Python
    encoder), so a template over ``FULL_INDENT_BYTES`` is written one line per resource
    (:meth:`Template.to_json_lines`), and a file whose content has not changed since it
    was written (the compact JSON's sha256, kept in ``.sparta/.templates.json``) is left
    as it is. What is uploaded is always the compact JSON."""
    if template_format not in TEMPLATE_FORMATS:
        raise TemplateError(f"template format must be json or yaml, not {template_format!r}")
    record = ctx.work_dir / ".templates.json"
    try:
        written: dict[str, str] = json.loads(record.read_text())
    except (OSError, ValueError):
        written = {}
    for logical_id, stack in template.stacks():
        path = template_path(ctx, template_format, logical_id.replace(".", "-"))
        compact = stack.to_compact_json()
        digest = hashlib.sha256(compact.encode()).hexdigest()
        try:
            # The file as it was written: same content, not touched since.
            if written.get(path.name) == f"{digest} {path.stat().st_mtime_ns}":
                continue
        except OSError:
            pass
        if template_format == "yaml":
            body = stack.to_yaml()
        elif len(compact) > FULL_INDENT_BYTES:
            body = stack.to_json_lines()
        else:
            body = stack.to_json()
        partial = path.with_name(path.name + ".partial")
        partial.write_text(body)
        partial.replace(path)
        written[path.name] = f"{digest} {path.stat().st_mtime_ns}"
        # The template of an earlier build in the other format is stale now: left beside
        # the new one, it would be read (or deployed by hand) as if it were current.
        for other in TEMPLATE_FORMATS:
            if other != template_format:
                stale = template_path(ctx, other, logical_id.replace(".", "-"))
                stale.unlink(missing_ok=True)
                written.pop(stale.name, None)
    record.write_text(json.dumps(written, sort_keys=True))
    ctx.stash["sparta.template_path"] = template_path(ctx, template_format)


def _fingerprint(template: Template) -> str:
    """The template's content, made afresh (not the frozen JSON, which a validator that
    changed the template would not have changed)."""
    return "\n".join(json.dumps(stack.to_dict(), sort_keys=True, separators=(",", ":"))
                     for _, stack in template.stacks())


def _call_decorator(decorator: Callable[..., Any], owner: str, **kwargs: Any) -> Any:
    """Call a per-function decorator with the keyword arguments it names."""
    try:
        parameters = inspect.signature(decorator).parameters
    except (TypeError, ValueError):
        parameters = {}  # a builtin or C callable: pass everything
    unknown = [
        name for name, parameter in parameters.items()
        if name not in kwargs
        and parameter.default is parameter.empty
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]
    if unknown:
        raise StageError(
            "decorate",
            f"{owner} asks for {', '.join(repr(name) for name in unknown)}, which decorators "
            f"are not given (they get {', '.join(kwargs)})",
        )
    try:
        if parameters and not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            kwargs = {name: value for name, value in kwargs.items() if name in parameters}
        return decorator(**kwargs)
    except SpartaError:
        raise
    except Exception as error:
        raise StageError("decorate", f"{owner}: {describe_error(error)}") from error


def _name_of(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)
