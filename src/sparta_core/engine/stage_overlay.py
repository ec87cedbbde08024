"""Stages of a service (``--stage NAME``): ``[tool.sparta.stages.NAME]`` laid over
``[tool.sparta]``, so one service deploys as ``<service>-<stage>`` with its own settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sparta_core.errors import ConfigError

#: The table of per-stage settings inside ``[tool.sparta]``.
STAGES_KEY = "stages"
#: A stage name: it becomes part of the stack name (``[A-Za-z][-A-Za-z0-9]*``).
_STAGE = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,31}")


def stage_values(
    file_values: Mapping[str, Any], stage: str | None, where: str
) -> dict[str, Any]:
    """``[tool.sparta]`` with ``[tool.sparta.stages.<stage>]`` laid over it: a key of the
    stage's table replaces the same key, except ``tags`` and ``params``, whose entries are
    merged (the stage's win). Without a stage the ``stages`` table is just dropped."""
    values = {key: value for key, value in file_values.items() if key != STAGES_KEY}
    stages = file_values.get(STAGES_KEY, {})
    if not isinstance(stages, Mapping) or not all(
        isinstance(table, Mapping) for table in stages.values()
    ):
        raise ConfigError(f"{where}: [tool.sparta.stages] must hold one table per stage")
    if stage is None:
        return values
    if not _STAGE.fullmatch(stage):
        raise ConfigError(
            f"stage {stage!r} must start with a letter and hold only letters, digits and "
            "'-' (at most 32): it becomes part of the stack name"
        )
    overlay = stages.get(stage, {})
    if STAGES_KEY in overlay:
        raise ConfigError(f"{where}: [tool.sparta.stages.{stage}] cannot hold stages itself")
    for key, value in overlay.items():
        base = values.get(key)
        if key in ("tags", "params") and isinstance(base, Mapping) and isinstance(value, Mapping):
            values[key] = {**base, **value}
        else:
            values[key] = value
    return values
