"""sparta's Lambda-side runtime, shipped in every archive as the package ``sparta_runtime``.

Standard library only (plus the runtime's own boto3, imported lazily where needed): it
runs inside Lambda, next to the user's code. It must not import ``sparta_core``.
"""

from __future__ import annotations

import json
import os
from typing import Any

#: Environment variables sparta sets on every function it deploys.
STACK_NAME_VARIABLE = "SPARTA_STACK_NAME"
SERVICE_VARIABLE = "SPARTA_SERVICE"
FUNCTION_VARIABLE = "SPARTA_FUNCTION"
RESOURCES_VARIABLE = "SPARTA_RESOURCES"


def discover() -> dict[str, Any]:
    """What this function knows of its deployment: stack, service, function and the
    logical-to-physical names of the resources it depends on (empty when run outside
    a sparta deployment).

    ``resources`` maps each logical ID to ``{"Type": ..., "Ref": ..., "Arn": ...}``
    (``Ref`` is what CloudFormation's ``Ref`` gives: a queue's URL, a table's name...;
    the other keys are the type's useful ``GetAtt`` attributes)."""
    resources = os.environ.get(RESOURCES_VARIABLE, "")
    return {
        "stack_name": os.environ.get(STACK_NAME_VARIABLE),
        "service": os.environ.get(SERVICE_VARIABLE),
        "function": os.environ.get(FUNCTION_VARIABLE),
        "resources": json.loads(resources) if resources else {},
    }


def resource(logical_id: str) -> dict[str, Any]:
    """The discovered entry of one resource; ``KeyError`` naming the known ones if the
    function does not depend on it."""
    resources = discover()["resources"]
    if logical_id not in resources:
        known = ", ".join(sorted(resources)) or "none"
        raise KeyError(f"{logical_id!r} is not among this function's resources ({known})")
    return dict(resources[logical_id])
