"""Builds sparta's plugin manager: built-ins, entry points, ``-p``, config, ``spartaconf.py``.

Plugins are registered in this order, and pluggy calls the last registered first, so a
project's ``spartaconf.py`` has the first word on every provider hook:

1. the built-in plugins, one module per stage (providers are ``trylast``);
2. the ``sparta`` entry-point group of installed distributions, unless
   ``SPARTA_DISABLE_PLUGIN_AUTOLOAD`` is set;
3. modules named with ``-p NAME`` (or entry points of that name);
4. modules named in ``[tool.sparta] plugins``;
5. the project's ``spartaconf.py``, imported by path.

``-p no:NAME`` blocks a plugin by name; the essential built-ins cannot be blocked. Any
problem (a plugin that fails to import, a hook implementation no spec declares, a
signature the spec does not offer) is a :class:`PluginError` naming the plugin, the file
and the hook. The manager is built by :func:`build_plugin_manager`, never at import.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from sparta_core import hookspecs
from sparta_core.engine.hookcall import attribute
from sparta_core.engine.settings import DormantPlugin
from sparta_core.errors import PluginError, location_in

ENTRY_POINT_GROUP = "sparta"
AUTOLOAD_ENV = "SPARTA_DISABLE_PLUGIN_AUTOLOAD"
LOCAL_PLUGIN_FILE = "spartaconf.py"

#: Built-in plugins by name, in registration order.
BUILTIN_PLUGINS: dict[str, str] = {
    # The order of the checks of sparta_validate_service is declared by the plugins
    # themselves ("validate" is tryfirst, "preconditions" trylast), not by this list.
    "preconditions": "sparta_core.stages.validate.preconditions",
    "validate": "sparta_core.stages.validate.service",
    "build": "sparta_core.stages.build.plugin",
    "package": "sparta_core.stages.package.plugin",
    "marshall": "sparta_core.stages.marshall.plugin",
    # Registered before every other plugin that may implement sparta_post_marshall with
    # trylast, so that the split into nested stacks sees their changes (pluggy calls
    # the last registered first).
    "nested-stacks": "sparta_core.stages.marshall.nesting",
    "validate-template": "sparta_core.stages.validate.template",
    "upload": "sparta_core.stages.upload.plugin",
    "converge": "sparta_core.stages.converge.plugin",
    "hotswap-lambda": "sparta_core.stages.converge.hotswap_lambda",
    "custom-resources": "sparta_core.stages.marshall.custom_resource_types",
    "validate-cycles": "sparta_core.stages.validate.cycles",
    "local-routes": "sparta_core.stages.serve.routes",
}

#: The origin of the project's own ``spartaconf.py``.
LOCAL_FILE_ORIGIN = "local file"

#: Built-ins that guard correctness; ``-p no:`` refuses them.
ESSENTIAL_PLUGINS = frozenset({"validate", "validate-template"})


@dataclass(frozen=True)
class PluginInfo:
    """Where a registered plugin came from, for ``sparta plugins`` and error messages."""

    name: str
    origin: str
    version: str
    location: str


@dataclass
class PluginRequest:
    """What the caller asks of the manager, from flags and settings."""

    project_dir: Path
    cli_plugins: Sequence[str] = ()
    config_plugins: Sequence[str] = ()
    autoload: bool = True
    blocked: set[str] = field(default_factory=set)


class SpartaPluginManager(pluggy.PluginManager):
    """pluggy's manager, plus where each plugin came from and sparta's hook rules."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        #: The names of the built-in plugins registered (asked on every hook call).
        self.builtin_names: frozenset[str] = frozenset()
        #: ``-p no:NAME`` names that match no plugin sparta knows (a typo, most often),
        #: each with the closest known name or ``None``; the session warns about them.
        self.unknown_blocked: dict[str, str | None] = {}
        #: Plugins known but not loaded (blocked, or entry points with autoload off).
        self.dormant: list[DormantPlugin] = []
        #: Set while the project's ``spartaconf.py`` is registered.
        self._registering_local_file = False

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and self._registering_local_file and name.startswith("sparta_") \
                and inspect.isroutine(getattr(plugin, name, None)):
            # As in pytest's conftest files: in the project's own spartaconf.py, a
            # function named like a hook is a hook implementation even without the
            # marker, so a typo in its name is caught. Distributed plugins use the marker.
            opts = {
                "wrapper": False,
                "hookwrapper": False,
                "optionalhook": False,
                "tryfirst": False,
                "trylast": False,
                "specname": None,
            }
        return opts

    def register_plugin(self, plugin: Any, info: PluginInfo) -> None:
        """Register ``plugin`` under ``info.name``, turning pluggy's complaints into
        one-line errors that name the plugin and its file."""
        self._registering_local_file = info.origin == LOCAL_FILE_ORIGIN
        try:
            self.register(plugin, name=info.name)
        except pluggy.PluginValidationError as error:
            raise PluginError(
                self._explain_arguments(plugin, info)
                or f"plugin '{info.name}' ({info.location}): {_first_line(error)}"
            ) from None
        except ValueError as error:
            raise PluginError(f"plugin '{info.name}' ({info.location}): {error}") from None
        finally:
            self._registering_local_file = False
        self.infos[info.name] = info
        if info.origin == "built-in":
            self.builtin_names = self.builtin_names | {info.name}
        for caller in self.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    attribute(impl)

    def _explain_arguments(self, plugin: Any, info: PluginInfo) -> str | None:
        """A one-line message for a hook implementation that asks for arguments its hook
        does not offer, naming the file, the line and what the hook does offer."""
        for name in dir(plugin):
            caller = getattr(self.hook, name, None) if name.startswith("sparta_") else None
            if caller is None or caller.spec is None:
                continue
            function = getattr(plugin, name)
            try:
                asked = [p for p in inspect.signature(function).parameters if p != "self"]
            except (TypeError, ValueError):
                continue
            offered = list(caller.spec.argnames)
            extra = [argument for argument in asked if argument not in offered]
            if extra:
                return (
                    f"{_where_defined(function)}: plugin '{info.name}' implements "
                    f"{name}({', '.join(asked)}), but {name} offers no "
                    f"{', '.join(repr(e) for e in extra)} (it offers {', '.join(offered)})"
                )
        return None

    def check_unknown_hooks(self) -> None:
        """Raise for any ``sparta_*`` implementation that no hookspec declares."""
        known = [name for name in dir(hookspecs) if name.startswith("sparta_")]
        for name in sorted(vars(self.hook)):
            caller = getattr(self.hook, name)
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                where = _where_defined(impl.function)
                hint = difflib.get_close_matches(name, known, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise PluginError(
                    f"{where}: plugin '{impl.plugin_name}' implements '{name}', which is "
                    f"not a sparta hook{suggestion}"
                )

    def hooks_of(self, name: str) -> list[str]:
        """Names of the hooks the plugin ``name`` implements."""
        plugin = self.get_plugin(name)
        if plugin is None:
            return []
        return sorted(caller.name for caller in self.get_hookcallers(plugin) or [])


#: See :func:`watching_plugin_managers`.
_WATCHERS: list[Callable[[SpartaPluginManager], None]] = []


@contextmanager
def watching_plugin_managers(
    watcher: Callable[[SpartaPluginManager], None],
) -> Iterator[None]:
    """While the ``with`` block runs, call ``watcher`` with every plugin manager
    :func:`build_plugin_manager` makes, once its plugins are registered and before any
    hook is called (``sparta_addoption`` included).

    This is how a caller that runs sparta in-process sees inside each run without
    being a plugin of it: the testing kit (``sparta_core.testing``) adds pluggy's
    hook-call monitoring here (``pm.add_hookcall_monitoring``). A watcher must not
    register or block plugins; ``sparta plugins`` would not show it."""
    _WATCHERS.append(watcher)
    try:
        yield
    finally:
        _WATCHERS.remove(watcher)


def build_plugin_manager(request: PluginRequest) -> SpartaPluginManager:
    """Build the plugin manager for one run, in the order the module docstring gives."""
    pm = SpartaPluginManager()
    for name in request.blocked:
        if name in ESSENTIAL_PLUGINS:
            raise PluginError(f"plugin '{name}' is essential and cannot be blocked (-p no:{name})")
        pm.set_blocked(name)

    from sparta_core import __version__

    for name, module_name in BUILTIN_PLUGINS.items():
        if pm.is_blocked(name):
            continue
        module = importlib.import_module(module_name)
        pm.register_plugin(
            module, PluginInfo(name, "built-in", __version__, _module_location(module))
        )

    entry_points = _entry_points()
    autoload = request.autoload and not os.environ.get(AUTOLOAD_ENV)
    if autoload:
        for entry_point in entry_points.values():
            if not pm.is_blocked(entry_point.name):
                _register_entry_point(pm, entry_point)

    for name in request.cli_plugins:
        if pm.is_blocked(name) or pm.has_plugin(name):
            continue
        if name in entry_points:
            _register_entry_point(pm, entry_points[name])
        else:
            _register_module(pm, name, origin="-p")

    for name in request.config_plugins:
        if not pm.is_blocked(name) and not pm.has_plugin(name):
            _register_module(pm, name, origin="config")

    local_file = request.project_dir / LOCAL_PLUGIN_FILE
    if local_file.is_file() and not pm.is_blocked("spartaconf"):
        module = _import_path(local_file)
        pm.register_plugin(
            module, PluginInfo("spartaconf", LOCAL_FILE_ORIGIN, "-", str(local_file))
        )

    known = {*BUILTIN_PLUGINS, *entry_points, "spartaconf", *request.cli_plugins,
             *request.config_plugins}
    for name in sorted(set(request.blocked) - known):
        import difflib

        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
        pm.unknown_blocked[name] = close[0] if close else None
    pm.check_unknown_hooks()
    pm.dormant = _dormant(pm, request, entry_points, autoload)
    for watcher in list(_WATCHERS):
        watcher(pm)
    return pm


def _dormant(
    pm: SpartaPluginManager, request: PluginRequest, entry_points: dict[str, Any],
    autoload: bool,
) -> list[DormantPlugin]:
    """The plugins known by name but not registered, and why."""
    found = [
        DormantPlugin(name, f"blocked (-p no:{name})", _distribution_name(entry_points.get(name)))
        for name in sorted(request.blocked) if name not in BUILTIN_PLUGINS
    ]
    if not autoload:
        why = AUTOLOAD_ENV if os.environ.get(AUTOLOAD_ENV) else "autoload is off"
        found += [
            DormantPlugin(name, f"not loaded ({why})", _distribution_name(entry_point))
            for name, entry_point in sorted(entry_points.items())
            if not pm.has_plugin(name) and name not in request.blocked
        ]
    return found


def _distribution_name(entry_point: Any) -> str | None:
    dist = getattr(entry_point, "dist", None)
    return None if dist is None else str(dist.metadata["Name"])


def _entry_points() -> dict[str, Any]:
    from sparta_core.engine.entry_points import entry_points

    return entry_points(ENTRY_POINT_GROUP)


def _register_entry_point(pm: SpartaPluginManager, entry_point: Any) -> None:
    dist = entry_point.dist
    dist_name = dist.metadata["Name"] if dist is not None else "?"
    version = dist.version if dist is not None else "-"
    try:
        plugin = entry_point.load()
    except Exception as error:
        raise PluginError(
            f"plugin '{entry_point.name}' (entry point {entry_point.value} of "
            f"{dist_name}) failed to import: {type(error).__name__}: {error}"
        ) from None
    location = _module_location(plugin) if isinstance(plugin, ModuleType) else entry_point.value
    pm.register_plugin(
        plugin, PluginInfo(entry_point.name, f"entry point ({dist_name})", version, location)
    )


def _register_module(pm: SpartaPluginManager, module_name: str, *, origin: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise PluginError(
            f"plugin '{module_name}' (from {origin}) failed to import: "
            f"{type(error).__name__}: {error}"
        ) from None
    version = str(getattr(module, "__version__", "-"))
    pm.register_plugin(module, PluginInfo(module_name, origin, version, _module_location(module)))


def _import_path(path: Path) -> ModuleType:
    """Import ``spartaconf.py`` by path, with the project on ``sys.path`` so it can
    import the project's own modules."""
    project = str(path.parent)
    if project not in sys.path:
        sys.path.insert(0, project)
    spec = importlib.util.spec_from_file_location("spartaconf", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["spartaconf"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop("spartaconf", None)
        where = location_in(error, str(path)) or str(path)
        raise PluginError(f"{where}: failed to import: {type(error).__name__}: {error}") from None
    return module


def _module_location(module: Any) -> str:
    return str(getattr(module, "__file__", None) or getattr(module, "__name__", repr(module)))


def _where_defined(function: Any) -> str:
    function = inspect.unwrap(function)
    try:
        path = inspect.getsourcefile(function) or "?"
        line = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        return getattr(function, "__module__", "?")
    return f"{path}:{line}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return " ".join(text.split()) if text else type(error).__name__
