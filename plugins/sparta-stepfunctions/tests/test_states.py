"""Each state kind's ASL, derived names, and the graph errors caught before any build."""

from __future__ import annotations

import pytest
from sparta_stepfunctions import (
    Catch,
    Choice,
    Fail,
    Map,
    Parallel,
    Pass,
    Retry,
    StateMachine,
    Succeed,
    Task,
    Wait,
)

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError


def make_service() -> tuple[sparta.Service, dict[str, sparta.LambdaFunction]]:
    service = sparta.Service("shop")
    functions = {key: service.add_function(f"handlers.{key}")
                 for key in ("validate_order", "ship_order", "charge")}
    return service, functions


def chain(first, *rest):
    """Link ``first`` and ``rest`` in order; return ``first``."""
    state = first
    for following in rest:
        state = state.next(following)
    return first


def definition(start, service) -> dict:
    machine = StateMachine("flow", start=start)
    machine.validate(service)
    return machine.definition(service)


def test_a_chain_of_tasks_names_states_after_their_functions():
    service, fn = make_service()
    first = Task(fn["validate_order"])
    first.next(Task(fn["charge"])).next(Task("ship_order"))
    assert definition(first, service) == {
        "StartAt": "ValidateOrder",
        "States": {
            "ValidateOrder": {"Type": "Task", "Resource": "${ValidateOrderFunctionArn}",
                              "Next": "Charge"},
            "Charge": {"Type": "Task", "Resource": "${ChargeFunctionArn}", "Next": "ShipOrder"},
            "ShipOrder": {"Type": "Task", "Resource": "${ShipOrderFunctionArn}", "End": True},
        },
    }


def test_next_returns_the_next_state():
    a, b = Pass(), Succeed()
    assert a.next(b) is b


def test_task_retry_catch_and_options():
    service, fn = make_service()
    recover = Pass(result={"recovered": True}, name="Recover")
    task = Task(fn["charge"], retry=[Retry(error_equals="Lambda.ServiceException",
                                           interval_seconds=2, max_attempts=3,
                                           backoff_rate=1.5),
                                     {"max_attempts": 1}],
                catch=[{"error_equals": ["States.ALL"], "next": recover,
                        "result_path": "$.error"}],
                timeout_seconds=30, result_path="$.charge", comment="charge the card")
    assert definition(task, service)["States"] == {
        "Charge": {
            "Type": "Task", "Comment": "charge the card",
            "Resource": "${ChargeFunctionArn}", "TimeoutSeconds": 30,
            "Retry": [
                {"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2,
                 "MaxAttempts": 3, "BackoffRate": 1.5},
                {"ErrorEquals": ["States.ALL"], "MaxAttempts": 1},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover",
                       "ResultPath": "$.error"}],
            "ResultPath": "$.charge", "End": True,
        },
        "Recover": {"Type": "Pass", "Result": {"recovered": True}, "End": True},
    }


def test_choice_conditions_render_each_operator():
    service, _fn = make_service()
    done = Succeed()
    choice = (
        Choice()
        .when(Choice.equals("$.s", "ok"), done)
        .when(Choice.equals("$.n", 3), done)
        .when(Choice.equals("$.b", False), done)
        .when(Choice.greater_than("$.n", 10), done)
        .when(Choice.less_than("$.n", 1.5), done)
        .when(Choice.greater_than_equals("$.s", "m"), done)
        .when(Choice.less_than_equals("$.n", 0), done)
        .when(Choice.matches("$.s", "order-*"), done)
        .when(Choice.is_present("$.x"), done)
        .when(Choice.is_null("$.x", False), done)
        .when(Choice.is_present("$.a") & ~Choice.is_null("$.a"), done)
        .when(Choice.or_(Choice.is_string("$.a"), Choice.is_numeric("$.a")), done)
        .otherwise(Fail(error="NoMatch"))
    )
    rules = definition(choice, service)["States"]["Choice"]["Choices"]
    assert rules == [
        {"Variable": "$.s", "StringEquals": "ok", "Next": "Succeed"},
        {"Variable": "$.n", "NumericEquals": 3, "Next": "Succeed"},
        {"Variable": "$.b", "BooleanEquals": False, "Next": "Succeed"},
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Succeed"},
        {"Variable": "$.n", "NumericLessThan": 1.5, "Next": "Succeed"},
        {"Variable": "$.s", "StringGreaterThanEquals": "m", "Next": "Succeed"},
        {"Variable": "$.n", "NumericLessThanEquals": 0, "Next": "Succeed"},
        {"Variable": "$.s", "StringMatches": "order-*", "Next": "Succeed"},
        {"Variable": "$.x", "IsPresent": True, "Next": "Succeed"},
        {"Variable": "$.x", "IsNull": False, "Next": "Succeed"},
        {"And": [{"Variable": "$.a", "IsPresent": True},
                 {"Not": {"Variable": "$.a", "IsNull": True}}], "Next": "Succeed"},
        {"Or": [{"Variable": "$.a", "IsString": True},
                {"Variable": "$.a", "IsNumeric": True}], "Next": "Succeed"},
    ]
    assert definition(choice, service)["States"]["Choice"]["Default"] == "Fail"


