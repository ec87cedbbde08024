"""Which functions a code hotswap must update: those that can run a changed entry.

One archive serves every function (DESIGN §5), so a one-line edit gives every function
a new code location. But a function only runs the project modules its handler reaches
(:mod:`sparta_core.stages.converge.import_graph`), so a function that reaches none of
the entries that changed between the archive it runs and the new one would run the
same bytes from either: it keeps the archive it has. Lambda then updates a handful of
functions instead of all of them.

One refinement, for services whose handlers share a module (every handler in one
``handlers.py``): when the only changed entry a function reaches is its handler's own
module, and only that module's part the function can run (module-level code, its
handler, what the handler can call) is unchanged, syntax tree for syntax tree, the
function keeps its archive too: it runs the same code from either version. The version
it runs is known by the sha256 its archive's manifest records, and its parts by the
scan kept under that sha256 (``.sparta/import-scans.json``: each full provision scans
the handlers' modules as they then run, each hotswap the versions it compares); without
it the function is updated.

The entries that changed come from the archives' manifests (``.sparta/manifests/``,
written by the package stage, keyed by the content address that names each archive in
S3). Every function whose code changed is updated, as without this selection, when:

* the manifest of the archive a function runs (or of the new one) is not kept;
* a changed entry is not an importable project ``.py`` module (a data file, a
  dependency, sparta's runtime or model, a file a plugin added), or is the service
  module, or ``sitecustomize``/``usercustomize``;
* a module some function reaches imports dynamically or changes the import path.

A function whose handler lives outside the project is updated unless it is sparta's
own runtime (``sparta_runtime``, which imports only the standard library and boto3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.stages.converge.import_graph import ImportGraph, Reach, module_name
from sparta_core.stages.package import manifest as manifests

#: Project modules that Python may run without an import naming them.
IMPLICIT = frozenset({"sitecustomize", "usercustomize"})
RUNTIME_PACKAGE = "sparta_runtime"
#: The import graph's scans, kept by content from one hotswap to the next.
SCANS_FILE = "import-scans.json"
#: Scans kept after a full provision (which adds to the earlier ones; a hotswap keeps
#: only those it used).
MAX_SCANS = 1000
#: ``ctx.stash`` key: the scans read and made during this run.
SCANS_KEY = "sparta.hotswap.scans"
#: The prefix of the environment variables sparta sets on every function.
SPARTA_VARIABLES = "SPARTA_"


@dataclass(frozen=True)
class Target:
    """A function whose ``Code`` changed: its handler and environment, and the archive
    it runs (``old_key``) and the one it would get (``new_key``), as S3 keys."""

    logical_id: str
    handler: str
    old_key: str
    new_key: str
    environment: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    """``update``: the logical IDs to give the new code; ``kept``: those that keep the
    archive they run; ``why_all``: why every function is updated (``None`` when the
    graph decided); ``changed``: the entries that changed, sorted."""

    update: tuple[str, ...]
    kept: tuple[str, ...]
    why_all: str | None
    changed: tuple[str, ...] = ()


def archive_sha(key: str) -> str:
    """The content address in an archive's key (``<service>/<sha256>.zip``)."""
    return Path(key).stem


