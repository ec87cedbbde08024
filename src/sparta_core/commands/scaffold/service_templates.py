"""The files ``sparta init`` writes for a service, one shape per ``--example``.

Plain strings with ``__NAME__`` (the service name) and ``__SPARTA__`` (the sparta-core
version) to fill in; no I/O here.
"""

from __future__ import annotations

PYPROJECT = '''\
[project]
name = "__NAME__"
version = "0.1.0"
requires-python = ">=3.10"
# What the functions import at run time; sparta installs it for Lambda's platform.
dependencies = []

[project.optional-dependencies]
dev = ["sparta-core>=__SPARTA__", "pytest>=8"]

[tool.sparta]
service = "service:service"
# The bucket archives and templates go to on AWS (`sparta --local` uses its own):
# s3-bucket = "my-artifacts"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
'''

GITIGNORE = """\
.sparta/
.venv/
__pycache__/
*.pyc
"""

#: The handlers import ``sparta_runtime``, which ships inside the archive; on this
#: machine the same modules are ``sparta_core.runtime``.
CONFTEST = '''\
"""Test set-up: the handlers' ``sparta_runtime`` (sparta's Lambda-side helpers, shipped
in the archive) is ``sparta_core.runtime`` on this machine."""

import sys

import sparta_core.runtime

sys.modules.setdefault("sparta_runtime", sparta_core.runtime)
'''

HELLO_SERVICE = '''\
"""__NAME__: one function that greets.

    sparta build                       # the archive and the template into .sparta/
    sparta invoke hello --event -      # run it from the archive, as Lambda would
    sparta --local provision --yes     # deploy it on the local AWS endpoint
"""

import sparta_core as sparta

service = sparta.Service("__NAME__", description="Greets people")


@service.function(memory_size=128, timeout=10, environment={"GREETING": "Hello"})
def hello(event, context):
    """Return a greeting for ``event["name"]`` (default: world)."""
    import os

    name = (event or {}).get("name", "world")
    return {"message": f"{os.environ.get('GREETING', 'Hello')}, {name}!"}
'''

HELLO_TEST = '''\
"""The handler is an ordinary function: call it."""

from service import hello


def test_hello_greets_by_name():
    assert hello({"name": "sparta"}, None) == {"message": "Hello, sparta!"}


def test_hello_greets_the_world_by_default():
    assert hello({}, None) == {"message": "Hello, world!"}
'''

API_SERVICE = '''\
"""__NAME__: a REST API of two routes, each proxied to a function.

    sparta local api                   # serve the routes on 127.0.0.1, reloading on change
    sparta --local provision --yes     # deploy it on the local AWS endpoint
"""

import sparta_core as sparta

service = sparta.Service("__NAME__", description="Items over HTTP")
api = service.add(sparta.RestAPI("__API__", stage="v1", cors=True))

ITEMS = {"42": {"id": "42", "name": "the answer"}}


@service.function(timeout=5)
def get_item(event, context):
    """``GET /items/{id}``: one item, or 404."""
    from sparta_runtime.api import response

    item_id = (event.get("pathParameters") or {}).get("id", "")
    if item_id not in ITEMS:
        return response({"error": f"no item {item_id!r}"}, status_code=404)
    return response(ITEMS[item_id])


@service.function(timeout=5)
def create_item(event, context):
    """``POST /items``: a JSON body with a string ``name``."""
    from sparta_runtime.api import json_body, response

    try:
        body = json_body(event) or {}
    except ValueError:
        return response({"error": "the body must be JSON"}, status_code=400)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        return response({"error": "the body needs a string 'name'"}, status_code=400)
    return response({"created": body["name"]}, status_code=201)


api.route("/items/{id}", methods=["GET"], function=get_item)
api.route("/items", methods=["POST"], function=create_item)
'''

API_TEST = '''\
"""The handlers are ordinary functions of an API Gateway proxy event: call them."""

import json

from service import create_item, get_item


def test_get_item_answers_with_the_item():
    answer = get_item({"pathParameters": {"id": "42"}}, None)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"id": "42", "name": "the answer"}


def test_get_item_answers_404_for_an_unknown_id():
    assert get_item({"pathParameters": {"id": "7"}}, None)["statusCode"] == 404


def test_create_item_reads_the_json_body():
    answer = create_item({"body": json.dumps({"name": "towel"})}, None)
    assert (answer["statusCode"], json.loads(answer["body"])) == (201, {"created": "towel"})
'''

EVENTS_SERVICE = '''\
"""__NAME__: a queue worked off by one function, and a job that runs every hour.

    sparta build                       # the archive and the template into .sparta/
    sparta --local provision --yes     # deploy queue, functions and schedule locally
"""

import json

import sparta_core as sparta

service = sparta.Service("__NAME__", description="A queue worker and an hourly job")

# Part of the stack; the function's event source refers to it by logical ID.
service.resource("Jobs", "AWS::SQS::Queue", {"VisibilityTimeout": 60})


@service.function(timeout=30, events=[sparta.SQSEvent(sparta.Ref("Jobs"), batch_size=10)])
def work(event, context):
    """Handle each message of the ``Jobs`` queue (its body is JSON)."""
    jobs = [json.loads(record["body"]) for record in event.get("Records", [])]
    for job in jobs:
        print("working on", job)
    return {"done": len(jobs)}


@service.function(events=[sparta.Schedule("rate(1 hour)", input={"report": "hourly"})])
def report(event, context):
    """Run every hour; the input is the schedule's constant."""
    return {"report": event.get("report")}
'''

EVENTS_TEST = '''\
"""The handlers are ordinary functions of the events their sources send: call them."""

import json

from service import report, work


def test_work_handles_every_message_of_a_batch():
    event = {"Records": [{"body": json.dumps({"n": 1})}, {"body": json.dumps({"n": 2})}]}
    assert work(event, None) == {"done": 2}


def test_report_reads_the_schedule_input():
    assert report({"report": "hourly"}, None) == {"report": "hourly"}
'''

EXAMPLES: dict[str, tuple[str, str]] = {
    "hello": (HELLO_SERVICE, HELLO_TEST),
    "api": (API_SERVICE, API_TEST),
    "events": (EVENTS_SERVICE, EVENTS_TEST),
}

#: What to run next, per example (printed after the files are written).
NEXT_STEPS: dict[str, list[str]] = {
    "hello": ["pytest", "sparta build", "sparta invoke hello", "sparta --local provision --yes"],
    "api": ["pytest", "sparta local api", "sparta --local provision --yes"],
    "events": ["pytest", "sparta build", "sparta --local provision --yes"],
}
