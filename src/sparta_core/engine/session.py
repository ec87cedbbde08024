"""From command-line options to a ready ``ProvisionContext``.

A session finds the project, reads its configuration, builds the plugin manager, lets
plugins declare and see settings (``sparta_addoption``, ``sparta_configure``), merges
the settings and, when a command needs it, imports the user's service.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.manager import PluginRequest, SpartaPluginManager, build_plugin_manager
from sparta_core.engine.reporter import Reporter
from sparta_core.engine.settings import (
    Config,
    OptionParser,
    Settings,
    env_key,
    find_project_dir,
    merge_settings,
    parse_pairs,
    read_project_config,
)
from sparta_core.engine.stage_overlay import stage_values
from sparta_core.errors import ConfigError, ServiceDefinitionError, location_in
from sparta_core.model.service import Service


@dataclass
class SessionOptions:
    """What the command line says, before any file is read. ``flags`` are keyed like
    ``[tool.sparta]``; ``None`` means "not given"."""

    project_dir: Path | None = None
    plugins: Sequence[str] = ()
    options: Sequence[str] = ()
    flags: dict[str, Any] = field(default_factory=dict)
    verbosity: int = 0


@dataclass
class Session:
    settings: Settings
    pluginmanager: SpartaPluginManager
    reporter: Reporter

    def load_service(self) -> Service:
        return load_service(self.settings)

    def context(self, **overrides: Any) -> ProvisionContext:
        """A context for one run, with the service imported and ``overrides`` applied
        to the settings (``noop=True``...)."""
        settings = dataclasses.replace(self.settings, **overrides) if overrides else self.settings
        service = load_service(settings)
        # The stage is part of every name derived from the stack, so that two stages
        # never collide in one account.
        service.stage = settings.stage
        settings = dataclasses.replace(settings, stack_name=service.stack_name)
        return ProvisionContext(
            settings=settings, service=service, reporter=self.reporter,
            pluginmanager=self.pluginmanager,
        )


def start_session(options: SessionOptions) -> Session:
    project_dir = find_project_dir(options.project_dir or Path.cwd())
    file_values, config_file = read_project_config(project_dir)
    flags = {key: value for key, value in options.flags.items() if value is not None}
    stage = flags.pop("stage", None) or os.environ.get(env_key("stage")) or None
    file_values = stage_values(file_values, stage, str(config_file or project_dir))

    blocked = {name[3:] for name in options.plugins if name.startswith("no:")}
    wanted = [name for name in options.plugins if not name.startswith("no:")]
    config_plugins = _plugins_setting(file_values, flags)
    pm = build_plugin_manager(
        PluginRequest(
            project_dir=project_dir,
            cli_plugins=wanted,
            config_plugins=config_plugins,
            blocked=blocked,
        )
    )
    reporter = Reporter(options.verbosity)
    for name, close in pm.unknown_blocked.items():
        hint = f" (did you mean '{close}'?)" if close else ""
        reporter.warn(f"-p no:{name}: no plugin is called '{name}'{hint}; nothing was "
                      "blocked (`sparta plugins` lists them)")
    parser = OptionParser()
    pm.hook.sparta_addoption.call_historic(kwargs={"parser": parser})
    flags["options"] = parse_pairs(list(options.options), what="-o")
    settings = merge_settings(
        project_dir, file_values, config_file, flags, parser,
        dormant=pm.dormant, warn=reporter.warn,
    )
    if stage is not None:
        settings = dataclasses.replace(settings, stage=stage)
    pm.hook.sparta_configure.call_historic(
        kwargs={"config": Config(settings=settings, pluginmanager=pm, parser=parser)}
    )
    return Session(settings=settings, pluginmanager=pm, reporter=reporter)


def _plugins_setting(file_values: Mapping[str, Any], flags: Mapping[str, Any]) -> list[str]:
    # Plugins must be known before settings can be merged (plugins declare settings),
    # so this one key is read ahead of the others, with the same precedence.
    import os

    from sparta_core.engine.settings import _as_list, env_key

    if flags.get("plugins") is not None:
        return list(_as_list(flags["plugins"], "plugins"))
    if env_key("plugins") in os.environ:
        return list(_as_list(os.environ[env_key("plugins")], env_key("plugins")))
    return list(_as_list(file_values.get("plugins", []), "plugins"))


def load_service(settings: Settings) -> Service:
    """Import the user's service module (``module:attribute``) from the project."""
    reference = settings.service_ref
    module_name, _, attribute = reference.partition(":")
    attribute = attribute or "service"
    if not module_name:
        raise ConfigError(f"service {reference!r} must be of the form module:attribute")
    project = str(settings.project_dir)
    if project in sys.path:
        sys.path.remove(project)
    sys.path.insert(0, project)
    # A module of the same name imported earlier (another project, in the same process)
    # must not stand in for this project's.
    # That includes its parent packages: a stale ``app`` would hide ``app.service``.
    top = module_name.split(".")[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    module_path = settings.project_dir.joinpath(*module_name.split("."))
    if not (module_path.with_suffix(".py").is_file() or (module_path / "__init__.py").is_file()):
        raise ServiceDefinitionError(
            f"no service module '{module_name}' in {settings.project_dir} "
            "(set [tool.sparta] service = \"module:attribute\" or --service)"
        )
    try:
        module = importlib.import_module(module_name)
    except ServiceDefinitionError as error:
        # Declaration errors are raised while the module runs: point at the line.
        raise ServiceDefinitionError(f"{_where(error, settings.project_dir)}{error}") from error
    except SystemExit as error:
        # sys.exit() (any code, 0 included) stops the import before the service exists:
        # it is no success, and must not end the run as one.
        source = _source_of(module_path, settings.project_dir)
        where = _where(error, settings.project_dir) or f"{source}: "
        raise ServiceDefinitionError(
            f"{where}importing service module '{module_name}' raised SystemExit"
            f"({error.code!r}) (sys.exit() at import time); the service module must "
            "declare the service, not exit"
        ) from None
    except Exception as error:
        where = _where(error, settings.project_dir)
        hint = _unknown_parameter(error)
        if hint:
            raise ServiceDefinitionError(f"{where}{hint}") from error
        raise ServiceDefinitionError(
            f"importing service module '{module_name}' failed: "
            f"{where}{type(error).__name__}: {error}"
        ) from error
    if not hasattr(module, attribute):
        raise ServiceDefinitionError(
            f"module '{module_name}' has no attribute '{attribute}' (the service is "
            f"'{reference}'; set [tool.sparta] service or --service)"
        )
    service = getattr(module, attribute)
    if not isinstance(service, Service):
        raise ServiceDefinitionError(
            f"{module_name}:{attribute} should be a sparta Service, found "
            f"{type(service).__name__}"
        )
    return service


def _source_of(module_path: Path, project: Path) -> str:
    """The service module's file, relative to the project."""
    path = module_path.with_suffix(".py")
    if not path.is_file():
        path = module_path / "__init__.py"
    return path.relative_to(project).as_posix()


def _unknown_parameter(error: BaseException) -> str | None:
    """For ``Service(runtim=...)`` and the like: which parameter is unknown, and the
    closest one the sparta class takes."""
    import difflib
    import inspect
    import re

    import sparta_core

    match = re.fullmatch(
        r"(\w+)\.(\w+)\(\) got an unexpected keyword argument '(\w+)'", str(error)
    )
    if not isinstance(error, TypeError) or match is None:
        return None
    name, method, argument = match.groups()
    cls = getattr(sparta_core, name, None) if name in sparta_core.__all__ else None
    # A class's own method (RestAPI.route()) as well as its constructor.
    target = cls if method == "__init__" else getattr(cls, method, None)
    if target is None or not callable(target):
        return None
    taken = [p for p in inspect.signature(target).parameters
             if not p.startswith("_") and p != "self"]
    close = difflib.get_close_matches(argument, taken, n=1)
    suggestion = f" (did you mean '{close[0]}'?)" if close else ""
    called = name if method == "__init__" else f"{name}.{method}"
    return f"{called}() takes no parameter '{argument}'{suggestion}"


def _where(error: BaseException, project: Path) -> str:
    """``file:line: `` of the deepest frame of ``error`` inside the project, if any."""
    found = location_in(error, str(project))
    return f"{found}: " if found else ""
