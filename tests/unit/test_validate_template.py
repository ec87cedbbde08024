"""The built-in template validator: CloudFormation's limits and dangling references."""

from __future__ import annotations

import pytest

from sparta_core.engine.template import Template, referenced_ids
from sparta_core.errors import TemplateError
from sparta_core.stages.validate.template import (
    MAX_RESOURCES,
    check_limits,
    check_references,
)


def test_referenced_ids_finds_ref_getatt_and_sub() -> None:
    value = {
        "A": {"Ref": "Queue"},
        "B": [{"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::GetAtt": "Topic.Arn"}],
        "C": {"Fn::Sub": "${Bucket}/${Bucket.Arn}/${AWS::Region}/${!Literal}"},
        "D": {"Fn::Sub": ["${Var}-${Stream}", {"Var": {"Ref": "Param"}}]},
        "E": {"Ref": "AWS::StackName"},
    }
    assert sorted(set(referenced_ids(value))) == [
        "Bucket", "Param", "Queue", "Stream", "Table", "Topic",
    ]


def test_dangling_reference_is_an_error_naming_both_ends() -> None:
    template = Template()
    template.add_resource("Policy", "AWS::SQS::QueuePolicy", {"Queues": [{"Ref": "Queue"}]})
    with pytest.raises(TemplateError, match="resource 'Policy' refers to 'Queue', which the template does not declare"):
        check_references(template)
    template.add_resource("Queue", "AWS::SQS::Queue")
    check_references(template)
    template.add_output("Missing", {"Fn::GetAtt": ["Nope", "Arn"]})
    with pytest.raises(TemplateError, match="output 'Missing' refers to 'Nope'"):
        check_references(template)


def test_dangling_depends_on_is_an_error() -> None:
    template = Template()
    template.add_resource("Queue", "AWS::SQS::Queue", DependsOn="Ghost")
    with pytest.raises(TemplateError, match="depends on 'Ghost'"):
        check_references(template)


def test_too_many_resources() -> None:
    template = Template()
    for index in range(MAX_RESOURCES + 1):
        template.add_resource(f"Queue{index}", "AWS::SQS::Queue")
    with pytest.raises(TemplateError, match="has 501 resources; CloudFormation allows at most 500"):
        check_limits(template, template.to_compact_json())


def test_template_over_one_megabyte_names_the_largest_resources() -> None:
    template = Template()
    template.add_resource("Big", "AWS::SSM::Parameter", {"Type": "String", "Value": "x" * 1_100_000})
    template.add_resource("Small", "AWS::SQS::Queue")
    with pytest.raises(TemplateError, match=r"template is 1\.05 MB; CloudFormation accepts at most 1 MB \(largest resources: Big, Small\)"):
        check_limits(template, template.to_compact_json())


def test_oversized_template_fails_the_build_before_anything_is_written(cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("huge")
        for index in range(501):
            service.resource(f"Queue{index}", "AWS::SQS::Queue")

        @service.function()
        def work(event, context):
            pass
    """})
    result = cli("build", project=project, ok=False)
    assert result.exit_code == 1
    assert "error: template has 5" in result.output.splitlines()[-1]
    assert not (project / ".sparta" / "huge-template.json").exists()
