"""What ``--hotswap`` may apply: differences in resources' properties only."""

from __future__ import annotations

import copy

import pytest

from sparta_core.engine.hotswap import ResourceDifference
from sparta_core.stages.converge.hotswap_compare import Fallback, compare, overlay

DEPLOYED = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Metadata": {"sparta:build-id": "aaaa"},
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": ["Logs"],
               "Properties": {"Code": {"S3Bucket": "b", "S3Key": "s/1.zip"}, "MemorySize": 128}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/x"}},
    },
    "Outputs": {"FnArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}},
}


def changed(**edits: object) -> dict:
    template = copy.deepcopy(DEPLOYED)
    template["Metadata"]["sparta:build-id"] = "bbbb"
    template["Resources"]["Fn"]["Properties"].update(edits)
    return template


def test_a_code_change_is_one_difference_and_the_build_id_is_ignored() -> None:
    [difference] = compare(changed(Code={"S3Bucket": "b", "S3Key": "s/2.zip"}), DEPLOYED)
    assert (difference.logical_id, difference.properties) == ("Fn", ("Code",))
    assert str(difference) == "resource Fn (AWS::Lambda::Function): Code changed"
    assert compare(changed(), DEPLOYED) == []


@pytest.mark.parametrize("edit, reason", [
    (lambda t: t["Resources"].pop("Logs"), "resource Logs (AWS::Logs::LogGroup) is removed"),
    (lambda t: t["Resources"].update(Q={"Type": "AWS::SQS::Queue"}),
     "resource Q (AWS::SQS::Queue) is new"),
    (lambda t: t["Resources"]["Fn"].update(DependsOn=[]),
     "resource Fn (AWS::Lambda::Function): its DependsOn changed"),
    (lambda t: t["Outputs"].clear(), "the template's Outputs changed"),
    (lambda t: t["Metadata"].update(owner="me"), "the template's Metadata changed"),
])
def test_anything_else_names_the_first_difference(edit, reason: str) -> None:
    template = changed()
    edit(template)
    with pytest.raises(Fallback, match=reason.replace("(", r"\(").replace(")", r"\)")):
        compare(template, DEPLOYED)


def test_earlier_hotswaps_are_laid_over_the_deployed_template() -> None:
    code = {"S3Bucket": "b", "S3Key": "s/2.zip"}
    effective = overlay(DEPLOYED, {"Fn": {"Code": code}, "Gone": {"X": 1}})
    assert effective["Resources"]["Fn"]["Properties"] == {"Code": code, "MemorySize": 128}
    assert DEPLOYED["Resources"]["Fn"]["Properties"]["Code"]["S3Key"] == "s/1.zip"
    # Undoing the edit is now the difference.
    [difference] = compare(DEPLOYED, effective)
    assert difference.new["Properties"]["Code"]["S3Key"] == "s/1.zip"


def stack_change(*properties: str) -> ResourceDifference:
    return ResourceDifference("Functions01Stack", "AWS::CloudFormation::Stack", properties,
                              {}, {})


def test_a_nested_stack_whose_template_url_alone_changed_is_looked_into() -> None:
    from sparta_core.stages.converge.hotswap_nested import split_changes

    function = ResourceDifference("Provider", "AWS::Lambda::Function", ("Code",), {}, {})
    own, children = split_changes([function, stack_change("TemplateURL")])
    assert own == [function]
    assert children == ["Functions01Stack"]


@pytest.mark.parametrize("properties", [("Parameters",), ("Parameters", "TemplateURL"),
                                        ("TimeoutInMinutes", "TemplateURL")])
def test_any_other_change_of_a_nested_stack_names_it(properties: tuple[str, ...]) -> None:
    from sparta_core.stages.converge.hotswap_nested import split_changes

    other = ", ".join(name for name in properties if name != "TemplateURL")
    with pytest.raises(Fallback, match=f"nested stack Functions01Stack: its {other} changed"):
        split_changes([stack_change(*properties)])


def test_the_record_keeps_a_nested_stacks_resources_apart() -> None:
    from sparta_core.stages.converge.hotswap_nested import record_key, record_of

    record = {record_key("", "Provider"): {"Code": 1},
              record_key("Functions01Stack", "Handler1Function"): {"Code": 2},
              record_key("Functions02Stack", "Handler2Function"): {"Code": 3}}
    assert record_of(record, "") == {"Provider": {"Code": 1}}
    assert record_of(record, "Functions01Stack") == {"Handler1Function": {"Code": 2}}
