"""One project module read for the import graph (:mod:`sparta_core.stages.converge.import_graph`):
what each part of it imports, names and says in strings, whether it imports dynamically,
and fingerprints of its parts, so that two versions of a module can be compared part by
part (a function that runs none of the parts that changed runs the same code from
either).

A module is split into *units*: its module-level code (:data:`MODULE_SCOPE`: every
statement but the bodies of top-level functions, with those functions' decorators,
defaults and annotations, which run at import) and the body of each top-level function.
A fingerprint is the sha256 of a unit's syntax tree without positions, so an edit of
comments or blank lines, or one that only moves code down, changes none.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

#: Modules whose use means imports the graph cannot see.
DYNAMIC_MODULES = frozenset({"importlib", "runpy", "pkgutil", "imp", "zipimport", "site"})
#: Built-in names whose use means the same.
DYNAMIC_NAMES = frozenset({"__import__", "exec", "eval", "compile", "execfile"})
#: ``sys`` attributes that change where imports come from.
IMPORT_PATH_ATTRIBUTES = frozenset({"path", "meta_path", "path_hooks", "path_importer_cache"})
#: Names that read a module's namespace by key, so any of its functions may be called.
INTROSPECTION = frozenset({"globals", "vars", "locals"})
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[\w.]+)?")
MODULE_SCOPE = ""
#: How a star import is noted among a unit's imports (``pkg.*``).
STAR = ".*"
#: Changes whenever what a scan finds changes, so that cached scans are not reused.
SCAN_VERSION = 4


@dataclass
class Unit:
    """One part of a module: its module-level code (``MODULE_SCOPE``) or the body of one
    top-level function; what it imports, names, and says in strings."""

    imports: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)
    dynamic: str | None = None
    introspects: bool = False


@dataclass
class ModuleScan:
    """A module split into units, and which top-level functions always run (decorated
    by something other than sparta's registration)."""

    units: dict[str, Unit]
    escaping: set[str]
    dynamic: str | None = None
    #: Unit name -> fingerprint (empty for a module that does not parse).
    prints: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"units": {name: {"imports": sorted(unit.imports), "names": sorted(unit.names),
                                 "strings": sorted(unit.strings), "dynamic": unit.dynamic,
                                 "introspects": unit.introspects}
                          for name, unit in self.units.items()},
                "escaping": sorted(self.escaping), "dynamic": self.dynamic,
                "prints": self.prints}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleScan:
        units = {name: Unit(set(unit["imports"]), set(unit["names"]), set(unit["strings"]),
                            unit["dynamic"], bool(unit["introspects"]))
                 for name, unit in data["units"].items()}
        return cls(units, set(data["escaping"]), data["dynamic"], dict(data["prints"]))


