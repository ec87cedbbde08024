"""The dependency layer in the template (``[tool.sparta] layer = true``): an
``AWS::Lambda::LayerVersion`` per layer the package stage wrote, at its content-addressed
S3 key, listed first among the layers of every function of its architecture.

A new layer content is a new key, so CloudFormation makes a new layer version and points
the functions at it; the same content is the same template, so a code edit leaves the
layer alone.
"""

from __future__ import annotations

from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.naming import logical_id
from sparta_core.stages.marshall.functions import archive_key, function_ids
from sparta_core.stages.package.layer import LAYER_ARTIFACT, MAX_LAYERS, layers_of

LAYER_TYPE = "AWS::Lambda::LayerVersion"


def layer_id(architecture: str, primary: bool) -> str:
    """``DependenciesLayer``, or ``DependenciesLayerArm64`` for another architecture."""
    return "DependenciesLayer" if primary else logical_id("dependencies", "layer", architecture)


def add_dependency_layers(ctx: ProvisionContext, template: Template,
                          code: dict[str, Any]) -> None:
    """Add the layers and put each first in its functions' ``Layers``; ``code`` is the
    primary archive's ``Code``, whose bucket the layers share when not yet uploaded."""
    layers = layers_of(ctx)
    if not layers:
        return
    service = ctx.service
    primary = next(iter(layers))
    ids: dict[str, str] = {}
    for architecture, archive in layers.items():
        is_primary = architecture == primary
        ids[architecture] = layer_id(architecture, is_primary)
        artifact = LAYER_ARTIFACT if is_primary else f"{LAYER_ARTIFACT}-{architecture}"
        location = ctx.locations.get(artifact)
        content = (
            {"S3Bucket": location.bucket, "S3Key": location.key} if location is not None
            else {"S3Bucket": code["S3Bucket"], "S3Key": archive_key(service.name,
                                                                     archive.sha256)}
        )
        suffix = "" if is_primary else f"-{architecture}"
        template.add_resource(
            ids[architecture], LAYER_TYPE,
            {
                "LayerName": f"{service.name}-dependencies{suffix}",
                "Description": f"dependencies of {service.name} ({archive.sha256[:12]})",
                "Content": content,
                "CompatibleRuntimes": [service.runtime],
                "CompatibleArchitectures": [architecture],
            },
            owner="layer = true",
        )
    for function in service.functions.values():
        architecture = service.architecture_of(function)
        layer = ids.get(architecture, ids[primary])
        properties = template.resources[function_ids(function)["function"]]["Properties"]
        listed = [{"Ref": layer}, *properties.get("Layers", [])]
        if len(listed) > MAX_LAYERS:
            raise ServiceDefinitionError(
                f"function '{function.key}' lists {len(listed) - 1} layers, and layer = true "
                f"adds the dependency layer: Lambda allows at most {MAX_LAYERS}"
            )
        properties["Layers"] = listed
