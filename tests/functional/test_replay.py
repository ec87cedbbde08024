"""An unchanged ``sparta build`` is replayed: the console script prints what the last
identical build printed and runs no stage, and anything that build read, any output it
left, the environment or the command line changing runs the build again
(sparta_core.engine.replay). Real console-script runs, real files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from sparta_core.engine.replay import NOTE

SPARTA = Path(sys.executable).parent / "sparta"

SERVICE = """\
import os

import sparta_core as sparta

service = sparta.Service("replayed", runtime="python3.12")
service.add_function(handler="handlers.one", memory_size=int(os.environ.get("MEMORY", "256")))
service.add_function(handler="handlers.two")
"""

HANDLERS = """\
def one(event, context):
    return 1


def two(event, context):
    return 2
"""

#: Counts the stages that ran: each build adds a line to .sparta/hooks.txt (the
#: outputs folder, where a build may write and still be replayed).
COUNTING = """\
from pathlib import Path

import sparta_core as sparta


@sparta.hookimpl
def sparta_post_build(ctx, build):
    with (ctx.work_dir / "hooks.txt").open("a") as out:
        out.write("post_build\\n")
    ctx.reporter.info("counting hook ran")
"""


def age(root: Path) -> None:
    """Date every file under ``root`` a minute back: a file changed less than two seconds
    before a build ends is not recorded (two changes within one timestamp tick can look
    alike), and these tests build right after writing their projects."""
    past = time.time_ns() - 60 * 1_000_000_000
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(past, past))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "replayed"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    (root / "service.py").write_text(SERVICE)
    (root / "handlers.py").write_text(HANDLERS)
    (root / "spartaconf.py").write_text(COUNTING)
    age(root)
    return root


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SPARTA_", "PYTHONDONTWRITEBYTECODE"))}
    env["SPARTA_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def build(project: Path, env: dict[str, str], *args: str,
          ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(SPARTA), *args, "build"], cwd=project, env=env, text=True,
                          capture_output=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def hooks_ran(project: Path) -> int:
    path = project / ".sparta" / "hooks.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


def replayed(done: subprocess.CompletedProcess[str]) -> bool:
    return done.stderr.endswith(NOTE)


def settle(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Build until a build is recorded (the first one of a new project is not: Python
    writes ``__pycache__`` into the folder it lists while it runs), then return the
    recorded build's output."""
    first = build(project, env)
    second = build(project, env)
    if replayed(second):
        return first
    assert replayed(build(project, env)), "a third identical build was not replayed"
    return second


def test_an_unchanged_build_prints_what_the_last_printed_and_runs_no_stage(
        project: Path, environment: dict[str, str]) -> None:
    recorded = settle(project, environment)
    ran = hooks_ran(project)
    archive = project / ".sparta" / "replayed-code.zip"
    before = archive.stat()

    again = build(project, environment)

    assert replayed(again)
    assert again.stdout == recorded.stdout
    assert "replayed: 2 function(s): one, two" in again.stdout
    assert again.stderr == recorded.stderr + NOTE  # the hook's own line, replayed
    assert "counting hook ran" in again.stderr
    assert hooks_ran(project) == ran  # no stage ran
    assert archive.stat().st_mtime_ns == before.st_mtime_ns

    quiet = build(project, environment, "-q")  # another command line: built, then replayed
    assert not replayed(quiet) and hooks_ran(project) == ran + 1
    assert build(project, environment, "-q").stderr == ""  # -q: no note either...
    assert hooks_ran(project) == ran + 1  # ...and it was replayed


@pytest.mark.parametrize("change", ["edit", "touch", "new file", "service", "spartaconf",
                                    "pyproject"])
