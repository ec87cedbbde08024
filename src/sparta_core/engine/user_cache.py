"""Where sparta keeps what outlives one project's ``.sparta/``.

``SPARTA_CACHE_DIR`` if set, else the user cache directory: ``$XDG_CACHE_HOME/sparta``
(``~/.cache/sparta``), ``~/Library/Caches/sparta`` on macOS, ``%LOCALAPPDATA%\\sparta\\Cache``
on Windows. The dependency cache (``deps/``) and the records of unchanged builds
(``replay/``) live there.

This module imports nothing beyond ``os`` and ``sys``: the console script reads it before
it has loaded anything else (see :mod:`sparta_core.engine.replay`).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def user_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """The cache root, as a path string (``~`` expanded)."""
    environ = os.environ if environ is None else environ
    if environ.get("SPARTA_CACHE_DIR"):
        return os.path.expanduser(environ["SPARTA_CACHE_DIR"])
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "sparta")
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "sparta", "Cache")
    return os.path.join(environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "sparta")
