"""Install wheels for a Lambda target with uv (preferred) or ``pip --platform``.

Both are asked for wheels only (``--only-binary :all:``): a source distribution would
be built by, and for, the build host, which is how other tools end up shipping macOS or
x86_64 binaries to an arm64 Lambda. Installer failures become one-line
:class:`DependencyError`\\ s that name the requirement and the target; a resolution
conflict keeps the installer's explanation as a readable block (``details``) shown above
the one-line error.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from sparta_core.errors import DependencyError, SpartaError
from sparta_core.stages.build.requirements import IndexSettings
from sparta_core.stages.build.target import Target

INSTALLERS = ("uv", "pip")


@dataclass(frozen=True)
class Installer:
    """An installer program: ``name`` (uv or pip), the command that runs it, and an
    identity (version, or the binary's stats) for the cache key."""

    name: str
    command: tuple[str, ...]
    identity: str

    def install(
        self, requirements_file: Path, target: Target, destination: Path,
        index: IndexSettings, offline: bool = False, cwd: Path | None = None,
    ) -> str:
        """Install into ``destination`` (created); return the installer's output.
        Raise :class:`DependencyError` when it fails."""
        if self.name == "uv":
            args = [
                *self.command, "pip", "install", "--target", str(destination),
                "--python-platform", target.uv_platform,
                "--python-version", target.python_version,
                # uv's default link mode (hardlinks from its cache on Linux, clones on
                # macOS) is safe here: slimming only ever unlinks files, never edits them.
                "--only-binary", ":all:", "--no-config", "--color", "never",
                "-r", str(requirements_file),
            ]
            if offline:
                args.append("--offline")
        else:
            args = [
                *self.command, "install", "--target", str(destination),
                *(f"--platform={platform}" for platform in target.pip_platforms),
                "--python-version", target.python_version, "--implementation", "cp",
                "--abi", target.abi, "--abi", "abi3", "--abi", "none",
                "--only-binary=:all:", "--no-compile", "--disable-pip-version-check",
                "--no-input", "--progress-bar", "off", "-r", str(requirements_file),
            ]
        if index.index_url:
            args += ["--index-url", index.index_url]
        for url in index.extra_index_urls:
            args += ["--extra-index-url", url]
        for link in index.find_links:
            args += ["--find-links", link]
        import subprocess  # here: a cached build never starts the installer

        environment = dict(os.environ)
        # uv reports "Using CPython ... interpreter" for --target installs; the host
        # interpreter only hosts the resolution, the target's tags come from the flags.
        environment.setdefault("UV_PYTHON", sys.executable)
        process = subprocess.run(
            args, capture_output=True, text=True, env=environment, check=False, cwd=cwd
        )
        output = process.stdout + process.stderr
        if process.returncode != 0:
            raise explain_failure(self.name, output, target)
        return output


def find_installer(preferred: str | None = None) -> Installer:
    """uv from its Python package (``uv.find_uv_bin()``), else pip of this Python.
    ``preferred`` ("uv" or "pip") forces one."""
    if preferred not in (None, *INSTALLERS):
        raise SpartaError(f"installer must be uv or pip, not {preferred!r}")
    if preferred in (None, "uv"):
        uv = _find_uv()
        if uv is not None:
            return uv
        if preferred == "uv":
            raise SpartaError("installer 'uv' is not available: pip install uv")
    try:
        import pip
    except ImportError:
        raise SpartaError(
            "no installer for the service's dependencies: install uv (pip install uv) "
            "or pip in the Python that runs sparta"
        ) from None
    return Installer("pip", (sys.executable, "-m", "pip"), f"pip {pip.__version__}")


def _find_uv() -> Installer | None:
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        binary = find_uv_bin()
    except FileNotFoundError:
        return None
    return Installer("uv", (binary,), f"uv {_uv_version(binary)}")


def _uv_version(binary: str) -> str:
    """uv's version from its distribution's metadata folder (a directory listing, not a
    subprocess: this runs on every build, cached or not); else the binary's stats."""
    import uv

    site = Path(uv.__file__).resolve().parent.parent
    for name in os.listdir(site):
        if name.startswith("uv-") and name.endswith(".dist-info"):
            return name[3:-10]
    status = os.stat(binary)
    return f"{binary}:{status.st_size}:{status.st_mtime_ns}"


# -- turning failures into messages -------------------------------------------------------

_UV_NO_WHEEL = re.compile(
    r"Because (?P<name>[A-Za-z0-9._-]+)(?:==(?P<version>\S+))? has no "
    r"(?P<why>usable wheels|wheels with a matching [A-Za-z ]+? tag)"
)
_UV_NOT_FOUND = re.compile(
    r"Because (?P<name>[A-Za-z0-9._-]+) was not found in the (?:provided package locations|"
    r"package registry|cache)"
)
_PIP_NO_MATCH = re.compile(r"No matching distribution found for (?P<name>\S+)")


def explain_failure(installer: str, output: str, target: Target) -> DependencyError:
    """The one-line error for an installer's failure ``output``."""
    where = f"{target.describe()} ({target})"
    advice = (
        "pin a version that publishes a manylinux wheel for it, build a wheel yourself "
        "and add its folder to find-links, or change the service's runtime/architecture"
    )
    match = _UV_NO_WHEEL.search(output)
    if match:
        name = match.group("name")
        version = f" {match.group('version')}" if match.group("version") else ""
        if match.group("why") == "usable wheels":
            why = "only a source distribution is published, and sparta never ships host builds"
        else:
            why = f"it {match.group('why').replace('wheels', 'has no wheel')}"
        return DependencyError(
            f"no compatible wheel of '{name}'{version} for {where}: {why}; {advice}"
        )
    match = _UV_NOT_FOUND.search(output)
    if match:
        return DependencyError(
            f"requirement '{match.group('name')}' was not found in the configured indexes "
            f"or find-links (target {where}); check its name and the index settings"
        )
    match = _PIP_NO_MATCH.search(output)
    if match:
        name = match.group("name").strip("'\"")
        return DependencyError(
            f"no compatible wheel of '{name}' for {where} (pip found none for this target); "
            f"{advice}"
        )
    block = _failure_block(output)
    if "No solution found" in output or "ResolutionImpossible" in output or "conflict" in output:
        return DependencyError(
            f"the requirements cannot be resolved together for {where}: the installer's "
            "explanation is above", details=block,
        )
    return DependencyError(
        f"{installer} failed to install the requirements for {where}: "
        f"{_last_error_line(output)}", details=block,
    )


def _failure_block(output: str) -> str:
    """The installer's explanation without its progress chatter, indented under a
    heading (its own ``error:`` prefixes dropped: sparta's one error line comes last)."""
    noise = ("Using CPython", "Resolved ", "Prepared ", "Installed ", "Collecting ")
    lines = [line.rstrip() for line in output.splitlines()
             if line.strip() and not line.startswith(noise)]
    body = [
        "    " + (line[len("error: "):] if line.lower().startswith("error: ") else line)
        for line in lines
    ]
    return "\n".join(["the installer says:", *body])


def _last_error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["no output"])[-1]
