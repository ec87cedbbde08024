"""What the user declares: the service, its functions, IAM, event sources, references.

Model code does no I/O (but for ``Service.validate``, which reads the project's files)
and imports nothing heavy: the user's ``service.py`` imports it on the build host.
"""

from sparta_core.model.api import CorsConfig, RestAPI
from sparta_core.model.events import EventSource, FunctionWiring
from sparta_core.model.function import LambdaFunction
from sparta_core.model.iam import IAMRoleDefinition, Privilege
from sparta_core.model.refs import GetAtt, Ref, Sub
from sparta_core.model.service import Service
from sparta_core.model.site import S3Site
from sparta_core.model.sources import (
    CloudWatchLogsSubscription,
    CodeCommitTrigger,
    DynamoDBStream,
    EventBridgeRule,
    KinesisStream,
    S3Event,
    Schedule,
    SESRule,
    SNSEvent,
    SQSEvent,
)

__all__ = [
    "CloudWatchLogsSubscription",
    "CodeCommitTrigger",
    "CorsConfig",
    "DynamoDBStream",
    "EventBridgeRule",
    "EventSource",
    "FunctionWiring",
    "GetAtt",
    "IAMRoleDefinition",
    "KinesisStream",
    "LambdaFunction",
    "Privilege",
    "Ref",
    "RestAPI",
    "S3Event",
    "S3Site",
    "SESRule",
    "SNSEvent",
    "SQSEvent",
    "Schedule",
    "Service",
    "Sub",
]
