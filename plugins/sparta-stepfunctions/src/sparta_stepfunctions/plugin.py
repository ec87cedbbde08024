"""The ``stepfunctions`` plugin (entry point of the ``sparta`` group).

The state machines themselves need no hook: ``StateMachine`` is a component, which every
stage asks for its part. The plugin adds one template validator: a state machine
definition larger than Step Functions accepts fails before anything is uploaded.

Hotswap: a machine's definition could be updated directly (``UpdateStateMachine``) on a
``--hotswap`` run; a ``sparta_hotswap`` hook does not exist yet (see the docs page).
"""

from __future__ import annotations

import json
from typing import Any

import sparta_core as sparta
from sparta_core.errors import TemplateError

#: Step Functions' limit on a definition (1 MB, after substitutions; checked before).
DEFINITION_MAX = 1024 * 1024


@sparta.hookimpl
def sparta_validate_template(template: Any) -> None:
    """Refuse a state machine whose ASL definition is over Step Functions' 1 MB."""
    for logical_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        properties = resource.get("Properties", {})
        definition = properties.get("Definition", properties.get("DefinitionString"))
        if definition is None:
            continue
        text = definition if isinstance(definition, str) else json.dumps(
            definition, separators=(",", ":"))
        size = len(text.encode())
        if size > DEFINITION_MAX:
            raise TemplateError(
                f"state machine '{logical_id}': its definition is {size} bytes; Step "
                f"Functions accepts {DEFINITION_MAX}"
            )