def test_a_change_to_what_the_build_read_builds_again(
        project: Path, environment: dict[str, str], change: str) -> None:
    settle(project, environment)
    ran = hooks_ran(project)
    if change == "edit":
        (project / "handlers.py").write_text(HANDLERS.replace("return 2", "return 22"))
    elif change == "touch":
        os.utime(project / "handlers.py", ns=(1, 1))
    elif change == "new file":
        (project / "data.json").write_text("{}")
    elif change == "service":
        (project / "service.py").write_text(SERVICE + "service.add_function("
                                            "handler='handlers.one', name='three')\n")
    elif change == "spartaconf":
        (project / "spartaconf.py").write_text(COUNTING + "\n# edited\n")
    else:
        (project / "pyproject.toml").write_text("[tool.sparta]\nexclude = ['*.md']\n")

    again = build(project, environment)

    assert not replayed(again)
    assert hooks_ran(project) == ran + 1
    if change == "edit":
        source = zipfile.ZipFile(project / ".sparta" / "replayed-code.zip").read("handlers.py")
        assert b"return 22" in source
    if change == "new file":
        assert "data.json" in zipfile.ZipFile(project / ".sparta" / "replayed-code.zip").namelist()
    if change == "service":
        assert "3 function(s)" in again.stdout


def test_a_lost_or_changed_output_builds_again(project: Path,
                                              environment: dict[str, str]) -> None:
    settle(project, environment)
    archive = project / ".sparta" / "replayed-code.zip"
    archive.unlink()

    again = build(project, environment)

    assert not replayed(again)
    assert zipfile.ZipFile(archive).testzip() is None
    assert replayed(build(project, environment))
    template = project / ".sparta" / "replayed-template.json"
    template.write_text(template.read_text() + " ")
    assert not replayed(build(project, environment))


def test_the_environment_and_the_command_line_are_part_of_the_key(
        project: Path, environment: dict[str, str]) -> None:
    settle(project, environment)
    bigger = {**environment, "MEMORY": "512"}

    changed = build(project, bigger)

    assert not replayed(changed)
    template = (project / ".sparta" / "replayed-template.json").read_text()
    assert '"MemorySize": 512' in template
    assert replayed(build(project, bigger))
    assert not replayed(build(project, environment))  # the 256 build's outputs are gone
    assert '"MemorySize": 256' in (project / ".sparta" / "replayed-template.json").read_text()
    assert replayed(build(project, environment))


