"""Built-in plugin ``package``: the one deterministic zip every function runs from.

Writes ``.sparta/<service>-code.zip`` from the build's files and dependency trees, adds
sparta's Lambda-side runtime as the top-level package ``sparta_runtime``, sparta's model and
the plugins' model code the service module imports (``plugin_models``), lets plugins add
files through ``sparta_archive`` while the writer is open, then checks Lambda's size
limits so that an archive Lambda would refuse fails here, before anything is uploaded.

Components' assets (an ``S3Site``'s folder) are zipped on their own and their runtime
files join the code archive (:mod:`sparta_core.stages.package.assets`; the validate
stage calls its ``check_assets`` before anything is built).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sparta_core.engine.context import Archive, ProvisionContext
from sparta_core.engine.hookcall import call_hook
from sparta_core.errors import StageError
from sparta_core.hookspecs import hookimpl
from sparta_core.stages.package.archive import ArchiveWriter
from sparta_core.stages.package.assets import (
    add_runtime_files,
    asset_prefixes,
    zip_assets,
)
from sparta_core.stages.package.files import tree_files
from sparta_core.stages.package.plugin_models import add_plugin_models

RUNTIME_PACKAGE = "sparta_runtime"
#: Lambda's limits for a deployment package uploaded through S3.
MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024


#: ``src/sparta_core``: what the archive ships of sparta itself comes from there.
PACKAGE_DIR = Path(__file__).resolve().parents[2]


def archive_path(ctx: ProvisionContext) -> Path:
    return ctx.work_dir / f"{ctx.service.name}-code.zip"


def add_runtime(writer: ArchiveWriter) -> None:
    """Add ``sparta_core/runtime/`` as ``sparta_runtime/``."""
    runtime_dir = PACKAGE_DIR / "runtime"
    for name, path in tree_files(runtime_dir).items():
        writer.add_file(
            f"{RUNTIME_PACKAGE}/{name}", path, origin="sparta's runtime", executable=False
        )


#: The part of sparta_core a service module needs when Lambda imports it (``import
#: sparta_core as sparta`` and the model's declarations): standard library only.
MODEL_FILES = ("__init__.py", "errors.py", "model")


def add_model(writer: ArchiveWriter) -> None:
    """Add sparta_core's declaration layer, so that the user's ``service.py`` (which
    handlers defined with ``@service.function`` live in) imports inside Lambda."""
    for entry in MODEL_FILES:
        path = PACKAGE_DIR / entry
        files = {entry: path} if path.is_file() else {
            f"{entry}/{name}": file for name, file in tree_files(path).items()
        }
        for name, file in files.items():
            if f"sparta_core/{name}" not in writer:
                writer.add_file(
                    f"sparta_core/{name}", file, origin="sparta's model", executable=False
                )


@hookimpl(trylast=True)
def sparta_package(ctx: ProvisionContext) -> Archive:
    assert ctx.build is not None, "the workflow runs sparta_build first"
    zip_assets(ctx)
    if ctx.settings.layer:
        # The dependencies go to layers of their own; one code archive serves every
        # architecture, since it holds no compiled code.
        from sparta_core.stages.package.layer import check_combined_size, write_layers

        layers = write_layers(ctx)
        archive = write_archive(ctx, archive_path(ctx), [])
        check_combined_size(archive, layers)
        _remove_stale_archives(ctx)
        return archive
    archive = write_archive(ctx, archive_path(ctx), ctx.build.dependency_dirs)
    # Functions on another architecture whose dependencies differ get an archive of
    # their own, beside the primary one; marshall points them at it.
    for architecture, dependency_dirs in sorted(ctx.build.architecture_dependency_dirs.items()):
        path = archive_path(ctx).with_name(f"{ctx.service.name}-code-{architecture}.zip")
        ctx.archives[architecture] = write_archive(ctx, path, dependency_dirs)
    _remove_stale_archives(ctx)
    return archive


def _remove_stale_archives(ctx: ProvisionContext) -> None:
    """An architecture's archive from an earlier build that this one no longer needs
    (its dependencies became the primary's, or went to a layer) would only mislead."""
    kept = {other.path.name for other in ctx.archives.values()}
    for stale in ctx.work_dir.glob(f"{ctx.service.name}-code-*.zip"):
        if stale.name not in kept:
            stale.unlink()
            stale.with_name(f".{stale.name}.json").unlink(missing_ok=True)


def write_archive(ctx: ProvisionContext, path: Path, dependency_dirs: list[Path]) -> Archive:
    """One archive: the dependency trees, the build's sources, sparta's runtime and what
    ``sparta_archive`` implementations add; checked against Lambda's limits."""
    assert ctx.build is not None
    writer = ArchiveWriter(path, manifest_dir=ctx.work_dir)
    for dependency_dir in dependency_dirs:
        packed = ctx.build.packed.get(dependency_dir)
        if packed is not None:
            writer.add_packed(packed, origin=f"dependencies in {dependency_dir}")
            continue
        for name, file in tree_files(dependency_dir).items():
            writer.add_file(name, file, origin=f"dependencies in {dependency_dir}")
    left_out = asset_prefixes(ctx)  # zipped on their own: not code
    for name, source in ctx.build.sources.items():
        if left_out and name.startswith(left_out):
            continue
        # Python source never needs the executable bit, and checkouts disagree about it
        # (Windows, core.fileMode=false): ignoring it keeps the archive's hash stable.
        executable = False if name.endswith(".py") else None
        writer.add_file(name, source, origin=f"project file {name}", executable=executable)
    add_runtime(writer)
    add_model(writer)
    add_runtime_files(ctx, writer)
    add_plugin_models(ctx, writer)
    call_hook(ctx.pluginmanager, "package", "sparta_archive", ctx=ctx, archive=writer)
    archive = writer.close()
    check_lambda_limits(archive)
    return archive


def check_lambda_limits(archive: Archive) -> None:
    """Raise, naming the largest packages (installed distributions, by name and version,
    else top-level entries), if Lambda would refuse the archive."""
    if archive.size <= MAX_ZIPPED and archive.unpacked_size <= MAX_UNZIPPED:
        return
    largest = ", ".join(
        f"{name} {size / 1e6:.1f} MB" for name, size in largest_packages(archive.path)
    )
    if archive.size > MAX_ZIPPED:
        problem = f"is {archive.size / 1e6:.1f} MB zipped; Lambda takes at most 50 MB"
    else:
        problem = (
            f"unpacks to {archive.unpacked_size / 1e6:.1f} MB; Lambda takes at most 250 MB"
        )
    raise StageError("package", f"{archive.path.name} {problem} (largest: {largest})")


def largest_packages(path: Path, count: int = 5) -> list[tuple[str, int]]:
    """The ``count`` largest packages of the zip at ``path`` by unpacked size: files are
    attributed to the distribution whose ``*.dist-info/RECORD`` lists them, others to
    their top-level folder or file."""
    import zipfile

    from sparta_core.stages.package.pack import record_top_levels

    sizes: Counter[str] = Counter()
    with zipfile.ZipFile(path) as zf:
        owners: dict[str, str] = {}
        for info in zf.infolist():
            folder, _, rest = info.filename.partition("/")
            if folder.endswith(".dist-info") and rest == "RECORD":
                name, _, version = folder[: -len(".dist-info")].partition("-")
                label = f"{name} {version}".strip()
                owners[folder] = label
                for top in record_top_levels(zf.read(info).decode(errors="replace")):
                    owners.setdefault(top, label)
        for info in zf.infolist():
            top = info.filename.split("/", 1)[0]
            sizes[owners.get(top, top)] += info.file_size
    return sizes.most_common(count)
