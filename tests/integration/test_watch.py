"""``sparta watch`` as a user runs it: a real process against the local endpoint, an
edit in the editor, the deployed function answering with the new code, then Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.integration


def invoke(aws, name: str) -> dict:
    response = aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    return json.loads(response["Payload"].read())


def test_watch_redeploys_an_edit_by_itself_and_ctrl_c_ends_it(hello, aws):
    command = [sys.executable, "-c", "from sparta_core.commands.main import main; main()",
               "watch", "--yes"]
    process = subprocess.Popen(command, cwd=hello, env=dict(os.environ), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                              daemon=True)
    reader.start()

    def wait_for(text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                assert process.poll() is None, process.stderr.read()
                continue
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {seen}")

    try:
        # The first deploy finds no stack: it provisions in full, consented by --yes.
        first = wait_for("start: hello")
        assert "created, in full: stack hello does not exist yet" in first
        wait_for("watching")
        assert invoke(aws, "hello-greet")["message"] == "Hello, world!"
        before = aws("cloudformation").describe_stacks(StackName="hello")["Stacks"][0]

        greetings = hello / "hello" / "greetings.py"
        greetings.write_text(greetings.read_text().replace("!", "!!"))
        line = wait_for("hello/greetings.py: hello hotswapped 1 resource(s)")
        assert line.rstrip().endswith(" s)")
        deadline = time.monotonic() + 30
        while invoke(aws, "hello-greet")["message"] != "Hello, world!!":
            assert time.monotonic() < deadline, "the edit never reached the function"
            time.sleep(0.2)
        after = aws("cloudformation").describe_stacks(StackName="hello")["Stacks"][0]
        assert after.get("LastUpdatedTime") == before.get("LastUpdatedTime")

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=10)
    while not lines.empty():
        seen.append(lines.get())
    # One line to end it, after the deploy lines.
    assert [line.strip() for line in seen if line.strip()][-1] == "watch stopped"
    assert "Traceback" not in process.stderr.read()
