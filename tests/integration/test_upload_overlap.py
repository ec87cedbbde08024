"""The artifact uploads run beside the template work (``ctx.background``), through real
boto3 on the fixture's endpoint and real CLI runs: they are joined before anything in
CloudFormation or Lambda changes, whoever converges (the built-in converge, its hotswap,
a plugin that replaces it, ``plan``); a failure of one is one line naming the file, with
no stack touched; a run that ends without them (Ctrl-C) stops what has not begun, says
so, and leaves no thread behind."""

from __future__ import annotations

import json
import random
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import configure, stack

from sparta_core.aws.transfer import THRESHOLD_ENV

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MiB = 1024 * 1024


@pytest.fixture
def slow_site(tmp_path: Path, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """examples/site with 24 MiB of incompressible bytes among its pages, sent in 5 MiB
    pieces: its asset takes far longer to upload than the template takes to make."""
    target = tmp_path / "site"
    shutil.copytree(EXAMPLES / "site", target, ignore=shutil.ignore_patterns(".sparta"))
    (target / "site" / "video.bin").write_bytes(random.Random(24).randbytes(24 * MiB))
    monkeypatch.setenv(THRESHOLD_ENV, str(5 * MiB))
    return configure(target, **{"s3-bucket": bucket})


def sparta_threads() -> list[str]:
    return sorted(thread.name for thread in threading.enumerate()
                  if thread is not threading.main_thread())


def errors_of(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def artifacts(project: Path, service: str) -> dict[str, int]:
    """Artifact name -> size of the zips the run wrote."""
    return {path.name[len(service) + 1:-len(".zip")]: path.stat().st_size
            for path in (project / ".sparta").glob(f"{service}-*.zip")}


def landed(aws: Any, bucket: str) -> dict[str, int]:
    """Object key -> size, for what is in the bucket."""
    listing = aws("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: item["Size"] for item in listing}


WATCH_PENDING = '''
import json

SEEN = {}


def sparta_post_marshall(ctx, template):
    SEEN["post-marshall"] = list(ctx.background.pending)


def sparta_provisioned(ctx, result):
    SEEN["provisioned"] = list(ctx.background.pending)
    (ctx.work_dir / "seen.json").write_text(json.dumps(SEEN))
'''


def test_uploads_go_on_beside_the_template_work_and_all_land_before_the_end(
        cli, slow_site, aws, bucket):
    (slow_site / "spartaconf.py").write_text(WATCH_PENDING)
    threads = sparta_threads()

    result = cli("provision", "--yes", project=slow_site)

    # Still unjoined while the template was made; joined by the time the run succeeded.
    seen = json.loads((slow_site / ".sparta" / "seen.json").read_text())
    assert seen == {"post-marshall": ["artifact uploads"], "provisioned": []}
    assert "sitedemo: CREATE_COMPLETE (created; code uploaded, site uploaded)" in result.stdout
    sizes = sorted(size for key, size in landed(aws, bucket).items() if key.endswith(".zip"))
    assert sizes == sorted(artifacts(slow_site, "sitedemo").values())
    assert sparta_threads() == threads  # nothing of the run still running


OWN_CONVERGE = '''
import json

import boto3

from sparta_core.engine.context import StackResult


def sparta_converge(ctx, template):
    """A converge of the project's own, which knows nothing of background work: it
    needs every artifact in S3."""
    pending = list(ctx.background.pending)
    s3 = boto3.client("s3")
    found = {}
    for name, location in ctx.locations.items():
        try:
            found[name] = s3.head_object(Bucket=location.bucket,
                                         Key=location.key)["ContentLength"]
        except Exception as error:
            found[name] = f"{type(error).__name__}: {error}"
    (ctx.work_dir / "converge.json").write_text(json.dumps({"pending": pending,
                                                            "found": found}))
    return StackResult(stack_name=ctx.stack_name, status="DEPLOYED_ELSEWHERE")
'''


def test_a_converge_that_replaces_the_built_in_one_finds_every_artifact_in_s3(
        cli, slow_site, aws, bucket):
    (slow_site / "spartaconf.py").write_text(OWN_CONVERGE)

    result = cli("provision", "--yes", project=slow_site)

    # The plugin knows nothing of the background uploads: the workflow joined them.
    seen = json.loads((slow_site / ".sparta" / "converge.json").read_text())
    assert seen == {"pending": [], "found": artifacts(slow_site, "sitedemo")}
    assert "sitedemo: DEPLOYED_ELSEWHERE (changed; code uploaded, site uploaded)" \
        in result.stdout
    assert stack(aws, "sitedemo") is None


def test_a_converge_marked_to_join_itself_is_called_while_uploads_still_run(
        cli, slow_site, aws, bucket):
    marked = OWN_CONVERGE.replace(
        "def sparta_converge(", "from sparta_core.engine.background import joins_background"
        "\n\n\n@joins_background\ndef sparta_converge(")
    marked = marked.replace("    s3 = boto3.client", "    ctx.background.join()\n    s3 = boto3.client")
    (slow_site / "spartaconf.py").write_text(marked)

    cli("provision", "--yes", project=slow_site)

    seen = json.loads((slow_site / ".sparta" / "converge.json").read_text())
    assert seen == {"pending": ["artifact uploads"], "found": artifacts(slow_site, "sitedemo")}


DELETE_BUCKET = '''
import boto3


def sparta_post_build(ctx, build):
    """The bucket disappears after it was checked, before anything is uploaded."""
    s3 = boto3.client("s3")
    bucket = ctx.settings.s3_bucket
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)
'''


def test_a_failed_upload_stops_a_replaced_converge_before_it_is_called(
        cli, slow_site, aws, bucket):
    (slow_site / "spartaconf.py").write_text(DELETE_BUCKET + OWN_CONVERGE)

    result = cli("provision", "--yes", project=slow_site, ok=False)

    assert result.exit_code == 1
    [error] = errors_of(result.output)
    assert "uploading sitedemo-code.zip (code) to s3://" in error
    assert ": NoSuchBucket: The specified bucket does not exist" in error
    assert "Traceback" not in result.output
    # It failed in the background: the template was made and written meanwhile.
    assert (slow_site / ".sparta" / "sitedemo-template.json").is_file()
    assert not (slow_site / ".sparta" / "converge.json").exists()
    assert stack(aws, "sitedemo") is None


GHOST = '''
from sparta_core.engine.context import Artifact


def sparta_post_build(ctx, build):
    """A plugin's artifact whose file is gone when it is sent."""
    ctx.extra_artifacts.append(Artifact("ghost", ctx.work_dir / "ghost.bin", "0" * 64,
                                        "application/octet-stream"))
'''


def test_an_artifact_that_fails_while_the_templates_go_up_changes_no_stack(
        cli, hello, aws, bucket):
    (hello / "spartaconf.py").write_text(GHOST)

    result = cli("provision", "--yes", project=hello, ok=False)

    assert result.exit_code == 1
    [error] = errors_of(result.output)
    assert error.startswith("error: uploading ghost.bin (ghost) to s3://")
    assert "FileNotFoundError" in error
    # The template went up beside the artifacts; CloudFormation was never asked.
    there = landed(aws, bucket)
    assert [key for key in there if key.endswith(".json")]
    assert [key for key in there if key.endswith(".zip")]
    assert stack(aws, "hello") is None
    assert aws("cloudformation").list_stacks()["StackSummaries"] == []


def test_plan_with_a_failed_upload_makes_no_change_set(cli, slow_site, aws, bucket):
    (slow_site / "spartaconf.py").write_text(DELETE_BUCKET)

    result = cli("plan", project=slow_site, ok=False)

    assert result.exit_code == 1
    [error] = errors_of(result.output)
    assert "uploading sitedemo-code.zip (code) to s3://" in error
    assert "NoSuchBucket" in error
    assert stack(aws, "sitedemo") is None  # no CREATE change set, no review stack


def test_a_failed_upload_stops_a_hotswap_before_any_function_changes(cli, hello, aws, bucket):
    cli("provision", "--yes", project=hello)
    before = stack(aws, "hello")
    code = aws("lambda").get_function_configuration(FunctionName="hello-greet")["CodeSha256"]
    greetings = hello / "hello" / "greetings.py"
    greetings.write_text(greetings.read_text().replace("!", "!!"))
    (hello / "spartaconf.py").write_text(DELETE_BUCKET)

    result = cli("provision", "--hotswap", project=hello, ok=False)

    assert result.exit_code == 1
    [error] = errors_of(result.output)
    assert "uploading hello-code.zip (code) to s3://" in error
    assert "NoSuchBucket" in error
    assert "hotswapped" not in result.output
    after = aws("lambda").get_function_configuration(FunctionName="hello-greet")
    assert after["CodeSha256"] == code
    assert stack(aws, "hello").get("LastUpdatedTime") == before.get("LastUpdatedTime")
    assert not (hello / ".sparta" / "hello-hotswap.json").exists()


INTERRUPT = '''
import hashlib
import random

from sparta_core.engine.context import Artifact


def sparta_post_build(ctx, build):
    """Six more artifacts of 8 MiB: more than go up at once."""
    for n in range(6):
        path = ctx.work_dir / f"blob-{n}.bin"
        path.write_bytes(random.Random(n).randbytes(8 * 2**20))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        ctx.extra_artifacts.append(Artifact(f"blob-{n}", path, digest,
                                            "application/octet-stream"))


def sparta_pre_marshall(ctx):
    raise KeyboardInterrupt  # Ctrl-C while the artifacts go up
'''


def test_ctrl_c_while_uploads_run_stops_what_has_not_begun_and_leaves_no_thread(
        cli, hello, aws, bucket):
    (hello / "spartaconf.py").write_text(INTERRUPT)
    threads = sparta_threads()

    result = cli("provision", "--yes", project=hello, ok=False)

    assert result.exit_code == 130
    assert errors_of(result.output) == ["error: interrupted"]
    assert "waiting for artifact uploads to end" in result.output
    [warning] = [line for line in result.output.splitlines()
                 if line.startswith("warning: artifact uploads did not finish:")]
    assert "not uploaded: the run stopped first; the next run uploads" in warning
    assert sparta_threads() == threads
    # What went up is whole; each artifact that did not is named by the warning.
    there = landed(aws, bucket)
    named = set(re.findall(r"\(([a-z0-9-]+)\)", warning.split(" not uploaded")[0]))
    assert named and len(there) + len(named) == 7, result.output  # code + six blobs
    assert all(size == 8 * MiB for key, size in there.items() if key.endswith(".bin"))
    assert stack(aws, "hello") is None
