"""Which project modules a Lambda function can run: a static import graph (``ast``).

Every function runs from the same archive, but a function only executes the modules
its handler imports, directly or not. Lambda imports the handler's module (the part of
the ``Handler`` string before its last dot, with every package ``__init__`` above it);
sparta puts no wrapper around it, so that is where a function starts.

What counts as reaching a module, erring towards too much:

* ``import a.b.c`` reaches ``a``, ``a.b`` and ``a.b.c``; ``from a.b import c`` reaches
  ``a``, ``a.b`` and ``a.b.c`` when that is a module; relative imports are resolved
  against the importing module's package. An import anywhere in a module counts (in a
  function body, a ``try``, an ``if TYPE_CHECKING``), except in the handler's own module,
  where the bodies of top-level functions count only when the handler can call them:
  the handler itself, any function named by code that can run (module-level code, class
  bodies, included functions), and any decorated one (the decorator may keep it),
  except for sparta's own ``@service.function``, which registers and returns it
  unchanged. Code that reads the module's namespace (``globals()``, ``vars()``,
  ``locals()``, ``sys.modules``) includes the whole module.
* A string constant in reachable code that names a project module (``"app.settings"``,
  ``"pkg.mod:attr"``) reaches it, and a package named so reaches every module under it:
  frameworks import modules by name (Django's settings and apps, a WSGI ``"app:app"``).
* A reachable module that imports dynamically (``importlib``, ``__import__``, ``exec``,
  ``eval``, ``compile``, ``runpy``, ``pkgutil``, ``imp``, ``zipimport``, ``site``) or
  changes where imports come from (``sys.path``, ``sys.meta_path``, ``__path__``) makes
  the graph unable to tell: :attr:`Reach.dynamic` names the construct and where it is.

A module whose source cannot be parsed is treated as dynamic too (nothing can be said
of what it imports).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
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
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[\w.]+)?")
MODULE_SCOPE = ""
#: How a star import is noted among a unit's imports (``pkg.*``).
STAR = ".*"
#: Changes whenever what a scan finds changes, so that cached scans are not reused.
SCAN_VERSION = 2


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

    def to_json(self) -> dict[str, Any]:
        return {"units": {name: {"imports": sorted(unit.imports), "names": sorted(unit.names),
                                 "strings": sorted(unit.strings), "dynamic": unit.dynamic,
                                 "introspects": unit.introspects}
                          for name, unit in self.units.items()},
                "escaping": sorted(self.escaping), "dynamic": self.dynamic}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleScan:
        units = {name: Unit(set(unit["imports"]), set(unit["names"]), set(unit["strings"]),
                            unit["dynamic"], bool(unit["introspects"]))
                 for name, unit in data["units"].items()}
        return cls(units, set(data["escaping"]), data["dynamic"])


def scan_key(source: str, name: str, is_package: bool, where: str) -> str:
    """What a scan depends on, hashed: the source, and where it sits (relative imports
    and messages depend on that), with :data:`SCAN_VERSION`."""
    import hashlib

    text = f"{SCAN_VERSION}\0{name}\0{is_package}\0{where}\0{source}"
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
            for node in [*statement.body, statement.args]:
                _visit(node, unit, package, where, declared)
            if statement.returns is not None:
                _visit(statement.returns, unit, package, where, declared)
            # Decorators run at import, with the module; the function escapes into them
            # unless the decorator is sparta's registration (it returns it unchanged).
            module_nodes.extend(statement.decorator_list)
            if any(not _is_registration(d, services) for d in statement.decorator_list):
                escaping.add(statement.name)
        else:
            module_nodes.append(statement)
    for node in module_nodes:
        _visit(node, units[MODULE_SCOPE], package, where, declared)
    functions = set(units)
    for unit in units.values():
        unit.names &= functions  # only names of this module's functions lead anywhere
    return ModuleScan(units, escaping)


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
              and len(node.value) < 200 and _DOTTED.fullmatch(node.value)):
            unit.strings.add(node.value.partition(":")[0])


def _add_import(unit: Unit, dotted: str, node: ast.AST, where: str) -> None:
    unit.imports.add(dotted)
    if dotted.partition(".")[0] in DYNAMIC_MODULES:
        _flag(unit, f"{dotted} imported at {where}:{getattr(node, 'lineno', '?')}")


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


@dataclass(frozen=True)
class Reach:
    """What a function can run of the project: module names, or why it cannot be told."""

    modules: frozenset[str]
    dynamic: str | None = None


class ImportGraph:
    """The project's modules, parsed on demand, each at most once.

    ``modules`` is every importable project module name; ``read(name)`` gives the
    source of one of them as ``(text, where)`` (``None`` for a module that no longer
    exists: it can be reached, but imports nothing)."""

    def __init__(self, modules: Iterable[str], packages: Iterable[str],
                 read: Callable[[str], tuple[str, str] | None],
                 cache: dict[str, Any] | None = None) -> None:
        self.modules = frozenset(modules)
        self.packages = frozenset(packages)
        self._read = read
        self._scans: dict[str, ModuleScan] = {}
        #: Scans by :func:`scan_key`, kept from one run to the next by the caller; the
        #: scans this run used are left in it (and only those: it does not grow).
        self.cache = cache if cache is not None else {}
        self.used: dict[str, Any] = {}

    def scan_of(self, name: str) -> ModuleScan:
        if name not in self._scans:
            found = self._read(name)
            if found is None:
                self._scans[name] = ModuleScan({MODULE_SCOPE: Unit()}, set())
                return self._scans[name]
            is_package = name in self.packages
            key = scan_key(found[0], name, is_package, found[1])
            cached = self.cache.get(key)
            scanned: ModuleScan | None = None
            if isinstance(cached, dict):
                try:
                    scanned = ModuleScan.from_json(cached)
                except (KeyError, TypeError, AttributeError):
                    scanned = None  # a damaged cache entry: scan again
            if scanned is None:
                scanned = scan(found[0], name, is_package, found[1])
                cached = scanned.to_json()
            self._scans[name] = scanned
            self.used[key] = cached
        return self._scans[name]

    def resolve(self, dotted: str) -> set[str]:
        """The project modules an import (or a string naming) ``dotted`` reaches: each
        known prefix (a package's ``__init__`` runs before its submodules)."""
        parts = dotted.split(".")
        return {prefix for prefix in (".".join(parts[:i]) for i in range(1, len(parts) + 1))
                if prefix in self.modules}

    def _under(self, package: str) -> set[str]:
        return {name for name in self.modules if name.startswith(package + ".")}

    def reach(self, handler: str) -> Reach | None:
        """What the function whose ``Handler`` is ``handler`` can run; ``None`` when its
        module is not a project module (then the caller cannot tell either)."""
        module, _, function = handler.rpartition(".")
        if module not in self.modules:
            return None
        # Packages above the handler's module run first, in full.
        return self._walk([(module, function),
                           *((name, None) for name in self.resolve(module) - {module})])

    def reach_names(self, names: Iterable[str]) -> Reach:
        """What importing the modules named by the strings ``names`` can run (a module
        named in a function's environment, say)."""
        return self._walk([(target, None) for text in names
                           for target in self._named(text.partition(":")[0])])

    def _named(self, text: str, everything: bool = False) -> set[str]:
        """The project modules a string reaches: its known prefixes, and every module
        under the package it names, if it names one (also a namespace package, with no
        ``__init__``). ``everything``: ``text`` names a package in full (a star import)."""
        if not _DOTTED.fullmatch(text):
            return set()
        targets = self.resolve(text)
        # The longest module named is what is loaded; a package may load any module
        # under it by name (an app registry, an autodiscovery).
        longest = max(targets, key=len, default=None)
        if longest in self.packages:
            targets |= self._under(longest)
        if everything or longest != text:
            targets |= self._under(text)  # text itself may be a namespace package
        return targets

    def _walk(self, pending: list[tuple[str, str | None]]) -> Reach:
        """Every module reachable from ``pending`` (``(module, None)`` runs the whole
        module; ``(module, function)`` its module-level code and what ``function``
        can call)."""
        reached: set[str] = set()
        full: set[str] = set()
        partial: set[str] = set()
        dynamic: str | None = None
        while pending:
            name, entry = pending.pop()
            seen = full if entry is None else partial
            if name in seen or name in full:
                continue
            seen.add(name)
            reached.add(name)
            module_scan = self.scan_of(name)
            dynamic = dynamic or module_scan.dynamic
            for unit in self._units(module_scan, entry):
                dynamic = dynamic or unit.dynamic
                targets: set[str] = set()
                for dotted in unit.imports:
                    if dotted.endswith(STAR):
                        targets |= self._named(dotted[: -len(STAR)], everything=True)
                    else:
                        targets |= self.resolve(dotted)
                for text in unit.strings:
                    targets |= self._named(text)
                pending.extend((target, None) for target in targets if target not in full)
        return Reach(frozenset(reached), dynamic)

    @staticmethod
    def _units(module_scan: ModuleScan, entry: str | None) -> list[Unit]:
        """The units of a module that can run: all of them, or, from the handler
        ``entry``, module-level code and the functions it can call."""
        units = module_scan.units
        if entry is None:
            return list(units.values())
        chosen = {MODULE_SCOPE, *module_scan.escaping}
        if entry in units:
            chosen.add(entry)
        queue = list(chosen)
        while queue:
            unit = units[queue.pop()]
            if unit.introspects:
                return list(units.values())
            for name in unit.names:
                if name in units and name not in chosen:
                    chosen.add(name)
                    queue.append(name)
        return [units[name] for name in chosen]
