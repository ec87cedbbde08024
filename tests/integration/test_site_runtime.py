"""The site's custom resource handler (``sparta_runtime.s3_site``) against a real S3 (the
local endpoint) and a real HTTP server on 127.0.0.1 standing in for CloudFormation's
pre-signed response URL."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from aws_helpers import keys
from tests.unit.test_runtime_custom_resource import Context, ResponseServer

from sparta_core.runtime import s3_site

pytestmark = pytest.mark.integration

SITE = "site-bucket"
ARTIFACTS = "artifact-bucket"


@pytest.fixture
def server() -> Iterator[ResponseServer]:
    running = ResponseServer()
    yield running
    running.close()


@pytest.fixture
def s3(aws: Any) -> Any:
    client = aws("s3")
    client.create_bucket(Bucket=SITE)
    client.create_bucket(Bucket=ARTIFACTS)
    return client


def upload_zip(s3: Any, files: dict[str, bytes]) -> str:
    """A site zip in the artifact bucket, under its content hash; returns the key."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    body = buffer.getvalue()
    key = f"svc/{hashlib.sha256(body).hexdigest()}.zip"
    s3.put_object(Bucket=ARTIFACTS, Key=key, Body=body)
    return key


def request(server: ResponseServer, request_type: str, key: str, *,
            old_key: str | None = None, bucket: str = SITE, **extra: Any) -> dict[str, Any]:
    properties = {"ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:p",
                  "Bucket": bucket, "SourceBucket": ARTIFACTS, "SourceKey": key, **extra}
    event: dict[str, Any] = {
        "RequestType": request_type, "ResponseURL": server.url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/svc/guid",
        "RequestId": f"req-{len(server.received)}", "ResourceType": "Custom::SpartaS3Site",
        "LogicalResourceId": "SiteContents", "ResourceProperties": properties,
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = bucket
    if old_key is not None:
        event["OldResourceProperties"] = {**properties, "SourceKey": old_key}
    return event


def call(server: ResponseServer, event: dict[str, Any]) -> dict[str, Any]:
    sent = s3_site.handler(event, Context())
    assert sent is not None and server.received[-1] == sent
    assert sent["Status"] == "SUCCESS", sent["Reason"]
    return sent


SITE_FILES = {
    "index.html": b"<h1>hello</h1>",
    "css/site.css": b"body { color: red }",
    "img/logo.svg": b"<svg/>",
    "fonts/a.woff2": b"\x00\x01",
    "data.bin": b"\x00",
}


def test_create_puts_every_file_with_its_type_and_headers(server, s3):
    key = upload_zip(s3, SITE_FILES)
    sent = call(server, request(
        server, "Create", key,
        CacheControl=[{"Pattern": "*.html", "Value": "no-cache"},
                      {"Pattern": "*", "Value": "max-age=300"}],
        Config={"api": "https://example.test/v1"}, ConfigFile="sparta-config.json",
    ))
    assert sent["PhysicalResourceId"] == SITE
    assert sent["Data"]["Files"] == "6"
    assert keys(lambda name: s3, SITE) == sorted([*SITE_FILES, "sparta-config.json"])

    def head(name: str) -> dict[str, Any]:
        return s3.head_object(Bucket=SITE, Key=name)

    assert head("index.html")["ContentType"] == "text/html; charset=utf-8"
    assert head("index.html")["CacheControl"] == "no-cache"
    assert head("css/site.css")["ContentType"] == "text/css; charset=utf-8"
    assert head("css/site.css")["CacheControl"] == "max-age=300"
    assert head("img/logo.svg")["ContentType"] == "image/svg+xml; charset=utf-8"
    assert head("fonts/a.woff2")["ContentType"] == "font/woff2"
    assert head("data.bin")["ContentType"] == "application/octet-stream"
    body = s3.get_object(Bucket=SITE, Key="index.html")["Body"].read()
    assert body == SITE_FILES["index.html"]
    config = s3.get_object(Bucket=SITE, Key="sparta-config.json")
    assert json.loads(config["Body"].read()) == {"api": "https://example.test/v1"}
    assert config["CacheControl"] == "no-cache"
    assert config["ContentType"] == "application/json; charset=utf-8"


def test_update_puts_what_changed_and_removes_what_is_gone(server, s3):
    first = upload_zip(s3, SITE_FILES)
    call(server, request(server, "Create", first))
    # Something else in the bucket is not part of the site either: the bucket is the site's.
    s3.put_object(Bucket=SITE, Key="stray.txt", Body=b"x")
    changed = {**{k: v for k, v in SITE_FILES.items() if k != "css/site.css"},
               "index.html": b"<h1>hello again</h1>", "new.js": b"let a = 1;"}
    second = upload_zip(s3, changed)
    sent = call(server, request(server, "Update", second, old_key=first))
    assert sent["PhysicalResourceId"] == SITE
    assert keys(lambda name: s3, SITE) == sorted(changed)
    # Unchanged files with unchanged headers are not put again.
    assert sent["Data"] == {"Bucket": SITE, "Files": "5", "Uploaded": "2", "Removed": "2"}
    body = s3.get_object(Bucket=SITE, Key="index.html")["Body"].read()
    assert body == b"<h1>hello again</h1>"
    assert s3.head_object(Bucket=SITE, Key="new.js")["ContentType"] == (
        "text/javascript; charset=utf-8")


def test_update_with_new_headers_puts_every_file_again(server, s3):
    key = upload_zip(s3, SITE_FILES)
    call(server, request(server, "Create", key))
    event = request(server, "Update", key, CacheControl=[{"Pattern": "*", "Value": "max-age=60"}])
    event["OldResourceProperties"] = {**event["ResourceProperties"]}
    del event["OldResourceProperties"]["CacheControl"]
    sent = call(server, event)
    assert sent["Data"]["Uploaded"] == str(len(SITE_FILES))
    assert s3.head_object(Bucket=SITE, Key="data.bin")["CacheControl"] == "max-age=60"


def test_delete_empties_the_bucket_so_it_can_be_deleted(server, s3):
    key = upload_zip(s3, SITE_FILES)
    call(server, request(server, "Create", key))
    call(server, request(server, "Delete", key))
    assert keys(lambda name: s3, SITE) == []
    s3.delete_bucket(Bucket=SITE)  # S3 refuses to delete a bucket that is not empty


def test_delete_of_a_bucket_already_gone_succeeds(server, s3):
    key = upload_zip(s3, SITE_FILES)
    call(server, request(server, "Delete", key, bucket="never-created-bucket"))


def test_a_missing_zip_fails_with_the_reason(server, s3):
    sent = s3_site.handler(request(server, "Create", "svc/missing.zip"), Context())
    assert sent is not None
    assert sent["Status"] == "FAILED"
    assert "404" in sent["Reason"] or "Not Found" in sent["Reason"]
    assert keys(lambda name: s3, SITE) == []