@pytest.mark.parametrize("how", ["--force", "force = true", "SPARTA_NO_REPLAY"])
def test_force_and_no_replay_always_build(project: Path, environment: dict[str, str],
                                          how: str) -> None:
    settle(project, environment)
    ran = hooks_ran(project)
    args: tuple[str, ...] = ()
    if how == "--force":
        args = ("build", "--force")
    elif how == "force = true":
        (project / "pyproject.toml").write_text("[tool.sparta]\nforce = true\n")
        age(project)
    else:
        environment = {**environment, "SPARTA_NO_REPLAY": "1"}
    for _ in range(3):
        done = subprocess.run([str(SPARTA), *(args or ("build",))], cwd=project,
                              env=environment, text=True, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert not replayed(done)
    assert hooks_ran(project) == ran + 3


@pytest.mark.parametrize("effect", ["writes outside", "process", "network"])
def test_a_build_with_side_effects_is_never_replayed(
        project: Path, environment: dict[str, str], tmp_path: Path, effect: str) -> None:
    outside = tmp_path / "outside.txt"
    body = {
        "writes outside": f"    Path({str(outside)!r}).write_text('x')\n",
        "process": "    import subprocess, sys\n"
                   "    subprocess.run([sys.executable, '-c', 'pass'], check=True)\n",
        "network": "    import socket\n"
                   "    s = socket.socket(); s.settimeout(0.2)\n"
                   "    try:\n        s.connect(('127.0.0.1', 9))\n"
                   "    except OSError:\n        pass\n    s.close()\n",
    }[effect]
    (project / "spartaconf.py").write_text(
        COUNTING + "\n\n@sparta.hookimpl\ndef sparta_pre_build(ctx):\n" + body)
    age(project)
    for _ in range(3):
        assert not replayed(build(project, environment))
    assert hooks_ran(project) == 3


def test_a_plugin_that_changes_the_environment_is_still_replayed(
        project: Path, environment: dict[str, str]) -> None:
    # The key is the environment the command started with, not the one a hook left.
    (project / "spartaconf.py").write_text(
        COUNTING + "\n\n@sparta.hookimpl\ndef sparta_pre_build(ctx):\n"
        "    import os\n    os.environ['SET_BY_A_PLUGIN'] = '1'\n")
    age(project)
    settle(project, environment)


def test_a_plugin_can_say_its_build_is_not_replayable(project: Path,
                                                      environment: dict[str, str]) -> None:
    (project / "spartaconf.py").write_text(
        COUNTING + "\n\n@sparta.hookimpl\ndef sparta_pre_build(ctx):\n"
        "    ctx.not_replayable('it stamps the time')\n")
    age(project)
    for _ in range(3):
        assert not replayed(build(project, environment))
    assert hooks_ran(project) == 3
    verbose = build(project, environment, "-v")
    assert "the next identical build runs again: it stamps the time" in verbose.stderr


def test_a_failed_build_is_not_recorded(project: Path, environment: dict[str, str]) -> None:
    settle(project, environment)
    (project / "service.py").write_text(SERVICE + "service.add_function(handler='nowhere.x')\n")
    for _ in range(2):
        failed = build(project, environment, ok=False)
        assert failed.returncode != 0
        assert "nowhere" in failed.stderr.strip().splitlines()[-1]


def test_a_damaged_record_is_ignored_and_replaced(project: Path,
                                                 environment: dict[str, str]) -> None:
    settle(project, environment)
    records = list((Path(environment["SPARTA_CACHE_DIR"]) / "replay").iterdir())
    assert records
    for record in records:
        record.write_bytes(b"\x00not a record")

    again = build(project, environment)

    assert not replayed(again)
    assert replayed(build(project, environment))


def test_an_imported_module_outside_the_project_is_watched(
        project: Path, environment: dict[str, str], tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "sizes.py").write_text("MEMORY = 256\n")
    (project / "service.py").write_text(
        SERVICE.replace('int(os.environ.get("MEMORY", "256"))', "sizes.MEMORY")
        .replace("import os\n", "import os\n\nimport sizes\n"))
    env = {**environment, "PYTHONPATH": str(shared)}
    age(shared)
    age(project)
    settle(project, env)
    (shared / "sizes.py").write_text("MEMORY = 1024\n")

    again = build(project, env)

    assert not replayed(again)
    assert '"MemorySize": 1024' in (project / ".sparta" / "replayed-template.json").read_text()


def test_a_project_found_elsewhere_builds_again(tmp_path: Path,
                                               environment: dict[str, str]) -> None:
    # No configuration: the folder the command runs in is the project. A configuration
    # created above it moves the project there (and this one has no service.py).
    outer = tmp_path / "outer"
    project = outer / "loose"
    project.mkdir(parents=True)
    (project / "service.py").write_text(SERVICE)
    (project / "handlers.py").write_text(HANDLERS)
    age(project)
    settle(project, environment)
    (outer / "pyproject.toml").write_text("[tool.sparta]\n")

    moved = build(project, environment, ok=False)

    assert moved.returncode != 0
    assert "service" in moved.stderr.strip().splitlines()[-1]


def test_a_file_changed_just_before_the_build_is_not_trusted(
        project: Path, environment: dict[str, str]) -> None:
    # A change less than a timestamp tick before the build could be followed by another
    # that leaves the same stat: the build after it runs again, and records.
    (project / "handlers.py").write_text(HANDLERS.replace("return 2", "return 22"))
    first = build(project, environment, "-v")
    assert "the next identical build runs again: " in first.stderr
    assert "handlers.py changed just before the build" in first.stderr
    assert not replayed(build(project, environment, "-v"))
    age(project)
    build(project, environment, "-v")
    assert replayed(build(project, environment, "-v"))


def test_a_folder_marker_that_goes_builds_again(project: Path,
                                               environment: dict[str, str]) -> None:
    # Whether a folder ships is decided from a marker's existence alone (a cache's
    # CACHEDIR.TAG, a virtual environment's pyvenv.cfg): it is watched all the same.
    data = project / "data"
    data.mkdir()
    (data / "a.txt").write_text("x")
    (data / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    age(project)
    settle(project, environment)
    (data / "CACHEDIR.TAG").unlink()

    assert not replayed(build(project, environment))
    assert "data/a.txt" in zipfile.ZipFile(project / ".sparta" / "replayed-code.zip").namelist()


def test_a_file_a_plugin_adds_by_path_is_watched(project: Path, environment: dict[str, str],
                                                tmp_path: Path) -> None:
    shared = tmp_path / "conf.json"
    shared.write_text('{"v": 1}')
    (project / "spartaconf.py").write_text(
        COUNTING + "\n\n@sparta.hookimpl\ndef sparta_archive(ctx, archive):\n"
        f"    archive.add_file('conf.json', Path({str(shared)!r}))\n")
    age(project)
    age(tmp_path)
    settle(project, environment)
    shared.write_text('{"v": 2}')

    assert not replayed(build(project, environment))
    archive = zipfile.ZipFile(project / ".sparta" / "replayed-code.zip")
    assert archive.read("conf.json") == b'{"v": 2}'


def test_a_product_another_run_changed_leaves_no_record(project: Path,
                                                       environment: dict[str, str]) -> None:
    # Two builds of one project at once: the template on disk is the other's when this
    # one ends, and its record must not vouch for it.
    template = project / ".sparta" / "replayed-template.json"
    (project / "spartaconf.py").write_text(
        COUNTING + "\n\n@sparta.hookimpl\ndef sparta_provisioned(ctx, result):\n"
        f"    path = Path({str(template)!r})\n"
        "    path.write_text(path.read_text().replace('256', '512'))\n")
    age(project)
    first = build(project, environment, "-v")
    assert "replayed-template.json changed after this build wrote it" in first.stderr
    assert not replayed(build(project, environment))


def test_an_unwritable_cache_costs_the_record_not_the_build(
        project: Path, environment: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**environment, "SPARTA_CACHE_DIR": str(blocker / "cache")}
    said = [build(project, env, "-v").stderr for _ in range(3)]  # each exits 0
    # (The first build of a project is not recorded anyway: see settle.)
    assert any("its record could not be saved" in stderr for stderr in said)


def test_a_record_of_the_wrong_shape_is_ignored(project: Path,
                                               environment: dict[str, str]) -> None:
    import marshal

    from sparta_core.engine.replay import FORMAT

    settle(project, environment)
    for record in (Path(environment["SPARTA_CACHE_DIR"]) / "replay").iterdir():
        record.write_bytes(marshal.dumps({"format": FORMAT}))
    assert not replayed(build(project, environment))
    assert replayed(build(project, environment))


def test_a_nested_stack_template_is_a_product(tmp_path: Path,
                                              environment: dict[str, str]) -> None:
    root = tmp_path / "big"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    (root / "service.py").write_text(
        "import sparta_core as sparta\n\nservice = sparta.Service('big')\n"
        "for i in range(200):  # 600 resources: past the 500 of one stack\n"
        "    service.add_function(handler='handlers.one', name=f'f{i}')\n")
    (root / "handlers.py").write_text(HANDLERS)
    age(root)
    settle(root, environment)
    children = sorted((root / ".sparta").glob("big-*Stack*-template.json"))
    assert children
    children[0].unlink()

    assert not replayed(build(root, environment))
    assert children[0].exists()
