"""What ``sparta build`` adds to its record (:mod:`sparta_core.engine.replay_record`):
its products, where the project was found, and a last check that the products on disk
are this build's own."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def record(recorder: Any, run: Any, template_format: str, start: Path) -> None:
    """Leave the record that lets the next identical build be replayed, unless this
    one may not be (``force``, a plugin's ``ctx.not_replayable``, a product that is not
    this build's, or what the recorder saw); say why at ``-v``."""
    from sparta_core.engine.settings import project_markers

    refusal = ("force is set" if run.settings.force
               else run.replay_refusal or not_ours(run, template_format))
    why = recorder.commit(run.work_dir, products(run, template_format),
                          watched=project_markers(start), refusal=refusal,
                          note=run.reporter.verbosity >= 0)
    if why is not None:
        run.reporter.detail(f"the next identical build runs again: {why}")


def products(run: Any, template_format: str) -> list[Path]:
    """The files a build leaves for the later commands: its archives, other artifacts,
    and every template (the root's and each nested stack's)."""
    assert run.archive is not None
    return [run.archive.path, *(other.path for other in run.archives.values()),
            *(artifact.path for artifact in run.extra_artifacts),
            *templates(run, template_format)]


def templates(run: Any, template_format: str) -> dict[Path, Any]:
    """Each template file this build writes, with the template it holds."""
    from sparta_core.engine.workflow import template_path

    return {template_path(run, template_format, logical_id.replace(".", "-")): stack
            for logical_id, stack in run.template.stacks()}


def not_ours(run: Any, template_format: str) -> str | None:
    """Why a product on disk is not what this build made (another run wrote it since:
    two builds of one project at once), or ``None``. Each archive is hashed and compared
    with the zip's sha256 its manifest keeps (its size, without one); each template is
    compared, through ``.sparta/.templates.json``, with the
    hash of what this build wrote and the file's modification time then."""
    import base64

    from sparta_core.stages.package import manifest
    from sparta_core.stages.package.files import file_sha256

    for archive in (run.archive, *run.archives.values()):
        # The archive's sha256 is its content's; its manifest keeps the zip's own.
        expected = manifest.code_sha256(run.work_dir, archive.sha256)
        try:
            if expected is None:
                if archive.path.stat().st_size != archive.size:
                    return f"{archive.path} changed after this build made it"
            elif base64.b64encode(bytes.fromhex(file_sha256(archive.path))).decode() \
                    != expected:
                return f"{archive.path} changed after this build made it"
        except OSError:
            return f"{archive.path} is gone"
    try:
        written = json.loads((run.work_dir / ".templates.json").read_text())
    except (OSError, ValueError):
        return "the templates' record .sparta/.templates.json is unreadable"
    for path, stack in templates(run, template_format).items():
        digest = hashlib.sha256(stack.to_compact_json().encode()).hexdigest()
        try:
            if written.get(path.name) != f"{digest} {path.stat().st_mtime_ns}":
                return f"{path} changed after this build wrote it"
        except OSError:
            return f"{path} is gone"
    return None
