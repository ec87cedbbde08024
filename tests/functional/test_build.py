"""`sparta build` end to end through the CLI, on real projects, with real zips and cfn-lint."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from tests.conftest import Cli


def build(cli: Cli, project: Path, *args: str) -> dict:
    cli("build", *args, project=project)
    return json.loads((project / ".sparta" / "hello-template.json").read_text())


def test_build_writes_archive_and_lint_clean_template(cli: Cli, hello_project: Path, cfn_lint) -> None:
    result = cli("build", project=hello_project)
    archive = hello_project / ".sparta" / "hello-code.zip"
    template_path = hello_project / ".sparta" / "hello-template.json"
    assert "hello: 2 function(s): greet, config" in result.output
    assert "sha256 " in result.output and "hello-template.json" in result.output
    assert cfn_lint(template_path) == []

    names = zipfile.ZipFile(archive).namelist()
    assert names == sorted(names)
    assert {"service.py", "hello/greetings.py", "sparta_runtime/__init__.py"} <= set(names)

    template = json.loads(template_path.read_text())
    resources = template["Resources"]
    assert sorted(resources) == [
        "ConfigFunction", "ConfigLogGroup", "ConfigRole",
        "GreetFunction", "GreetLogGroup", "GreetRole",
    ]
    greet = resources["GreetFunction"]["Properties"]
    assert greet["Handler"] == "service.greet"
    assert greet["MemorySize"] == 256 and greet["Timeout"] == 10
    assert greet["Environment"]["Variables"]["GREETING"] == "Hello"
    assert greet["FunctionName"] == "hello-greet"
    assert resources["GreetFunction"]["DependsOn"] == ["GreetLogGroup"]
    assert resources["GreetLogGroup"]["Properties"]["LogGroupName"] == "/aws/lambda/hello-greet"
    assert template["Outputs"]["GreetFunctionArn"]["Value"] == {"Fn::GetAtt": ["GreetFunction", "Arn"]}


def test_generated_roles_are_least_privilege(cli: Cli, hello_project: Path) -> None:
    resources = build(cli, hello_project)["Resources"]

    def statements(role: str) -> list[dict]:
        return resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

    greet = statements("GreetRole")
    assert len(greet) == 1
    assert greet[0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert greet[0]["Resource"]["Fn::Sub"].endswith(":log-group:/aws/lambda/hello-greet:*")
    config = statements("ConfigRole")
    assert config[0]["Resource"]["Fn::Sub"].endswith(":log-group:/aws/lambda/hello-config:*")
    assert config[1]["Action"] == ["ssm:GetParameter"]
    assert config[1]["Resource"]["Fn::Sub"].endswith(":parameter/hello/greeting")


def test_two_builds_give_byte_identical_archives(cli: Cli, hello_project: Path) -> None:
    archive = hello_project / ".sparta" / "hello-code.zip"
    first = build(cli, hello_project)
    first_bytes = archive.read_bytes()
    # Times and modes on disk must not leak into the archive.
    for path in hello_project.rglob("*.py"):
        os.utime(path, (1_000_000, 1_000_000))
        path.chmod(0o600)
    second = build(cli, hello_project)
    assert archive.read_bytes() == first_bytes
    assert first == second  # same logical IDs, same content-addressed key


def test_logical_ids_stay_put_when_the_code_changes(cli: Cli, hello_project: Path) -> None:
    first = build(cli, hello_project)
    (hello_project / "hello" / "greetings.py").write_text("def greeting(name):\n    return name\n")
    second = build(cli, hello_project)
    assert sorted(first["Resources"]) == sorted(second["Resources"])
    key = lambda t: t["Resources"]["GreetFunction"]["Properties"]["Code"]["S3Key"]  # noqa: E731
    assert key(first) != key(second)


def test_default_excludes_keep_caches_tests_and_envs_out(cli: Cli, hello_project: Path) -> None:
    for junk in ("__pycache__/service.cpython-311.pyc", "tests/test_x.py", ".git/HEAD",
                 "venv-any/pyvenv.cfg", "hello/helper.pyc", ".env", "spartaconf.py",
                 "requirements-dev.txt", "uv.lock", "service.py.bak", "hello/notes~"):
        text = "# a comment" if junk.endswith(".py") else "x"
        path = hello_project / junk
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (hello_project / "notes.md").write_text("notes")
    (hello_project / "data.json").write_text("{}")
    with (hello_project / "pyproject.toml").open("a") as handle:
        handle.write('exclude = ["*.md"]\n')
    cli("build", project=hello_project)
    names = zipfile.ZipFile(hello_project / ".sparta" / "hello-code.zip").namelist()
    project_names = [name for name in names if not name.startswith(("sparta_core/", "sparta_runtime/"))]
    assert project_names == ["data.json", "hello/__init__.py", "hello/greetings.py", "service.py"]
    assert "sparta_runtime/__init__.py" in names


def test_an_exclude_that_drops_a_handler_module_is_an_error(cli: Cli, hello_project: Path) -> None:
    with (hello_project / "pyproject.toml").open("a") as handle:
        handle.write('exclude = ["s*.py"]\n')
    result = cli("build", project=hello_project, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: function 'greet': its handler module service.py is left out of the archive "
        "by s*.py"
    )


def test_linked_folders_are_followed_once(cli: Cli, hello_project: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-lib"
    shared.mkdir()
    (shared / "util.py").write_text("X = 1\n")
    (hello_project / "lib").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(hello_project, target_is_directory=True)  # a cycle
    cli("build", project=hello_project)
    names = zipfile.ZipFile(hello_project / ".sparta" / "hello-code.zip").namelist()
    assert "lib/util.py" in names
    assert not [name for name in names if name.startswith("lib/loop/")]


def test_python_files_ship_without_the_executable_bit(cli: Cli, hello_project: Path) -> None:
    (hello_project / "service.py").chmod(0o755)
    tool = hello_project / "bin" / "tool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho hi\n")
    tool.chmod(0o755)
    cli("build", project=hello_project)
    infos = {i.filename: i for i in zipfile.ZipFile(hello_project / ".sparta" / "hello-code.zip").infolist()}
    assert (infos["service.py"].external_attr >> 16) & 0o777 == 0o644
    assert (infos["bin/tool"].external_attr >> 16) & 0o777 == 0o755


def test_yaml_format(cli: Cli, hello_project: Path, cfn_lint) -> None:
    cli("build", "--format", "yaml", project=hello_project)
    path = hello_project / ".sparta" / "hello-template.yaml"
    assert "Type: AWS::Lambda::Function" in path.read_text()
    assert cfn_lint(path) == []


def test_provision_noop_does_what_build_does(cli: Cli, hello_project: Path) -> None:
    """Byte for byte the same archive and template as `build`, the same report, and no
    AWS call (no endpoint is configured: a call would fail the command)."""
    work = hello_project / ".sparta"
    built = cli("build", project=hello_project)
    archive, template = (work / "hello-code.zip").read_bytes(), (work / "hello-template.json").read_bytes()
    shutil.rmtree(work)  # a fresh .sparta/ (archive manifests included)

    noop = cli("--endpoint-url", "http://127.0.0.1:9", "provision", "--noop", project=hello_project)

    assert noop.stdout == built.stdout
    assert (work / "hello-code.zip").read_bytes() == archive
    assert (work / "hello-template.json").read_bytes() == template


def test_configured_bucket_replaces_the_bucket_parameter(cli: Cli, hello_project: Path) -> None:
    with (hello_project / "pyproject.toml").open("a") as handle:
        handle.write('s3-bucket = "artifacts"\n')
    template = build(cli, hello_project)
    assert "Parameters" not in template
    assert template["Resources"]["GreetFunction"]["Properties"]["Code"]["S3Bucket"] == "artifacts"


def test_service_from_public_api_with_options(cli: Cli, make_project, cfn_lint) -> None:
    project = make_project({
        "pyproject.toml": """
            [tool.sparta]
            service = "app.main:svc"
        """,
        "app/__init__.py": "",
        "app/main.py": """
            import sparta_core as sparta

            svc = sparta.Service("options-demo", runtime="python3.13", architecture="arm64")
            svc.resource("Dlq", "AWS::SQS::Queue")
            svc.resource("Table", "AWS::DynamoDB::Table", {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            })
            svc.output("TableName", sparta.Ref("Table"), description="the table")

            @svc.function(
                memory_size=1024, timeout=900, ephemeral_storage=2048, architecture="x86_64",
                reserved_concurrency=5, tracing=True, dead_letter_arn=sparta.Ref("Dlq"),
                environment={"TABLE": sparta.Ref("Table")}, tags={"team": "core"},
                description="writes items",
                role=sparta.IAMRoleDefinition(privileges=[sparta.Privilege(
                    actions=["dynamodb:PutItem"], resources=[sparta.GetAtt("Table", "Arn")])]),
            )
            def write(event, context):
                return None

            svc.add_function(handler="app.jobs.nightly", timeout=60)
        """,
        "app/jobs.py": """
            def nightly(event, context):
                return "done"
        """,
    })
    cli("build", project=project)
    path = project / ".sparta" / "options-demo-template.json"
    assert cfn_lint(path) == []
    resources = json.loads(path.read_text())["Resources"]
    write = resources["WriteFunction"]["Properties"]
    assert write["Handler"] == "app.main.write"
    assert write["Architectures"] == ["x86_64"]
    assert write["Runtime"] == "python3.13"
    assert write["EphemeralStorage"] == {"Size": 2048}
    assert write["ReservedConcurrentExecutions"] == 5
    assert write["TracingConfig"] == {"Mode": "Active"}
    assert write["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}}
    assert write["Environment"]["Variables"]["TABLE"] == {"Ref": "Table"}
    assert {"Key": "team", "Value": "core"} in write["Tags"]
    statements = resources["WriteRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = [s["Action"] for s in statements]
    assert ["sqs:SendMessage"] in actions
    assert ["dynamodb:PutItem"] in actions
    assert resources["NightlyFunction"]["Properties"]["Handler"] == "app.jobs.nightly"
    assert resources["NightlyFunction"]["Properties"]["Architectures"] == ["arm64"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"service.py": "import sparta_core as sparta\nservice = sparta.Service('bad_name')\n"},
         "service.py:2: service name 'bad_name' is not a valid stack name"),
        ({"service.py": "x = 1\n"}, "error: module 'service' has no attribute 'service'"),
        ({"service.py": "service = 1\n"}, "error: service:service should be a sparta Service, found int"),
        ({"other.py": ""}, "error: no service module 'service' in "),
        ({"service.py": "import sparta_core as sparta\nservice = sparta.Service('ok')\n"
                        "service.add_function(handler='nowhere.fn')\n"},
         "error: function 'fn': handler 'nowhere.fn' names module 'nowhere'"),
        ({"service.py": "def broken(:\n"}, "SyntaxError"),
    ],
)
def test_bad_services_end_in_one_line(cli: Cli, make_project, files: dict, message: str) -> None:
    project = make_project(files)
    result = cli("build", project=project, ok=False)
    assert result.exit_code != 0
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last, result.output
    assert "Traceback" not in result.output
    assert not list(project.glob(".sparta/*-code*.zip"))


def test_verbose_adds_the_traceback(cli: Cli, make_project) -> None:
    project = make_project({"service.py": "import sparta_core as sparta\nsparta.Service('x_y')\n"})
    result = cli("-v", "build", project=project, ok=False)
    assert "Traceback" in result.output
    assert result.output.strip().splitlines()[-1].startswith("error: ")


def test_dead_letter_targets_of_the_stack_get_the_right_arn(cli: Cli, make_project, cfn_lint) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("dlq")
        service.resource("Topic", "AWS::SNS::Topic")
        service.resource("Queue", "AWS::SQS::Queue")

        @service.function(dead_letter_arn=sparta.Ref("Topic"))
        def to_topic(event, context):
            pass

        @service.function(dead_letter_arn=sparta.Ref("Queue"))
        def to_queue(event, context):
            pass
    """})
    cli("build", project=project)
    path = project / ".sparta" / "dlq-template.json"
    assert cfn_lint(path) == []
    resources = json.loads(path.read_text())["Resources"]
    # A topic's Ref is its ARN; a queue's Ref is its URL, so the queue's ARN is asked for.
    topic = resources["ToTopicFunction"]["Properties"]["DeadLetterConfig"]["TargetArn"]
    assert topic == {"Ref": "Topic"}
    queue = resources["ToQueueFunction"]["Properties"]["DeadLetterConfig"]["TargetArn"]
    assert queue == {"Fn::GetAtt": ["Queue", "Arn"]}
    statements = resources["ToTopicRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": {"Ref": "Topic"}} in statements


