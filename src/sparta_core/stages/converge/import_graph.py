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

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sparta_core.stages.converge.import_scan import (
    DOTTED,
    MODULE_SCOPE,
    STAR,
    ModuleScan,
    Unit,
    module_name,
    scan,
    scan_key,
)

__all__ = ["ImportGraph", "Reach", "module_name"]


@dataclass(frozen=True)
class Reach:
    """What a function can run of the project: module names, or why it cannot be told.
    ``partial`` is the handler's module when only part of it can run (nothing else
    imports it), with the units of it that can: ``(module, unit names)``."""

    modules: frozenset[str]
    dynamic: str | None = None
    partial: tuple[str, frozenset[str]] | None = None


class ImportGraph:
    """The project's modules, parsed on demand, each at most once.

    ``modules`` is every importable project module name; ``read(name)`` gives the
    bytes of one of them and its archive entry, ``(data, entry)`` (``None`` for a
    module that no longer exists: it can be reached, but imports nothing)."""

    def __init__(self, modules: Iterable[str], packages: Iterable[str],
                 read: Callable[[str], tuple[bytes, str] | None],
                 cache: dict[str, Any] | None = None) -> None:
        self.modules = frozenset(modules)
        self.packages = frozenset(packages)
        self._read = read
        self._scans: dict[str, ModuleScan] = {}
        self._by_key: dict[str, ModuleScan | None] = {}
        #: Scans by :func:`scan_key`, kept from one run to the next by the caller; the
        #: scans this run used are left in :attr:`used` (and only those: it does not
        #: grow).
        self.cache = cache if cache is not None else {}
        self.used: dict[str, Any] = {}

    def scan_of(self, name: str) -> ModuleScan:
        if name not in self._scans:
            found = self._read(name)
            if found is None:
                self._scans[name] = ModuleScan({MODULE_SCOPE: Unit()}, set())
                return self._scans[name]
            data, entry = found
            digest = hashlib.sha256(data).hexdigest()
            scanned = self.cached_scan(name, entry, digest)
            if scanned is None:
                scanned = scan(data.decode("utf-8", errors="replace"), name,
                               name in self.packages, entry)
                self.used[scan_key(digest, name, name in self.packages, entry)] = \
                    scanned.to_json()
            self._scans[name] = scanned
        return self._scans[name]

    def cached_scan(self, name: str, entry: str, digest: str) -> ModuleScan | None:
        """The scan of the version of ``name`` whose bytes' sha256 is ``digest``, if an
        earlier run made it (a version no longer on disk: the one a function runs)."""
        key = scan_key(digest, name, name in self.packages, entry)
        if key in self._by_key:
            return self._by_key[key]
        cached = self.cache.get(key)
        scanned: ModuleScan | None = None
        if isinstance(cached, dict):
            try:
                scanned = ModuleScan.from_json(cached)
                self.used[key] = cached
            except (KeyError, TypeError, AttributeError, ValueError):
                scanned = None  # a damaged cache entry: scan again
        self._by_key[key] = scanned
        return scanned

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
        if not DOTTED.fullmatch(text):
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
        partial: dict[str, frozenset[str]] = {}
        dynamic: str | None = None
        while pending:
            name, entry = pending.pop()
            if name in full or (entry is not None and name in partial):
                continue
            module_scan = self.scan_of(name)
            chosen = self.runnable(module_scan, entry)
            if entry is None:
                full.add(name)
            else:
                partial[name] = frozenset(chosen)
            reached.add(name)
            dynamic = dynamic or module_scan.dynamic
            for unit in (module_scan.units[unit_name] for unit_name in chosen):
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
        only_part = [(name, units) for name, units in partial.items() if name not in full]
        return Reach(frozenset(reached), dynamic, only_part[0] if only_part else None)

    @staticmethod
    def runnable(module_scan: ModuleScan, entry: str | None) -> set[str]:
        """The names of the units of a module that can run: all of them, or, from the
        handler ``entry``, module-level code and the functions it can call."""
        units = module_scan.units
        if entry is None:
            return set(units)
        chosen = {MODULE_SCOPE, *module_scan.escaping}
        if entry in units:
            chosen.add(entry)
        queue = list(chosen)
        while queue:
            unit = units[queue.pop()]
            if unit.introspects:
                return set(units)
            for name in unit.names:
                if name in units and name not in chosen:
                    chosen.add(name)
                    queue.append(name)
        return chosen

    def same_for(self, old: ModuleScan, new: ModuleScan, entry: str) -> bool:
        """Whether a function whose handler is ``entry`` in a module would run the same
        code from the version ``old`` as from ``new``: the same units can run, and each
        of them has the same fingerprint (module-level code included)."""
        if not old.prints or not new.prints or old.dynamic or new.dynamic:
            return False
        units = self.runnable(new, entry)
        if self.runnable(old, entry) != units:
            return False
        return all(name in old.prints and old.prints[name] == new.prints.get(name)
                   for name in units)
