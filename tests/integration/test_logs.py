"""``sparta logs``: a deployed function's CloudWatch Logs, through real boto3 against the
local endpoint (whose Lambda writes what a handler prints to the function's log group)."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.integration

PRINTING = '''
import sparta_core as sparta

service = sparta.Service("chatty")


@service.function()
def speak(event, context):
    print("said: " + event["word"])
    return "ok"
'''


def test_logs_show_what_the_deployed_function_printed(cli, hello, aws):
    (hello / "service.py").write_text(PRINTING)
    cli("provision", "--yes", project=hello)
    event = hello / "event.json"
    event.write_text(json.dumps({"word": "bonjour"}))
    cli("invoke", "speak", "--remote", "--event", str(event), project=hello)

    deadline = time.monotonic() + 20
    while True:
        output = cli("logs", "speak", "--since", "5m", project=hello).stdout
        if "said: bonjour" in output or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "said: bonjour" in output
    line = next(line for line in output.splitlines() if "said: bonjour" in line)
    assert line[:4].isdigit() and line[10] == " "  # "YYYY-MM-DD HH:MM:SS  said: bonjour"


def test_logs_of_an_undeployed_service_say_so(cli, hello):
    result = cli("logs", "greet", project=hello, ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "error: log group /aws/lambda/hello-greet does not exist: is the stack deployed?"
    )


def test_a_bad_duration_is_refused(cli, hello):
    result = cli("logs", "greet", "--since", "soon", project=hello, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: --since 'soon': expected a duration such as 30s, 10m, 2h or 1d"
    )


def test_follow_prints_new_events_once(cli, hello, aws):
    from sparta_core.commands.logs_fetch import log_events

    (hello / "service.py").write_text(PRINTING)
    cli("provision", "--yes", project=hello)
    lam = aws("lambda")
    lam.invoke(FunctionName="chatty-speak", Payload=json.dumps({"word": "one"}).encode())
    polls = []

    def next_poll(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            lam.invoke(FunctionName="chatty-speak", Payload=json.dumps({"word": "two"}).encode())
            time.sleep(1.0)  # let the endpoint write the log events
        elif len(polls) == 3:
            raise KeyboardInterrupt

    seen: list[str] = []
    start = int((time.time() - 300) * 1000)
    with pytest.raises(KeyboardInterrupt):
        for event in log_events(aws("logs"), "/aws/lambda/chatty-speak", start, follow=True,
                                sleep=next_poll):
            seen.append(event["message"].strip())
    said = [message for message in seen if message.startswith("said:")]
    assert said == ["said: one", "said: two"]
