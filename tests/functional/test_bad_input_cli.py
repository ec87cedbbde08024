"""Bad input through the real CLI: one ``error:`` line naming the bad field, a non-zero
exit, no template written, never a Python exception's own text."""

from __future__ import annotations

import pytest
from tests.functional.sources_support import build_error, write_service

RESOURCES = '''
service.resource("Orders", "AWS::SQS::Queue")
'''


def with_function(options: str = "", events: str = "", after: str = "") -> str:
    return RESOURCES + f'''
@service.function({options}events=[{events}])
def fn(event, context):
    return handle(event, context)
''' + after


CASES = [
    # declaration errors carry the service.py line
    (with_function('role=sparta.IAMRoleDefinition(privileges=[sparta.Privilege('
                   'actions=["s3:GetObject"], resources=["*"], condition="x")]), '),
     "condition must be a mapping", True),
    (with_function('role=sparta.IAMRoleDefinition(privileges=[sparta.Privilege('
                   'actions=["s3:GetObject"], resources=None)]), '),
     "names no resources", True),
    (with_function(after='service.output("Out", object())\n'),
     "output 'Out': value: object", True),
    (with_function('decorators=None, '), "function 'fn': decorators must be a list", True),
    (with_function('vpc="vpc", '), "function 'fn': vpc must be a mapping", True),
    (with_function(after='api = sparta.RestAPI("photos")\n'
                         'api.route("/x", methds=["GET"], function=fn)\n'),
     "RestAPI.route() takes no parameter 'methds' (did you mean 'methods'?)", True),
    (with_function(events='sparta.Schedule("cron(99 99 99 99 ? 99)")'),
     "function 'fn': Schedule('cron(99 99 99 99 ? 99)'): expression", True),
    (with_function(after='@service.function(name="svc-fn")\n'
                         'def other(event, context):\n    return None\n'),
     "function 'svc-fn' and function 'fn' would both be the Lambda function 'svc-fn'", True),
    (with_function(after='service.resource("Q", "AWS::SQS::Queu")\n'),
     "did you mean 'AWS::SQS::Queue'?", True),
    # template checks name the function and the source that hold the value
    (with_function('environment={"QUEUE": sparta.GetAtt("Orders", "Bogus")}, '),
     "function 'fn' (resource 'FnFunction') asks for GetAtt('Orders', 'Bogus'), but an "
     "AWS::SQS::Queue has no attribute 'Bogus'", False),
    (with_function('environment={"QUEUE": sparta.Sub("${Orders.QueueUrll}")}, '),
     "(did you mean 'QueueUrl'?)", False),
    (with_function(events='sparta.SQSEvent(sparta.Ref("Ordrs"))'),
     "error: SQSEvent(queue=Ref('Ordrs')) of function 'fn' (resource 'FnFunctionSQS0Mapping') "
     "refers to 'Ordrs', which the template does not declare (did you mean 'Orders'?)", False),
    (with_function('environment={"BIG": "x" * 4080}, '),
     "function 'fn': its environment holds at least", False),
]


@pytest.mark.parametrize(("body", "message", "declaration"), CASES)
def test_bad_input_is_one_line_before_anything_is_built(
    cli, make_project, body: str, message: str, declaration: bool
) -> None:
    project = write_service(make_project, body)
    result = cli("build", project=project, ok=False)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code != 0, result.output
    assert lines[-1].startswith("error: "), result.output
    assert message in lines[-1], lines[-1]
    assert ("service.py:" in lines[-1]) == declaration, lines[-1]
    for text in ("Traceback", "TypeError", "ValueError", "KeyError", "internal error",
                 "plugin 'marshall'"):
        assert text not in result.output
    assert not list(project.glob(".sparta/*-template.*"))


def test_the_environment_limit_counts_sparta_variables(cli, make_project) -> None:
    """4,000 bytes of the user's own fit Lambda's 4 KB; sparta's SPARTA_* push it over,
    and the message says so."""
    line = build_error(cli, make_project, with_function('environment={"BIG": "x" * 4050}, '))
    assert "of them sparta's own (SPARTA_FUNCTION, SPARTA_SERVICE, SPARTA_STACK_NAME)" in line
