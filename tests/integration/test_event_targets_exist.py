"""An S3Event on a bucket the stack does not own: the bucket must exist before anything
changes, or the stack would fail (and roll back) half-way through its create."""

from __future__ import annotations

import pytest
from aws_helpers import BUCKET, keys, stack

pytestmark = pytest.mark.integration

SERVICE = '''
import sparta_core as sparta

service = sparta.Service("thumbs")


@service.function(events=[sparta.S3Event(bucket="{bucket}", suffix=".jpg")])
def make_thumbnail(event, context):
    return None
'''


def test_a_missing_notifying_bucket_stops_the_run_before_anything_changes(cli, hello, aws):
    (hello / "service.py").write_text(SERVICE.format(bucket="photos-that-are-not-there"))
    result = cli("provision", "--yes", project=hello, ok=False)
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(
        "error: function 'make_thumbnail': S3Event bucket 'photos-that-are-not-there' does "
        "not exist on "
    ), last
    assert stack(aws, "thumbs") is None
    assert keys(aws, BUCKET) == []  # nothing uploaded


def test_an_existing_notifying_bucket_passes(cli, hello, aws):
    aws("s3").create_bucket(Bucket="photos-that-are-there")
    (hello / "service.py").write_text(SERVICE.format(bucket="photos-that-are-there"))
    result = cli("provision", "--yes", project=hello)
    assert "thumbs: CREATE_COMPLETE" in result.stdout
