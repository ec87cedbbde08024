"""``[tool.sparta] layer = true``: the dependencies in a content-addressed Lambda layer,
the project's code alone in the archive, and ``sparta invoke`` running with both."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from tests.functional import test_dependencies

from sparta_core.engine.context import Archive
from sparta_core.errors import StageError
from sparta_core.stages.package.layer import check_combined_size

LAYERED = "layer = true\n"
# The dependency tests' fixtures: offline builds from the test wheelhouse.
wheelhouse = test_dependencies.wheelhouse
_offline = test_dependencies._offline
deps_project = test_dependencies.project


def names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def template(root: Path) -> dict:
    return json.loads((root / ".sparta" / "deps-template.json").read_text())


def test_the_dependencies_go_to_a_layer_and_the_archive_holds_the_code(cli, deps_project):
    root = deps_project(settings=LAYERED)
    cli("build", project=root)

    layer = root / ".sparta" / "deps-layer.zip"
    in_layer = names(layer)
    assert "python/purepkg/__init__.py" in in_layer
    assert "python/fastpkg/_speed.cpython-312-x86_64-linux-gnu.so" in in_layer
    assert not [name for name in in_layer if not name.startswith("python/")]
    code = names(root / ".sparta" / "deps-code.zip")
    assert "service.py" in code and "sparta_runtime/__init__.py" in code
    assert not [name for name in code if name.startswith(("purepkg", "fastpkg"))]

    body = template(root)
    resource = body["Resources"]["DependenciesLayer"]
    assert resource["Type"] == "AWS::Lambda::LayerVersion"
    sha = resource["Properties"]["Description"].rsplit("(", 1)[1].rstrip(")")
    assert resource["Properties"]["Content"]["S3Key"].startswith(f"deps/{sha}")
    assert resource["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    function = body["Resources"]["HelloFunction"]["Properties"]
    assert function["Layers"][0] == {"Ref": "DependenciesLayer"}


def test_a_code_edit_leaves_the_layer_as_it_was(cli, deps_project):
    root = deps_project(settings=LAYERED)
    cli("build", project=root)
    layer = root / ".sparta" / "deps-layer.zip"
    first, written = template(root), layer.stat().st_mtime_ns

    (root / "service.py").write_text((root / "service.py").read_text().replace("'hi'", "'ho'"))
    cli("build", project=root)
    second = template(root)

    assert second["Resources"]["DependenciesLayer"] == first["Resources"]["DependenciesLayer"]
    code = lambda t: t["Resources"]["HelloFunction"]["Properties"]["Code"]  # noqa: E731
    assert code(second) != code(first)
    assert layer.stat().st_mtime_ns == written  # not even written again


def test_the_dependency_layer_comes_first_and_counts_against_the_limit(cli, deps_project):
    root = deps_project(settings=LAYERED)
    source = (root / "service.py").read_text()
    mine = [f"arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1" for i in range(4)]
    (root / "service.py").write_text(source.replace(
        "@service.function()", f"@service.function(layers={mine!r})"))
    cli("build", project=root)
    assert template(root)["Resources"]["HelloFunction"]["Properties"]["Layers"] == [
        {"Ref": "DependenciesLayer"}, *mine]

    (root / "service.py").write_text(source.replace(
        "@service.function()", f"@service.function(layers={[*mine, mine[0] + '0']!r})"))
    result = cli("build", project=root, ok=False)
    assert result.exit_code != 0
    assert ("error: function 'hello' lists 5 layers, and layer = true adds the dependency "
            "layer: Lambda allows at most 5") in result.output


def test_invoke_finds_the_dependencies_in_the_layer(cli, deps_project):
    root = deps_project(requirements="purepkg\n", settings=LAYERED,
                        body="import purepkg; return {'value': purepkg.VALUE}")
    result = cli("invoke", "hello", project=root)
    assert json.loads(result.stdout) == {"value": 1}
    # The same service without the layer runs the same.
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace(LAYERED, ""))
    assert json.loads(cli("invoke", "hello", project=root).stdout) == {"value": 1}


@pytest.mark.parametrize("code_mb, layer_mb, ok", [(100, 150, True), (100, 151, False)])
def test_the_code_and_the_layer_share_lambdas_250_mb(code_mb, layer_mb, ok) -> None:
    mb = 1024 * 1024
    code = Archive(Path("deps-code.zip"), "0" * 64, 1, 1, code_mb * mb)
    layer = Archive(Path("deps-layer.zip"), "1" * 64, 1, 1, layer_mb * mb)
    if ok:
        check_combined_size(code, {"x86_64": layer})
        return
    with pytest.raises(StageError, match="at most 250 MB for a function and its layers"):
        check_combined_size(code, {"x86_64": layer})
