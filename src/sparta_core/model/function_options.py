"""Every function option, with its type, default and meaning: the one source of
``FUNCTION_OPTIONS``, of the docstrings of ``Service.function`` and
``Service.add_function`` and of the function-option table in docs/reference.md
(``docs/gen_reference.py``). No I/O here.
"""

from __future__ import annotations

from typing import NamedTuple


class OptionDoc(NamedTuple):
    """One option: the types it takes, its default, and what it does (one sentence)."""

    type: str
    default: str
    help: str


#: Option -> its documentation, in the order the docs list them.
FUNCTION_OPTION_DOCS: dict[str, OptionDoc] = {
    "name": OptionDoc(
        "str", "the Python function's name",
        "The function's key in sparta; given, it is also the Lambda function's name "
        "(else `<stack>-<key>`)."),
    "description": OptionDoc("str", '""', "The Lambda function's description (at most 256 "
                                          "characters)."),
    "memory_size": OptionDoc("int", "128", "Memory in MB, 128 to 10240 (CPU grows with it)."),
    "timeout": OptionDoc("int", "3", "Seconds an invocation may run, 1 to 900; enforced by "
                                     "`sparta invoke` and `sparta local api` too."),
    "environment": OptionDoc(
        "dict[str, str | Ref | GetAtt | Sub]", "{}",
        "Environment variables; `AWS_*` and `SPARTA_*` are reserved. Values may be "
        "references, resolved by CloudFormation (and locally where sparta can)."),
    "layers": OptionDoc("list[str | Ref]", "[]", "Lambda layer version ARNs (at most 5)."),
    "vpc": OptionDoc(
        'dict("subnet_ids", "security_group_ids")', "None",
        "Run in a VPC; the generated role then gets the network-interface permissions."),
    "reserved_concurrency": OptionDoc("int", "None", "Reserved concurrent executions "
                                                     "(0 stops the function)."),
    "dead_letter_arn": OptionDoc("str | Ref | GetAtt", "None",
                                 "SQS queue or SNS topic for failed asynchronous events; the "
                                 "role may send to it."),
    "tracing": OptionDoc('bool | "Active" | "PassThrough"', "None",
                         "X-Ray tracing mode (`True` is `Active`)."),
    "ephemeral_storage": OptionDoc("int", "512 (Lambda's)", "Size of `/tmp` in MB, 512 to "
                                                            "10240."),
    "architecture": OptionDoc('"x86_64" | "arm64"', "the service's",
                              "CPU of this function; dependencies are built for it."),
    "tags": OptionDoc("dict[str, str]", "{}", "Tags of the function, beside the stack's."),
    "role": OptionDoc(
        "IAMRoleDefinition | str", "None",
        "Nothing: a generated least-privilege role (its own log group only); an "
        "`IAMRoleDefinition(privileges=[...])`: that role plus those privileges; a string: "
        "an existing role's name or ARN, checked before anything is built."),
    "events": OptionDoc(
        "list[EventSource]", "[]",
        "Event sources (`S3Event`, `SQSEvent`, `Schedule`...): each adds its resources, "
        "permission and IAM."),
    "decorators": OptionDoc(
        "list[callable]", "[]",
        "Called after marshalling with the arguments they name among `ctx`, `function`, "
        "`logical_id`, `template`; may return resources to add."),
    "log_retention_days": OptionDoc(
        "int | None", "[tool.sparta] log-retention-days (30)",
        "Days the function's log group keeps events (one of CloudWatch Logs' periods); "
        "`None` keeps them forever."),
    "function_url": OptionDoc(
        'bool | dict("auth", "cors")', "None",
        '`True` is `{"auth": "AWS_IAM"}`; `{"auth": "NONE", "cors": ...}` is public: an '
        "`AWS::Lambda::Url`, its URL as the output `<Function>FunctionUrl`."),
}


def options_docstring(indent: str = "") -> str:
    """The options as docstring lines: ``name (type; default ...): help``."""
    lines = []
    for name, doc in FUNCTION_OPTION_DOCS.items():
        lines.append(f"{indent}{name} ({doc.type}; default {doc.default}): {doc.help}")
    return "\n".join(lines)
