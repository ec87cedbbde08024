"""What a deployed stack was made from: its template, as CloudFormation keeps it, and
the build id sparta wrote in that template's ``Metadata``."""

from __future__ import annotations

import json
from typing import Any

#: Where sparta keeps the build id: the template's top-level ``Metadata``.
BUILD_ID_KEY = "sparta:build-id"


def deployed_template(cloudformation: Any, stack: str) -> dict[str, Any] | None:
    """The template the stack ``stack`` (name or id) was last deployed from, as a dict;
    ``None`` if CloudFormation has none (or it is not JSON)."""
    response = cloudformation.get_template(StackName=stack, TemplateStage="Original")
    body = response.get("TemplateBody")
    if isinstance(body, str):
        # botocore decodes a JSON body itself; a string is YAML or an older client.
        try:
            body = json.loads(body)
        except ValueError:
            return None
    return _plain(body) if isinstance(body, dict) else None


def build_id_of(template: dict[str, Any] | None) -> str | None:
    """The ``sparta:build-id`` of ``template``'s ``Metadata``, if it has one."""
    metadata = (template or {}).get("Metadata")
    value = metadata.get(BUILD_ID_KEY) if isinstance(metadata, dict) else None
    return str(value) if value is not None else None


def _plain(value: Any) -> Any:
    """``value`` with every mapping a plain dict (boto3 may give OrderedDicts)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
