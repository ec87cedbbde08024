"""``aws_endpoint``: a MiniStack server on a free loopback port, one per test session.

The server is the one ``sparta --local`` runs (``sparta-core[local]``), started as a
subprocess bound to 127.0.0.1 with its own temporary directory, and stopped when the
session ends. Before each test that asks for it, its state is emptied
(``POST /_ministack/reset``) and the environment is set so that sparta and the test's
own boto3 clients talk to it: ``AWS_ENDPOINT_URL``, the region and dummy credentials.
"""

from __future__ import annotations

import importlib.util
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REGION = "us-east-1"
#: The dummy credentials the endpoint's clients use (MiniStack accepts any).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MISSING = "aws_endpoint needs MiniStack: pip install 'sparta-core[local]'"


def require_ministack() -> None:
    """Skip the test (with the command that fixes it) when MiniStack is not installed."""
    if importlib.util.find_spec("ministack") is None:
        pytest.skip(MISSING)


@contextmanager
def running_endpoint(root: Path) -> Iterator[str]:
    """A MiniStack server for as long as the ``with`` block runs; yields its URL."""
    from sparta_core.aws import local

    log = root / "log"
    port = local.free_port()
    process = local.spawn(port, root / "tmp", log, detach=False)
    url = f"http://{local.HOST}:{port}"
    try:
        local.wait_ready(process, url, log)
        yield url
    finally:
        local.stop_process(process)


def reset(url: str) -> None:
    """Forget every stack, bucket and function the endpoint holds."""
    request = urllib.request.Request(url + "/_ministack/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"resetting the local endpoint {url} answered {response.status}")


def point_environment_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the environment so boto3 (sparta's and the test's) talks to ``url`` only."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