def select(ctx: ProvisionContext, targets: list[Target]) -> Selection:
    """Decide which of ``targets`` must get the new code (see the module docstring)."""
    every = tuple(target.logical_id for target in targets)
    if not targets:
        return Selection((), (), None)
    assert ctx.build is not None, "a hotswap follows the build"
    loaded: dict[str, manifests.Manifest | None] = {}

    def manifest_of(key: str) -> manifests.Manifest | None:
        sha = archive_sha(key)
        if sha not in loaded:
            loaded[sha] = manifests.load(ctx.work_dir, sha)
            if loaded[sha] is not None:
                # An archive functions still run stays among the newest manifests kept.
                manifests.touch(ctx.work_dir, sha)
        return loaded[sha]

    unknown = next((target for target in targets if not target.old_key), None)
    if unknown is not None:
        return Selection(every, (), f"what {unknown.logical_id} runs is not known (an "
                         "earlier hotswap did not finish)")
    changed_by_pair: dict[tuple[str, str], set[str]] = {}
    for target in targets:
        pair = (target.old_key, target.new_key)
        if pair in changed_by_pair:
            continue
        old, new = manifest_of(target.old_key), manifest_of(target.new_key)
        if old is None or new is None:
            missing = target.old_key if old is None else target.new_key
            return Selection(every, (), f"the manifest of {missing} is not kept in "
                             f".sparta/{manifests.FOLDER}/, so what changed is unknown")
        changed_by_pair[pair] = manifests.changed_entries(old, new)
    changed = set().union(*changed_by_pair.values())
    ordered = tuple(sorted(changed))

    sources = ctx.build.sources
    new_names = {name for pair in changed_by_pair for name in manifest_of(pair[1]) or {}}
    project = {name: module for name in sources if name in new_names
               and (module := module_name(name)) is not None}
    foreign_tops = {name.split("/", 1)[0] for name in new_names if name not in sources}
    # A removed module (in the old archive only) is a project module when nothing else
    # in the archive shares its top-level name (a removed dependency changes its
    # dist-info too, which is not a module).
    for name in changed - new_names:
        module = module_name(name)
        if module is not None and name.split("/", 1)[0] not in foreign_tops:
            project[name] = module
    service_module = _service_module(ctx.settings.service_ref)
    for name in sorted(changed):
        module = project.get(name)
        if module is None:
            return Selection(every, (), f"{name} changed and is not a project module",
                             ordered)
        if module == service_module:
            return Selection(every, (), f"the service module {name} changed", ordered)
        if module.partition(".")[0] in IMPLICIT:
            return Selection(every, (), f"{name} changed (Python runs it unasked)", ordered)

    modules = set(project.values())
    packages = {module for name, module in project.items() if name.endswith("__init__.py")}
    paths = {module: name for name, module in project.items()}

    graph = _graph(ctx, modules, packages, paths)
    try:
        return _decide(graph, targets, changed_by_pair, paths, manifest_of, every, ordered)
    finally:
        _keep_scans(ctx, graph)


def _graph(ctx: ProvisionContext, modules: set[str], packages: set[str],
           paths: dict[str, str]) -> ImportGraph:
    """The import graph over the build's sources, with the scans kept so far.

    One run may select several times (once per nested stack): the scans are shared
    through ``ctx.stash``, so that each module is parsed at most once per run, and
    none that did not change since it was last scanned."""
    assert ctx.build is not None
    sources = ctx.build.sources

    def read(module: str) -> tuple[bytes, str] | None:
        entry = paths.get(module)
        path = sources.get(entry) if entry else None
        return (path.read_bytes(), entry) if path is not None and entry else None

    shared = ctx.stash.get(SCANS_KEY)
    if shared is None:
        shared = ctx.stash[SCANS_KEY] = {"cache": _read_cache(ctx.work_dir), "used": {},
                                         "graphs": {}, "written": None}
    key = (frozenset(modules), frozenset(packages))
    if key not in shared["graphs"]:
        shared["graphs"][key] = ImportGraph(modules, packages, read, shared["cache"])
    return shared["graphs"][key]  # type: ignore[no-any-return]


def _keep_scans(ctx: ProvisionContext, graph: ImportGraph, *, merge: bool = False) -> None:
    """Write the scans this run used (``merge``: added to those kept before)."""
    shared = ctx.stash[SCANS_KEY]
    cache = shared["cache"]
    for key, value in graph.used.items():
        cache.pop(key, None)
        cache[key] = value  # the newest last
    shared["used"].update(graph.used)
    kept = dict(list(cache.items())[-MAX_SCANS:]) if merge else shared["used"]
    if shared["written"] != (merge, sorted(kept)):  # once per run unless something new
        shared["written"] = (merge, sorted(kept))
        _write_cache(ctx.work_dir, kept)


