"""Uploads that scale (sparta_core.aws.transfer), through real boto3 on the fixture's
endpoint: a large artifact goes up in multipart pieces and lands byte for byte,
independent artifacts all land side by side and are skipped once there, and a failed
upload is one line naming the file and a non-zero exit, with no stack touched."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import configure, keys, stack

from sparta_core.aws.transfer import THRESHOLD_ENV

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site"
MiB = 1024 * 1024


@pytest.fixture
def big_site(tmp_path: Path, bucket: str) -> Path:
    """examples/site with 12 MiB of incompressible bytes among its pages: the site's
    asset zip is large, the code archive small."""
    target = tmp_path / "site"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".sparta"))
    (target / "site" / "video.bin").write_bytes(random.Random(12).randbytes(12 * MiB))
    return configure(target, **{"s3-bucket": bucket})


def landed(aws: Any, bucket: str, key: str) -> bytes:
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def parts(aws: Any, bucket: str, key: str) -> int | None:
    """How many pieces the object went up in; ``None`` for a single PutObject."""
    attributes = aws("s3").get_object_attributes(Bucket=bucket, Key=key,
                                                 ObjectAttributes=["ObjectParts"])
    return attributes.get("ObjectParts", {}).get("TotalPartsCount")


def test_a_large_artifact_goes_up_in_pieces_and_lands_byte_for_byte(
        cli, big_site, aws, bucket, monkeypatch):
    monkeypatch.setenv(THRESHOLD_ENV, str(5 * MiB))

    result = cli("plan", project=big_site)

    code = (big_site / ".sparta" / "sitedemo-code.zip").read_bytes()
    asset = (big_site / ".sparta" / "sitedemo-site.zip").read_bytes()
    assert len(asset) > 12 * MiB
    stored = {key: landed(aws, bucket, key) for key in keys(aws, bucket)
              if key.endswith(".zip")}
    assert sorted(stored.values(), key=len) == [code, asset]  # both, side by side
    [asset_key] = [key for key, body in stored.items() if body == asset]
    # A multipart object reports its parts: 5 MiB pieces of a 12+ MiB file.
    assert parts(aws, bucket, asset_key) == -(-len(asset) // (5 * MiB))
    [code_key] = [key for key in stored if key != asset_key]
    assert parts(aws, bucket, code_key) is None  # small: one PutObject
    assert "upload site: 25% of" in result.output
    assert "upload site: 75% of" in result.output
    assert f"upload site: uploaded {len(asset):,} bytes" in result.output

    again = cli("plan", project=big_site)  # content-addressed: nothing goes up twice
    assert f"upload site: skipped, already at s3://{bucket}/{asset_key}" in again.output
    assert "upload code" in again.output and "uploaded" not in again.output.replace(
        "upload", "")


SPARTACONF = '''
import boto3

from sparta_core.hookspecs import hookimpl


@hookimpl
def sparta_post_build(ctx, build):
    """The bucket disappears after it was checked, before anything is uploaded."""
    boto3.client("s3").delete_bucket(Bucket=ctx.settings.s3_bucket)
'''


def test_a_failed_upload_is_one_line_naming_the_file(cli, big_site, aws, bucket):
    (big_site / "spartaconf.py").write_text(SPARTACONF)

    result = cli("provision", "--yes", project=big_site, ok=False)

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    [error] = errors
    assert "uploading sitedemo-code.zip (code) to s3://" in error
    assert ": NoSuchBucket: The specified bucket does not exist" in error
    assert "(1 more failed too)" in error  # the site's asset failed as well
    assert "Traceback" not in result.output
    assert stack(aws, "sitedemo") is None


def test_a_bad_multipart_threshold_is_one_line(cli, hello, aws, bucket, monkeypatch):
    monkeypatch.setenv(THRESHOLD_ENV, "lots")

    result = cli("provision", "--yes", project=hello, ok=False)

    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {THRESHOLD_ENV} must be a whole number of bytes above 0, "
                      "got 'lots'"], result.output
    assert keys(aws, bucket) == []
