"""The plugin manager: what it registers, in which order, and how it refuses bad plugins."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sparta_core.engine.manager import (
    BUILTIN_PLUGINS,
    PluginRequest,
    SpartaPluginManager,
    build_plugin_manager,
)
from sparta_core.errors import PluginError


def manager(project: Path, **kwargs) -> SpartaPluginManager:
    return build_plugin_manager(PluginRequest(project_dir=project, **kwargs))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_builtins_are_registered_by_name_with_their_hooks(tmp_path: Path) -> None:
    pm = manager(tmp_path)
    assert list(pm.infos)[: len(BUILTIN_PLUGINS)] == list(BUILTIN_PLUGINS)
    assert pm.infos["build"].origin == "built-in"
    assert pm.hooks_of("build") == ["sparta_build"]
    assert pm.hooks_of("package") == ["sparta_package"]
    # post-marshall: discovery again, once the decorators have added their resources.
    assert pm.hooks_of("marshall") == ["sparta_marshall", "sparta_post_marshall"]


def test_builtin_providers_are_trylast(tmp_path: Path) -> None:
    pm = manager(tmp_path)
    providers = ("sparta_build", "sparta_package", "sparta_upload", "sparta_marshall",
                 "sparta_converge", "sparta_plan")
    for name in providers:
        builtins = [impl for impl in getattr(pm.hook, name).get_hookimpls()
                    if impl.plugin_name in BUILTIN_PLUGINS]
        assert len(builtins) == 1, name  # exactly one built-in provides each stage
        assert builtins[0].trylast, name


@pytest.mark.usefixtures("demo_installed")
def test_entry_point_plugins_are_loaded_with_their_distribution(tmp_path: Path) -> None:
    pm = manager(tmp_path)
    info = pm.infos["demo"]
    assert info.origin == "entry point (sparta-demo)"
    assert info.version == "1.2.3"
    assert pm.hooks_of("demo") == ["sparta_addoption", "sparta_decorate_service"]


@pytest.mark.usefixtures("demo_installed")
def test_entry_points_can_be_blocked_by_name_or_all_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "demo" not in manager(tmp_path, blocked={"demo"}).infos
    monkeypatch.setenv("SPARTA_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "demo" not in manager(tmp_path).infos
    # ... but -p NAME still loads an entry point explicitly.
    assert manager(tmp_path, cli_plugins=["demo"]).infos["demo"].origin.startswith("entry point")


def test_essential_plugins_cannot_be_blocked(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="'validate' is essential and cannot be blocked"):
        manager(tmp_path, blocked={"validate"})


def test_builtin_stage_can_be_blocked(tmp_path: Path) -> None:
    pm = manager(tmp_path, blocked={"package"})
    assert "package" not in pm.infos
    assert pm.hook.sparta_package.get_hookimpls() == []


def test_spartaconf_is_registered_last_and_wins_providers(tmp_path: Path) -> None:
    write(tmp_path / "spartaconf.py", """
        from sparta_core.engine.context import BuildResult

        def sparta_build(ctx):
            return BuildResult(sources={}, report={"by": "spartaconf"})
    """)
    pm = manager(tmp_path)
    assert list(pm.infos)[-1] == "spartaconf"
    assert pm.infos["spartaconf"].origin == "local file"
    # Through pluggy, as the workflow calls it: the project's file answers first, and
    # the built-in (which would stage files and need a real context) is never called.
    result = pm.hook.sparta_build(ctx=object())
    assert result.report == {"by": "spartaconf"}


def test_unknown_hook_in_spartaconf_names_the_file_and_the_hook(tmp_path: Path) -> None:
    path = write(tmp_path / "spartaconf.py", """
        def sparta_decorate_servce(ctx, template):
            pass
    """)
    with pytest.raises(PluginError) as raised:
        manager(tmp_path)
    message = str(raised.value)
    assert f"{path}:1" in message
    assert "'sparta_decorate_servce', which is not a sparta hook" in message
    assert "did you mean 'sparta_decorate_service'" in message
    assert "\n" not in message


def test_hook_argument_the_spec_does_not_offer_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "spartaconf.py", """
        def sparta_post_build(ctx, result):
            pass
    """)
    with pytest.raises(PluginError) as raised:
        manager(tmp_path)
    assert str(raised.value) == (
        f"{path}:1: plugin 'spartaconf' implements sparta_post_build(ctx, result), but "
        "sparta_post_build offers no 'result' (it offers ctx, build)"
    )


def test_spartaconf_that_fails_to_import_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "spartaconf.py", """
        import os

        raise RuntimeError("no config today")
    """)
    with pytest.raises(PluginError, match=f"{path}:3: failed to import: RuntimeError: no config today"):
        manager(tmp_path)


def test_config_plugins_are_imported_by_module_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "lib" / "team_plugin.py", """
        __version__ = "0.3"

        def sparta_pre_build(ctx):
            pass
    """)
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    pm = manager(tmp_path, config_plugins=["team_plugin"])
    assert pm.infos["team_plugin"].origin == "config"
    assert pm.infos["team_plugin"].version == "0.3"
    with pytest.raises(PluginError, match="plugin 'nope' \\(from config\\) failed to import: ModuleNotFoundError"):
        manager(tmp_path, config_plugins=["nope"])


def test_entry_point_that_fails_to_import_names_the_distribution(
    tmp_path: Path, demo_installed: Path
) -> None:
    (demo_installed / "sparta_demo.py").write_text("import not_installed_anywhere\n")
    with pytest.raises(PluginError, match=r"plugin 'demo' \(entry point sparta_demo of sparta-demo\) failed to import: ModuleNotFoundError"):
        manager(tmp_path)
