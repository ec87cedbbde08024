"""Runs one Lambda handler the way the Python runtime does; executed as a script by
``sparta invoke`` in a fresh, isolated interpreter (``python -I -S``).

Standard library only, and it never imports ``sparta_core``: the handler must find all
it needs in the archive (first on ``sys.path``, like ``/var/task``), in the standard
library, or in what Lambda's runtime provides (boto3 and its dependencies, last on the
path, like ``/var/runtime``).

Usage: ``bootstrap.py TASK_ROOT RUNTIME_DIR EVENT_FILE RESULT_FILE [LAYER_PATHS]``;
``LAYER_PATHS`` (``os.pathsep``-separated: the layers' ``python/`` folders) come right
after the task root on ``sys.path``, as ``/opt/python`` does in Lambda. The function's
settings come from the environment, as in Lambda (``_HANDLER``,
``AWS_LAMBDA_FUNCTION_NAME``...); ``SPARTA_INVOKE_DEADLINE_MS`` is the deadline (epoch
milliseconds). The result file receives ``{"result": ...}`` or ``{"error": {...}}``.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The ``context`` argument, with the fields and method of Lambda's own."""

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str) -> None:
        env = os.environ
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        # Lambda's runtime gives the memory size as the string from its environment.
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = function_arn
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _error(error_type: str, message: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}


def run(
    task_root: str, runtime_dir: str, event_file: str, invocation: dict[str, str],
    layer_paths: str = "",
) -> dict[str, Any]:
    sys.path[0:0] = [task_root, *(path for path in layer_paths.split(os.pathsep) if path)]
    if runtime_dir and os.path.isdir(runtime_dir):
        sys.path.append(runtime_dir)
    os.chdir(task_root)
    handler = os.environ["_HANDLER"]
    module_name, _, attribute = handler.rpartition(".")
    request_id = invocation["SPARTA_INVOKE_REQUEST_ID"]
    with open(event_file, encoding="utf-8") as handle:
        event = json.load(handle)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        return {"error": _error("Runtime.ImportModuleError",
                                f"Unable to import module '{module_name}': {error}")}
    function = getattr(module, attribute, None)
    if not callable(function):
        return {"error": _error("Runtime.HandlerNotFound",
                                f"Handler '{attribute}' missing on module '{module_name}'")}
    context = LambdaContext(
        request_id,
        int(invocation["SPARTA_INVOKE_DEADLINE_MS"]),
        invocation["SPARTA_INVOKE_FUNCTION_ARN"],
    )
    try:
        result = function(event, context)
    except Exception as error:
        frames = traceback.format_tb(error.__traceback__)[1:]
        return {"error": _error(type(error).__name__, str(error), frames)}
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        return {"error": _error("Runtime.MarshalError",
                                f"Unable to marshall response: {error}")}
    return {"result": result}


def main() -> None:
    task_root, runtime_dir, event_file, result_file = sys.argv[1:5]
    layer_paths = sys.argv[5] if len(sys.argv) > 5 else ""
    # What sparta tells the runtime about this invocation; Lambda's own environment has
    # no such variables, so the handler must not see them.
    invocation = {
        name: os.environ.pop(name)
        for name in ("SPARTA_INVOKE_REQUEST_ID", "SPARTA_INVOKE_DEADLINE_MS",
                     "SPARTA_INVOKE_FUNCTION_ARN")
    }
    request_id = invocation["SPARTA_INVOKE_REQUEST_ID"]
    print(f"START RequestId: {request_id} Version: $LATEST", file=sys.stderr, flush=True)
    started = time.perf_counter()
    outcome = run(task_root, runtime_dir, event_file, invocation, layer_paths)
    duration = (time.perf_counter() - started) * 1000
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(outcome, handle)
    sys.stdout.flush()
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    # ru_maxrss is in kilobytes on Linux.
    used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"END RequestId: {request_id}", file=sys.stderr)
    print(
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
        f"Memory Size: {memory} MB\tMax Memory Used: {used} MB",
        file=sys.stderr, flush=True,
    )


if __name__ == "__main__":
    main()
