"""`sparta describe`: one self-contained page with the service's graph and template."""

from __future__ import annotations

import re

from tests.conftest import Cli

SERVICE = """
    import sparta_core as sparta

    service = sparta.Service("orders", description="Orders from a queue into a table")
    service.resource("Queue", "AWS::SQS::Queue")
    service.resource("Table", "AWS::DynamoDB::Table", {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})


    def from_queue(logical_id):
        return {logical_id + "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "FunctionName": {"Ref": logical_id}}}}


    @service.function(environment={"TABLE": sparta.Ref("Table")}, decorators=[from_queue])
    def take(event, context):
        pass


    @service.function(memory_size=512)
    def report(event, context):
        pass
"""


def test_describe_draws_functions_resources_and_wiring(cli: Cli, make_project) -> None:
    project = make_project({"service.py": SERVICE})
    result = cli("-q", "describe", project=project)
    page = (project / ".sparta" / "orders-describe.html").read_text()
    assert result.output.strip().endswith("orders-describe.html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "Orders from a queue into a table" in page
    boxes = re.findall(r'<g class="(\w+)"><rect[^>]*/><text[^>]*>([^<]*)</text>', page)
    assert ("function", "take") in boxes and ("function", "report") in boxes
    assert ("resource", "Queue") in boxes and ("resource", "Table") in boxes
    # The mapping is an edge from the queue to the function, not a box of its own.
    assert ("resource", "TakeFunctionMapping") not in boxes
    edge_labels = re.findall(r'class="edge-label"[^>]*>([^<]*)<', page)
    assert "EventSourceMapping" in edge_labels
    assert "uses" in edge_labels
    assert "512 MB" in page
    # Self-contained: nothing is fetched when the page opens.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "&quot;TakeFunctionMapping&quot;" in page  # the template, escaped into the page


def test_describe_writes_where_asked(cli: Cli, hello_project) -> None:
    target = hello_project / "out" / "page.html"
    target.parent.mkdir()
    result = cli("describe", "--out", str(target), project=hello_project)
    page = target.read_text()
    assert result.stdout.strip().endswith("page.html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    boxes = re.findall(r'<g class="(\w+)"><rect[^>]*/><text[^>]*>([^<]*)</text>', page)
    assert ("function", "greet") in boxes and ("function", "config") in boxes
    assert "&quot;GreetFunction&quot;" in page  # the template is in the page
    assert not (hello_project / ".sparta" / "hello-describe.html").exists()


def test_declared_resources_that_invoke_a_function_are_boxes(cli: Cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("uploads")
        service.resource("Uploads", "AWS::S3::Bucket")

        @service.function(events=[sparta.S3Event(sparta.Ref("Uploads"))])
        def on_upload(event, context):
            pass
    """})
    cli("-q", "describe", project=project)
    page = (project / ".sparta" / "uploads-describe.html").read_text()
    boxes = re.findall(r'<g class="(\w+)"><rect[^>]*/><text[^>]*>([^<]*)</text>', page)
    assert ("resource", "Uploads") in boxes
    assert [kind for kind, _ in boxes].count("resource") == 1  # permission: an edge, not a box
    assert "invokes" in re.findall(r'class="edge-label"[^>]*>([^<]*)<', page)
