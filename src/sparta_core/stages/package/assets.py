"""Components' assets and runtime files: what the package stage does for components.

An asset (:class:`~sparta_core.model.component.Asset`) is a folder of the project a
component needs in S3 (an ``S3Site``'s files). Each one is

- found and checked in the validate stage (:func:`check_assets`): the folder exists
  inside the project, asset names are unique, and the component's ``check_asset`` sees
  the file names;
- zipped on its own, deterministically, into ``.sparta/<service>-<name>.zip``
  (:func:`zip_assets`), kept in ``ctx.stash["sparta.assets"]`` and added to
  ``ctx.extra_artifacts``, which the upload stage puts at ``<service>/<sha256>.zip`` like
  the code archive (and skips when it is already there);
- left out of the code archive (:func:`asset_prefixes`), unless it says otherwise.

Runtime files (:meth:`Component.runtime_files`) go into the code archive
(:func:`add_runtime_files`); a name taken twice is an error naming both contributors.
"""

from __future__ import annotations

import os
from fnmatch import fnmatch
from pathlib import Path

from sparta_core.engine.context import Archive, Artifact, ProvisionContext
from sparta_core.errors import ServiceDefinitionError, StageError
from sparta_core.model.component import Asset, Component
from sparta_core.stages.package.archive import ArchiveWriter

#: Where the zips are kept for the marshall stage (``sparta_core.stages.marshall.components``
#: reads the same key).
ASSETS_STASH_KEY = "sparta.assets"
#: Never shipped in an asset, whatever ``exclude`` says: VCS metadata, caches, editor and
#: OS litter, and files that hold secrets (an asset is often public). Other hidden
#: names are kept (``.well-known/`` is part of many sites).
EXCLUDED_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".sparta", "node_modules", ".aws", ".ssh"}
)
EXCLUDED_FILES = (
    ".DS_Store", "Thumbs.db", "desktop.ini", "*.swp", "*~",
    ".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_ed25519*", ".netrc", ".pypirc",
    ".npmrc", ".git-credentials", "*.tfstate*",
)
RESERVED_NAMES = ("code",)


def _matches(name: str, *patterns: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(fnmatch(name, pattern) or fnmatch(base, pattern) for pattern in patterns)


def _excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    # A pattern like "drafts/" names a folder; match it without the slash too.
    return _matches(relative, *patterns, *(p.rstrip("/") for p in patterns if p.endswith("/")))


def list_asset(project_dir: Path, asset: Asset) -> dict[str, Path]:
    """Path inside the asset (posix) -> file, minus the default and ``exclude``
    patterns; sorted by path."""
    found: dict[str, Path] = {}

    def walk(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir():
                    if entry.name in EXCLUDED_DIRS or _excluded(relative, asset.exclude):
                        continue
                    walk(Path(entry.path), relative + "/")
                elif entry.is_file():
                    if _matches(relative, *EXCLUDED_FILES) or _excluded(relative, asset.exclude):
                        continue
                    found[relative] = Path(entry.path)

    walk(project_dir / asset.directory, "")
    return dict(sorted(found.items()))


def component_assets(ctx: ProvisionContext) -> list[tuple[Component, Asset]]:
    return [(c, asset) for c in ctx.service.components for asset in c.assets()]


def check_assets(ctx: ProvisionContext) -> None:
    """Each asset's folder exists inside the project, its name is the service's only
    one, and its component accepts its files."""
    project = ctx.project_dir.resolve()
    owners: dict[str, Component] = {}
    for component, asset in component_assets(ctx):
        what = component.what
        if not isinstance(asset, Asset):
            raise ServiceDefinitionError(f"{what}: assets() gave {asset!r}, not a sparta Asset")
        if asset.name in RESERVED_NAMES or asset.name.startswith("code-"):
            raise ServiceDefinitionError(
                f"{what}: asset name '{asset.name}' is the code archive's; choose another"
            )
        if asset.name in owners:
            raise ServiceDefinitionError(
                f"{what}: asset '{asset.name}' is also an asset of {owners[asset.name].what}"
            )
        owners[asset.name] = component
        root = ctx.project_dir / asset.directory
        if not root.is_dir():
            raise ServiceDefinitionError(
                f"{what}: there is no folder {asset.directory}/ in the project {project}"
            )
        if not root.resolve().is_relative_to(project):
            raise ServiceDefinitionError(
                f"{what}: {asset.directory}/ leads outside the project {project}"
            )
        component.check_asset(asset, list(list_asset(ctx.project_dir, asset)))


def asset_prefixes(ctx: ProvisionContext) -> tuple[str, ...]:
    """Folder prefixes (``site/``) of the assets that leave the code archive."""
    return tuple(
        asset.directory.rstrip("/") + "/"
        for _, asset in component_assets(ctx) if not asset.in_code_archive
    )


def zip_assets(ctx: ProvisionContext) -> None:
    """Zip every asset and offer it to the upload stage (see the module docstring)."""
    zipped: dict[str, Archive] = {}
    for component, asset in component_assets(ctx):
        writer = ArchiveWriter(ctx.work_dir / f"{ctx.service.name}-{asset.name}.zip")
        files = list_asset(ctx.project_dir, asset)
        for name, path in files.items():
            writer.add_file(name, path, origin=f"{component.what} file {asset.directory}/{name}")
        archive = writer.close()
        if asset.max_size is not None and archive.size > asset.max_size:
            reason = f"; {asset.limit_reason}" if asset.limit_reason else ""
            raise StageError(
                "package", f"{archive.path.name} ({component.what}) is "
                f"{archive.size / 1e6:.1f} MB{reason}, so at most {asset.max_size // 2**20} MB"
            )
        zipped[asset.name] = archive
        ctx.extra_artifacts[:] = [a for a in ctx.extra_artifacts if a.name != asset.name]
        ctx.extra_artifacts.append(Artifact(asset.name, archive.path, archive.sha256))
        ctx.reporter.detail(f"{asset.name}: {len(files)} files of {asset.directory}/ zipped")
    ctx.stash[ASSETS_STASH_KEY] = zipped


def add_runtime_files(ctx: ProvisionContext, writer: ArchiveWriter) -> None:
    """Each component's :meth:`~Component.runtime_files` into the code archive."""
    from sparta_core.stages.package.files import tree_files

    for component in ctx.service.components:
        for name, source in sorted(component.runtime_files().items()):
            origin = f"runtime file of {component.what}"
            path = Path(source)
            if not path.is_absolute():
                path = ctx.project_dir / path
            if path.is_dir():
                for inner, file in tree_files(path).items():
                    writer.add_file(f"{name.rstrip('/')}/{inner}", file, origin=origin,
                                    executable=False if inner.endswith(".py") else None)
            elif path.is_file():
                writer.add_file(name, path, origin=origin,
                                executable=False if name.endswith(".py") else None)
            else:
                raise StageError(
                    "package", f"{component.what}: runtime file {name!r} comes from "
                    f"{path}, which does not exist"
                )
