"""The deployed root stack's template ``Metadata``: where a build on a machine without
``.sparta/`` (a CI runner) learns the nested-stack layout it must keep."""

from __future__ import annotations

import json
from typing import Any

from sparta_core.engine.context import ProvisionContext


def deployed_metadata(ctx: ProvisionContext) -> dict[str, Any] | None:
    """The top-level ``Metadata`` of the deployed stack, or ``None`` if there is no
    stack or it cannot be read (then the build chooses a layout afresh)."""
    from sparta_core.aws import clients as aws_module

    try:
        cloudformation = aws_module.for_context(ctx).probe_client("cloudformation")
        body = cloudformation.get_template(StackName=ctx.stack_name)["TemplateBody"]
    except Exception:  # no stack, no credentials, no endpoint: nothing to keep
        return None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None  # a YAML template was never written by sparta's split
    metadata = body.get("Metadata") if isinstance(body, dict) else None
    return metadata if isinstance(metadata, dict) else None
