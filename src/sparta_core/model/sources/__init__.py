"""The event source kinds sparta ships, one module per family.

Every kind subclasses :class:`~sparta_core.model.events.EventSource`; nothing in core
lists them, and a plugin adds a kind the same way, in its own package.

- :mod:`.s3`: ``S3Event`` (bucket notification, or a custom resource on an existing bucket)
- :mod:`.push`: ``SNSEvent``, ``CloudWatchLogsSubscription``, ``SESRule``
- :mod:`.rules`: ``Schedule``, ``EventBridgeRule``
- :mod:`.pull`: ``SQSEvent``, ``DynamoDBStream``, ``KinesisStream`` (event source mappings)
- :mod:`.codecommit`: ``CodeCommitTrigger`` (custom resource)
"""

from sparta_core.model.sources.codecommit import CodeCommitTrigger
from sparta_core.model.sources.pull import DynamoDBStream, KinesisStream, SQSEvent
from sparta_core.model.sources.push import CloudWatchLogsSubscription, SESRule, SNSEvent
from sparta_core.model.sources.rules import EventBridgeRule, Schedule
from sparta_core.model.sources.s3 import S3Event

__all__ = [
    "CloudWatchLogsSubscription",
    "CodeCommitTrigger",
    "DynamoDBStream",
    "EventBridgeRule",
    "KinesisStream",
    "S3Event",
    "SESRule",
    "SNSEvent",
    "SQSEvent",
    "Schedule",
]
