"""AWS error classification: what a botocore failure means to the user, in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparta_core.errors import AwsError, SpartaError

if TYPE_CHECKING:
    from sparta_core.aws.clients import Aws


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``''`` for anything else)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def error_message(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(error)


def deadline_text() -> str:
    """The call deadline in force, for messages: ``30 s (SPARTA_AWS_TIMEOUT)``."""
    from sparta_core.aws.deadline import TIMEOUT_ENV, call_deadline

    try:
        return f"{call_deadline():g} s, {TIMEOUT_ENV}"
    except SpartaError:
        return TIMEOUT_ENV


def explain(error: BaseException, doing: str, aws: Aws | None = None) -> SpartaError:
    """Turn a botocore failure met while ``doing`` something into a one-line error.

    Credentials, network and access problems get a message that says what to check;
    any other AWS error keeps AWS's own message and code.
    """
    import boto3.exceptions
    import botocore.exceptions as bx

    if isinstance(error, boto3.exceptions.S3UploadFailedError) and error.__context__:
        # The transfer manager wraps a failed upload's ClientError in a text that
        # repeats the file and the key; the AWS error itself is what the user needs.
        error = error.__context__
    where = aws.describe_target() if aws is not None else "AWS"
    if isinstance(error, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AwsError(
            f"{doing}: no AWS credentials found (set AWS_PROFILE or --profile, or the "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables; or use --local)"
        )
    if isinstance(error, (bx.EndpointConnectionError, bx.ConnectTimeoutError,
                          bx.ConnectionClosedError)):
        return AwsError(f"{doing}: cannot reach {where}: {error}")
    if isinstance(error, bx.ReadTimeoutError):
        return AwsError(f"{doing}: {where} accepted the connection but did not answer "
                        f"within the deadline ({deadline_text()}): {error}")
    if isinstance(error, bx.TokenRetrievalError):
        return AwsError(f"{doing}: {error} (log in again, e.g. `aws sso login`)")
    code = error_code(error)
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return AwsError(f"{doing}: the AWS credentials have expired ({code})")
    if code in ("AccessDenied", "AccessDeniedException", "403", "Forbidden"):
        return AwsError(f"{doing}: access denied on {where}: {error_message(error)}")
    if code:
        return AwsError(f"{doing}: {code}: {error_message(error)}")
    return AwsError(f"{doing}: {type(error).__name__}: {error}")
