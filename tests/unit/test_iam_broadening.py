"""What broadens IAM between a deployed template and a new one (pure, no AWS)."""

from __future__ import annotations

import copy

from sparta_core.stages.converge.approval import Approval
from sparta_core.stages.converge.iam_diff import broadening, format_table

ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"}}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": "arn:aws:s3:::photos/*"}]}}],
    },
}
BASE = {"Resources": {"Role": ROLE, "Queue": {"Type": "AWS::SQS::Queue"}}}


def changed(edit) -> dict:
    template = copy.deepcopy(BASE)
    edit(template["Resources"])
    return template


def rows(old, new) -> list[tuple[str, ...]]:
    return [row.cells() for row in broadening(old, new)]


def statement(resources) -> dict:
    return resources["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]


def test_the_same_template_and_a_narrower_one_broaden_nothing():
    assert rows(BASE, BASE) == []
    assert rows(BASE, changed(lambda r: r.pop("Role"))) == []
    assert rows(BASE, changed(lambda r: r["Queue"].update(Properties={"DelaySeconds": 5}))) == []


def test_a_new_role_lists_its_trust_and_its_statements():
    table = rows({}, BASE)
    assert ("Role", "new role", "Allow", "sts:AssumeRole", "${Role}",
            "Service:lambda.amazonaws.com") in table
    assert ("Role", "new role", "Allow", "s3:GetObject", "arn:aws:s3:::photos/*",
            "${Role}") in table


def test_an_added_action_and_a_wider_resource_are_broadening():
    more = changed(lambda r: statement(r)["Action"].append("s3:PutObject"))
    assert rows(BASE, more) == [
        ("Role", "added", "Allow", "s3:PutObject", "arn:aws:s3:::photos/*", "${Role}")]
    star = changed(lambda r: statement(r).update(Resource="*"))
    assert rows(BASE, star) == [("Role", "added, wildcard", "Allow", "s3:GetObject", "*",
                                 "${Role}")]


def test_a_new_principal_in_a_trust_or_resource_policy_and_a_removed_deny():
    def trust(r):
        r["Role"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
            "Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]}
    assert rows(BASE, changed(trust)) == [
        ("Role", "added", "Allow", "sts:AssumeRole", "${Role}",
         "Service:edgelambda.amazonaws.com")]

    policy = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
        "Queues": [{"Ref": "Queue"}],
        "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Principal": {"AWS": "*"}},
            {"Effect": "Deny", "Action": "sqs:*", "Principal": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}}
    with_policy = changed(lambda r: r.update(Policy=policy))
    assert ("Policy", "new policy", "Allow", "sqs:SendMessage", "${Queue}", "AWS:*") in rows(
        BASE, with_policy)
    def drop_deny(r):
        r["Policy"]["Properties"]["PolicyDocument"]["Statement"].pop()
    no_deny = copy.deepcopy(with_policy)
    drop_deny(no_deny["Resources"])
    [row] = rows(with_policy, no_deny)
    assert row[:5] == ("Policy", "deny removed", "Deny", "sqs:*", "${Queue}")
    assert "aws:SecureTransport" in row[5]


def test_a_lambda_permission_names_its_principal_and_source():
    permission = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
        "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["Rule", "Arn"]}}}
    table = rows(BASE, changed(lambda r: r.update(Perm=permission)))
    assert table == [("Perm", "new permission", "Allow", "lambda:InvokeFunction", "${Fn.Arn}",
                      "events.amazonaws.com when SourceArn ${Rule.Arn}")]
    public = copy.deepcopy(permission)
    public["Properties"].update(Principal="*")
    public["Properties"].pop("SourceArn")
    before = changed(lambda r: r.update(Perm=permission))
    after = changed(lambda r: r.update(Perm=public))
    assert rows(before, after) == [("Perm", "added, wildcard", "Allow",
                                    "lambda:InvokeFunction", "${Fn.Arn}", "*")]


def test_a_managed_policy_attached_is_broadening_and_the_table_has_a_header():
    attached = changed(lambda r: r["Role"]["Properties"].update(
        ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    found = broadening(BASE, attached)
    assert [row.cells() for row in found] == [
        ("Role", "added", "Allow", "(managed policy)",
         "arn:aws:iam::aws:policy/AdministratorAccess", "${Role}")]
    header, line = format_table(found)
    assert header.split() == ["resource", "change", "effect", "action", "on", "principal"]
    assert "AdministratorAccess" in line


def test_the_policies_decide_who_asks():
    def needed(policy, template, deployed) -> bool:
        approval = Approval(policy, template)
        approval.rows = broadening(deployed, template)
        return approval.needed()

    assert needed("broadening", BASE, {}) and needed("any-change", BASE, {})
    assert not needed("broadening", BASE, BASE)
    assert needed("any-change", BASE, BASE)
    assert not needed("never", BASE, {})
