"""sparta-httpapi's tests use sparta's testing kit (DESIGN §9). The tests run with
``--import-mode=importlib``, so what they share is a fixture, not a module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["sparta_core.testing"]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "httpapi"


@pytest.fixture
def example_files() -> Callable[..., dict[str, str]]:
    """``example_files(**settings)``: the files of examples/httpapi, with ``settings``
    added to its ``[tool.sparta]``."""

    def files(**settings: str) -> dict[str, str]:
        pyproject = (EXAMPLE / "pyproject.toml").read_text()
        for key, value in settings.items():
            pyproject += f'{key} = "{value}"\n'
        return {"service.py": (EXAMPLE / "service.py").read_text(), "pyproject.toml": pyproject}

    return files
