"""A Lambda function as the user declares it, with its options checked on declaration."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.events import EventSource
from sparta_core.model.function_options import FUNCTION_OPTION_DOCS
from sparta_core.model.iam import IAMRoleDefinition
from sparta_core.model.refs import Reference, Value, check_value

ARCHITECTURES = ("x86_64", "arm64")
#: Lambda's limits: 5 layers, 4 KB of environment, 50 tags (sparta adds one of them).
MAX_LAYERS = 5
MAX_ENVIRONMENT_BYTES = 4096
MAX_TAGS = 49
ROLE = re.compile(r"[\w+=,.@-]{1,64}|arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
DEAD_LETTER_ARN = re.compile(r"arn:aws[a-z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:[\w.-]+")
LAYER_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[\w-]+:\d+")
TRACING_MODES = ("Active", "PassThrough")
#: Lambda's pattern for environment variable names (ASCII only).
ENVIRONMENT_NAME = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")

#: The retention periods CloudWatch Logs accepts (``RetentionInDays``), in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)


class _FromSettings:
    """The default of ``log_retention_days``: ``[tool.sparta] log-retention-days``
    (itself 30 days by default)."""

    def __repr__(self) -> str:
        return "FROM_SETTINGS"


FROM_SETTINGS: Any = _FromSettings()


def check_log_retention(value: object, *, what: str) -> None:
    """``value`` is a retention CloudWatch Logs offers, or ``None`` (never expire)."""
    if value is None or value is FROM_SETTINGS:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value not in LOG_RETENTION_DAYS:
        raise ServiceDefinitionError(
            f"{what}: log_retention_days must be one of CloudWatch Logs' retention periods "
            f"({', '.join(map(str, LOG_RETENTION_DAYS))}) or None to keep logs forever, "
            f"got {value!r}"
        )

#: The options ``@service.function(...)`` and ``service.add_function(...)`` accept
#: (documented in :mod:`sparta_core.model.function_options`).
FUNCTION_OPTIONS = tuple(FUNCTION_OPTION_DOCS)

#: A decorator is called with keyword arguments it names among ctx, function,
#: logical_id and template; it may return a dict of extra resources.
FunctionDecorator = Callable[..., Any]


def check_options(options: Mapping[str, Any], *, what: str) -> None:
    """Raise a clear error for an option that is not a function option."""
    for option in options:
        if option not in FUNCTION_OPTIONS:
            hint = difflib.get_close_matches(option, FUNCTION_OPTIONS, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ServiceDefinitionError(f"{what}: unknown option '{option}'{suggestion}")


def _int_in_range(value: object, low: int, high: int, *, option: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ServiceDefinitionError(
            f"{what}: {option} must be an integer from {low} to {high}, got {value!r}"
        )
    return value


@dataclass
class LambdaFunction:
    """One function of the service.

    ``key`` identifies it in sparta (the ``name`` option, else the Python function's
    name); ``handler`` is the ``module.attribute`` string Lambda calls; ``source`` is the
    file that defines it, when sparta saw the function object.
    """

    key: str
    handler: str
    source: str | None = None
    name: str | None = None
    description: str = ""
    memory_size: int = 128
    timeout: int = 3
    environment: Mapping[str, Value] = field(default_factory=dict)
    layers: Sequence[Value] = field(default_factory=tuple)
    vpc: Mapping[str, Sequence[Value]] | None = None
    reserved_concurrency: int | None = None
    dead_letter_arn: Value | None = None
    tracing: str | bool | None = None
    ephemeral_storage: int | None = None
    architecture: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    role: IAMRoleDefinition | str | None = None
    events: Sequence[EventSource] = field(default_factory=tuple)
    decorators: Sequence[FunctionDecorator] = field(default_factory=tuple)
    #: Days the function's log group keeps events; ``None`` keeps them forever; by
    #: default ``[tool.sparta] log-retention-days`` (30).
    log_retention_days: int | None = FROM_SETTINGS
    #: ``True`` (``{"auth": "AWS_IAM"}``) or ``{"auth": "NONE", "cors": ...}``: an
    #: ``AWS::Lambda::Url`` of the function (see :mod:`sparta_core.model.function_url`).
    function_url: Any = None

    def __post_init__(self) -> None:
        what = f"function '{self.key}'"
        check_log_retention(self.log_retention_days, what=what)
        from sparta_core.model.function_url import normalize_function_url

        self.function_url = normalize_function_url(self.function_url, what=what)
        self.memory_size = _int_in_range(
            self.memory_size, 128, 10240, option="memory_size", what=what
        )
        self.timeout = _int_in_range(self.timeout, 1, 900, option="timeout", what=what)
        if self.ephemeral_storage is not None:
            self.ephemeral_storage = _int_in_range(
                self.ephemeral_storage, 512, 10240, option="ephemeral_storage", what=what
            )
        if self.reserved_concurrency is not None:
            self.reserved_concurrency = _int_in_range(
                self.reserved_concurrency, 0, 1_000_000, option="reserved_concurrency", what=what
            )
        if self.architecture is not None and self.architecture not in ARCHITECTURES:
            raise ServiceDefinitionError(
                f"{what}: architecture must be one of {', '.join(ARCHITECTURES)}, "
                f"got {self.architecture!r}"
            )
        if self.tracing is True:
            self.tracing = "Active"
        elif self.tracing is False:
            self.tracing = None
        if self.tracing is not None and self.tracing not in TRACING_MODES:
            raise ServiceDefinitionError(
                f"{what}: tracing must be True, False, 'Active' or 'PassThrough', "
                f"got {self.tracing!r}"
            )
        if not isinstance(self.environment, Mapping):
            raise ServiceDefinitionError(f"{what}: environment must be a mapping")
        for variable in self.environment:
            if not isinstance(variable, str) or not ENVIRONMENT_NAME.fullmatch(variable):
                raise ServiceDefinitionError(
                    f"{what}: environment variable name {variable!r} is not valid (Lambda "
                    "takes an ASCII letter, then ASCII letters, digits and underscores)"
                )
            if variable.startswith("AWS_") or variable.startswith("SPARTA_"):
                raise ServiceDefinitionError(
                    f"{what}: environment variable {variable} is reserved "
                    "(AWS_* belongs to Lambda, SPARTA_* to sparta)"
                )
        if not isinstance(self.tags, Mapping):
            raise ServiceDefinitionError(f"{what}: tags must be a mapping of strings")
        if self.vpc is not None:
            self.vpc = _normalise_vpc(self.vpc, what=what)
        if self.role is not None and not isinstance(self.role, (IAMRoleDefinition, str)):
            raise ServiceDefinitionError(
                f"{what}: role must be an IAMRoleDefinition or the name or ARN of an "
                f"existing role, got {type(self.role).__name__}"
            )
        self.layers = _check_layers(self.layers, what=what)
        _check_environment_values(self.environment, what=what)
        _check_tags(self.tags, what=what)
        if not isinstance(self.description, str) or len(self.description) > 256:
            raise ServiceDefinitionError(
                f"{what}: description must be a string of at most 256 characters"
            )
        if isinstance(self.role, str) and not ROLE.fullmatch(self.role):
            raise ServiceDefinitionError(
                f"{what}: role {self.role!r} is not an IAM role name or role ARN"
            )
        if isinstance(self.events, EventSource):
            self.events = (self.events,)
        if not isinstance(self.events, (list, tuple)):
            raise ServiceDefinitionError(
                f"{what}: events must be a list of event sources, got {self.events!r}"
            )
        self.events = tuple(self.events)
        for event in self.events:
            if not isinstance(event, EventSource):
                raise ServiceDefinitionError(
                    f"{what}: events must be event source objects, got {event!r}"
                )
            try:
                event.validate()
            except ServiceDefinitionError as error:
                raise ServiceDefinitionError(f"{what}: {event.describe()}: {error}") from None
        if callable(self.decorators):
            self.decorators = (self.decorators,)
        if not isinstance(self.decorators, (list, tuple)):
            raise ServiceDefinitionError(
                f"{what}: decorators must be a list of callables, got {self.decorators!r}"
            )
        self.decorators = tuple(self.decorators)
        for decorator in self.decorators:
            if not callable(decorator):
                raise ServiceDefinitionError(f"{what}: decorator {decorator!r} is not callable")
        if self.dead_letter_arn is not None and not isinstance(
            self.dead_letter_arn, (str, Reference, Mapping)
        ):
            raise ServiceDefinitionError(f"{what}: dead_letter_arn must be an ARN or reference")
        if self.dead_letter_arn is not None:
            check_value(self.dead_letter_arn, f"{what}: dead_letter_arn")
        if isinstance(self.dead_letter_arn, str) and not DEAD_LETTER_ARN.fullmatch(
            self.dead_letter_arn
        ):
            raise ServiceDefinitionError(
                f"{what}: dead_letter_arn {self.dead_letter_arn!r} is not an SQS queue or SNS "
                "topic ARN"
            )

    @property
    def logical_id(self) -> str:
        """The logical ID of the function's ``AWS::Lambda::Function`` in the template,
        derived from its key alone (stable across builds)."""
        from sparta_core.model.naming import logical_id

        return logical_id(self.key, "Function")

    @property
    def existing_role(self) -> str | None:
        """The name or ARN of an existing role this function uses, if the user named one."""
        return self.role if isinstance(self.role, str) else None


def _check_layers(layers: object, *, what: str) -> tuple[Value, ...]:
    if isinstance(layers, (str, Reference)) or not isinstance(layers, Sequence):
        raise ServiceDefinitionError(f"{what}: layers must be a list of layer version ARNs")
    if len(layers) > MAX_LAYERS:
        raise ServiceDefinitionError(
            f"{what}: {len(layers)} layers; Lambda allows {MAX_LAYERS}"
        )
    for layer in layers:
        if isinstance(layer, str) and not LAYER_ARN.fullmatch(layer):
            raise ServiceDefinitionError(
                f"{what}: layer {layer!r} is not a layer version ARN "
                "(arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)"
            )
        if not isinstance(layer, (str, Reference, Mapping)):
            raise ServiceDefinitionError(f"{what}: layer {layer!r} is not an ARN or reference")
        check_value(layer, f"{what}: layer")
    return tuple(layers)


def _check_environment_values(environment: Mapping[str, Any], *, what: str) -> None:
    size = 0
    for variable, value in environment.items():
        if not isinstance(value, (str, Reference, Mapping)):
            raise ServiceDefinitionError(
                f"{what}: environment variable {variable}: value must be a string or a "
                f"reference, got {value!r} (Lambda passes strings only; quote it)"
            )
        check_value(value, f"{what}: environment variable {variable}")
        size += len(variable) + (len(value.encode()) if isinstance(value, str) else 0)
    if size > MAX_ENVIRONMENT_BYTES:
        raise ServiceDefinitionError(
            f"{what}: environment holds {size} bytes; Lambda allows {MAX_ENVIRONMENT_BYTES} "
            "in all"
        )


def _check_tags(tags: Mapping[str, Any], *, what: str) -> None:
    if len(tags) > MAX_TAGS:
        raise ServiceDefinitionError(f"{what}: {len(tags)} tags; Lambda allows {MAX_TAGS}")
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise ServiceDefinitionError(
                f"{what}: tag key {key!r} must be 1-128 characters, not starting with 'aws:'"
            )
        if not isinstance(value, str) or len(value) > 256:
            raise ServiceDefinitionError(
                f"{what}: tag {key}: value must be a string of at most 256 characters"
            )


def _normalise_vpc(vpc: object, *, what: str) -> dict[str, tuple[Value, ...]]:
    if not isinstance(vpc, Mapping):
        raise ServiceDefinitionError(
            f"{what}: vpc must be a mapping with subnet_ids and security_group_ids, "
            f"got {vpc!r}"
        )
    aliases = {
        "subnet_ids": "subnet_ids",
        "SubnetIds": "subnet_ids",
        "security_group_ids": "security_group_ids",
        "SecurityGroupIds": "security_group_ids",
    }
    result: dict[str, tuple[Value, ...]] = {}
    for key, value in dict(vpc).items():
        if key not in aliases:
            raise ServiceDefinitionError(
                f"{what}: vpc takes subnet_ids and security_group_ids, not {key!r}"
            )
        if isinstance(value, (str, Reference)):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(item, (str, Reference, Mapping)) and item for item in value
        ):
            raise ServiceDefinitionError(
                f"{what}: vpc {key} must be a list of IDs or references, got {value!r}"
            )
        check_value(list(value), f"{what}: vpc {key}")
        result[aliases[key]] = tuple(value)
    if not result.get("subnet_ids") or not result.get("security_group_ids"):
        raise ServiceDefinitionError(
            f"{what}: vpc needs both subnet_ids and security_group_ids"
        )
    return result
