"""CloudFormation resource types: their shape, and the attributes of those sparta knows.

No list of every CloudFormation resource type is available offline without a new
runtime dependency: botocore's data describes the CloudFormation API, not the resource
types, and the registry schemas ship with cfn-lint, which is a development dependency
only. Fetching the list from the registry at build time would make ``sparta build``
need AWS. So a type is checked for its shape (``AWS::Service::Type``), and a type of a
service sparta knows that is one or two letters away from a type sparta knows
(``AWS::SQS::Queu``) is refused with the suggestion; any other well-formed type passes,
and CloudFormation has the last word. The tests hold this table against cfn-lint's
data, so that no real type is refused and no listed attribute is wrong.
"""

from __future__ import annotations

import difflib
import re

from sparta_core.errors import ServiceDefinitionError

#: ``Org::Service::Type`` (``AWS::``, ``Alexa::`` or a registry publisher), optionally a
#: ``::MODULE``; ``Custom::Name`` for a custom resource.
RESOURCE_TYPE = re.compile(r"[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}(::MODULE)?")
CUSTOM_TYPE = re.compile(r"Custom::[A-Za-z0-9_@-]{1,60}")

#: The ``Fn::GetAtt`` attributes of the types sparta generates or commonly sees (as
#: CloudFormation's registry schemas give them). A type listed here with an attribute
#: not listed is refused; a type not listed here takes any attribute.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "AWS::ApiGateway::Deployment": ("DeploymentId",),
    "AWS::ApiGateway::Resource": ("ResourceId",),
    "AWS::ApiGateway::RestApi": ("RestApiId", "RootResourceId"),
    "AWS::CloudFront::Distribution": ("DomainName", "Id"),
    "AWS::CloudFront::OriginAccessControl": ("Id",),
    "AWS::CodeCommit::Repository": ("Arn", "CloneUrlHttp", "CloneUrlSsh", "Name", "RepositoryId"),
    "AWS::DynamoDB::Table": ("Arn", "StreamArn"),
    "AWS::Events::Rule": ("Arn", "RuleName"),
    "AWS::IAM::Role": ("Arn", "RoleId"),
    "AWS::Kinesis::Stream": ("Arn", "WarmThroughputObject"),
    "AWS::Lambda::Alias": ("AliasArn",),
    "AWS::Lambda::EventSourceMapping": ("EventSourceMappingArn", "Id"),
    "AWS::Lambda::Function": (
        "Arn",
        "SnapStartResponse",
        "SnapStartResponse.ApplyOn",
        "SnapStartResponse.OptimizationStatus",
    ),
    "AWS::Lambda::LayerVersion": ("LayerVersionArn",),
    "AWS::Lambda::Permission": ("Id",),
    "AWS::Lambda::Url": ("FunctionArn", "FunctionUrl"),
    "AWS::Lambda::Version": ("FunctionArn", "Version"),
    "AWS::Logs::LogGroup": ("Arn",),
    "AWS::SES::ReceiptRule": ("RuleName",),
    "AWS::SNS::Subscription": ("Arn",),
    "AWS::SQS::Queue": (
        "Arn",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "DelaySeconds",
        "FifoQueue",
        "FifoThroughputLimit",
        "KmsDataKeyReusePeriodSeconds",
        "KmsMasterKeyId",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "QueueName",
        "QueueUrl",
        "ReceiveMessageWaitTimeSeconds",
        "RedrivePolicy.deadLetterTargetArn",
        "RedrivePolicy.maxReceiveCount",
        "SqsManagedSseEnabled",
        "Tags",
        "VisibilityTimeout",
    ),
    "AWS::StepFunctions::StateMachine": ("Arn", "Name", "StateMachineRevisionId"),
}

#: Types sparta knows besides those above: what it generates and what services
#: around Lambda commonly declare. Used only to suggest the type a typo meant.
KNOWN_TYPES: frozenset[str] = frozenset(ATTRIBUTES) | {
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::Stack",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPC",
    "AWS::Events::EventBus",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::LayerVersionPermission",
    "AWS::Logs::SubscriptionFilter",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SES::ReceiptRuleSet",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicInlinePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueueInlinePolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SSM::Parameter",
    "AWS::SecretsManager::Secret",
}


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def suggest_type(resource_type: str) -> str | None:
    """The known type ``resource_type`` was probably meant to be, if it looks like a typo
    of one: another case of it, or a type of the same service a letter or two away that
    is not merely a longer name containing it (``DomainNameV2`` is a real type)."""
    for known in sorted(KNOWN_TYPES):
        if known != resource_type and known.lower() == resource_type.lower():
            return known
    prefix, _, name = resource_type.rpartition("::")
    for known in sorted(KNOWN_TYPES):
        known_prefix, _, known_name = known.rpartition("::")
        if known_prefix != prefix or known_name == name or known_name in name:
            continue
        if _distance(known_name, name) <= min(2, len(known_name) // 3):
            return known
    return None


def check_resource_type(resource_type: object, what: str) -> str:
    """``resource_type`` if it has the shape of a CloudFormation type and is not a typo
    of a type sparta knows."""
    if not isinstance(resource_type, str) or not (
        RESOURCE_TYPE.fullmatch(resource_type) or CUSTOM_TYPE.fullmatch(resource_type)
    ):
        raise ServiceDefinitionError(
            f"{what}: type {resource_type!r} is not of the form 'AWS::Service::Resource'"
        )
    if resource_type not in KNOWN_TYPES:
        close = suggest_type(resource_type)
        if close:
            raise ServiceDefinitionError(
                f"{what}: type {resource_type!r} is not a CloudFormation resource type "
                f"(did you mean '{close}'?)"
            )
    return resource_type


def check_attribute(resource_type: str | None, attribute: str) -> str | None:
    """None if a resource of ``resource_type`` may have ``attribute`` (or sparta does not
    know the type), else the message part that says what it has."""
    if resource_type is None or resource_type not in ATTRIBUTES:
        return None
    known = ATTRIBUTES[resource_type]
    if attribute in known:
        return None
    if not known:
        return f"an {resource_type} has no attributes"
    close = difflib.get_close_matches(attribute, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"an {resource_type} has no attribute '{attribute}'{hint}; it has {', '.join(known)}"
