"""The embedded local AWS endpoint behind ``sparta --local`` and ``sparta local ...``.

A MiniStack server (the optional extra ``sparta-core[local]``) is started in the
background on first use, bound to 127.0.0.1 only, on a free port, and recorded under
``<project>/.sparta/local/``:

* ``pid``  the server's process id;
* ``port`` the port it listens on;
* ``log``  what it prints;
* ``tmp/`` its temporary and state directories (Lambda workers unpack code here).

The server runs through sparta's launcher, ``python -m sparta_core.aws.local_endpoint``,
which corrects a MiniStack bug that sparta's nested stacks meet, in that process only,
before running MiniStack as ``python -m ministack`` would (see
:mod:`sparta_core.aws.local_endpoint`).

Later runs find it there and reuse it while it answers its health check. State is kept
in memory: stopping the endpoint forgets every stack, bucket and function on it.
Nothing here talks to AWS; the server's environment is scrubbed of ``AWS_*`` variables
so that real credentials never reach the emulator or the handlers it runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sparta_core.aws.local_endpoint import MODULE as LAUNCHER
from sparta_core.errors import (
    LocalEndpointError,
    )

HOST = "127.0.0.1"
HEALTH_PATH = "/_ministack/health"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

_DETACHED: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class LocalEndpoint:
    """A running local endpoint: its process, port and log."""

    pid: int
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def local_dir(work_dir: Path) -> Path:
    """``.sparta/local/`` of the project whose work directory is ``work_dir``."""
    return work_dir / "local"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def healthy(url: str, timeout: float = 1.0) -> bool:
    """True if a MiniStack server answers its health check at ``url``."""
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as response:
            return response.status == 200 and "services" in json.loads(response.read() or b"{}")
    except (OSError, ValueError):
        return False


def server_environment(port: int, tmp: Path) -> dict[str, str]:
    """The environment a MiniStack server runs with: loopback only, its own temporary
    and state directories, no MQTT listener, and dummy credentials for its handlers."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        GATEWAY_PORT=str(port),
        BIND_HOST=HOST,
        # Without this MiniStack opens an MQTT listener on 0.0.0.0:8883.
        IOT_MTLS_ENABLED="0",
        LOG_LEVEL=os.environ.get("SPARTA_LOCAL_LOG_LEVEL", "WARNING"),
        STATE_DIR=str(tmp / "state"),
        TMPDIR=str(tmp),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def server_command() -> list[str]:
    """The server's command line: MiniStack through sparta's launcher."""
    return [sys.executable, "-m", LAUNCHER]


def spawn(port: int, tmp: Path, log: Path, *, detach: bool = True) -> subprocess.Popen[bytes]:
    """Start a MiniStack server on ``port``; return at once (see :func:`wait_ready`)."""
    try:
        import ministack  # noqa: F401
    except ImportError:
        raise LocalEndpointError(
            "the local endpoint needs MiniStack: pip install 'sparta-core[local]'"
        ) from None
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "state").mkdir(exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            server_command(),
            env=server_environment(port, tmp),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C on sparta must not stop the endpoint it started.
            start_new_session=detach,
            cwd=str(tmp),
        )


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path,
               timeout: float = START_TIMEOUT) -> None:
    """Wait until the server at ``url`` is healthy; raise if it exits or is too slow."""
    deadline = time.monotonic() + timeout
    while not healthy(url, timeout=0.5):
        if process.poll() is not None:
            raise LocalEndpointError(
                f"the local endpoint exited with code {process.returncode} while starting "
                f"(see {log})"
            )
        if time.monotonic() > deadline:
            process.kill()
            # Reap it, so that no zombie is left behind.
            process.wait()
            raise LocalEndpointError(f"the local endpoint did not answer in {timeout:.0f} s "
                                     f"(see {log})")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the project's recorded endpoint ---------------------------------------------------


def read_endpoint(directory: Path) -> LocalEndpoint | None:
    """The endpoint recorded in ``directory`` if its process is alive and healthy."""
    try:
        pid = int((directory / "pid").read_text().strip())
        port = int((directory / "port").read_text().strip())
    except (OSError, ValueError):
        return None
    endpoint = LocalEndpoint(pid, port, directory / "log")
    if not _alive(pid) or not healthy(endpoint.url):
        return None
    return endpoint


def ensure_endpoint(directory: Path) -> LocalEndpoint:
    """The project's running endpoint, started (and recorded) if there is none."""
    directory.mkdir(parents=True, exist_ok=True)
    with _lock(directory):
        endpoint = read_endpoint(directory)
        if endpoint is not None:
            return endpoint
        # A recorded server that is alive but does not answer is hung: stop it (only if
        # the pid still runs MiniStack), or it would run on, unrecorded, forever.
        pid = _recorded_pid(directory)
        if pid is not None and _alive(pid) and _is_ministack(pid):
            _terminate(pid)
        _forget(directory)
        log = directory / "log"
        last_error: LocalEndpointError | None = None
        # The free port may be taken between the probe and the bind; try a few.
        for _attempt in range(3):
            port = free_port()
            process = spawn(port, directory / "tmp", log)
            try:
                wait_ready(process, f"http://{HOST}:{port}", log)
            except LocalEndpointError as error:
                last_error = error
                continue
            except BaseException:
                # Ctrl-C (or anything else) before the server is recorded: it runs in a
                # session of its own, so nothing else would ever stop it.
                stop_process(process)
                raise
            (directory / "port").write_text(f"{port}\n")
            (directory / "pid").write_text(f"{process.pid}\n")
            # The server outlives this process: keep its Popen object, so Python does
            # not collect it (and warn that it still runs) mid-run.
            _DETACHED.append(process)
            print(f"local endpoint started: http://{HOST}:{port} (pid {process.pid}, "
                  f"log {log})", file=sys.stderr)
            return LocalEndpoint(process.pid, port, log)
        assert last_error is not None
        raise last_error


def stop_endpoint(directory: Path) -> LocalEndpoint | None:
    """Stop the project's endpoint; return what was stopped (``None`` if none ran)."""
    with _lock(directory):
        endpoint = read_endpoint(directory)
        pid = _recorded_pid(directory)
        if pid is not None and _alive(pid) and (endpoint is not None or _is_ministack(pid)):
            _terminate(pid)
        _forget(directory)
        shutil.rmtree(directory / "tmp", ignore_errors=True)
        return endpoint


def _terminate(pid: int) -> None:
    """SIGTERM ``pid``, then SIGKILL if it is still alive after :data:`STOP_TIMEOUT`."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _forget(directory: Path) -> None:
    for name in ("pid", "port"):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()


def _recorded_pid(directory: Path) -> int | None:
    try:
        return int((directory / "pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our own child that has exited.
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ministack(pid: int) -> bool:
    """Whether ``pid`` runs MiniStack (Linux: its command line names ministack, or
    sparta's launcher of it), so that a recycled pid is never signalled."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"ministack" in cmdline or LAUNCHER.encode() in cmdline


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on the directory, so two runs never start two servers."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lock").open("w") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, best effort
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_bucket(aws: object, bucket: str) -> bool:
    """Create ``bucket`` on the local endpoint, in the run's region, if it is missing;
    True if created. Only ever called with ``--local``: sparta creates no bucket
    anywhere else."""
    s3 = aws.client("s3")  # type: ignore[attr-defined]
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except Exception as error:
        from sparta_core.aws.errors import error_code

        if error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise
    region = aws.region  # type: ignore[attr-defined]
    if region == "us-east-1":
        # S3 refuses a us-east-1 location constraint; no constraint means us-east-1.
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": region})
    return True
