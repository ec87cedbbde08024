"""What the tests share: the example project, copied for a test."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "httpapi"


def example_files(**settings: str) -> dict[str, str]:
    """The files of examples/httpapi, with ``settings`` added to its ``[tool.sparta]``."""
    pyproject = (EXAMPLE / "pyproject.toml").read_text()
    for key, value in settings.items():
        pyproject += f'{key} = "{value}"\n'
    return {"service.py": (EXAMPLE / "service.py").read_text(), "pyproject.toml": pyproject}
