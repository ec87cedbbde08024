"""The converge planner and the stack-event analysis: pure functions, no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sparta_core.errors import ConfigError
from sparta_core.stages.converge.events import StackEvent, describe_cause, root_cause, slowest
from sparta_core.stages.converge.planner import (
    CreateChangeSet,
    DeleteFailedStack,
    DesiredStack,
    DiscardChangeSet,
    ExecuteChangeSet,
    RemoteState,
    ShowNewStack,
    StackBlockedError,
    UploadTemplate,
    WaitForStack,
    capabilities,
    plan,
)
from sparta_core.stages.converge.state import StackState

ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}


def desired(template=None, parameters=None) -> DesiredStack:
    template = template or {"Resources": {"Role": ROLE}}
    return DesiredStack(
        name="svc", template=template, template_body="{}", template_bucket="b",
        template_key="svc/abcdef0123.json",
        template_url="https://s3.us-east-1.amazonaws.com/b/svc/abcdef0123.json",
        parameters=parameters or {}, tags={"sparta:build-id": "x"},
    )


def remote(status=None, present=False, parameters=None) -> RemoteState:
    stack = None
    if status:
        stack = StackState("svc", "arn:aws:cloudformation:::stack/svc/1", status,
                           parameters=parameters or {})
    return RemoteState(stack=stack, template_present=present, region="eu-west-1")


def kinds(steps):
    return [type(step) for step in steps]


def test_a_new_stack_is_created_through_a_change_set():
    steps = plan(desired(), remote())
    assert kinds(steps) == [UploadTemplate, CreateChangeSet, ExecuteChangeSet]
    change_set = steps[1]
    assert change_set.change_set_type == "CREATE"
    assert change_set.capabilities == ("CAPABILITY_IAM",)
    assert change_set.template_url.endswith("/b/svc/abcdef0123.json")
    assert change_set.change_set_name.startswith("sparta-")
    assert "create change set" in str(change_set) and "CAPABILITY_IAM" in str(change_set)


def test_a_template_already_in_s3_is_not_uploaded_and_an_existing_stack_is_updated():
    steps = plan(desired(), remote("UPDATE_ROLLBACK_COMPLETE", present=True))
    assert kinds(steps) == [CreateChangeSet, ExecuteChangeSet]
    assert steps[0].change_set_type == "UPDATE"


def test_a_review_stack_is_created_again():
    assert plan(desired(), remote("REVIEW_IN_PROGRESS"))[1].change_set_type == "CREATE"


def test_an_operation_in_progress_is_waited_for():
    steps = plan(desired(), remote("UPDATE_IN_PROGRESS"))
    assert kinds(steps) == [WaitForStack]
    assert "wait for UPDATE_IN_PROGRESS" in str(steps[0])


def test_a_failed_create_is_deleted_then_created_and_plan_only_shows_it():
    steps = plan(desired(), remote("ROLLBACK_COMPLETE"))
    assert kinds(steps) == [DeleteFailedStack, UploadTemplate, CreateChangeSet, ExecuteChangeSet]
    assert steps[2].change_set_type == "CREATE"
    shown = plan(desired(), remote("ROLLBACK_COMPLETE"), execute=False)
    assert kinds(shown) == [ShowNewStack]
    assert shown[0].resources == (("Role", "AWS::IAM::Role"),)


def test_plan_discards_instead_of_executing():
    assert kinds(plan(desired(), remote("CREATE_COMPLETE"), execute=False))[-1] is DiscardChangeSet


def test_a_failed_rollback_is_continued_and_plan_is_blocked_with_the_command():
    from sparta_core.stages.converge.planner import ContinueRollback

    assert kinds(plan(desired(), remote("UPDATE_ROLLBACK_FAILED"))) == [ContinueRollback]
    with pytest.raises(StackBlockedError) as raised:
        plan(desired(), remote("UPDATE_ROLLBACK_FAILED"), execute=False)
    message = str(raised.value)
    assert "aws cloudformation continue-update-rollback --stack-name svc --region eu-west-1" in (
        message
    )
    with pytest.raises(StackBlockedError, match="sparta delete"):
        plan(desired(), remote("DELETE_FAILED"))


def test_parameters_given_previous_default_unknown_and_missing():
    template = {"Parameters": {"Stage": {"Type": "String"},
                               "Size": {"Type": "String", "Default": "1"}},
                "Resources": {"Role": ROLE}}
    steps = plan(desired(template, {"Stage": "prod"}), remote())
    assert steps[1].parameters == (("Stage", "prod"),)
    assert steps[1].api_parameters() == [{"ParameterKey": "Stage", "ParameterValue": "prod"}]
    kept = plan(desired(template), remote("UPDATE_COMPLETE", parameters={"Stage": "prod"}))
    assert kept[1].api_parameters() == [{"ParameterKey": "Stage", "UsePreviousValue": True}]
    with pytest.raises(ConfigError, match="needs a value: --param Stage=VALUE"):
        plan(desired(template), remote())
    with pytest.raises(ConfigError, match="declares no parameter Nope"):
        plan(desired(template, {"Stage": "x", "Nope": "1"}), remote())


def test_capabilities_come_from_the_template():
    assert capabilities({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}) == ()
    assert capabilities({"Resources": {"R": ROLE}}) == ("CAPABILITY_IAM",)
    named = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "fixed"}}
    assert capabilities({"Resources": {"R": named}}) == ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")
    assert capabilities({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}) == (
        "CAPABILITY_AUTO_EXPAND",
    )


def event(logical_id, status, reason="", seconds=0, kind="AWS::SQS::Queue"):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return StackEvent(f"{logical_id}-{status}-{seconds}", start + timedelta(seconds=seconds),
                      logical_id, kind, status, reason)


def test_the_root_cause_skips_cancellations_and_rollback_requests():
    events = [
        event("svc", "UPDATE_IN_PROGRESS", "User Initiated", 0, "AWS::CloudFormation::Stack"),
        event("Fn", "UPDATE_FAILED", "Resource update cancelled", 1),
        event("Queue", "CREATE_FAILED", "Invalid value for VisibilityTimeout.", 2),
        event("svc", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to "
              "create: [Queue].", 3, "AWS::CloudFormation::Stack"),
        event("Other", "DELETE_FAILED", "Rollback requested by user.", 4),
    ]
    cause = root_cause(events)
    assert cause is not None and cause.logical_id == "Queue"
    assert describe_cause(cause) == (
        "resource Queue (AWS::SQS::Queue): Invalid value for VisibilityTimeout"
    )
    assert root_cause(events[:1]) is None
    assert describe_cause(None) == "CloudFormation gave no reason"


def test_the_slowest_resources_are_measured_from_their_events():
    events = [
        event("A", "CREATE_IN_PROGRESS", seconds=0), event("A", "CREATE_COMPLETE", seconds=30),
        event("B", "CREATE_IN_PROGRESS", seconds=5), event("B", "CREATE_COMPLETE", seconds=7),
        event("svc", "CREATE_COMPLETE", seconds=31, kind="AWS::CloudFormation::Stack"),
    ]
    assert slowest(events) == [("A", 30.0), ("B", 2.0)]
