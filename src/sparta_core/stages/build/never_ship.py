"""What never ships from a project folder, whatever ``include`` and ``exclude`` say.

Files that hold credentials (cloud and SSH keys, ``.env`` files, package-index tokens,
Terraform state) are left out of the archive at any depth. The one way to ship such a
file is to name it by its exact project path in ``[tool.sparta] include``: a glob is
never enough, and the build warns about every file admitted that way. sparta's own
dependency cache is never walked either, wherever it sits: the configured cache root,
and any folder holding a ``CACHEDIR.TAG`` (the cache-directory tagging convention that
sparta's cache, uv's and others write).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sparta_core.engine.replay import looked_at

#: Folders whose every file is a secret.
SECRET_DIRS = frozenset({".aws", ".ssh"})
#: File names that hold secrets (matched without regard to case).
SECRET_FILES = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_ed25519*",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    "*.tfstate*",
)
#: The file that marks a cache folder (https://bford.info/cachedir/).
CACHEDIR_TAG = "CACHEDIR.TAG"

_SECRET_NAME = re.compile(
    "|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in SECRET_FILES), re.IGNORECASE
).match
_GLOB_CHARS = frozenset("*?[")


def is_secret_name(name: str) -> bool:
    """True if a file called ``name`` holds secrets by its name alone."""
    return _SECRET_NAME(name) is not None


def is_secret_dir(name: str) -> bool:
    return name.lower() in SECRET_DIRS


@dataclass
class NeverShip:
    """The walk's guard. ``include``: the configured include patterns (their exact
    paths are the only way a secret ships); ``skip``: real paths of folders never
    walked (the dependency cache). ``admitted`` collects the secret files that ship
    because ``include`` names them exactly, for the build to warn about."""

    include: tuple[str, ...] = ()
    skip: frozenset[str] = frozenset()
    admitted: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._exact = frozenset(
            p.strip("/") for p in self.include if not _GLOB_CHARS & set(p)
        )
        self._exact_dirs = frozenset(
            "/".join(parts[:end])
            for parts in (p.split("/") for p in self._exact)
            for end in range(1, len(parts))
        )

    def skips_dir(self, path: str, relative: str, secret: bool) -> bool:
        """True if the folder at ``path`` (``relative`` in the project; ``secret``: it
        is or lies in a secret folder) is not walked: a tagged cache, or a secret folder
        that no exact include reaches into. (The configured cache root, ``skip``, is
        recognised by the walk, which knows each folder's real path.)"""
        tag = os.path.join(path, CACHEDIR_TAG)
        looked_at(tag)  # its appearing or going changes the archive
        if os.path.isfile(tag):
            return True
        return secret and relative not in self._exact_dirs

    def allows_file(self, relative: str, name: str, secret: bool) -> bool | None:
        """For a secret file (by its name, or ``secret``: it lies in a secret folder):
        True if it ships (named exactly in ``include``; recorded in ``admitted``), False
        if not. ``None`` for a file that is no secret."""
        if not (secret or is_secret_name(name)):
            return None
        if relative in self._exact:
            self.admitted.append(relative)
            return True
        return False


def cache_dirs() -> frozenset[str]:
    """Real paths of sparta's dependency cache root (as configured now)."""
    from sparta_core.stages.build.cache import cache_root

    return frozenset({os.path.realpath(Path(cache_root()))})
