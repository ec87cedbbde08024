"""examples/site provisioned on the local endpoint: the site's files arrive in the bucket
the stack owns (through the custom resource's Lambda, run by the endpoint), an unchanged
site is neither uploaded nor copied again, an update removes what the site no longer
has, and deleting the stack empties and deletes the bucket."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import BUCKET, configure, content_address, keys, stack

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site"


@pytest.fixture
def site_project(tmp_path: Path, bucket: str) -> Path:
    target = tmp_path / "site"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".sparta"))
    return configure(target, **{"s3-bucket": bucket})


def outputs(aws: Any) -> dict[str, str]:
    described = stack(aws, "sitedemo")
    assert described is not None
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def body(aws: Any, bucket: str, key: str) -> bytes:
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_site_provisions_updates_and_deletes(cli, site_project, aws):
    result = cli("provision", "--yes", project=site_project)
    assert "sitedemo: CREATE_COMPLETE" in result.stdout
    assert "upload site: uploaded" in result.output

    # The site's zip is content-addressed in the artifact bucket, beside the code.
    zipped = site_project / ".sparta" / "sitedemo-site.zip"
    assert f"sitedemo/{content_address(zipped)}.zip" in keys(aws, BUCKET)

    out = outputs(aws)
    site_bucket = out["SiteBucketName"]
    assert out["SiteURL"].startswith(f"http://{site_bucket}.s3-website")
    assert keys(aws, site_bucket) == [
        "css/site.css", "error.html", "index.html", "sparta-config.json"]
    s3 = aws("s3")
    assert body(aws, site_bucket, "index.html") == (site_project / "site/index.html").read_bytes()
    index = s3.head_object(Bucket=site_bucket, Key="index.html")
    assert (index["ContentType"], index["CacheControl"]) == (
        "text/html; charset=utf-8", "no-cache")
    css = s3.head_object(Bucket=site_bucket, Key="css/site.css")
    assert (css["ContentType"], css["CacheControl"]) == ("text/css; charset=utf-8", "max-age=300")
    # The config's references were resolved by CloudFormation.
    assert json.loads(body(aws, site_bucket, "sparta-config.json")) == {
        "region": "us-east-1", "stack": "sitedemo"}
    # The bucket serves a website, readable through its policy, ACLs blocked.
    website = s3.get_bucket_website(Bucket=site_bucket)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["ErrorDocument"] == {"Key": "error.html"}
    policy = json.loads(s3.get_bucket_policy(Bucket=site_bucket)["Policy"])
    assert policy["Statement"][0]["Action"] == "s3:GetObject"
    assert policy["Statement"][0]["Principal"] == "*"
    block = s3.get_public_access_block(Bucket=site_bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": False, "RestrictPublicBuckets": False}

    # Nothing changed: the site is not uploaded again, and the stack is not touched.
    again = cli("provision", "--yes", project=site_project)
    assert "upload site: skipped" in again.output
    assert "no changes" in again.output.lower()

    # A file removed and one changed: the update copies the new site, removes the old file.
    (site_project / "site/css/site.css").unlink()
    (site_project / "site/index.html").write_text("<h1>second version</h1>\n")
    update = cli("provision", "--yes", project=site_project)
    assert "sitedemo: UPDATE_COMPLETE" in update.stdout
    assert "upload site: uploaded" in update.output
    assert "upload code: skipped" in update.output  # the site is not part of the code
    assert keys(aws, site_bucket) == ["error.html", "index.html", "sparta-config.json"]
    assert body(aws, site_bucket, "index.html") == b"<h1>second version</h1>\n"

    # Deleting the stack: the custom resource empties the bucket before it is deleted.
    deleted = cli("delete", "--yes", project=site_project).output
    emptied = deleted.index("DELETE_COMPLETE              SiteContents")
    assert emptied < deleted.index("DELETE_IN_PROGRESS           SiteBucket ")
    assert stack(aws, "sitedemo") is None
    assert site_bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
