"""``sparta invoke``: run one function from the built archive as Lambda would, or invoke
the deployed one.

Locally, the archive is unpacked once per content hash under ``.sparta/invoke/`` and the
handler runs in a fresh, isolated interpreter (``python -I -S``) with the archive first
on ``sys.path``, then the standard library, then only the packages Lambda's Python
runtime provides (boto3, botocore and their dependencies, linked from this
environment), so a dependency missing from the archive fails here as it would in
Lambda. The environment is the function's own variables plus what Lambda sets
(``AWS_LAMBDA_FUNCTION_NAME``, ``_HANDLER``...); AWS credentials and endpoint variables
of the caller are passed through, so the handler's boto3 calls reach the same account
(or, with ``--local``, the local endpoint). The function's timeout is enforced.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from sparta_core.commands.invoke_tree import unpack
from sparta_core.engine.context import ProvisionContext
from sparta_core.errors import (
    InvokeError,
)
from sparta_core.model.function import LambdaFunction
from sparta_core.model.service import Service

#: What Lambda's Python runtime provides beside the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
#: The caller's variables passed to a local invoke.
PASSED_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "HOME", "PATH",
    "LANG", "SYSTEMROOT",
)
LOCAL_ACCOUNT = "000000000000"


@dataclass
class InvokeResult:
    """What an invoke printed: the JSON ``payload`` (result or error) and, if the
    function failed, a one-line ``error``."""

    payload: Any
    error: str | None = None
    log: str = ""


def read_event(source: str | None) -> Any:
    """The event: ``{}`` by default, else JSON from a file or from standard input (``-``)."""
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as error:
        raise InvokeError(f"--event {source}: {error.strerror or error}") from None
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise InvokeError(f"--event {source}: not JSON: {error}") from None


def find_function(service: Service, name: str) -> LambdaFunction:
    """The function called ``name`` (its key or its Lambda name)."""
    if name in service.functions:
        return service.functions[name]
    for function in service.functions.values():
        if service.physical_name(function) == name:
            return function
    known = ", ".join(service.functions) or "none"
    raise InvokeError(f"service '{service.name}' has no function '{name}' (it has: {known})")


def runtime_dir(work_dir: Path) -> Path:
    """A directory of links to the runtime packages Lambda provides."""
    directory = work_dir / "invoke" / "runtime"
    directory.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = directory / source.name
        if not link.exists():
            try:
                link.symlink_to(source)
            except OSError:
                continue
    return directory


#: The variables sparta sets for every local run itself (after the function's own).
SPARTA_SET = ("SPARTA_STACK_NAME", "SPARTA_SERVICE", "SPARTA_FUNCTION")


def function_environment(
    ctx: ProvisionContext,
    function: LambdaFunction,
    region: str,
    overrides: dict[str, str] | None = None,
    variables: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, str]:
    """What the handler's process sees: the caller's AWS settings, the function's own
    variables (``variables``, from the marshalled template, so that what plugins,
    decorators and components add, ``SPARTA_CORS`` included, is there too; else the
    model's), sparta's and Lambda's. A CloudFormation reference is resolved when it
    names only pseudo parameters (``AWS::Region``...) or template ``parameters`` with a
    value; any other is left out, with a warning, unless ``overrides``
    (``invoke --env``) gives it a value."""
    from sparta_core.commands.local_values import resolve

    service = ctx.service
    physical = service.physical_name(function)
    overrides = overrides or {}
    env = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
    declared = dict(function.environment) if variables is None else variables
    known = {
        "AWS::Region": region, "AWS::AccountId": LOCAL_ACCOUNT, "AWS::Partition": "aws",
        "AWS::StackName": ctx.stack_name or service.name, "AWS::URLSuffix": "amazonaws.com",
        **{name: str(value) for name, value in (parameters or {}).items()},
    }
    warned: set[tuple[str, str]] = ctx.stash.setdefault("sparta.invoke.unresolved", set())
    for name, value in declared.items():
        if name in overrides or name in SPARTA_SET:
            continue  # overridden, or set below by sparta itself
        resolved = resolve(value, known)
        if resolved is not None:
            env[name] = resolved
        elif (function.key, name) not in warned:  # once per run (local api: per build)
            warned.add((function.key, name))
            ctx.reporter.warn(
                f"environment variable {name} of function '{function.key}' is a "
                "CloudFormation reference sparta cannot resolve locally; it is not set in a "
                f"local run (give it a value with --env {name}=...)"
            )
    env.update(overrides)
    stamp = time.strftime("%Y/%m/%d", time.gmtime())
    env.update(
        SPARTA_STACK_NAME=ctx.stack_name,
        SPARTA_SERVICE=service.name,
        SPARTA_FUNCTION=function.key,
        _HANDLER=function.handler,
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_EXECUTION_ENV=f"AWS_Lambda_{service.runtime}",
        AWS_LAMBDA_FUNCTION_NAME=physical,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{physical}",
        AWS_LAMBDA_LOG_STREAM_NAME=f"{stamp}/[$LATEST]{uuid.uuid4().hex}",
        SPARTA_INVOKE_FUNCTION_ARN=f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{physical}",
        TZ=":UTC",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@dataclass
class LocalBuild:
    """What one build gives every local run of its functions: the template and each
    architecture's unpacked archive (``sparta local api`` keeps one per build)."""

    template: Any
    task_roots: dict[str, Path]
    region: str
    #: Architecture -> the ``python/`` folder of its unpacked dependency layer, with
    #: ``layer = true`` (Lambda puts a layer's python/ on the path after the code).
    layer_paths: dict[str, str] = field(default_factory=dict)


def prepare(ctx: ProvisionContext) -> LocalBuild:
    """Build the archive (no AWS) and marshal the template: the template says what each
    function's environment really is (plugins, decorators and components, the API's
    CORS headers say, add variables the model does not hold)."""
    from sparta_core.engine.workflow import Workflow

    workflow = Workflow(ctx)
    primary = workflow.build()
    template = workflow.marshall()
    from sparta_core.stages.package.layer import layers_of

    # One unpacked tree per archive: the service's architecture's code in "tree", any
    # other architecture's and each dependency layer in trees of their own.
    roots = {}
    for architecture, archive in {ctx.service.architecture: primary, **ctx.archives}.items():
        name = "tree" if architecture == ctx.service.architecture else f"tree-{architecture}"
        roots[architecture] = unpack(archive.path, archive.sha256, ctx.work_dir, name)
    layer_paths = {
        architecture: str(
            unpack(layer.path, layer.sha256, ctx.work_dir, f"layer-{architecture}") / "python")
        for architecture, layer in layers_of(ctx).items()
    }
    region = ctx.settings.region or os.environ.get("AWS_REGION") or os.environ.get(
        "AWS_DEFAULT_REGION") or "us-east-1"
    return LocalBuild(template, roots, region, layer_paths)


def invoke_local(
    ctx: ProvisionContext,
    function: LambdaFunction,
    event: Any,
    environment: dict[str, str] | None = None,
) -> InvokeResult:
    """Build the archive (no AWS), run ``function`` from it, return its result."""
    return run_local(ctx, prepare(ctx), function, event, environment)


def run_local(
    ctx: ProvisionContext,
    build: LocalBuild,
    function: LambdaFunction,
    event: Any,
    environment: dict[str, str] | None = None,
) -> InvokeResult:
    """Run ``function`` from ``build`` in a fresh interpreter, as Lambda would."""
    from sparta_core.stages.marshall.functions import function_ids

    template = build.template
    resource = template.resources.get(function_ids(function)["function"], {})
    variables = resource.get("Properties", {}).get("Environment", {}).get("Variables")
    parameters = {
        name: ctx.settings.params.get(name, spec.get("Default"))
        for name, spec in template.parameters.items()
        if ctx.settings.params.get(name, spec.get("Default")) is not None
    }
    # A function on another architecture than the service's runs from the archive of
    # its architecture, when its dependencies gave it one (see the package stage).
    architecture = ctx.service.architecture_of(function)
    task_root = build.task_roots.get(architecture, build.task_roots[ctx.service.architecture])
    layer_paths = build.layer_paths.get(architecture, "")
    region = build.region
    env = function_environment(ctx, function, region, environment, variables, parameters)
    if ctx.settings.local:
        from sparta_core.aws import clients as aws_module

        env["AWS_ENDPOINT_URL"] = aws_module.Aws(ctx.settings).endpoint_url or ""
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    elif ctx.settings.endpoint_url:
        env["AWS_ENDPOINT_URL"] = ctx.settings.endpoint_url
    request_id = str(uuid.uuid4())
    env["SPARTA_INVOKE_REQUEST_ID"] = request_id
    env["SPARTA_INVOKE_DEADLINE_MS"] = str(int(time.time() * 1000) + function.timeout * 1000)
    bootstrap = Path(__file__).with_name("invoke_bootstrap.py")
    with tempfile.TemporaryDirectory(prefix="sparta-invoke-") as scratch:
        event_file = Path(scratch) / "event.json"
        result_file = Path(scratch) / "result.json"
        event_file.write_text(json.dumps(event))
        # -u: what the handler prints reaches us at once, so output written before a
        # timeout is kept (Lambda keeps the logs of a timed-out invocation).
        command = [sys.executable, "-I", "-S", "-u", str(bootstrap), str(task_root),
                   str(runtime_dir(ctx.work_dir)), str(event_file), str(result_file),
                   layer_paths]
        ctx.reporter.detail(f"running {function.handler} from {task_root}")
        if not run_handler(command, env, function.timeout + 1.0):
            message = f"Task timed out after {function.timeout:.2f} seconds"
            write_timeout_report(request_id, message, function)
            return InvokeResult({"errorMessage": message, "errorType": "Sandbox.Timedout"},
                                error=f"function '{function.key}': {message}")
        try:
            outcome = json.loads(result_file.read_text())
        except (OSError, ValueError):
            return InvokeResult(
                {"errorMessage": "the runtime exited without a result",
                 "errorType": "Runtime.ExitError"},
                error=f"function '{function.key}': its process exited without a result",
            )
    if "error" in outcome:
        failure = outcome["error"]
        return InvokeResult(failure, error=f"function '{function.key}' failed: "
                                           f"{failure['errorType']}: {failure['errorMessage']}")
    return InvokeResult(outcome["result"])


#: How long the runtime may take to start before the function's own clock runs
#: (Lambda gives a function's initialisation up to 10 seconds).
INIT_SECONDS = 10.0


def run_handler(command: list[str], env: dict[str, str], timeout: float) -> bool:
    """Run the bootstrap, streaming its output (the handler's logs) to standard error
    as it comes; False if it ran past ``timeout`` seconds and was killed (then the
    output ends with a newline, for the lines that follow)."""
    import signal
    import threading

    # The handler's prints are its logs: they go to standard error, so standard output
    # holds only the JSON result. Its own session, so that whatever it started dies with
    # it on a timeout.
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    assert process.stdout is not None
    tail: list[str] = []
    started = threading.Event()
    copier = threading.Thread(target=copy_output,
                              args=(process.stdout, sys.stderr, tail, started), daemon=True)
    copier.start()
    timed_out = False
    try:
        # The clock starts when the runtime says START, as Lambda's does: starting the
        # interpreter is not the function's time (it can be slow on a busy machine).
        limit = time.monotonic() + INIT_SECONDS
        while not started.is_set() and process.poll() is None and time.monotonic() < limit:
            started.wait(0.05)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # After a timeout, or on Ctrl-C: the handler (and what it started) must not live on.
        if process.poll() is None or timed_out:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
            process.wait()
        copier.join(5.0)
        process.stdout.close()
    if timed_out and tail and not tail[-1].endswith("\n"):
        sys.stderr.write("\n")
    return not timed_out


def copy_output(
    source: Any, sink: Any, tail: list[str], started: Any | None = None
) -> None:
    """Copy ``source`` (bytes) to ``sink`` (text) chunk by chunk, as it arrives; the
    last text written is left in ``tail``; ``started`` is set once START is seen."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        chunk = source.read1(65536)
        text = decoder.decode(chunk, final=not chunk)
        if text:
            sink.write(text)
            sink.flush()
            tail[:] = [text]
            if started is not None and "START RequestId" in text:
                started.set()
        if not chunk:
            return


def write_timeout_report(request_id: str, message: str, function: LambdaFunction) -> None:
    """The lines Lambda logs for a timed-out invocation (the handler's own output, kept,
    is above them)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    duration = function.timeout * 1000
    sys.stderr.write(
        f"{stamp}Z {request_id} {message}\n"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
        f"Memory Size: {function.memory_size} MB\tStatus: timeout\n"
    )
    sys.stderr.flush()


def invoke_remote(ctx: ProvisionContext, function: LambdaFunction, event: Any) -> InvokeResult:
    """Invoke the deployed function; its log tail goes to the reporter."""
    import base64

    from sparta_core.aws import clients as aws_module
    from sparta_core.aws import errors as aws_errors

    aws = aws_module.for_context(ctx)
    physical = ctx.service.physical_name(function)
    # A synchronous invoke answers once the function has run: up to its timeout.
    client = aws.client("lambda", wait=float(function.timeout))
    started_ms = int(time.time() * 1000) - 1000
    try:
        response = client.invoke(FunctionName=physical, Payload=json.dumps(event).encode(),
                                 LogType="Tail")
    except Exception as error:
        if aws_errors.error_code(error) == "ResourceNotFoundException":
            raise InvokeError(
                f"function {physical} is not deployed on {aws.describe_target()} "
                "(run `sparta provision`)"
            ) from None
        raise aws_errors.explain(error, f"invoking {physical}", aws) from None
    raw = response["Payload"].read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode(errors="replace")
    log = base64.b64decode(response.get("LogResult", "") or b"").decode(errors="replace")
    if log:
        ctx.reporter.info(f"log tail of {physical}:")
    else:
        log = _log_group_tail(ctx, aws, physical, started_ms,
                              response.get("ResponseMetadata", {}).get("RequestId", ""))
    for line in log.rstrip().splitlines():
        ctx.reporter.info(f"  {line}")
    if response.get("FunctionError"):
        detail = payload if isinstance(payload, dict) else {}
        message = f"{detail.get('errorType', 'Error')}: {detail.get('errorMessage', payload)}"
        return InvokeResult(payload, error=f"function {physical} failed: {message}", log=log)
    return InvokeResult(payload, log=log)


def _log_group_tail(
    ctx: ProvisionContext, aws: Any, physical: str, started_ms: int, request_id: str
) -> str:
    """The invocation's lines from the function's log group, for an endpoint that
    returns no ``LogResult`` (the local one); or a line saying why there are none."""
    from sparta_core.commands.logs_fetch import invocation_log

    log_group = f"/aws/lambda/{physical}"
    lines, reason = invocation_log(aws.client("logs"), log_group, started_ms, request_id)
    if not lines:
        ctx.reporter.info(f"no log tail of {physical}: the endpoint returned none and "
                          f"{reason} (`sparta logs` reads the group later)")
        return ""
    ctx.reporter.info(f"log tail of {physical} (from {log_group}; the endpoint returned none):")
    return "\n".join(lines)
