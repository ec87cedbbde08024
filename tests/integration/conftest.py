"""Fixtures for tests that talk to a real AWS API: a MiniStack server on a loopback port.

``ministack_url`` starts one server per test session (a subprocess on a free port of
127.0.0.1, with its own temporary directory) and stops it at the end. ``aws_endpoint``
resets its state before each test and sets ``AWS_ENDPOINT_URL``, so sparta and the
tests' own boto3 clients (``aws``) talk to it exactly as they would to AWS.
"""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import BUCKET, REGION, configure

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def ministack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sparta_core.aws import local

    root = tmp_path_factory.mktemp("ministack")
    log = root / "log"
    port = local.free_port()
    process = local.spawn(port, root / "tmp", log, detach=False)
    url = f"http://{local.HOST}:{port}"
    try:
        local.wait_ready(process, url, log)
        yield url
    finally:
        local.stop_process(process)


@pytest.fixture
def aws_endpoint(ministack_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The endpoint, emptied, with ``AWS_ENDPOINT_URL`` pointing at it."""
    request = urllib.request.Request(ministack_url + "/_ministack/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    monkeypatch.setenv("AWS_ENDPOINT_URL", ministack_url)
    monkeypatch.setenv("AWS_REGION", REGION)
    return ministack_url


@pytest.fixture
def aws(aws_endpoint: str) -> Callable[[str], Any]:
    """``aws("s3")``: a real boto3 client for the test's endpoint."""
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    clients: dict[str, Any] = {}

    def client(name: str) -> Any:
        if name not in clients:
            clients[name] = session.client(name, endpoint_url=aws_endpoint)
        return clients[name]

    return client


@pytest.fixture
def bucket(aws: Callable[[str], Any]) -> str:
    """The artifact bucket, created on the endpoint."""
    aws("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture
def hello(tmp_path: Path, bucket: str) -> Path:
    """A copy of examples/hello configured with the test's artifact bucket."""
    target = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", target, ignore=shutil.ignore_patterns(".sparta"))
    return configure(target, **{"s3-bucket": bucket})