def test_a_bad_dead_letter_target_names_the_function(cli: Cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("dlq")
        service.resource("Table", "AWS::DynamoDB::Table", {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})

        @service.function(dead_letter_arn=sparta.Ref("Table"))
        def work(event, context):
            pass
    """})
    result = cli("build", project=project, ok=False)
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: function 'work': dead_letter_arn must be an SQS queue or SNS topic")


def test_provision_noop_takes_the_bucket_tags_and_params_it_is_given(cli: Cli, hello_project: Path) -> None:
    cli("provision", "--noop", "--s3-bucket", "given-bucket", "--tag", "team=core",
        "--param", "Stage=dev", project=hello_project)
    template = json.loads((hello_project / ".sparta" / "hello-template.json").read_text())
    assert template["Resources"]["GreetFunction"]["Properties"]["Code"]["S3Bucket"] == "given-bucket"
    result = cli("provision", "--noop", "--tag", "novalue", project=hello_project, ok=False)
    assert result.output.strip().splitlines()[-1] == "error: --tag expects KEY=VALUE, got 'novalue'"


def test_describe_creates_the_folder_it_writes_to(cli: Cli, hello_project: Path) -> None:
    target = hello_project / "deep" / "er" / "page.html"
    cli("describe", "--out", str(target), project=hello_project)
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_a_reader_that_goes_away_is_not_an_error(hello_project: Path) -> None:
    import subprocess
    import sys

    sparta = Path(sys.executable).parent / "sparta"
    process = subprocess.Popen([sparta, "plugins"], cwd=hello_project,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # like `sparta plugins | head -0`
    _, errors = process.communicate(timeout=60)
    assert b"internal error" not in errors and b"Traceback" not in errors
    assert process.returncode == 141


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("sparta.Service('svc', runtim='python3.12')",
         "service.py:2: Service() takes no parameter 'runtim' (did you mean 'runtime'?)"),
        ("sparta.Privilege(actions=['s3:GetObject'], resource=['*'])",
         "service.py:2: Privilege() takes no parameter 'resource' (did you mean 'resources'?)"),
    ],
)
def test_a_misspelt_parameter_of_a_sparta_class_is_named(cli: Cli, make_project, line: str, message: str) -> None:
    project = make_project({"service.py": f"import sparta_core as sparta\nservice = {line}\n"})
    result = cli("build", project=project, ok=False)
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and last.endswith(message), last


def test_a_folder_exclude_may_end_with_a_slash(cli: Cli, hello_project: Path) -> None:
    drafts = hello_project / "drafts"
    drafts.mkdir()
    (drafts / "idea.py").write_text("X = 1\n")
    with (hello_project / "pyproject.toml").open("a") as handle:
        handle.write('exclude = ["drafts/"]\n')
    cli("build", project=hello_project)
    names = zipfile.ZipFile(hello_project / ".sparta" / "hello-code.zip").namelist()
    assert not [name for name in names if name.startswith("drafts/")]
