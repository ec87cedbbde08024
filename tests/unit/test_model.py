"""The service model refuses bad declarations with one clear message each."""

from __future__ import annotations

from pathlib import Path

import pytest

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError


def handler(event, context):
    return event


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("1hello", "not a valid stack name"),
        ("hello_world", "not a valid stack name"),
        ("", "not a valid stack name"),
        ("a" * 129, "CloudFormation allows 128"),
    ],
)
def test_stack_name_rules(name: str, message: str) -> None:
    with pytest.raises(ServiceDefinitionError, match=message):
        sparta.Service(name)


def test_stack_name_of_128_characters_is_accepted() -> None:
    assert sparta.Service("a" * 128).name == "a" * 128


def test_decorator_returns_the_function_unchanged() -> None:
    service = sparta.Service("svc")
    decorated = service.function(memory_size=256)(handler)
    assert decorated is handler
    function = service.functions["handler"]
    assert function.memory_size == 256
    assert function.handler == f"{__name__}.handler"


def test_physical_function_name_over_64_characters_is_refused() -> None:
    service = sparta.Service("s" * 40)
    with pytest.raises(ServiceDefinitionError, match=r"is 65 characters; Lambda allows 64"):
        service.add_function(handler="mod." + "f" * 24)


def test_explicit_name_is_used_as_is_and_checked() -> None:
    service = sparta.Service("svc")
    function = service.add_function(handler="mod.fn", name="exactly-this")
    assert service.physical_name(function) == "exactly-this"
    with pytest.raises(ServiceDefinitionError, match="not a valid Lambda function name"):
        service.add_function(handler="mod.other", name="has space")


def test_duplicate_function_names_are_refused() -> None:
    service = sparta.Service("svc")
    service.add_function(handler="a.fn")
    with pytest.raises(ServiceDefinitionError, match="declared twice"):
        service.add_function(handler="b.fn")


def test_names_that_share_a_logical_id_are_refused() -> None:
    service = sparta.Service("svc")
    service.add_function(handler="a.make_thumb")
    with pytest.raises(ServiceDefinitionError, match="would share the logical ID 'MakeThumb'"):
        service.add_function(handler="b.makeThumb")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memroy_size": 256}, "unknown option 'memroy_size' \\(did you mean 'memory_size'\\?\\)"),
        ({"memory_size": 64}, "memory_size must be an integer from 128 to 10240, got 64"),
        ({"memory_size": 10241}, "memory_size must be an integer from 128 to 10240"),
        ({"timeout": 901}, "timeout must be an integer from 1 to 900, got 901"),
        ({"timeout": True}, "timeout must be an integer"),
        ({"architecture": "arm"}, "architecture must be one of x86_64, arm64"),
        ({"ephemeral_storage": 100}, "ephemeral_storage must be an integer from 512"),
        ({"tracing": "On"}, "tracing must be True, False"),
        ({"environment": {"AWS_REGION": "x"}}, "AWS_REGION is reserved"),
        ({"environment": {"1BAD": "x"}}, "not valid"),
        ({"role": 42}, "role must be an IAMRoleDefinition"),
        ({"events": ["queue"]}, "events must be event source objects"),
        ({"vpc": {"subnet_ids": ["s"]}}, "vpc needs both subnet_ids and security_group_ids"),
        ({"decorators": [1]}, "is not callable"),
    ],
)
def test_bad_function_options_name_the_function(options: dict, message: str) -> None:
    service = sparta.Service("svc")
    with pytest.raises(ServiceDefinitionError, match=message) as raised:
        service.add_function(handler="mod.fn", **options)
    assert "'fn'" in str(raised.value) or "mod.fn" in str(raised.value)


def test_unknown_option_in_decorator_is_refused_at_declaration() -> None:
    service = sparta.Service("svc")
    with pytest.raises(ServiceDefinitionError, match="unknown option 'timout'"):
        service.function(timout=3)


def test_bad_runtime_and_architecture_of_the_service() -> None:
    with pytest.raises(ServiceDefinitionError, match="runtime must be one of"):
        sparta.Service("svc", runtime="python2.7")
    with pytest.raises(ServiceDefinitionError, match="architecture must be one of"):
        sparta.Service("svc", architecture="sparc")


def test_nested_functions_cannot_be_handlers() -> None:
    service = sparta.Service("svc")

    def inner(event, context):
        return None

    with pytest.raises(ServiceDefinitionError, match="top level of a module"):
        service.function()(inner)


