"""A layered service (``layer = true``) on the local endpoint: its functions import
their dependencies from the layer, and a code edit uploads the code archive alone."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from tests.wheelhouse import standard_wheelhouse

pytestmark = pytest.mark.integration

SERVICE = """
import sparta_core as sparta

service = sparta.Service("layered", runtime="python3.12")


@service.function()
def value(event, context):
    import purepkg

    return {"value": purepkg.VALUE, "marker": 1}
"""


@pytest.fixture
def layered(tmp_path: Path, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    wheels = standard_wheelhouse(tmp_path / "wheels")
    monkeypatch.setenv("SPARTA_CACHE_DIR", str(tmp_path / "sparta-cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    root = tmp_path / "layered"
    root.mkdir()
    (root / "service.py").write_text(textwrap.dedent(SERVICE))
    (root / "requirements.txt").write_text("purepkg\n")
    (root / "pyproject.toml").write_text(
        f'[tool.sparta]\ns3-bucket = "{bucket}"\nfind-links = ["{wheels}"]\nlayer = true\n')
    return root


def invoke(aws, name: str) -> dict:
    response = aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    return json.loads(response["Payload"].read())


def test_a_layered_service_runs_and_a_code_edit_uploads_only_the_code(cli, layered, aws):
    created = cli("provision", "--yes", project=layered)
    assert "(created; code uploaded, layer uploaded)" in created.stdout
    # purepkg is nowhere but in the layer (the endpoint's own Python does not have it).
    assert invoke(aws, "layered-value") == {"value": 1, "marker": 1}
    layers = aws("lambda").get_function_configuration(FunctionName="layered-value")["Layers"]
    assert len(layers) == 1 and ":layer:layered-dependencies:" in layers[0]["Arn"]

    service = layered / "service.py"
    service.write_text(service.read_text().replace('"marker": 1', '"marker": 2'))
    swapped = cli("provision", "--hotswap", project=layered)
    assert "(hotswapped 1 resource(s); code uploaded, layer skipped)" in swapped.stdout
    assert invoke(aws, "layered-value") == {"value": 1, "marker": 2}

    service.write_text(service.read_text().replace('"marker": 2', '"marker": 3'))
    updated = cli("provision", "--yes", project=layered)
    assert "(updated; code uploaded, layer skipped)" in updated.stdout
    assert invoke(aws, "layered-value") == {"value": 1, "marker": 3}
