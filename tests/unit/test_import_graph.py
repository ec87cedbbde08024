"""The static import graph a hotswap uses to tell which functions can run a changed
module: import forms, relative imports, package ancestors, the handler's own scope,
what it cannot follow, and each module parsed once."""

from __future__ import annotations

import pytest

from sparta_core.stages.converge.import_graph import ImportGraph, module_name


def graph(files: dict[str, str], parsed: list[str] | None = None) -> ImportGraph:
    modules = {module_name(name): name for name in files}
    assert None not in modules

    def read(module: str) -> tuple[bytes, str] | None:
        if parsed is not None:
            parsed.append(module)
        name = modules[module]
        return files[name].encode(), name

    packages = {module_name(name) for name in files if name.endswith("__init__.py")}
    return ImportGraph(modules, packages, read)  # type: ignore[arg-type]


def reach(files: dict[str, str], handler: str) -> set[str]:
    found = graph(files).reach(handler)
    assert found is not None and found.dynamic is None, found
    return set(found.modules)


@pytest.mark.parametrize(("entry", "expected"), [
    ("app/h7.py", "app.h7"), ("app/__init__.py", "app"), ("service.py", "service"),
    ("app/data.json", None), ("my-scripts/run.py", None), ("__init__.py", None),
])
def test_module_names_of_archive_entries(entry: str, expected: str | None) -> None:
    assert module_name(entry) == expected


PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": "",
    "pkg/sub/other.py": "",
    "pkg/util.py": "",
    "pkg/leaf.py": "",
}


@pytest.mark.parametrize(("source", "expected"), [
    ("import pkg.sub.deep", {"pkg", "pkg.sub", "pkg.sub.deep"}),
    ("from pkg.sub import deep", {"pkg", "pkg.sub", "pkg.sub.deep"}),
    ("from pkg.sub import deep as d, name_in_init", {"pkg", "pkg.sub", "pkg.sub.deep"}),
    ("from pkg import util", {"pkg", "pkg.util"}),
    ("import yaml, os.path", set()),
    ("def f():\n    import pkg.util", {"pkg", "pkg.util"}),
    ("try:\n    import pkg.leaf\nexcept ImportError:\n    pass", {"pkg", "pkg.leaf"}),
])
def test_import_forms_reach_the_module_and_its_packages(source: str, expected: set[str]):
    files = {**PACKAGE, "lib.py": source, "main.py": "import lib\n\ndef handler(e, c):\n    pass"}
    assert reach(files, "main.handler") == {"main", "lib"} | expected


@pytest.mark.parametrize(("source", "expected"), [
    ("from . import other", {"pkg.sub.other"}),
    ("from .other import thing", {"pkg.sub.other"}),
    ("from .. import util", {"pkg.util"}),
    ("from ..util import thing", {"pkg.util"}),
    ("from ... import nothing", set()),  # above the top-level package: not followed
])
def test_relative_imports_resolve_against_the_package(source: str, expected: set[str]):
    files = {**PACKAGE, "pkg/sub/deep.py": source + "\n\ndef handler(e, c):\n    pass\n"}
    # The handler's module runs its packages' __init__ first.
    assert reach(files, "pkg.sub.deep.handler") == {"pkg", "pkg.sub", "pkg.sub.deep"} | expected


def test_relative_import_in_a_package_init_is_against_the_package_itself():
    files = {**PACKAGE, "pkg/sub/__init__.py": "from .other import x\n",
             "main.py": "import pkg.sub\n\ndef handler(e, c):\n    pass\n"}
    assert reach(files, "main.handler") == {"main", "pkg", "pkg.sub", "pkg.sub.other"}


HANDLERS = {
    "app/__init__.py": "",
    **{f"app/m{i}.py": "" for i in range(6)},
    "service.py": '''
import sparta_core as sparta
from app import m0

service = sparta.Service("app", description="named like the package")


@service.function(memory_size=256, environment={"NAME": "app"})
def one(event, context):
    from app import m1
    return helper()


def helper():
    import app.m2


def unused():
    import app.m3


@service.function()
def two(event, context):
    import app.m4


def escapes(event):
    import app.m5


REGISTRY = {"escapes": escapes}
''',
}


def test_a_handler_reaches_module_level_code_and_what_it_calls_not_its_neighbours():
    # Module level (m0), its own body (m1), the helper it calls (m2), and what module-level
    # code names (escapes -> m5); never another handler's body (m4) or an unused one (m3).
    # The strings of sparta's declarations ("app", the service's name) are not imports.
    assert reach(HANDLERS, "service.one") == {"service", "app", "app.m0", "app.m1", "app.m2",
                                              "app.m5"}
    assert reach(HANDLERS, "service.two") == {"service", "app", "app.m0", "app.m4", "app.m5"}


def test_a_decorated_function_other_than_sparta_registration_always_counts():
    files = {**HANDLERS, "service.py": HANDLERS["service.py"].replace(
        "def unused():", "@router.route('/x')\ndef unused():")}
    assert "app.m3" in reach(files, "service.two")


