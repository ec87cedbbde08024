"""The order example provisioned on the local endpoint (MiniStack), both branches of its
Choice run for real: one execution SUCCEEDED with ship_order's output, one FAILED with the
Fail state's error and cause; and place_order starts one through discovery.

Executions are asynchronous there, as on AWS: start_execution returns RUNNING, and the
test polls describe_execution. (MiniStack stores LoggingConfiguration wrongly, so the
logging is proven by the template tests, not here.)
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import boto3
import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "stepfunctions"
BUCKET = "sparta-stepfunctions-artifacts"

pytestmark = pytest.mark.integration


def finished(client, execution_arn: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        execution = client.describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING":
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} still RUNNING after {timeout} s")
        time.sleep(0.2)


@pytest.fixture
def provisioned(aws_endpoint, sparta_run, tmp_path) -> dict[str, str]:
    project = tmp_path / "fulfilment"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".sparta"))
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    result = sparta_run("provision", "--yes", "--s3-bucket", BUCKET, cwd=project)
    assert result.exit_code == 0, result.output
    stack = boto3.client("cloudformation").describe_stacks(StackName="fulfilment")["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def test_both_branches_run_for_real(provisioned):
    client = boto3.client("stepfunctions")
    machine = provisioned["OrdersStateMachineArn"]
    assert machine.endswith(":stateMachine:fulfilment-orders")
    described = client.describe_state_machine(stateMachineArn=machine)
    definition = json.loads(described["definition"])
    # The substitutions were resolved to the functions' real ARNs.
    assert definition["States"]["ShipOrder"]["Resource"] == provisioned["ShipOrderFunctionArn"]

    good = client.start_execution(stateMachineArn=machine,
                                  input=json.dumps({"order_id": "A-1", "items": 2}))
    bad = client.start_execution(stateMachineArn=machine,
                                 input=json.dumps({"order_id": "A-2", "items": 0}))
    shipped = finished(client, good["executionArn"])
    assert shipped["status"] == "SUCCEEDED", shipped
    # The task's output is ship_order's return value, not a lambda:invoke envelope.
    assert json.loads(shipped["output"]) == {"order_id": "A-1", "status": "shipped", "items": 2}

    failed = finished(client, bad["executionArn"])
    assert failed["status"] == "FAILED", failed
    assert failed["error"] == "InvalidOrder"
    assert failed["cause"] == "the order has no id or no items"


def test_place_order_finds_the_machine_through_discovery(provisioned):
    answer = boto3.client("lambda").invoke(
        FunctionName="fulfilment-place_order",
        Payload=json.dumps({"order_id": "B-7", "items": 1}).encode())
    body = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, body
    client = boto3.client("stepfunctions")
    execution = finished(client, body["execution"])
    assert execution["stateMachineArn"] == provisioned["OrdersStateMachineArn"]
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["order_id"] == "B-7"


def test_an_eventbridge_rule_starts_the_machine(aws_endpoint, sparta_project, sparta_run):
    project = sparta_project({
        "service.py": '''
            import sparta_core as sparta
            from sparta_stepfunctions import StateMachine, Task

            service = sparta.Service("reacting")


            @service.function()
            def handle(event, context):
                return {"seen": event["detail"]["order"]}


            service.add(StateMachine("react", start=Task(handle), events=[
                sparta.EventBridgeRule({"source": ["shop"]})]))
        ''',
        "pyproject.toml": f'[tool.sparta]\nservice = "service:service"\ns3-bucket = "{BUCKET}"\n',
    })
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    result = sparta_run("provision", "--yes", cwd=project)
    assert result.exit_code == 0, result.output
    boto3.client("events").put_events(Entries=[{
        "Source": "shop", "DetailType": "order", "Detail": json.dumps({"order": "C-3"})}])
    client = boto3.client("stepfunctions")
    machine = client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    deadline = time.monotonic() + 30
    while not (executions := client.list_executions(stateMachineArn=machine)["executions"]):
        assert time.monotonic() < deadline, "the rule started no execution"
        time.sleep(0.2)
    execution = finished(client, executions[0]["executionArn"])
    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {"seen": "C-3"}
