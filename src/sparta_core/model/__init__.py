"""What the user declares: the service, its functions, IAM, event sources, references,
and its components (``component.py``: the base class; the API and the site are two
kinds).

Model code does no I/O (but for ``Service.validate``, which reads the project's files)
and imports nothing heavy: the user's ``service.py`` imports it on the build host. The
names are those ``sparta_core`` exports from its model modules, loaded on first use, so
that importing one model module does not import them all.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    import sparta_core

    module = sparta_core._EXPORTS.get(name, "")
    if not module.startswith("sparta_core.model."):
        raise AttributeError(f"module 'sparta_core.model' has no attribute {name!r}")
    return getattr(sparta_core, name)


def __dir__() -> list[str]:
    import sparta_core

    return sorted(
        name for name, module in sparta_core._EXPORTS.items()
        if module.startswith("sparta_core.model.")
    )
