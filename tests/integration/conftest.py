"""Fixtures for tests that talk to a real AWS API: a MiniStack server on a loopback port.

The server is the testing kit's (``sparta_core.testing``): ``ministack_url`` is its
session server (a subprocess on a free port of 127.0.0.1, with its own temporary
directory, stopped at the end); ``aws_endpoint`` resets its state before each test and
sets ``AWS_ENDPOINT_URL``, so sparta and the tests' own boto3 clients (``aws``) talk to
it exactly as they would to AWS.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import BUCKET, REGION, configure

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def ministack_url(sparta_endpoint_url: str) -> str:
    """The session's MiniStack server: the kit's."""
    return sparta_endpoint_url


# ``aws_endpoint`` (the endpoint emptied, the environment pointing at it) is the kit's.


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
