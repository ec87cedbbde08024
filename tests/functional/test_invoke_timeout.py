"""A local ``sparta invoke`` that times out keeps what the function wrote before the
timeout, and ends with Lambda's END and REPORT lines."""

from __future__ import annotations

import json

SLOW_PROJECT = {
    "pyproject.toml": """
        [tool.sparta]
        service = "service:service"
    """,
    "service.py": """
        import sparta_core as sparta

        service = sparta.Service("slow")

        @service.function(timeout=1)
        def sleepy(event, context):
            import sys, time
            print("started the slow part")
            sys.stderr.write("half-written line without a newline")
            time.sleep(60)
            return "never"
    """,
}


def test_a_timeout_keeps_the_output_written_before_it(cli, make_project):
    project = make_project(SLOW_PROJECT)

    result = cli("invoke", "sleepy", project=project, ok=False)

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "errorMessage": "Task timed out after 1.00 seconds", "errorType": "Sandbox.Timedout"}
    log = result.stderr
    assert "START RequestId:" in log
    assert "started the slow part\n" in log
    assert "half-written line without a newline\n" in log
    request_id = log.split("START RequestId: ", 1)[1].split()[0]
    assert f"{request_id} Task timed out after 1.00 seconds" in log
    assert f"END RequestId: {request_id}" in log
    assert f"REPORT RequestId: {request_id}\tDuration: 1000.00 ms" in log
    assert "Status: timeout" in log
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == ["error: function 'sleepy': Task timed out after 1.00 seconds"]
    # The order is Lambda's: the function's output, then the timeout, END and REPORT.
    assert log.index("started the slow part") < log.index("Task timed out") < log.index("END")
