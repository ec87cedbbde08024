"""sparta's entry-point reader against ``importlib.metadata`` on the same ``sys.path``:
the same entries, distributions and versions, a distribution found twice counted where
it is found first, comments, extras and other groups ignored, and ``load()``."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points as metadata_entry_points
from pathlib import Path

import pytest

from sparta_core.engine.entry_points import entry_points


def dist_info(folder: Path, name: str, version: str, entry_points_txt: str) -> None:
    where = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    where.mkdir(parents=True)
    (where / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x\n\nName: body\n"
    )
    (where / "entry_points.txt").write_text(entry_points_txt)


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    first, second = tmp_path / "first", tmp_path / "second"
    dist_info(first, "sparta-alpha", "1.0", "[console_scripts]\nalpha = alpha.cli:main\n\n"
              "[sparta]\n# a comment\nalpha = alpha_plugin\n"
              "beta = alpha_plugin.hooks:Plugin.instance [extra]\n")
    dist_info(first, "Sparta_Gamma", "2.0b1", "[sparta]\ngamma=gamma.plugin:hooks\n")
    dist_info(first, "unrelated", "0.1", "[pytest11]\nx = y\n")
    # The same distribution again, later on the path: importlib.metadata ignores it, and
    # a later copy of one whose first copy declares no [sparta] section too.
    dist_info(second, "sparta-alpha", "0.9", "[sparta]\nalpha = old_alpha\n")
    dist_info(first, "sparta-delta", "2.0", "[console_scripts]\ndelta = delta:main\n")
    dist_info(second, "sparta_delta", "1.0", "[sparta]\ndelta = old_delta\n")
    (first / "alpha_plugin").mkdir()
    (first / "alpha_plugin" / "__init__.py").write_text("MARK = 'alpha'\n")
    entries = [str(first), str(second)]
    monkeypatch.setattr(sys, "path", entries)
    return entries


def test_the_same_entries_as_importlib_metadata(path: list[str]) -> None:
    mine = entry_points("sparta")
    theirs = {point.name: point for point in metadata_entry_points(group="sparta")}
    assert sorted(mine) == sorted(theirs) == ["alpha", "beta", "gamma"]
    for name, point in mine.items():
        assert point.value == theirs[name].value.split(" [")[0].replace(" ", "")
        assert point.dist.metadata["Name"] == theirs[name].dist.metadata["Name"]
        assert point.dist.version == theirs[name].dist.version
    assert mine["alpha"].value == "alpha_plugin" and mine["alpha"].dist.version == "1.0"
    assert mine["gamma"].dist.metadata["Name"] == "Sparta_Gamma"
    assert entry_points("pytest11")["x"].value == "y"
    assert entry_points("nothing") == {}


def test_load_imports_the_module_and_its_attribute(path: list[str]) -> None:
    module = entry_points("sparta")["alpha"].load()
    assert module.MARK == "alpha"
    with pytest.raises(ModuleNotFoundError):
        entry_points("sparta")["gamma"].load()