def test_wait_pass_parallel_map_succeed_fail():
    service, fn = make_service()
    start = Wait(seconds=5)
    second = Pass(result=1)
    second.next(Succeed())
    parallel = Parallel(branches=[Task(fn["charge"]), second], result_path="$.both")
    mapped = Map(iterator=Task(fn["ship_order"]), items_path="$.items", max_concurrency=2)
    start.next(Pass(parameters={"items.$": "$.lines"})).next(parallel).next(mapped).next(
        Fail(error="Done", cause="all shipped"))
    states = definition(start, service)["States"]
    # Nested flows' states are named after the main flow's, in walk order.
    assert list(states) == ["Wait", "Pass", "Parallel", "Map", "Fail"]
    assert states["Wait"] == {"Type": "Wait", "Seconds": 5, "Next": "Pass"}
    assert states["Pass"] == {"Type": "Pass", "Parameters": {"items.$": "$.lines"},
                              "Next": "Parallel"}
    assert states["Parallel"] == {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "Charge", "States": {"Charge": {
                "Type": "Task", "Resource": "${ChargeFunctionArn}", "End": True}}},
            {"StartAt": "Pass2", "States": {
                "Pass2": {"Type": "Pass", "Result": 1, "Next": "Succeed"},
                "Succeed": {"Type": "Succeed"}}},
        ],
        "ResultPath": "$.both", "Next": "Map",
    }
    assert states["Map"] == {
        "Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "ShipOrder",
                          "States": {"ShipOrder": {"Type": "Task",
                                                   "Resource": "${ShipOrderFunctionArn}",
                                                   "End": True}}},
        "ItemsPath": "$.items", "MaxConcurrency": 2, "Next": "Fail",
    }
    assert states["Fail"] == {"Type": "Fail", "Error": "Done", "Cause": "all shipped"}
    assert Wait(timestamp_path="$.when").to_asl(str, None)["TimestampPath"] == "$.when"  # type: ignore[arg-type]


def test_given_names_win_and_derived_names_are_deduplicated_in_walk_order():
    service, fn = make_service()
    start = Pass(name="Pass")
    start.next(Pass()).next(Task(fn["charge"])).next(Task(fn["charge"], name="ChargeAgain")) \
        .next(Task(fn["charge"]))
    assert list(definition(start, service)["States"]) == [
        "Pass", "Pass2", "Charge", "ChargeAgain", "Charge2"]


def test_names_are_the_same_on_every_declaration():
    def declare() -> list[str]:
        service, fn = make_service()
        start = Task(fn["validate_order"])
        prepare = Pass()
        prepare.next(Task(fn["ship_order"]))
        start.next(Choice().when(Choice.is_present("$.a"), prepare)
                   .when(Choice.is_present("$.b"), Pass())
                   .otherwise(Fail()))
        return list(definition(start, service)["States"])

    assert declare() == declare() == [
        "ValidateOrder", "Choice", "Pass", "ShipOrder", "Pass2", "Fail"]


def test_a_name_loops_back():
    service, fn = make_service()
    poll = Task(fn["charge"], name="Poll")
    wait = Wait(seconds=1)
    wait.next("Poll")
    poll.next(Choice().when(Choice.equals("$.done", True), Succeed()).otherwise(wait))
    assert definition(poll, service)["States"]["Wait"] == {
        "Type": "Wait", "Seconds": 1, "Next": "Poll"}


@pytest.mark.parametrize(("declare", "message"), [
    (lambda fn: Pass(name="Same").next(Pass(name="Same")),
     "two states are named 'Same'"),
    (lambda fn: chain(Pass(), Wait(seconds=1), "Nowhere"),
     "'Wait' goes to 'Nowhere', which names no state of the main flow; its states: Pass, Wait"),
    (lambda fn: Pass().next(Choice().otherwise(Succeed())),
     "Choice() has no branches; add at least one .when(condition, state)"),
    (lambda fn: Task("refund"),
     "Task(refund): function 'refund' is not a function of service 'shop'"),
], ids=["duplicate", "dangling", "empty-choice", "unknown-function"])
def test_graph_errors(declare, message):
    service, fn = make_service()
    start = declare(fn)
    while start.predecessors:
        start = start.predecessors[0]
    with pytest.raises(ServiceDefinitionError) as caught:
        StateMachine("flow", start=start).validate(service)
    assert str(caught.value).startswith("StateMachine 'flow': ")
    assert message in str(caught.value)