@pytest.mark.parametrize("reader", ["globals()", "vars()", "sys.modules[__name__]"])
def test_code_that_reads_the_namespace_includes_the_whole_module(reader: str):
    files = {**HANDLERS, "service.py": HANDLERS["service.py"].replace(
        "    import app.m4", f"    import sys\n    return {reader}")}
    assert {"app.m1", "app.m3"} <= reach(files, "service.two")


def test_a_module_imported_by_another_runs_in_full_even_the_handlers_own():
    files = {**HANDLERS, "app/m0.py": "import service\n"}
    assert {"app.m3", "app.m4"} <= reach(files, "service.one")


def test_a_string_naming_a_project_module_or_package_reaches_it():
    files = {**PACKAGE, "main.py": (
        'SETTINGS = "pkg.util"\nAPP = "pkg.sub:app"\nMESSAGE = "pkg is a word here"\n\n'
        "def handler(e, c):\n    pass\n")}
    # "pkg.sub:app" names the package pkg.sub: every module under it may be loaded;
    # "pkg.util" loads pkg and pkg.util, not the rest of pkg.
    assert reach(files, "main.handler") == {"main", "pkg", "pkg.util", "pkg.sub",
                                            "pkg.sub.deep", "pkg.sub.other"}


def test_names_in_a_functions_environment_reach_their_modules():
    found = graph(PACKAGE).reach_names(["pkg.leaf", "not a module", "3.14"])
    assert set(found.modules) == {"pkg", "pkg.leaf"}


@pytest.mark.parametrize(("source", "what"), [
    ("import importlib", "importlib imported at lib.py:1"),
    ("from importlib import import_module", "importlib imported at lib.py:1"),
    ("x = 1\nmod = __import__('pkg.util')", "__import__ at lib.py:2"),
    ("exec('import pkg')", "exec at lib.py:1"),
    ("import runpy", "runpy imported at lib.py:1"),
    ("import pkgutil", "pkgutil imported at lib.py:1"),
    ("import sys\nsys.path.insert(0, 'vendor')", "sys.path at lib.py:2"),
    ("__path__ = ['x']", "__path__ at lib.py:1"),
    ("def f(:\n", "lib.py does not parse"),
])
def test_what_the_graph_cannot_follow_is_named(source: str, what: str):
    files = {**PACKAGE, "lib.py": source, "main.py": "import lib\n\ndef handler(e, c):\n    pass"}
    found = graph(files).reach("main.handler")
    assert found is not None and found.dynamic is not None
    assert found.dynamic.startswith(what)


def test_dynamic_code_in_a_function_the_handler_cannot_call_does_not_count():
    files = {**HANDLERS, "service.py": HANDLERS["service.py"].replace(
        "    import app.m3", "    import importlib")}
    assert graph(files).reach("service.two").dynamic is None  # type: ignore[union-attr]
    assert graph(files).reach("service.one").dynamic is None  # type: ignore[union-attr]


def test_a_handler_outside_the_project_is_unknown():
    assert graph(PACKAGE).reach("sparta_runtime.s3_site.handler") is None


def test_each_module_is_parsed_once_however_many_functions_reach_it():
    parsed: list[str] = []
    files = {**HANDLERS}
    shared = graph(files, parsed)
    for handler in ("service.one", "service.two", "service.one"):
        shared.reach(handler)
    assert sorted(parsed) == sorted(set(parsed))
    assert "service" in parsed and "app.m3" not in parsed


def test_scans_kept_from_an_earlier_run_are_reused_for_unchanged_modules(monkeypatch):
    from sparta_core.stages.converge import import_graph

    first = graph(HANDLERS)
    expected = first.reach("service.one")
    scanned: list[str] = []
    real_scan = import_graph.scan

    def counting(source: str, name: str, is_package: bool, where: str):
        scanned.append(name)
        return real_scan(source, name, is_package, where)

    monkeypatch.setattr(import_graph, "scan", counting)
    files = {**HANDLERS, "app/m1.py": "import app.m3\n"}  # changed since the first run
    modules = {module_name(name): name for name in files}
    again = ImportGraph(modules, {"app"}, lambda m: (files[modules[m]].encode(), modules[m]),
                        cache=dict(first.used))
    found = again.reach("service.one")
    # The changed module is parsed again, and the one it now reaches for the first time;
    # service, app, m0, m2 and m5 are not.
    assert sorted(scanned) == ["app.m1", "app.m3"]
    assert set(found.modules) == set(expected.modules) | {"app.m3"}  # type: ignore[union-attr]


def test_a_star_import_of_a_package_reaches_every_module_under_it():
    # pkg/sub/__init__.py's __all__ may list any submodule: all of them count.
    files = {**PACKAGE, "main.py": "from pkg.sub import *\n\ndef handler(e, c):\n    pass\n"}
    assert reach(files, "main.handler") == {"main", "pkg", "pkg.sub", "pkg.sub.deep",
                                            "pkg.sub.other"}


