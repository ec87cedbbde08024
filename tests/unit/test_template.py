"""Template: logical IDs are claimed once, and derived from names only."""

from __future__ import annotations

import json

import pytest

import sparta_core as sparta
from sparta_core.engine.template import Template, referenced_ids, references
from sparta_core.errors import DuplicateLogicalIdError, ServiceDefinitionError, TemplateError
from sparta_core.model.naming import logical_id


def test_adding_an_existing_logical_id_names_both_contributors() -> None:
    template = Template()
    template.add_resource("Queue", "AWS::SQS::Queue", owner="function 'a'")
    with pytest.raises(DuplicateLogicalIdError, match="added by plugin 'x' but already belongs to function 'a'"):
        template.add_resource("Queue", "AWS::SQS::Queue", owner="plugin 'x'")


def test_merged_resources_collide_like_added_ones() -> None:
    template = Template()
    template.merge_resources({"Topic": {"Type": "AWS::SNS::Topic"}}, "decorator one")
    with pytest.raises(DuplicateLogicalIdError, match="decorator two"):
        template.merge_resources({"Topic": {"Type": "AWS::SNS::Topic"}}, "decorator two")
    with pytest.raises(TemplateError, match="has no Type"):
        template.merge_resources({"Other": {"Properties": {}}}, "decorator three")


def test_unknown_resource_attribute_is_refused() -> None:
    with pytest.raises(TemplateError, match="unknown resource attribute 'DependOn'"):
        Template().add_resource("Queue", "AWS::SQS::Queue", DependOn=["X"])


def test_references_become_intrinsic_functions() -> None:
    template = Template()
    template.add_resource(
        "Policy", "AWS::SQS::QueuePolicy",
        {"Queues": [sparta.Ref("Queue")], "Arn": sparta.GetAtt("Queue", "Arn"),
         "Name": sparta.Sub("${AWS::StackName}-q")},
    )
    template.add_output("QueueArn", sparta.GetAtt("Queue", "Arn"), export=sparta.Sub("${AWS::StackName}-arn"))
    body = template.to_dict()
    assert body["Resources"]["Policy"]["Properties"] == {
        "Queues": [{"Ref": "Queue"}],
        "Arn": {"Fn::GetAtt": ["Queue", "Arn"]},
        "Name": {"Fn::Sub": "${AWS::StackName}-q"},
    }
    assert body["Outputs"]["QueueArn"]["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-arn"}}


MAKE_TEMPLATE = """
import sparta_core as sparta
from sparta_core.engine.template import Template

template = Template("d")
template.add_resource("B", "AWS::SNS::Topic", {"Tags": [{"Key": "k", "Value": "v"}]})
template.add_resource("A", "AWS::SQS::Queue", {"DelaySeconds": 1, "Policy": {"z": 1, "a": 2}})
template.add_output("Names", sparta.Sub("${A}-${B}"))
print(template.to_json(), end="")
"""


def test_json_is_deterministic_across_processes() -> None:
    """The same template from fresh interpreters with different hash seeds (set and dict
    orders that depend on hashing would show) is byte-identical, and sorted."""
    import os
    import subprocess
    import sys

    bodies = {
        subprocess.run(
            [sys.executable, "-c", MAKE_TEMPLATE], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(bodies) == 1
    body = json.loads(bodies.pop())
    assert list(body["Resources"]) == ["A", "B"]
    assert list(body["Resources"]["A"]["Properties"]["Policy"]) == ["a", "z"]


def test_yaml_output_round_trips() -> None:
    template = Template()
    template.add_resource("Queue", "AWS::SQS::Queue")
    template.add_output("Url", sparta.Ref("Queue"))
    text = template.to_yaml()
    assert "!Ref 'Queue'" in text
    from cfn_flip import to_json

    assert json.loads(to_json(text)) == template.to_dict()


@pytest.mark.parametrize(
    ("parts", "expected"),
    [(("make_thumbnail", "Role"), "MakeThumbnailRole"), (("hello-world",), "HelloWorld"),
     (("9lives", "Function"), "F9livesFunction")],
)
def test_logical_ids_derive_from_names(parts: tuple[str, ...], expected: str) -> None:
    assert logical_id(*parts) == expected


def test_logical_id_needs_some_alphanumerics() -> None:
    with pytest.raises(ServiceDefinitionError):
        logical_id("--")


def test_json_text_follows_changes_made_through_the_resource_dicts() -> None:
    template = Template()
    queue = template.add_resource("Queue", "AWS::SQS::Queue", {"DelaySeconds": 1})
    assert '"DelaySeconds":1' in template.to_compact_json()
    queue["Properties"]["DelaySeconds"] = 2
    assert '"DelaySeconds": 2' in template.to_json()
    assert '"DelaySeconds":2' in template.to_compact_json()


def test_compact_and_indented_json_are_the_same_template() -> None:
    template = Template("d")
    template.add_resource("Queue", "AWS::SQS::Queue", {"Tags": [{"Key": "k", "Value": "é"}]})
    template.set_metadata("sparta:x", {"b": 1, "a": [2]})
    compact = template.to_compact_json()
    assert "\n" not in compact and ": " not in compact
    assert json.loads(compact) == json.loads(template.to_json()) == template.to_dict()
    assert compact == json.dumps(json.loads(template.to_json()), sort_keys=True,
                                 separators=(",", ":"))


def test_json_lines_is_the_same_template_one_line_per_resource() -> None:
    template = Template("d")
    for index in range(3):
        template.add_resource(f"Queue{index}", "AWS::SQS::Queue", {"Tags": [{"Key": "k"}]})
    template.add_output("Url", {"Ref": "Queue0"})
    template.set_metadata("sparta:x", 1)
    text = template.to_json_lines()
    assert json.loads(text) == template.to_dict()
    assert '    "Queue1": {"Properties":{"Tags":[{"Key":"k"}]},"Type":"AWS::SQS::Queue"},' in text
    assert len(text.splitlines()) == 13


def test_references_name_ids_and_attributes_in_order() -> None:
    value = {"A": {"Ref": "Queue"}, "B": [{"Fn::GetAtt": ["Fn", "Arn"]}, {"Ref": "AWS::Region"}],
             "C": {"Fn::Sub": ["${Role.Arn}/${x}/${!No}/${Bucket}", {"x": {"Ref": "P"}}]},
             "D": {"Fn::GetAtt": "Stack.Outputs.Url"}}
    assert references(value) == [("Queue", None), ("Fn", "Arn"), ("Role", "Arn"),
                                 ("Bucket", None), ("P", None), ("Stack", "Outputs.Url")]
    assert list(referenced_ids(value)) == ["Queue", "Fn", "Role", "Bucket", "P", "Stack"]


def test_parameters_conditions_and_resources_share_one_namespace() -> None:
    template = Template()
    template.add_parameter("Stage")
    with pytest.raises(DuplicateLogicalIdError, match="resource 'Stage' is added, but the template already has a parameter"):
        template.add_resource("Stage", "AWS::SQS::Queue")
    template.add_resource("Queue", "AWS::SQS::Queue")
    with pytest.raises(DuplicateLogicalIdError, match="parameter 'Queue' is added, but the template already has a resource"):
        template.add_parameter("Queue")
    with pytest.raises(DuplicateLogicalIdError, match="already has a parameter"):
        template.add_condition("Stage", {"Fn::Equals": ["a", "b"]})
    with pytest.raises(TemplateError, match="output name 'my-output' must be alphanumeric"):
        template.add_output("my-output", "x")
