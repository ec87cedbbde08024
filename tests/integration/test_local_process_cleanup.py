"""The local endpoint leaves no process behind: a hung recorded server is stopped, a
server interrupted while starting is stopped, and one too slow to start is reaped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sparta_core.aws import local

pytestmark = pytest.mark.integration

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_a_recorded_server_that_is_alive_but_not_answering_is_stopped(tmp_path):
    directory = tmp_path / "local"
    directory.mkdir()
    # A real process whose command line names ministack, that answers no health check.
    hung = subprocess.Popen([*SLEEPER, "ministack"])
    # Right after Popen returns, /proc/<pid>/cmdline may not show the new command line
    # yet (seen after other tests had run); sparta then, rightly, leaves the pid alone.
    # Wait until it does, so the test checks what it means to.
    cmdline = Path(f"/proc/{hung.pid}/cmdline")
    deadline = time.monotonic() + 10
    while b"ministack" not in cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    (directory / "pid").write_text(f"{hung.pid}\n")
    (directory / "port").write_text(f"{local.free_port()}\n")
    try:
        endpoint = local.ensure_endpoint(directory)
        try:
            assert endpoint.pid != hung.pid
            assert local.healthy(endpoint.url)
            hung.wait(timeout=5)  # stopped by ensure_endpoint, not left running
        finally:
            local.stop_endpoint(directory)
    finally:
        if hung.poll() is None:
            hung.kill()
            hung.wait()


def test_a_recorded_pid_that_is_not_ministack_is_never_signalled(tmp_path):
    directory = tmp_path / "local"
    directory.mkdir()
    other = subprocess.Popen(SLEEPER)
    (directory / "pid").write_text(f"{other.pid}\n")
    (directory / "port").write_text(f"{local.free_port()}\n")
    try:
        endpoint = local.ensure_endpoint(directory)
        local.stop_endpoint(directory)
        assert endpoint.pid != other.pid
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_ctrl_c_while_the_server_starts_stops_it(tmp_path, monkeypatch):
    directory = tmp_path / "local"
    spawned: list[subprocess.Popen[bytes]] = []
    real_spawn = local.spawn

    def spawn(*args, **kwargs):
        spawned.append(real_spawn(*args, **kwargs))
        return spawned[-1]

    def interrupted(url: str, timeout: float = 1.0) -> bool:
        # A real SIGINT, as Ctrl-C sends, while sparta waits for the server.
        os.kill(os.getpid(), signal.SIGINT)
        return False

    monkeypatch.setattr(local, "spawn", spawn)
    monkeypatch.setattr(local, "healthy", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            local.ensure_endpoint(directory)
        [process] = spawned
        assert process.poll() is not None  # stopped, not left running in its own session
        assert not (directory / "pid").exists()
    finally:
        for process in spawned:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_a_server_too_slow_to_start_is_killed_and_reaped(tmp_path):
    process = subprocess.Popen(SLEEPER)
    try:
        with pytest.raises(local.LocalEndpointError, match="did not answer"):
            local.wait_ready(process, f"http://127.0.0.1:{local.free_port()}",
                             Path(tmp_path / "log"), timeout=0.3)
        # Waited for: its exit status is known without polling again.
        assert process.returncode is not None
    finally:
        if process.returncode is None:
            process.kill()
            process.wait()