def _decide(graph: ImportGraph, targets: list[Target],
            changed_by_pair: dict[tuple[str, str], set[str]], paths: dict[str, str],
            manifest_of: Callable[[str], manifests.Manifest | None],
            every: tuple[str, ...], ordered: tuple[str, ...]) -> Selection:
    update: list[str] = []
    kept: list[str] = []
    for target in targets:
        reach = _reach(graph, target)
        if reach is not None and reach.dynamic:
            return Selection(every, (), "a module a function runs imports in a way the "
                             f"import graph cannot follow: {reach.dynamic}", ordered)
        changed_here = changed_by_pair[(target.old_key, target.new_key)]
        hit = set() if reach is None else {
            paths[module] for module in reach.modules if paths.get(module) in changed_here}
        if reach is not None and (not hit or _same_code(graph, reach, hit, target, paths,
                                                         manifest_of(target.old_key) or {})):
            kept.append(target.logical_id)
        else:
            update.append(target.logical_id)
    return Selection(tuple(update), tuple(kept), None, ordered)


def _same_code(graph: ImportGraph, reach: Reach, hit: set[str], target: Target,
               paths: dict[str, str], old: manifests.Manifest) -> bool:
    """Whether the only changed entry a function reaches is its handler's module, and
    nothing of it that the function can run changed (another handler's body did): the
    version it runs is found among the scans kept by content (its sha256 is in the
    manifest of the archive the function runs)."""
    if reach.partial is None:
        return False
    module, _ = reach.partial
    entry = paths.get(module)
    if entry is None or hit != {entry} or entry not in old:
        return False
    before = graph.cached_scan(module, entry, old[entry].partition(":")[2])
    if before is None:
        return False
    return graph.same_for(before, graph.scan_of(module), target.handler.rpartition(".")[2])


def remember(ctx: ProvisionContext) -> None:
    """After a full provision: scan the modules of the functions' handlers as they now
    run, so that the next hotswap can compare each of them part by part with its next
    version (only modules not scanned before are parsed)."""
    assert ctx.build is not None
    project = {name: module for name in ctx.build.sources
               if (module := module_name(name)) is not None}
    paths = {module: name for name, module in project.items()}
    packages = {module for name, module in project.items() if name.endswith("__init__.py")}
    graph = _graph(ctx, set(project.values()), packages, paths)
    for function in ctx.service.functions.values():
        module = function.handler.rpartition(".")[0]
        if module in paths:
            graph.scan_of(module)
    _keep_scans(ctx, graph, merge=True)


def _reach(graph: ImportGraph, target: Target) -> Reach | None:
    """What ``target`` can run of the project; ``None``: it cannot be told (a handler
    outside the project and outside sparta's runtime)."""
    reach = graph.reach(target.handler)
    if reach is None:
        if target.handler.partition(".")[0] == RUNTIME_PACKAGE:
            return Reach(frozenset())
        return None
    # A module named in the function's environment may be imported by name at run time
    # (sparta's own variables name the service and the function, never a module).
    named = [value for key, value in target.environment.items()
             if isinstance(value, str) and not str(key).startswith(SPARTA_VARIABLES)]
    extra = graph.reach_names(named)
    partial = reach.partial if reach.partial and reach.partial[0] not in extra.modules \
        else None
    return Reach(reach.modules | extra.modules, reach.dynamic or extra.dynamic, partial)


def _cache_path(work_dir: Path) -> Path:
    return work_dir / SCANS_FILE


def _read_cache(work_dir: Path) -> dict[str, Any]:
    """The import graph's scans of the last hotswap, by content (a module that did not
    change is not parsed again)."""
    import json

    try:
        data = json.loads(_cache_path(work_dir).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(work_dir: Path, used: dict[str, Any]) -> None:
    import json
    import os

    if not used:
        return
    path = _cache_path(work_dir)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(json.dumps(used, sort_keys=True))
        os.replace(partial, path)
    except OSError:
        pass  # a cache: the next run parses again


def _service_module(reference: str) -> str | None:
    module = reference.partition(":")[0]
    if module.endswith(".py"):
        return module_name(module.replace("\\", "/"))
    return module or None
