"""CloudFormation's custom resource protocol, handled once for every handler.

CloudFormation invokes a custom resource's function with an event (``RequestType``
Create, Update or Delete, ``ResourceProperties``, a pre-signed ``ResponseURL``...) and
then waits, up to an hour, for a JSON document PUT to that URL. :func:`handle` calls the
right operation and always answers:

- ``SUCCESS`` with the physical ID and ``Data`` the operation returned;
- ``FAILED`` with the exception as the reason, when the operation raises;
- ``FAILED`` with a timeout reason shortly before the Lambda deadline, when the
  operation is still running (a function killed by Lambda could not answer at all, and
  the stack would hang until CloudFormation gives up);
- on Update and Delete the physical ID CloudFormation sent is kept unless an Update
  returns a new one (which CloudFormation treats as a replacement and deletes the old);
- a Create that failed answers with a marker physical ID, and the Delete CloudFormation
  sends for it during rollback succeeds without calling the operation.

Standard library only; runs inside Lambda.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUCCESS = "SUCCESS"
FAILED = "FAILED"
FAILED_CREATE_PREFIX = "sparta-failed-create-"
#: Seconds before the Lambda deadline at which a still-running operation is reported
#: as timed out (the PUT itself needs a moment).
DEADLINE_MARGIN = 5.0
#: CloudFormation refuses responses over 4096 bytes; reasons are cut well below.
MAX_REASON = 1500
PUT_ATTEMPTS = 3


@dataclass
class Request:
    """One CloudFormation request, as an operation sees it.

    ``properties`` are the resource's properties without ``ServiceToken`` (CloudFormation
    sends every scalar as a string); ``old_properties`` is set on Update;
    ``physical_id`` on Update and Delete.
    """

    request_type: str
    logical_id: str
    resource_type: str
    stack_id: str
    request_id: str
    properties: dict[str, Any]
    old_properties: dict[str, Any] = field(default_factory=dict)
    physical_id: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        def clean(properties: Any) -> dict[str, Any]:
            return {k: v for k, v in dict(properties or {}).items() if k != "ServiceToken"}

        return cls(
            request_type=event["RequestType"],
            logical_id=event["LogicalResourceId"],
            resource_type=event.get("ResourceType", ""),
            stack_id=event["StackId"],
            request_id=event["RequestId"],
            properties=clean(event.get("ResourceProperties")),
            old_properties=clean(event.get("OldResourceProperties")),
            physical_id=event.get("PhysicalResourceId"),
        )


@dataclass
class Outcome:
    """What an operation returns: a physical ID (Create; a new one on Update means
    replacement) and ``data`` for ``Fn::GetAtt``. Returning ``None`` is an empty
    outcome."""

    physical_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Operation = Callable[[Request], "Outcome | None"]


class _Responder:
    """Sends exactly one response per request, from whichever thread comes first."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.lock = threading.Lock()
        self.sent: dict[str, Any] | None = None

    def send(self, status: str, physical_id: str, reason: str = "",
             data: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        with self.lock:
            if self.sent is not None:
                return None
            body = {
                "Status": status,
                "Reason": reason[:MAX_REASON],
                "PhysicalResourceId": physical_id[:1024],
                "StackId": self.event["StackId"],
                "RequestId": self.event["RequestId"],
                "LogicalResourceId": self.event["LogicalResourceId"],
                "NoEcho": False,
                "Data": dict(data or {}),
            }
            put_response(self.event["ResponseURL"], body)
            self.sent = body
            return body


def put_response(url: str, body: Mapping[str, Any]) -> None:
    """PUT ``body`` to the pre-signed ``url``, retrying transient failures. The content
    type is empty because the URL was signed without one."""
    data = json.dumps(body).encode()
    last: Exception | None = None
    for attempt in range(PUT_ATTEMPTS):
        request = urllib.request.Request(
            url, data=data, method="PUT",
            headers={"Content-Type": "", "Content-Length": str(len(data))},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            return
        except urllib.error.HTTPError as error:
            last = error
            if error.code < 500:
                break
        except OSError as error:
            last = error
        time.sleep(0.5 * (attempt + 1))
    print(f"sparta: could not send the response to CloudFormation: {last}")
    raise RuntimeError(f"could not send the custom resource response: {last}")


def _default_physical_id(request: Request) -> str:
    return f"{request.logical_id}-{request.request_id}"


def _reason(error: BaseException, context: Any) -> str:
    stream = getattr(context, "log_stream_name", None)
    where = f" (log stream {stream})" if stream else ""
    return f"{type(error).__name__}: {error}{where}"


def handle(
    event: Mapping[str, Any],
    context: Any,
    *,
    create: Operation,
    update: Operation | None = None,
    delete: Operation | None = None,
    margin: float = DEADLINE_MARGIN,
) -> dict[str, Any] | None:
    """Run the operation ``event`` asks for and answer CloudFormation; return the
    response sent (``None`` if the deadline response went first).

    ``update`` defaults to ``create`` (an idempotent create is an update); ``delete``
    defaults to doing nothing. Nothing raised by an operation escapes: it becomes a
    ``FAILED`` response.
    """
    request = Request.from_event(event)
    responder = _Responder(event)
    # Never log ResponseURL: it is a credential for this stack's response.
    print("sparta custom resource:", json.dumps(
        {k: v for k, v in event.items() if k != "ResponseURL"}, default=str))

    if request.request_type == "Create":
        fallback = f"{FAILED_CREATE_PREFIX}{request.request_id}"
    else:
        fallback = request.physical_id or _default_physical_id(request)

    timer: threading.Timer | None = None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        seconds = max(remaining() / 1000.0 - margin, 0.0)

        def on_deadline() -> None:
            responder.send(FAILED, fallback,
                           f"{request.request_type} timed out: the handler was still running "
                           f"{margin:g}s before the Lambda deadline")

        timer = threading.Timer(seconds, on_deadline)
        timer.daemon = True
        timer.start()

    try:
        if request.request_type == "Delete" and (request.physical_id or "").startswith(
            FAILED_CREATE_PREFIX
        ):
            return responder.send(SUCCESS, request.physical_id or fallback,
                                  "nothing to delete: the create had failed")
        operation = {"Create": create, "Update": update or create,
                     "Delete": delete or (lambda _request: None)}.get(request.request_type)
        if operation is None:
            return responder.send(FAILED, fallback,
                                  f"unknown RequestType {request.request_type!r}")
        try:
            outcome = operation(request) or Outcome()
            if not isinstance(outcome, Outcome):
                raise TypeError(f"the operation returned {type(outcome).__name__}, not Outcome")
        except Exception as error:
            traceback.print_exc()
            return responder.send(FAILED, fallback, _reason(error, context))
        if request.request_type == "Create":
            physical_id = outcome.physical_id or _default_physical_id(request)
        elif request.request_type == "Update":
            physical_id = outcome.physical_id or fallback
        else:
            physical_id = fallback
        return responder.send(SUCCESS, physical_id, data=outcome.data)
    finally:
        if timer is not None:
            timer.cancel()