def scan_key(digest: str, name: str, is_package: bool, where: str) -> str:
    """What a scan depends on, hashed: the sha256 of the module's bytes (as an archive
    manifest records it, so the scan of a version that is no longer on disk can be
    found by its manifest), where it sits (relative imports and messages depend on
    that), and :data:`SCAN_VERSION`."""
    text = f"{SCAN_VERSION}\0{name}\0{is_package}\0{where}\0{digest}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def module_name(entry: str) -> str | None:
    """The importable name of the archive entry ``entry`` (``app/h7.py`` -> ``app.h7``,
    ``app/__init__.py`` -> ``app``), or ``None`` if it cannot be imported by name."""
    if not entry.endswith(".py"):
        return None
    parts = entry[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


def scan(source: str, name: str, is_package: bool, where: str) -> ModuleScan:
    """Parse ``source`` (the module ``name``, at ``where`` for messages) into units."""
    try:
        tree = ast.parse(source, filename=where)
    except (SyntaxError, ValueError) as error:
        return ModuleScan({MODULE_SCOPE: Unit()}, set(), f"{where} does not parse ({error})")
    package = name if is_package else name.rpartition(".")[0]
    services = _service_names(tree)
    declared = _declaration_strings(tree, services)
    units: dict[str, Unit] = {MODULE_SCOPE: Unit()}
    escaping: set[str] = set()
    module_nodes: list[ast.AST] = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            unit = units.setdefault(statement.name, Unit())
            for node in statement.body:
                _visit(node, unit, package, where, declared)
            # Decorators, defaults and annotations run at import, with the module (so
            # what they call runs in every function); the function escapes into a
            # decorator unless it is sparta's registration (it returns it unchanged).
            module_nodes.extend(statement.decorator_list)
            module_nodes.append(statement.args)
            if statement.returns is not None:
                module_nodes.append(statement.returns)
            if any(not _is_registration(d, services) for d in statement.decorator_list):
                escaping.add(statement.name)
        else:
            module_nodes.append(statement)
    for node in module_nodes:
        _visit(node, units[MODULE_SCOPE], package, where, declared)
    functions = set(units)
    for unit in units.values():
        unit.names &= functions  # only names of this module's functions lead anywhere
    return ModuleScan(units, escaping, prints=_fingerprints(tree))


def _fingerprints(tree: ast.Module) -> dict[str, str]:
    """Each unit's fingerprint: a top-level function's whole definition, and the module
    with every top-level function's body left out (its name, decorators, defaults and
    annotations stay: they run at import)."""
    module: list[str] = []
    functions: dict[str, list[str]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.setdefault(statement.name, []).append(ast.dump(statement))
            stub = copy.copy(statement)
            stub.body = []
            module.append(ast.dump(stub))
        else:
            module.append(ast.dump(statement))

    def digest(parts: list[str]) -> str:
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()

    return {MODULE_SCOPE: digest(module),
            **{name: digest(parts) for name, parts in functions.items()}}


def _service_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to ``Service(...)`` / ``<x>.Service(...)``."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "Service":
                names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
    return names


def _declaration_strings(tree: ast.Module, services: set[str]) -> set[int]:
    """The string constants (by ``id``) inside sparta's declarations: calls of what a
    ``sparta_*`` module gives (``sparta.Service("hello")``, ``sparta.Sub(...)``) and of
    a service's methods (``service.function(...)``, ``service.add_function(handler=...)``).
    They name the service, its functions and its resources for the template, and are
    never imported by at run time, so they are not string edges (a service is often
    named like its package)."""
    sparta_names = set(services)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            sparta_names.update((alias.asname or alias.name).partition(".")[0]
                                for alias in node.names if alias.name.startswith("sparta_"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sparta_") \
                and not node.level:
            sparta_names.update(alias.asname or alias.name for alias in node.names)
    ignored: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _root_name(node.func) in sparta_names:
            ignored.update(id(inner) for inner in ast.walk(node)
                           if isinstance(inner, ast.Constant))
    return ignored


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_registration(decorator: ast.expr, services: set[str]) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr == "function"
            and isinstance(target.value, ast.Name) and target.value.id in services)


def _visit(root: ast.AST, unit: Unit, package: str, where: str, declared: set[int]) -> None:
    for node in ast.walk(root):
        if isinstance(node, ast.Import):
            for alias in node.names:
                _add_import(unit, alias.name, node, where)
                if alias.name == "sys" and alias.asname:
                    # sys under another name: its path and modules cannot be followed.
                    _flag(unit, f"sys imported as {alias.asname} at {where}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if base is None:
                continue  # above the top-level package: fails at run time anyway
            if base:
                _add_import(unit, base, node, where)
            for alias in node.names:
                if alias.name == "*":
                    # A package's star import loads the submodules its __all__ lists.
                    unit.imports.add(f"{base}{STAR}")
                else:
                    _add_import(unit, f"{base}.{alias.name}" if base else alias.name, node,
                                where)
        elif isinstance(node, ast.Name):
            unit.names.add(node.id)
            if node.id in DYNAMIC_NAMES:
                _flag(unit, f"{node.id} at {where}:{node.lineno}")
            elif node.id == "__path__":
                _flag(unit, f"__path__ at {where}:{node.lineno}")
            elif node.id in INTROSPECTION:
                unit.introspects = True
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "sys":
                if node.attr in IMPORT_PATH_ATTRIBUTES:
                    _flag(unit, f"sys.{node.attr} at {where}:{node.lineno}")
                elif node.attr == "modules":
                    unit.introspects = True
            elif node.attr == "__path__":
                _flag(unit, f"__path__ at {where}:{node.lineno}")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in declared
              and len(node.value) < 200 and DOTTED.fullmatch(node.value)):
            unit.strings.add(node.value.partition(":")[0])


def _add_import(unit: Unit, dotted: str, node: ast.AST, where: str) -> None:
    unit.imports.add(dotted)
    line = getattr(node, "lineno", "?")
    if dotted.partition(".")[0] in DYNAMIC_MODULES:
        _flag(unit, f"{dotted} imported at {where}:{line}")
    elif dotted.startswith("sys."):  # from sys import path / modules
        attribute = dotted[len("sys."):]
        if attribute in IMPORT_PATH_ATTRIBUTES:
            _flag(unit, f"{dotted} imported at {where}:{line}")
        elif attribute == "modules":
            unit.introspects = True


def _flag(unit: Unit, what: str) -> None:
    if unit.dynamic is None:
        unit.dynamic = what


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    if not base and not node.module:
        return None
    return ".".join([*base, *([node.module] if node.module else [])])


