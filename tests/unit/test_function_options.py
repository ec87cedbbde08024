"""Function options Lambda would refuse are refused at declaration, naming the function;
event sources are checked when attached, naming the function and the source."""

from __future__ import annotations

import pytest

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError

LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:deps:3"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layers": [LAYER] * 6}, "6 layers; Lambda allows 5"),
        ({"layers": ["deps"]}, "layer 'deps' is not a layer version ARN"),
        ({"layers": LAYER}, "layers must be a list of layer version ARNs"),
        ({"environment": {"PORT": 8080}}, "environment variable PORT: value must be a string"),
        ({"environment": {"BIG": "x" * 5000}}, "environment holds 5003 bytes; Lambda allows 4096"),
        ({"tags": {"aws:owner": "me"}}, "tag key 'aws:owner' must be 1-128 characters"),
        ({"tags": {"team": 7}}, "tag team: value must be a string"),
        ({"tags": {f"k{i}": "v" for i in range(50)}}, "50 tags; Lambda allows 49"),
        ({"description": "d" * 257}, "description must be a string of at most 256"),
        ({"role": "not a role"}, "role 'not a role' is not an IAM role name or role ARN"),
        ({"role": "arn:aws:iam::123:role/x"}, "is not an IAM role name or role ARN"),
        ({"dead_letter_arn": "arn:aws:s3:::bucket"}, "is not an SQS queue or SNS topic ARN"),
        ({"events": "orders"}, "events must be a list of event sources"),
        ({"reserved_concurrency": -1}, "reserved_concurrency must be an integer from 0"),
    ],
)
def test_bad_options_name_the_function(options: dict, message: str) -> None:
    service = sparta.Service("svc")
    with pytest.raises(ServiceDefinitionError, match=message) as raised:
        service.add_function(handler="mod.fn", **options)
    assert str(raised.value).startswith("function 'fn': ")


def test_good_options_are_kept() -> None:
    service = sparta.Service("svc")
    function = service.add_function(
        handler="mod.fn",
        layers=[LAYER, sparta.Ref("Layer")],
        environment={"TABLE": sparta.Ref("Table"), "MODE": "fast"},
        tags={"team": "core"},
        role="arn:aws:iam::123456789012:role/service-role/existing",
        dead_letter_arn="arn:aws:sqs:us-east-1:123456789012:dlq",
        events=sparta.SQSEvent("orders"),  # one source, not in a list, is accepted
    )
    assert function.layers == (LAYER, sparta.Ref("Layer"))
    assert function.existing_role == "arn:aws:iam::123456789012:role/service-role/existing"
    assert len(function.events) == 1


def test_a_bad_source_names_the_function_and_the_source() -> None:
    service = sparta.Service("svc")
    with pytest.raises(ServiceDefinitionError) as raised:
        service.add_function(handler="mod.worker",
                             events=[sparta.KinesisStream("clicks", batch_size=0)])
    assert str(raised.value) == (
        "function 'worker': KinesisStream(stream='clicks'): batch_size must be an integer "
        "from 1 to 10000, got 0"
    )


def test_sources_are_plain_dataclasses_with_the_target_first() -> None:
    source = sparta.SQSEvent(sparta.Ref("Orders"), batch_size=5)
    assert source.queue == sparta.Ref("Orders")
    assert source.describe() == "SQSEvent(queue=Ref('Orders'))"
    with pytest.raises(TypeError):
        sparta.SQSEvent("orders", 5)  # options are keyword-only
