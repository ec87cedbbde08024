"""The plugins' model code a service module needs inside Lambda.

A handler defined with ``@service.function`` lives in the service module, so Lambda
imports that module, and with it every package it imports at module level: a plugin's
event source (``from sparta_acme import AcmeEvent``), function decorator or component.
The archive ships sparta's own model for that reason; this module ships the plugins'.

For every model object the service holds (each function's ``events`` and ``decorators``,
the service's components) whose class comes from outside sparta_core, the standard
library and the project, the top-level package (or module) that defines it is added to
the archive whole, unless the archive already holds it (a requirement, a project file).
Such a package should import, at module level, only the standard library and
``sparta_core``'s model (``import sparta_core as sparta``, ``sparta.EventSource``;
``sparta.hookimpl`` marks nothing inside Lambda, where pluggy is absent): each module-level
import the archive cannot satisfy is a warning naming it, and so is a large package.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.stages.package.archive import ArchiveWriter
from sparta_core.stages.package.files import tree_files

#: A plugin package larger than this (unpacked) is worth a warning.
LARGE = 1024 * 1024
#: What the archive ships of sparta_core (see ``plugin.MODEL_FILES``).
SHIPPED_SPARTA = ("sparta_core", "sparta_core.errors", "sparta_core.model")
#: Provided by the Lambda runtime.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3"})
#: ``ctx.stash`` key of the warnings already given (one archive per architecture).
WARNED_STASH_KEY = "sparta.package.plugin-model-warnings"


def model_objects(service: Any) -> Iterator[Any]:
    """Every object of the service whose class a plugin may define."""
    for function in service.functions.values():
        yield from function.events
        yield from function.decorators
    components = getattr(service, "components", None) or ()
    yield from (components.values() if isinstance(components, Mapping) else components)


def defining_packages(service: Any) -> dict[str, list[str]]:
    """Top-level package -> the model classes of the service it defines, for every
    package that is not sparta_core's, the standard library's or builtins'."""
    found: dict[str, list[str]] = {}
    for obj in model_objects(service):
        defined = obj if inspect.isroutine(obj) or isinstance(obj, type) else type(obj)
        module = getattr(defined, "__module__", None) or ""
        top = module.split(".")[0]
        if not top or top in ("sparta_core", "builtins", "__main__") or _is_stdlib(top):
            continue
        names = found.setdefault(top, [])
        name = getattr(defined, "__qualname__", repr(defined))
        if name not in names:
            names.append(name)
    return found


def package_files(top: str) -> dict[str, Path]:
    """Archive name -> file of the imported top-level package or module ``top``."""
    module = sys.modules.get(top)
    if module is None:
        return {}
    paths = list(getattr(module, "__path__", None) or [])
    if paths:
        files: dict[str, Path] = {}
        for folder in paths:
            for name, path in tree_files(Path(folder)).items():
                files.setdefault(f"{top}/{name}", path)
        return files
    file = getattr(module, "__file__", None)
    return {f"{top}.py": Path(file)} if file and file.endswith(".py") else {}


def add_plugin_models(ctx: ProvisionContext, writer: ArchiveWriter) -> None:
    """Add the package of each plugin model class the service uses (module docstring)."""
    shipped = _shipped_tops(writer.names())
    for top, classes in sorted(defining_packages(ctx.service).items()):
        if top in shipped:
            continue
        files = package_files(top)
        if not files or any(_inside(path, ctx.project_dir) for path in files.values()):
            continue  # the project's own code: the build decides what ships of it
        for name, path in files.items():
            writer.add_file(name, path, origin=f"plugin model {top}", executable=False)
        shipped.add(top)
        uses = f"{top} (shipped for {', '.join(classes)})"
        size = sum(path.stat().st_size for path in files.values())
        if size > LARGE:
            _warn(ctx, f"{uses} adds {size / 1e6:.1f} MB to the archive")
        for missing in _missing_imports(files.values(), top, shipped):
            _warn(
                ctx,
                f"{uses} imports {missing} at module level, which the archive does not "
                "hold: importing the service inside Lambda will fail (add it to the "
                "requirements, or import it inside the functions that need it)",
            )


def _missing_imports(files: Iterable[Path], top: str, shipped: set[str]) -> list[str]:
    missing: set[str] = set()
    for path in files:
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            continue
        for name in _module_level_imports(tree.body):
            first = name.split(".")[0]
            if first == "sparta_core":
                if not any(name == ok or name.startswith(ok + ".") for ok in SHIPPED_SPARTA[1:]) \
                        and name != "sparta_core":
                    missing.add(name)
            elif first not in shipped and first != top and first != "__future__" \
                    and first not in RUNTIME_PROVIDED and not _is_stdlib(first):
                missing.add(first)
    return sorted(missing)


def _module_level_imports(body: list[ast.stmt]) -> Iterator[str]:
    """Modules imported when the module runs: not inside functions, nor under
    ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from _module_level_imports(node.body)
            yield from _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            # An import in a ``try`` is usually guarded by its ``except ImportError``.
            continue
        elif isinstance(node, (ast.With, ast.ClassDef)):
            yield from _module_level_imports(node.body)


def _shipped_tops(names: Iterable[str]) -> set[str]:
    tops = set()
    for name in names:
        first = name.split("/", 1)[0]
        tops.add(first[: -len(".py")] if first.endswith(".py") and "/" not in name else first)
    return tops


def _inside(path: Path, folder: Path) -> bool:
    try:
        relative = path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    # An environment inside the project holds installed packages, not project code.
    return not any(part in ("site-packages", "dist-packages") for part in relative.parts)


def _is_stdlib(name: str) -> bool:
    return name in sys.stdlib_module_names or name in sys.builtin_module_names


def _warn(ctx: ProvisionContext, message: str) -> None:
    warned = ctx.stash.setdefault(WARNED_STASH_KEY, set())
    if message not in warned:
        warned.add(message)
        ctx.reporter.warn(message)
