"""The one-module layout: N handlers in one ``handlers.py``, named by string from ``service.py``.

This is the common shape of a big Lambda service (a Chalice ``app.py``, a Flask-style
``handlers.py``): every handler in one module, so any per-function work that re-reads the
module grows as N². ``make_service`` writes the project; the benchmarks and the tests use it.

    python benchmarks/one_module.py DIR N [--deps]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

#: Imported at the top of ``handlers.py`` when the service has dependencies.
DEPENDENCY_IMPORTS = "import yaml\nimport requests\nfrom pydantic import BaseModel\n"


def handler_source(index: int, edit: int = 0) -> str:
    return (
        f"def handler_{index}(event, context):\n"
        f"    return {{'statusCode': 200, 'body': 'h{index} v{edit}'}}\n"
    )


def make_service(root: Path, count: int, *, requirements: str = "", extra_toml: str = "",
                 name: str = "bench") -> None:
    """Write a project at ``root``: ``service.py`` declares ``count`` functions whose
    handlers (``handlers.handler_<i>``) all live in ``handlers.py``."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    service = [
        "import sparta_core as sparta",
        "",
        f'service = sparta.Service("{name}", runtime="python3.12", architecture="x86_64")',
        "",
        f"for i in range({count}):",
        '    service.add_function(handler=f"handlers.handler_{i}", memory_size=256, timeout=10)',
        "",
    ]
    (root / "service.py").write_text("\n".join(service))
    header = DEPENDENCY_IMPORTS if requirements else ""
    body = "\n\n".join(handler_source(i) for i in range(count))
    (root / "handlers.py").write_text(header + "\n\n" + body)
    if requirements:
        (root / "requirements.txt").write_text(requirements)
    (root / "pyproject.toml").write_text("[tool.sparta]\n" + extra_toml)


def edit_handler(root: Path, index: int, edit: int) -> None:
    """Change one line of one handler (what a developer's edit is)."""
    path = root / "handlers.py"
    text = path.read_text()
    marker = f"def handler_{index}(event, context):\n"
    start = text.index(marker)
    end = text.index("\n", start + len(marker)) + 1
    path.write_text(text[:start] + handler_source(index, edit) + text[end:])


def add_function(root: Path, index: int) -> None:
    """Append one more handler to ``handlers.py`` and declare it in ``service.py``."""
    with (root / "handlers.py").open("a") as out:
        out.write("\n\n" + handler_source(index))
    with (root / "service.py").open("a") as out:
        out.write(f'service.add_function(handler="handlers.handler_{index}", memory_size=256, '
                  "timeout=10)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--deps", action="store_true", help="requests, PyYAML, pydantic")
    options = parser.parse_args()
    make_service(options.directory, options.count,
                 requirements="requests\nPyYAML\npydantic\n" if options.deps else "")


if __name__ == "__main__":
    main()