def test_an_unreachable_state_is_named():
    service, fn = make_service()
    ship = Task(fn["ship_order"])
    orphan = Pass(name="Forgotten")
    orphan.next(ship)
    with pytest.raises(ServiceDefinitionError, match=(
            "Pass\\('Forgotten'\\) is unreachable: it goes to 'ShipOrder', but no state of "
            "the machine goes to it")):
        start = Task(fn["validate_order"])
        start.next(ship)
        StateMachine("flow", start=start).validate(service)


def test_a_branch_cannot_leave_its_branch():
    service, _fn = make_service()
    after = Succeed()
    parallel = Parallel(branches=[chain(Pass(), after)])
    parallel.next(after)
    with pytest.raises(ServiceDefinitionError, match="reached from the main flow and from "
                       "branch 1 of Parallel\\(\\)"):
        StateMachine("flow", start=parallel).validate(service)


@pytest.mark.parametrize(("declare", "message"), [
    (lambda: Succeed().next(Pass()), "a Succeed state cannot have a next state"),
    (lambda: Choice().next(Pass()), "a Choice state cannot have a next state (use .when()"),
    (lambda: Pass().next(Pass()).predecessors[0].next(Wait(seconds=1)), "already continues"),
    (lambda: Choice().when("$.a == 1", Pass()), "is not a condition"),
    (lambda: Choice.equals("a", 1), "'a' is not a JSONPath"),
    (lambda: Choice.greater_than("$.a", [1]), "compare with a string, a number or a boolean"),
    (lambda: Choice.greater_than("$.a", True), "booleans can only be compared for equality"),
    (lambda: Wait(), "give exactly one of seconds"),
    (lambda: Wait(seconds=1, timestamp="2030-01-01T00:00:00Z"), "give exactly one"),
    (lambda: Pass(result={1, 2}), "must be JSON-serialisable"),
    (lambda: Fail(result_path="$.x"), "Fail() does not take result_path"),
    (lambda: Task(print, retry=[{"max_attempt": 2}]), "Retry takes backoff_rate"),
    (lambda: Task(print, retry=[Retry(), Retry("X")]), "'States.ALL' must be the last one"),
    (lambda: Task(print, catch=[Catch(next=7)]), "expected a state or a state's name"),
    (lambda: Retry(backoff_rate=0.5), "backoff_rate must be a number of at least 1.0"),
    (lambda: Parallel(branches=[]), "branches must be a non-empty list"),
    (lambda: Map(iterator="x"), "iterator must be a state"),
    (lambda: Pass(name="x" * 81), "at most 80 characters"),
    (lambda: StateMachine("bad name", start=Pass()), "must hold only letters"),
    (lambda: StateMachine("m", start=Pass(), type="FAST"), "STANDARD or EXPRESS"),
    (lambda: StateMachine("m", start=Pass(), log_retention_days=10), "log_retention_days"),
    (lambda: StateMachine("m", start=Pass(), events=[sparta.SQSEvent(queue="q")]),
     "events take sparta.Schedule or sparta.EventBridgeRule"),
    (lambda: StateMachine("m", start=Pass(), events=[sparta.Schedule("rate(1 minutes)")]),
     "write '1 minute'"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_declaration_errors(declare, message):
    with pytest.raises(ServiceDefinitionError, match=None) as caught:
        declare()
    assert message in str(caught.value)


def test_a_task_function_that_names_the_machine_is_a_cycle():
    service = sparta.Service("shop")
    fn = service.add_function("handlers.work",
                              environment={"FLOW": sparta.Ref("FlowStateMachine")})
    with pytest.raises(ServiceDefinitionError, match="function 'work' runs in the machine "
                       "and also refers to it"):
        StateMachine("flow", start=Task(fn)).validate(service)


def test_functions_and_edges_for_describe():
    service, fn = make_service()
    start = Task(fn["validate_order"])
    start.next(Task(fn["ship_order"])).next(Task(fn["validate_order"], name="Again"))
    machine = StateMachine("flow", start=start)
    assert [f.key for f in machine.functions(service)] == ["validate_order", "ship_order"]
    assert [(label, f.key) for label, f in machine.edges(service)] == [
        ("Task ValidateOrder", "validate_order"), ("Task ShipOrder", "ship_order"),
        ("Task Again", "validate_order")]
    assert machine.describe() == "StateMachine flow (STANDARD)"


def test_a_definition_over_one_megabyte_is_refused(sparta_project, sparta_run):
    project = sparta_project({"service.py": '''
        import sparta_core as sparta
        from sparta_stepfunctions import Pass, StateMachine

        service = sparta.Service("big")


        @service.function()
        def work(event, context):
            return event


        service.add(StateMachine("huge", start=Pass(result="x" * 1_100_000)))
    '''})
    result = sparta_run("build", cwd=project)
    assert result.exit_code != 0
    assert result.error_line() == (
        "error: StateMachine 'huge': its definition is 1100075 bytes; Step Functions "
        "accepts 1048576")
