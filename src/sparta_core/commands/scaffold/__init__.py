"""What ``sparta init`` writes: a service of one of three shapes, or a plugin distribution.

:func:`service_files` and :func:`plugin_files` return ``{relative path: text}``;
:func:`write` puts them in a folder, refusing one that is not empty unless forced.
"""

from __future__ import annotations

import re
from pathlib import Path

from sparta_core.commands.scaffold import plugin_templates, service_templates
from sparta_core.errors import ConfigError

#: A service name becomes the stack name: ``[A-Za-z][-A-Za-z0-9]*``.
_NOT_NAME = re.compile(r"[^A-Za-z0-9-]+")
#: A plugin name is an entry-point name and part of a Python package name.
PLUGIN_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def service_name(folder: Path) -> str:
    """A stack-safe service name from a folder's name (``my_app`` -> ``my-app``)."""
    name = _NOT_NAME.sub("-", folder.resolve().name).strip("-").lower()
    if not name or not name[0].isalpha():
        name = f"svc-{name}" if name else "service"
    return name[:64]


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    return text


def service_files(example: str, name: str, version: str) -> dict[str, str]:
    """The files of a service called ``name`` in the shape of ``example``."""
    service, test = service_templates.EXAMPLES[example]
    values = {"NAME": name, "API": f"{name}-api", "SPARTA": version}
    return {
        "service.py": _fill(service, values),
        "pyproject.toml": _fill(service_templates.PYPROJECT, values),
        ".gitignore": service_templates.GITIGNORE,
        "tests/conftest.py": service_templates.CONFTEST,
        "tests/test_service.py": _fill(test, values),
    }


def plugin_files(name: str, version: str) -> dict[str, str]:
    """The files of the plugin distribution ``sparta-<name>``."""
    if not PLUGIN_NAME.fullmatch(name):
        raise ConfigError(
            f"plugin name {name!r} must be lower-case letters, digits and '_', starting "
            "with a letter (it names the entry point and the package sparta_<name>)"
        )
    package = f"sparta_{name}"
    values = {"NAME": name, "PACKAGE": package, "ENV": name.upper(), "SPARTA": version}
    templates = plugin_templates
    return {
        "pyproject.toml": _fill(templates.PYPROJECT, values),
        "README.md": _fill(templates.README, values),
        ".gitignore": service_templates.GITIGNORE + "*.egg-info/\ndist/\n",
        f"src/{package}/__init__.py": _fill(templates.INIT, values),
        f"src/{package}/plugin.py": _fill(templates.PLUGIN, values),
        "tests/test_plugin.py": _fill(templates.TEST, values),
    }


def next_steps(example: str) -> list[str]:
    return service_templates.NEXT_STEPS[example]


def write(files: dict[str, str], target: Path, *, force: bool) -> list[Path]:
    """Write ``files`` under ``target`` (created if missing). A folder that already
    holds something is refused unless ``force``, which overwrites only the files
    written here. Returns the paths written."""
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(
            f"{target} is not empty; sparta init writes into an empty folder "
            "(--force writes anyway, overwriting only the files it scaffolds)"
        )
    written = []
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
