"""``[tool.sparta] layer = true``: the dependencies in a Lambda layer of their own.

The dependency tree of each architecture in use goes to ``.sparta/<service>-layer.zip``
(``-layer-<architecture>.zip`` for the others) under ``python/``, where Lambda's Python
runtime looks; its members' compressed bytes are copied from the dependency cache, so
writing it costs a copy, and it is not written again while the dependencies are the
same. Each layer is an artifact of the normal upload stage (``layer``,
``layer-<architecture>``), content-addressed like the code archive, so it is uploaded
once per content; the code archive then holds only the project's code and sparta's
runtime, and a code edit uploads kilobytes.
"""

from __future__ import annotations

from pathlib import Path

from sparta_core.engine.context import Archive, Artifact, ProvisionContext
from sparta_core.errors import StageError
from sparta_core.stages.package.archive import ArchiveWriter
from sparta_core.stages.package.pack import list_tree

#: ``ctx.stash`` key: architecture -> the layer :class:`Archive` of its dependencies.
LAYERS_KEY = "sparta.layers"
#: Name of the primary architecture's layer artifact (``layer-<architecture>`` for others).
LAYER_ARTIFACT = "layer"
#: Where Lambda's Python runtime finds a layer's packages.
LAYER_PREFIX = "python/"
#: Lambda's limits: the function's code and all its layers, unzipped; layers per function.
MAX_UNZIPPED = 250 * 1024 * 1024
MAX_LAYERS = 5


def layer_path(ctx: ProvisionContext, architecture: str | None) -> Path:
    suffix = f"-{architecture}" if architecture else ""
    return ctx.work_dir / f"{ctx.service.name}-layer{suffix}.zip"


def layers_of(ctx: ProvisionContext) -> dict[str, Archive]:
    """Architecture -> layer archive, as :func:`write_layers` left them (empty without
    ``layer = true`` or without dependencies)."""
    return ctx.stash.get(LAYERS_KEY, {})


def write_layers(ctx: ProvisionContext) -> dict[str, Archive]:
    """Write a layer per dependency tree of the build, register each as an artifact to
    upload, and return them by architecture."""
    build = ctx.build
    assert build is not None
    # The build reports its architectures primary first; ``dependency_dirs`` are its.
    primary_architecture = next(iter(build.report.get("dependencies") or {}),
                                ctx.service.architecture)
    trees: dict[str, list[Path]] = {}
    if build.dependency_dirs:
        trees[primary_architecture] = build.dependency_dirs
    trees.update(build.architecture_dependency_dirs)
    layers: dict[str, Archive] = {}
    for architecture, dependency_dirs in trees.items():
        primary = architecture == primary_architecture
        path = layer_path(ctx, None if primary else architecture)
        writer = ArchiveWriter(path)
        for dependency_dir in dependency_dirs:
            packed = build.packed.get(dependency_dir)
            origin = f"dependencies in {dependency_dir}"
            if packed is not None:
                writer.add_packed(packed, origin=origin, prefix=LAYER_PREFIX)
                continue
            for name, file, executable in list_tree(dependency_dir):
                if "__pycache__/" in f"/{name}" or name.endswith((".pyc", ".pyo")):
                    continue
                writer.add_file(LAYER_PREFIX + name, file, origin=origin,
                                executable=executable)
        layers[architecture] = writer.close()
        name = LAYER_ARTIFACT if primary else f"{LAYER_ARTIFACT}-{architecture}"
        ctx.extra_artifacts.append(Artifact(name, path, layers[architecture].sha256))
    ctx.stash[LAYERS_KEY] = layers
    # A layer of an architecture this build no longer has would only mislead.
    kept = {archive.path.name for archive in layers.values()}
    for stale in ctx.work_dir.glob(f"{ctx.service.name}-layer*.zip"):
        if stale.name not in kept:
            stale.unlink()
            stale.with_name(f".{stale.name}.json").unlink(missing_ok=True)
    return layers


def check_combined_size(code: Archive, layers: dict[str, Archive]) -> None:
    """Lambda counts a function's code and its layers together: at most 250 MB unzipped."""
    for architecture, layer in sorted(layers.items()):
        total = code.unpacked_size + layer.unpacked_size
        if total > MAX_UNZIPPED:
            raise StageError(
                "package",
                f"{code.path.name} ({code.unpacked_size / 1e6:.1f} MB) and its dependency "
                f"layer {layer.path.name} ({layer.unpacked_size / 1e6:.1f} MB) unpack to "
                f"{total / 1e6:.1f} MB for {architecture} functions; Lambda takes at most "
                "250 MB for a function and its layers",
            )
