"""``ctx.background`` (sparta_core.engine.background): work left running by a stage is
joined with its failures, settled when the run ends without it, named after the plugin
that started it, and a hook marked ``joins_background`` is known to join it itself."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from sparta_core.engine.background import BackgroundWork, joins_background, joins_itself
from sparta_core.engine.hookcall import call_hook
from sparta_core.engine.manager import PluginRequest, build_plugin_manager
from sparta_core.engine.reporter import Reporter
from sparta_core.errors import AwsError, StageError


class Lines:
    """A stream that keeps what the reporter writes."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def work(reporter_lines: Lines | None = None, verbosity: int = 0) -> BackgroundWork:
    return BackgroundWork(Reporter(verbosity, reporter_lines) if reporter_lines else None)


def test_join_waits_for_the_work_and_raises_its_first_failure_warning_the_others():
    lines = Lines()
    background = work(lines)
    gate = threading.Event()
    done: list[str] = []

    def slow() -> None:
        gate.wait(5)
        done.append("slow")

    def fails(message: str) -> None:
        raise AwsError(message)

    background.start("slow", slow)
    background.start("first", lambda: fails("first failed"))
    background.start("second", lambda: fails("second failed"))
    assert background.pending == ("slow", "first", "second")
    gate.set()

    with pytest.raises(AwsError, match=r"^first failed$"):
        background.join()

    assert done == ["slow"]  # waited for, not abandoned
    assert background.pending == ()
    assert lines.text == "warning: second failed too: second failed\n"
    background.join()  # joined once: nothing more to raise
    assert not any(t.name.startswith("sparta-background") for t in threading.enumerate())


def test_join_says_with_v_how_long_it_waited():
    lines = Lines()
    background = work(lines, verbosity=1)
    background.start("artifact uploads", lambda: None)

    background.join()

    assert "waited " in lines.text and " ms for artifact uploads (it ran " in lines.text


def test_settle_asks_the_work_to_stop_waits_and_never_raises():
    lines = Lines()
    background = work(lines)
    started = threading.Event()
    seen: list[bool] = []

    def pieces() -> None:
        started.set()
        while not background.stopping:  # a piece in flight ends; the rest are skipped
            threading.Event().wait(0.01)
        seen.append(background.stopping)
        raise AwsError("blob.bin not uploaded: the run stopped first")

    background.start("artifact uploads", pieces)
    started.wait(5)
    background.settle()

    assert seen == [True]
    assert "waiting for artifact uploads to end\n" in lines.text
    assert ("warning: artifact uploads did not finish: blob.bin not uploaded: the run "
            "stopped first\n") in lines.text
    assert background.pending == ()
    background.join()  # settled: its failure is not raised again


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.mark.usefixtures("no_installed_plugins")
def test_the_built_in_converge_and_plan_join_the_work_themselves(tmp_path: Path):
    pm = build_plugin_manager(PluginRequest(project_dir=tmp_path))
    assert joins_itself(pm.hook.sparta_converge)
    assert joins_itself(pm.hook.sparta_plan)
    assert not joins_itself(pm.hook.sparta_provisioned)  # no implementation at all


@pytest.mark.usefixtures("no_installed_plugins")
def test_a_converge_of_a_plugin_joins_nothing_unless_it_is_marked(tmp_path: Path):
    write(tmp_path / "spartaconf.py", """
        def sparta_converge(ctx, template):
            return None
    """)
    pm = build_plugin_manager(PluginRequest(project_dir=tmp_path))
    assert not joins_itself(pm.hook.sparta_converge)

    marked = tmp_path / "marked"
    write(marked / "spartaconf.py", """
        from sparta_core.engine.background import joins_background

        @joins_background
        def sparta_converge(ctx, template):
            return None
    """)
    pm = build_plugin_manager(PluginRequest(project_dir=marked))
    assert joins_itself(pm.hook.sparta_converge)


def test_the_mark_is_an_attribute_that_leaves_the_function_as_it_is():
    def sparta_converge(ctx, template):
        return "result"

    assert joins_background(sparta_converge) is sparta_converge
    assert sparta_converge(None, None) == "result"


@pytest.mark.usefixtures("no_installed_plugins")
def test_a_failure_of_work_a_plugin_started_names_the_stage_and_the_plugin(tmp_path: Path):
    write(tmp_path / "spartaconf.py", """
        def sparta_pre_marshall(ctx):
            ctx.background.start("a check of its own", lambda: 1 / 0)
    """)
    pm = build_plugin_manager(PluginRequest(project_dir=tmp_path))
    ctx = SimpleNamespace(background=BackgroundWork())

    call_hook(pm, "pre-marshall", "sparta_pre_marshall", ctx=ctx)

    with pytest.raises(StageError) as raised:
        ctx.background.join()
    assert str(raised.value).startswith("stage 'pre-marshall' (plugin '")
    assert str(raised.value).endswith("'): ZeroDivisionError: division by zero")
