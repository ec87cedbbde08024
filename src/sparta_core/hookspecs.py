"""The hook contract: every hook sparta calls, in the order a run calls them.

Two kinds of hooks:

* **provider** hooks (``firstresult``) return the value of a stage; the first
  implementation that returns something other than ``None`` wins and the workflow stores
  it on the context. The built-in providers are registered ``trylast``, so any plugin
  replaces a stage by implementing its hook (and can defer to the built-in by returning
  ``None``).
* **event** hooks are called on every implementation; they may change only what their
  docstring allows.

Every hook takes keyword arguments, and an implementation may accept any subset of
them, so hooks can grow new arguments without breaking plugins. Unless a docstring
says otherwise, a project's ``spartaconf.py`` may implement every hook.

Implement a hook with the :data:`hookimpl` marker (or, in ``spartaconf.py``, a plain
function named ``sparta_...``)::

    import sparta_core as sparta

    @sparta.hookimpl
    def sparta_decorate_service(ctx, template):
        template.add_resource("Bucket", "AWS::S3::Bucket")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sparta_core.engine.context import (
        Archive,
        Artifact,
        BuildResult,
        PlanResult,
        ProvisionContext,
        S3Location,
        StackResult,
    )
    from sparta_core.engine.hotswap import HotswapAction, ResourceDifference
    from sparta_core.engine.settings import Config, OptionParser
    from sparta_core.engine.template import Template
    from sparta_core.model.function import LambdaFunction
    from sparta_core.model.local_route import LocalRoute
    from sparta_core.stages.marshall.custom_resources import CustomResourceRegistry
    from sparta_core.stages.package.archive import ArchiveWriter

PROJECT_NAME = "sparta"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------
# Stage 0: configure
# ---------------------------------------------------------------------------------------


@hookspec(historic=True)
def sparta_addoption(parser: OptionParser) -> None:
    """Declare settings of your plugin.

    Called once per run, right after the plugin manager is built and before settings
    are merged; historic, so a plugin registered later is called on registration.
    Call ``parser.add_option("my-setting", help=..., default=..., type="str")``; the
    value is read from ``[tool.sparta] my-setting``, ``SPARTA_MY_SETTING`` or
    ``-o my-setting=VALUE`` and lands in ``ctx.settings.options["my-setting"]``.
    Return value ignored.

    ``spartaconf.py``: may implement it (it is registered before this hook is called).
    """


@hookspec(historic=True)
def sparta_configure(config: Config) -> None:
    """Settings are merged; look at them, keep what you need.

    ``config.settings`` is frozen; ``config.pluginmanager`` may be used to register or
    look up other plugins. Called once per run before any stage; historic, so a plugin
    registered later is called on registration. Return value ignored.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stage 1: verify the service
# ---------------------------------------------------------------------------------------