def test_a_string_naming_a_namespace_package_reaches_its_modules():
    files = {"ns/a.py": "", "ns/b.py": "", "main.py": (
        'APPS = ["ns"]\n\ndef handler(e, c):\n    pass\n')}
    modules = {module_name(name): name for name in files}
    found = ImportGraph(modules, set(), lambda m: (files[modules[m]].encode(), modules[m])
                        ).reach("main.handler")
    assert set(found.modules) == {"main", "ns.a", "ns.b"}  # type: ignore[union-attr]


ONE_MODULE = '''"""Every handler in one module."""
import json

LIMIT = 10


def helper(value):
    return json.dumps(value)


def handler_0(event, context):
    return helper({"h": 0})


def handler_1(event, context):
    return {"h": 1}


def handler_2(event, context, default=LIMIT):
    return {"h": 2}
'''


def versions(before: str, after: str, function: str) -> bool:
    """Whether ``function`` runs the same code from both versions of handlers.py."""
    from sparta_core.stages.converge.import_scan import scan

    old = scan(before, "handlers", False, "handlers.py")
    new = scan(after, "handlers", False, "handlers.py")
    return graph({"handlers.py": after}).same_for(old, new, function)


def test_a_function_runs_the_same_code_when_only_another_handler_changed():
    edited = ONE_MODULE.replace('{"h": 1}', '{"h": 1, "v": 2}')
    assert versions(ONE_MODULE, edited, "handler_0")
    assert versions(ONE_MODULE, edited, "handler_2")
    assert not versions(ONE_MODULE, edited, "handler_1")


def test_what_a_handler_calls_and_the_module_level_code_count_too():
    helper = ONE_MODULE.replace("json.dumps(value)", "json.dumps(value, indent=1)")
    assert not versions(ONE_MODULE, helper, "handler_0")  # it calls helper
    assert versions(ONE_MODULE, helper, "handler_1")
    constant = ONE_MODULE.replace("LIMIT = 10", "LIMIT = 11")
    assert not versions(ONE_MODULE, constant, "handler_1")  # module-level code runs
    default = ONE_MODULE.replace("default=LIMIT", "default=LIMIT + 1")
    assert not versions(ONE_MODULE, default, "handler_1")  # a default runs at import
    calls = ONE_MODULE.replace('return {"h": 1}', 'return helper({"h": 1})')
    assert not versions(ONE_MODULE, calls, "handler_1")  # what it can call changed


def test_comments_blank_lines_and_moved_code_change_nothing_anyone_runs():
    moved = ("# a comment\n\n\n" + ONE_MODULE).replace('    return {"h": 1}',
                                                        '    # why\n    return {"h": 1}')
    assert all(versions(ONE_MODULE, moved, f"handler_{i}") for i in range(3))


def test_code_that_reads_the_namespace_runs_every_part():
    introspecting = ONE_MODULE.replace('    return {"h": 1}',
                                       '    return globals()["handler_0"]')
    edited = introspecting.replace('helper({"h": 0})', 'helper({"h": 0, "v": 2})')
    assert not versions(introspecting, edited, "handler_1")


def test_the_handlers_module_imported_by_another_module_runs_in_full():
    files = {"handlers.py": ONE_MODULE, "other.py": "import handlers\n"}
    partial = graph(files).reach("handlers.handler_1")
    assert partial is not None and partial.partial is not None
    assert partial.partial[0] == "handlers"
    files["handlers.py"] = ONE_MODULE + "\nimport other\n"
    full = graph(files).reach("handlers.handler_1")
    assert full is not None and full.partial is None


def test_a_default_argument_runs_at_import_in_every_function() -> None:
    """``def a(e, c, cfg=load())`` calls ``load`` when the module is imported, whichever
    handler runs: an edit of ``load`` reaches ``b`` too."""
    from sparta_core.stages.converge.import_graph import ImportGraph
    from sparta_core.stages.converge.import_scan import scan

    def module(body: str) -> object:
        return scan(body, "handlers", False, "handlers.py")

    before = module("def load():\n    return 1\n\n\ndef a(e, c, cfg=load()):\n    return cfg\n"
                    "\n\ndef b(e, c):\n    return 2\n")
    after = module("def load():\n    return 3\n\n\ndef a(e, c, cfg=load()):\n    return cfg\n"
                   "\n\ndef b(e, c):\n    return 2\n")
    graph = ImportGraph.__new__(ImportGraph)
    assert not ImportGraph.same_for(graph, before, after, "b")


def test_sys_by_another_name_or_its_parts_imported_are_followed() -> None:
    from sparta_core.stages.converge.import_scan import scan

    aliased = scan("import sys as s\n\ns.path.insert(0, 'x')\n", "m", False, "m.py")
    assert aliased.units[""].dynamic == "sys imported as s at m.py:1"
    path = scan("from sys import path\n\npath.append('x')\n", "m", False, "m.py")
    assert path.units[""].dynamic == "sys.path imported at m.py:1"
    modules = scan("from sys import modules\n\n\ndef a(e, c):\n    return modules\n",
                   "m", False, "m.py")
    assert modules.units[""].introspects  # module-level code runs with every function
