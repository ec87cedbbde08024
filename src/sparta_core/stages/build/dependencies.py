"""The dependency half of the built-in ``sparta_build``: per architecture in use, find
the cached tree for the service's requirements, or install, check, slim and pack one.

What each architecture got (reused or installed, the key, the packages) goes into the
build's ``report["dependencies"]`` so humans and tests can see what the build did.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparta_core.errors import DependencyError
from sparta_core.stages.build.cache import (
    CacheEntry,
    cache_key,
    discard,
    entry_for,
    new_workspace,
    publish,
    verify,
)
from sparta_core.stages.build.installer import Installer, find_installer
from sparta_core.stages.build.requirements import (
    Requirements,
    find_requirements,
    index_settings,
)
from sparta_core.stages.build.target import Target

if TYPE_CHECKING:
    from sparta_core.engine.context import ProvisionContext
    from sparta_core.model.service import Service

#: ELF ``e_machine`` values of the two Lambda CPUs.
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
_BINARY_SUFFIXES = (".so", ".dylib", ".pyd", ".dll")


def architectures_in_use(service: Service) -> list[str]:
    """The architectures the service's functions run on, the primary one first: the
    service's own architecture if any function uses it, else the first in name order.
    A service without functions uses its own architecture."""
    used = {service.architecture_of(function) for function in service.functions.values()}
    if not used or service.architecture in used:
        return [service.architecture, *sorted(used - {service.architecture})]
    return sorted(used)


@dataclass
class DependencyTree:
    """The dependencies of one architecture: the cache entry and how it was obtained."""

    architecture: str
    target: Target
    entry: CacheEntry
    manifest: dict[str, Any]
    reused: bool
    report: dict[str, Any] = field(default_factory=dict)


def build_dependencies(ctx: ProvisionContext) -> list[DependencyTree]:
    """The dependency trees for every architecture in use (primary first); empty when
    the service declares no requirements."""
    settings = ctx.settings
    requirements = find_requirements(ctx.project_dir, settings.requirements)
    if requirements is None or requirements.empty:
        return []
    installer = find_installer(settings.installer)
    index = index_settings(
        {
            "index_url": settings.index_url,
            "extra_index_url": settings.extra_index_url,
            "find_links": tuple(_resolve_link(link, ctx.project_dir)
                                for link in settings.find_links),
        }
    )
    trees = []
    for architecture in architectures_in_use(ctx.service):
        target = Target(ctx.service.runtime, architecture)
        key = cache_key(
            {
                "requirements": requirements.text.encode(),
                "lock": requirements.lock,
                "runtime": target.runtime,
                "architecture": target.architecture,
                "installer": installer.identity,
                "index": index.key(),
                "exclude": list(settings.exclude),
                "exclude-runtime-provided": settings.exclude_runtime_provided,
            }
        )
        entry = entry_for(key)
        if settings.force:
            discard(entry)
        manifest, problem = verify(entry)
        if problem is not None:
            # Damaged (edited, truncated, emptied, a broken manifest): never shipped.
            ctx.reporter.warn(
                f"dependency cache entry {entry.directory} {problem}: discarded, "
                "installing again"
            )
            discard(entry)
        if manifest is not None:
            tree = DependencyTree(architecture, target, entry, manifest, reused=True)
        else:
            try:
                with ctx.reporter.stage(f"install {architecture}"):
                    tree = _install(ctx, requirements, installer, index, target, entry)
            except DependencyError as error:
                if error.details:
                    # The installer's own account of a conflict: one readable block
                    # above the one-line error.
                    print(error.details, file=ctx.reporter.stream)
                raise
        tree.report = {
            "target": target.describe(),
            "reused": tree.reused,
            "key": key,
            "installer": tree.manifest["installer"],
            "packages": {name: info["version"]
                         for name, info in tree.manifest["packages"].items()},
            "runtime_provided_removed": tree.manifest["slim"]["runtime_provided"],
            "packed_sha256": tree.manifest["packed_sha256"],
            "site": str(entry.site),
        }
        verb = "reused" if tree.reused else "installed"
        ctx.reporter.detail(
            f"dependencies for {target.describe()}: {verb} "
            f"{len(tree.manifest['packages'])} package(s) ({key[:12]})"
        )
        trees.append(tree)
    return trees


def _resolve_link(link: str, project_dir: Path) -> str:
    if "://" in link:
        return link
    return str((project_dir / link).resolve())


def _install(
    ctx: ProvisionContext, requirements: Requirements, installer: Installer,
    index: Any, target: Target, entry: CacheEntry,
) -> DependencyTree:
    from sparta_core.stages.build.slim import requested_names, slim
    from sparta_core.stages.package.pack import pack_tree

    started = time.perf_counter()
    workspace = new_workspace(entry)
    try:
        requirements_file = workspace.directory / "requirements.txt"
        requirements_file.write_text(requirements.text)
        # Relative -r/-c lines and paths resolve from the requirements' own folder.
        installer.install(requirements_file, target, workspace.site, index,
                          cwd=requirements.directory)
        workspace.site.mkdir(exist_ok=True)
        check_binaries(workspace.site, target)
        slimmed = slim(
            workspace.site,
            exclude=ctx.settings.exclude,
            exclude_runtime_provided=ctx.settings.exclude_runtime_provided,
            requested=requested_names(requirements.text),
        )
        packed = pack_tree(workspace.site, workspace.packed)
        manifest = {
            "requirements": requirements.source,
            "target": target.describe(),
            "runtime": target.runtime,
            "architecture": target.architecture,
            "installer": installer.identity,
            "packages": packed.packages,
            "packed_sha256": packed.sha256,
            "files": packed.files,
            "unpacked_size": packed.unpacked_size,
            "slim": {
                "files": slimmed.files,
                "bytes": slimmed.bytes,
                "runtime_provided": slimmed.runtime_provided,
            },
            "seconds": round(time.perf_counter() - started, 3),
        }
        publish(workspace, entry, manifest)
    except BaseException:
        if workspace.directory.exists():
            discard(workspace)
        raise
    return DependencyTree(target.architecture, target, entry, manifest, reused=False)


def check_binaries(site: Path, target: Target) -> None:
    """Refuse a tree holding a compiled file that cannot load on ``target``: an ELF
    object for another CPU, a macOS/Windows binary, or an extension module tagged for
    another Python. This is the guarantee that no host binary reaches the archive."""
    wanted = target.extension_suffix
    for dirpath, _, filenames in os.walk(site):
        for filename in filenames:
            if not (filename.endswith(_BINARY_SUFFIXES) or ".so." in filename):
                continue
            path = Path(dirpath, filename)
            relative = path.relative_to(site).as_posix()
            if ".cpython-" in filename and filename.endswith(".so") and wanted not in filename:
                raise DependencyError(
                    f"'{relative}' is an extension module for another platform than "
                    f"{target.describe()} ({target}); the installer chose a wrong wheel"
                )
            with path.open("rb") as handle:
                header = handle.read(20)
            if header[:4] != b"\x7fELF" or len(header) < 20:
                raise DependencyError(
                    f"'{relative}' is not a Linux binary, so it cannot load on Lambda "
                    f"({target.describe()}); the installer chose a wrong wheel"
                )
            machine = ELF_MACHINES.get(int.from_bytes(header[18:20], "little"), "unknown")
            if machine != target.machine:
                raise DependencyError(
                    f"'{relative}' is built for {machine}, not {target.machine} "
                    f"({target.describe()}); the installer chose a wrong wheel"
                )