@hookspec
def sparta_validate_service(ctx: ProvisionContext) -> None:
    """Check the service before anything is built or changed.

    Called on every implementation, with ``ctx.service`` loaded and nothing built.
    Raise :class:`sparta_core.errors.ServiceDefinitionError` (or any
    ``SpartaError``) with a one-line message to stop the run; nothing has changed yet.
    The order is declared: the built-in ``validate`` (``tryfirst``) checks the model and
    that every handler resolves before any plugin's implementation runs; the built-in
    ``preconditions`` (``trylast``) runs after all of them and, unless ``--noop``, checks
    AWS: the artifact bucket exists, every role named by string exists (looked up once)
    and the stack's state is known. Must not change ``ctx.service``. Return value
    ignored.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stages 2-4: build
# ---------------------------------------------------------------------------------------


@hookspec
def sparta_pre_build(ctx: ProvisionContext) -> None:
    """The service is valid and the build is about to start.

    Called on every implementation. May write files into the project (generated
    code) or into ``ctx.work_dir``. Return value ignored.

    ``spartaconf.py``: may implement it.
    """


@hookspec(firstresult=True)
def sparta_build(ctx: ProvisionContext) -> BuildResult | None:
    """Provider: stage the service's code and its dependencies for the Lambda platform.

    Return a :class:`~sparta_core.engine.context.BuildResult`, stored as ``ctx.build``; the
    first non-``None`` result wins. Return ``None`` to leave the stage to the next
    plugin (the built-in one stages the project's files, minus the default excludes).

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_post_build(ctx: ProvisionContext, build: BuildResult) -> None:
    """The build is done; ``build`` is also ``ctx.build``.

    Called on every implementation. May add entries to ``build.sources`` or
    ``build.dependency_dirs``, remove entries of ``build.sources`` that are not code
    (components' assets, such as a site's folder, the package stage leaves out itself),
    and add files to upload to ``ctx.extra_artifacts``. Return value ignored.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stages 5-7: archive
# ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sparta_package(ctx: ProvisionContext) -> Archive | None:
    """Provider: make the one deterministic zip that every function runs from.

    Called with ``ctx.build`` set. Return an :class:`~sparta_core.engine.context.Archive`,
    stored as ``ctx.archive``; the first non-``None`` result wins. An implementation
    should call ``ctx.hook.sparta_archive(ctx=ctx, archive=writer)`` while its writer is
    open, as the built-in one does.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_archive(ctx: ProvisionContext, archive: ArchiveWriter) -> None:
    """The archive is open: add files to it.

    Called on every implementation, after the build's files and sparta's runtime
    package are in. Use ``archive.add_bytes(name, data)`` or
    ``archive.add_file(name, path)``; a name already taken is an error. Entries are
    written sorted when the archive closes, so the order of plugins does not change the
    bytes. Called once per archive: when functions on different architectures need
    different dependencies, each such architecture has an archive of its own
    (``ctx.archives``), and ``archive.path`` tells which one is open. Return value
    ignored.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stage 8: upload
# ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sparta_upload(
    ctx: ProvisionContext, artifacts: list[Artifact]
) -> dict[str, S3Location] | None:
    """Provider: put ``artifacts`` (the archive, site assets) in S3.

    Not called with ``--noop``. Return a dict of artifact name to
    :class:`~sparta_core.engine.context.S3Location`, stored as ``ctx.locations``; the first
    non-``None`` result wins. Keys are content-addressed; an artifact already there is
    not uploaded again.

    The locations must be final when the hook returns, the bytes need not: the sending
    may go on in ``ctx.background.start(what, work)``
    (:class:`~sparta_core.engine.background.BackgroundWork`) while the template is made.
    The workflow joins it (raising its first failure) before ``sparta_converge`` or
    ``sparta_plan`` changes anything and before the run ends, so a replaced converge
    needs to know nothing of it. ``work`` should skip the pieces it has not begun once
    ``ctx.background.stopping`` is true, and raise naming them. The built-in one asks
    S3 which keys are there before it returns (each location's ``uploaded`` and
    ``ctx.stash["sparta.upload"]`` are final then) and sends the rest in the background.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stages 9-14: marshall and decorate the template
# ---------------------------------------------------------------------------------------


@hookspec
def sparta_pre_marshall(ctx: ProvisionContext) -> None:
    """The archive exists and ``ctx.locations`` are known; the template is next.

    Called on every implementation. Unless ``--noop``, the artifacts may still be on
    their way to S3 (``ctx.background``): call ``ctx.background.join()`` first if you
    need them there. Return value ignored.

    ``spartaconf.py``: may implement it.
    """


@hookspec(firstresult=True)
def sparta_marshall(ctx: ProvisionContext) -> Template | None:
    """Provider: turn the service into a CloudFormation template.

    Return a :class:`~sparta_core.engine.template.Template`, stored as ``ctx.template``; the
    first non-``None`` result wins. The built-in one writes each function, its log group,
    its role and its event sources, the service's resources and outputs.

    ``spartaconf.py``: may implement it.
    """


@hookspec(firstresult=True)
def sparta_invoke_target(
    ctx: ProvisionContext, function: LambdaFunction, logical_id: str
) -> Any:
    """Provider: what every caller of ``function`` invokes, as a template value.

    Called once per function during ``sparta_marshall``, before its event sources and
    the components that invoke it are marshalled. Return an ARN value (``{"Ref":
    "<Alias>"}`` for an ``AWS::Lambda::Alias``, whose ``Ref`` is its ARN) to redirect
    them all: event source mappings, push sources' permissions and targets, API routes
    and their permissions, state-machine tasks. The resource it names must exist in
    the final template (add it in ``sparta_decorate_function``). Return ``None`` to
    leave the function itself as the target; the first non-``None`` result wins.
    ``logical_id`` is the function's own logical ID.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_decorate_function(
    ctx: ProvisionContext,
    function: LambdaFunction,
    logical_id: str,
    template: Template,
) -> dict[str, Any] | None:
    """Decorate one function's part of the template.

    Called on every implementation, once per function, after marshalling and before
    the function's own ``decorators=``. May change the function's resource
    (``template.resources[logical_id]``) and add resources with
    ``template.add_resource``, or return a dict of resources in template form
    (``{"Id": {"Type": ..., "Properties": ...}}``) to be added; a logical ID that is
    already taken is an error, never an overwrite.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_decorate_service(ctx: ProvisionContext, template: Template) -> dict[str, Any] | None:
    """Decorate the whole template, after every function is decorated.

    Called on every implementation. May change or add resources, outputs and
    parameters, or return a dict of resources to add, as for
    :func:`sparta_decorate_function`.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_post_marshall(ctx: ProvisionContext, template: Template) -> None:
    """The template is complete; last chance to change it before validation.

    Called on every implementation. Return value ignored. The built-in
    ``nested-stacks`` plugin runs last (``trylast``): a template past CloudFormation's
    limits is then split into nested stacks (``template.nested``), so validators and
    later hooks see the root and its children.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_validate_template(ctx: ProvisionContext, template: Template) -> None:
    """Check the finished template; read-only.

    Called on every implementation. Raise
    :class:`sparta_core.errors.TemplateError` with a one-line message to stop the run
    before anything in AWS changes. Must not change the template. The built-in one
    checks CloudFormation's limits (template size, resource, output and parameter
    counts).

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Registries: pluggable types
# ---------------------------------------------------------------------------------------


@hookspec
def sparta_custom_resource_types(register: CustomResourceRegistry) -> None:
    """Register custom resource types: ``register.add(CustomResourceType(...))``.

    Called on every implementation, at most once per run, the first time the template
    needs a custom resource (during ``sparta_marshall`` or a decorator), in pluggy's
    order. A ``sparta_core.CustomResourceType`` (public since plugins register types)
    names the type (the resource becomes ``Custom::<name>``), the ``module.function``
    handler that implements it inside the archive (ship your module with
    ``sparta_archive``; build it on ``sparta_runtime.custom_resource.handle``, which
    speaks CloudFormation's response protocol), and the IAM statements that handler
    needs for one resource's properties. A name registered twice is an error naming
    both plugins (the one registered earlier is said to have it already). Add resources
    of a type from a component (``wiring.add_custom_resource``) or an event source
    (``wiring.add_custom_resource(..., owner=...)``).
    Return value ignored.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Serving locally: sparta local api
# ---------------------------------------------------------------------------------------


@hookspec
def sparta_local_routes(ctx: ProvisionContext) -> list[LocalRoute] | None:
    """Name the HTTP routes ``sparta local api`` serves, as :class:`sparta_core.LocalRoute`
    values (method, path as written without the stage, the function's key, and the
    payload shape: ``"rest-v1"`` for a REST API's proxy events, ``"http-v2"`` for an
    HTTP API's payload 2.0).

    Called on every implementation when ``sparta local api`` starts and after each
    rebuild, once the archive is built and the template marshalled (``ctx.archive``,
    ``ctx.template``); nothing in AWS is touched. Return a list (or ``None``); the lists
    of every implementation are served together. The built-in implementation (trylast)
    returns each component's :meth:`sparta_core.Component.local_routes`, so a component
    kind (the built-in ``RestAPI``, sparta-httpapi's ``HttpAPI``) only implements that
    method; implement this hook for routes that belong to no component. A route whose
    function is not one of the service's, or two routes with the same method and path,
    fail the command naming the plugin or component.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stages 15-18: converge, roll back, done
# ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sparta_converge(ctx: ProvisionContext, template: Template) -> StackResult | None:
    """Provider: make the stack match ``template`` and wait for it.

    Not called with ``--noop``. Upload the template to S3 and pass it by
    ``TemplateURL``; create the stack or update it through a change set. Return a
    :class:`~sparta_core.engine.context.StackResult`, stored as ``ctx.result``; the first
    non-``None`` result wins. Raise ``SpartaError`` naming the failing resource and its
    reason when the stack operation fails.

    Earlier stages' background work (``ctx.background``: the artifact uploads) is
    joined before this hook is called, so the artifacts are in S3; unless every
    implementation is marked :func:`~sparta_core.engine.background.joins_background`,
    and then each must call ``ctx.background.join()`` itself before its first call that
    creates, updates or deletes a stack or change set or changes a function's code (the
    built-in one does, after uploading the templates). It is joined again afterwards.

    ``spartaconf.py``: may implement it.
    """


@hookspec(firstresult=True)
def sparta_plan(ctx: ProvisionContext, template: Template) -> PlanResult | None:
    """Provider for ``sparta plan``: say what ``sparta_converge`` would change to make
    the stack match ``template``, and change nothing.

    Called instead of ``sparta_converge`` by ``sparta plan``, after the artifacts are
    uploaded (joined as for ``sparta_converge``) and the template is validated. Return a
    :class:`~sparta_core.engine.context.PlanResult` (its ``lines`` are printed as they
    are, ``changes`` counts the resources that would change); the first non-``None``
    result wins. A plugin that implements ``sparta_converge`` must implement this hook
    too, or ``sparta plan`` refuses to run rather than show what the built-in would do.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_rollback(ctx: ProvisionContext, error: BaseException) -> None:
    """A stage failed with ``error``; undo or record what your plugin did.

    Called on every implementation, on any failure, build or provision, before the
    error reaches the user. ``ctx`` holds whatever the stages before the failure
    stored; background work has ended (its failures shown as warnings). An exception
    raised here is reported as a warning and does not hide ``error``. Return value
    ignored.

    ``spartaconf.py``: may implement it.
    """


@hookspec
def sparta_provisioned(ctx: ProvisionContext, result: StackResult | None) -> None:
    """The run succeeded; ``result`` is ``ctx.result`` (``None`` with ``--noop``).

    Called on every implementation, last, once all background work is joined (every
    artifact is in S3). Return value ignored.

    ``spartaconf.py``: may implement it.
    """


# ---------------------------------------------------------------------------------------
# Stage 16, fast path: provision --hotswap
# ---------------------------------------------------------------------------------------


@hookspec
def sparta_hotswap(
    ctx: ProvisionContext,
    template: Template,
    deployed: dict[str, Any],
    changes: list[ResourceDifference],
) -> list[HotswapAction] | None:
    """Claim the differences your plugin can apply without CloudFormation, for
    ``sparta provision --hotswap`` and ``sparta watch``.

    Called on every implementation by the built-in ``sparta_converge`` when
    ``--hotswap`` is given, after the template is validated, and only when the new
    ``template`` differs from the ``deployed`` one (the stack's template as
    CloudFormation keeps it, with earlier hotswaps laid over it) in nothing but some
    resources' ``Properties``: ``changes`` lists those resources
    (:class:`~sparta_core.engine.hotswap.ResourceDifference`). Any other
    difference (a resource added or removed, a parameter, an output) means a full
    provision, and this hook is not called.

    A service split into nested stacks is hotswapped stack by stack: when the root
    differs only in its nested stacks' ``TemplateURL``, the hook is called once for the
    root's own differences (if any) and once per nested stack that differs, with that
    child's ``template`` and ``deployed`` template, and ``changes`` whose ``stack`` is
    the child's logical ID (any other difference in a child means a full provision).

    Return a list of :class:`~sparta_core.engine.hotswap.HotswapAction` for the
    differences you can apply, or ``None``; change nothing in AWS yet (the artifacts
    may still be on their way to S3: actions are applied once they are all there). An
    action may also claim, as ``kept``, resources whose difference cannot matter and
    which it leaves as they run (they stay on record as they were). If every difference
    is claimed, sparta runs every action's ``apply()`` in parallel and skips
    CloudFormation (the stack then drifts from its template until the next full
    provision); if one is left unclaimed, no action runs and sparta provisions in full,
    naming it. A resource claimed twice goes to the first claim in pluggy's order (the
    project's ``spartaconf.py`` first, the built-ins last). The built-in
    ``hotswap-lambda`` claims an ``AWS::Lambda::Function`` whose only changed property
    is ``Code``; it applies it with ``UpdateFunctionCode`` (waiting until the update is
    ``Successful``) to the functions that can run an archive entry that changed, and
    keeps the others (see the user guide, "Only the functions that run what changed").

    ``spartaconf.py``: may implement it.
    """