def test_privilege_needs_actions_and_resources() -> None:
    with pytest.raises(ServiceDefinitionError, match="names no resources"):
        sparta.Privilege(actions=["s3:GetObject"], resources=[])
    with pytest.raises(ServiceDefinitionError, match="not of the form 'service:Action'"):
        sparta.Privilege(actions=["GetObject"], resources=["*"])
    statement = sparta.Privilege(
        actions="sqs:SendMessage", resources=sparta.GetAtt("Queue", "Arn")
    ).to_statement()
    assert statement == {
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
    }


def test_resources_and_outputs_are_checked() -> None:
    service = sparta.Service("svc")
    service.resource("Queue", "AWS::SQS::Queue")
    with pytest.raises(ServiceDefinitionError, match="declared twice"):
        service.resource("Queue", "AWS::SQS::Queue")
    with pytest.raises(ServiceDefinitionError, match="must be alphanumeric"):
        service.resource("my-queue", "AWS::SQS::Queue")
    with pytest.raises(ServiceDefinitionError, match="not of the form"):
        service.resource("Other", "SQS")
    service.output("QueueUrl", sparta.Ref("Queue"))
    with pytest.raises(ServiceDefinitionError, match="declared twice"):
        service.output("QueueUrl", sparta.Ref("Queue"))


class TestHandlerResolution:
    def test_handler_by_string_must_name_a_module_of_the_project(self, tmp_path: Path) -> None:
        service = sparta.Service("svc")
        service.add_function(handler="missing.fn")
        with pytest.raises(ServiceDefinitionError, match="names module 'missing', which is not"):
            service.validate(tmp_path)

    def test_handler_by_string_must_name_a_top_level_function(self, tmp_path: Path) -> None:
        (tmp_path / "pkg").mkdir()
        (tmp_path / "pkg" / "__init__.py").write_text("")
        (tmp_path / "pkg" / "mod.py").write_text("def present(event, context):\n    pass\n")
        service = sparta.Service("svc")
        service.add_function(handler="pkg.mod.present")
        service.validate(tmp_path)
        service.add_function(handler="pkg.mod.absent")
        with pytest.raises(ServiceDefinitionError, match="defines no top-level 'absent'"):
            service.validate(tmp_path)

    def test_handler_module_with_a_syntax_error_is_reported_with_its_line(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "broken.py").write_text("def fn(:\n")
        service = sparta.Service("svc")
        service.add_function(handler="broken.fn")
        with pytest.raises(ServiceDefinitionError, match="line 1: syntax error"):
            service.validate(tmp_path)

    def test_decorated_function_outside_the_project_is_refused(self, tmp_path: Path) -> None:
        service = sparta.Service("svc")
        service.function()(handler)  # defined in this test file, outside tmp_path
        with pytest.raises(ServiceDefinitionError, match="outside the project"):
            service.validate(tmp_path)

    def test_service_without_functions_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ServiceDefinitionError, match="declares no functions"):
            sparta.Service("svc").validate(tmp_path)


def test_a_module_of_many_handlers_is_parsed_once_per_validation(tmp_path: Path,
                                                                 monkeypatch) -> None:
    import ast

    (tmp_path / "handlers.py").write_text(
        "".join(f"def h{i}(event, context):\n    return {i}\n\n" for i in range(50)))
    service = sparta.Service("many")
    for i in range(50):
        service.add_function(handler=f"handlers.h{i}")
    parsed: list[str] = []
    real_parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, filename="<unknown>", **kw: (
        parsed.append(filename), real_parse(source, filename, **kw))[1])

    service.validate(tmp_path)
    assert len(parsed) == 1
    service.validate(tmp_path)  # a new run reads the file again: it may have changed
    assert len(parsed) == 2

    service.add_function(handler="handlers.missing")
    with pytest.raises(ServiceDefinitionError, match="defines no top-level 'missing'"):
        service.validate(tmp_path)


def test_function_of_finds_a_function_by_key_object_or_python_function():
    import pytest

    import sparta_core as sparta

    service = sparta.Service("lookup")
    hook = service.function()(_top_level_hook)
    found = service.function_of(hook)
    assert found.key == "_top_level_hook"
    assert service.function_of("_top_level_hook") is found
    assert service.function_of(found) is found
    with pytest.raises(sparta.ServiceDefinitionError, match=r"^pre_traffic: function 'nope' is"):
        service.function_of("nope", what="pre_traffic")


def _top_level_hook(event, context):
    return None
