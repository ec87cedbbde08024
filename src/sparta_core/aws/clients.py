"""The one place that creates boto3 sessions and clients.

Every AWS call sparta makes goes through an :class:`Aws` object, so credentials, region,
retries and the endpoint are decided here and nowhere else:

* credentials: boto3's standard chain (environment, ``--profile``/``AWS_PROFILE``, SSO,
  instance roles...), except with ``--local``, where fixed dummy credentials are used so
  that real ones never reach the emulator;
* region: ``--region`` / ``[tool.sparta] region``, else the session's (``AWS_REGION``,
  ``AWS_DEFAULT_REGION``, the profile), else ``us-east-1`` with ``--local``; no region
  at all is an error;
* retries and deadlines: botocore's ``standard`` mode (throttling and transient errors are
  retried with backoff), with a bounded number of attempts and timeouts chosen so that a
  call to an endpoint that never answers fails within :data:`AWS_TIMEOUT` seconds
  (``SPARTA_AWS_TIMEOUT`` sets another deadline); see :func:`call_timeouts`. The read
  timeout applies to each socket read, so it resets while bytes move: a long upload is
  never cut while it makes progress;
* endpoint: ``--endpoint-url`` / ``[tool.sparta] endpoint-url``, else the local endpoint
  with ``--local`` (started on first use, see :mod:`sparta_core.aws.local`), else whatever
  boto3 itself reads (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``, the profile).

boto3 is imported inside functions only, so importing this module is cheap and
``sparta --help`` never loads boto3.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from sparta_core.aws.deadline import (  # noqa: F401 - names callers use from here
    AWS_TIMEOUT,
    TIMEOUT_ENV,
    CallTimeouts,
    call_deadline,
    call_timeouts,
    upload_wait,
)
from sparta_core.errors import (
    ConfigError,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sparta_core.engine.context import ProvisionContext
    from sparta_core.engine.settings import Settings

LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
#: The artifact bucket created on the local endpoint when none is configured is this
#: name plus ``-<region>``: a bucket lives in one region, and a stack reads its code and
#: template only from a bucket in its own region.
LOCAL_BUCKET = "sparta-local-artifacts"
#: An unreachable endpoint must fail in seconds, not after minutes of retries: the
#: first call of a command is made with these (see :meth:`Aws.probe_client`).
PROBE_CONNECT_TIMEOUT = 2
PROBE_MAX_ATTEMPTS = 2
STASH_KEY = "sparta.aws"


class Aws:
    """Sessions and clients for one run, made from ``settings``; clients are cached.

    Callers may rely on: :attr:`region` is always set, :attr:`endpoint_url` is the
    endpoint every client talks to (``None`` means AWS itself), and :meth:`client`
    returns the same client for the same service name.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._endpoint_url: str | None = None
        self._endpoint_resolved = False
        self._region: str | None = None
        # Uploads run in threads that may each ask for a client (one per read timeout);
        # a boto3 session is not safe to make clients from concurrently.
        self._lock = threading.RLock()

    # -- what the clients are pointed at ---------------------------------------------

    @property
    def local(self) -> bool:
        return bool(self.settings.local)

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint override in force, or ``None`` for AWS itself. With ``--local``
        this starts the local endpoint if it is not running yet."""
        if not self._endpoint_resolved:
            self._endpoint_url = self._resolve_endpoint()
            self._endpoint_resolved = True
        return self._endpoint_url

    def _resolve_endpoint(self) -> str | None:
        settings = self.settings
        if settings.local:
            if settings.endpoint_url:
                raise ConfigError(
                    "--local cannot be combined with an endpoint URL (--endpoint-url, "
                    "[tool.sparta] endpoint-url or SPARTA_ENDPOINT_URL)"
                )
            from sparta_core.aws import local

            return local.ensure_endpoint(local.local_dir(settings.output_dir)).url
        if settings.endpoint_url:
            return settings.endpoint_url
        # boto3 reads AWS_ENDPOINT_URL itself; it is looked up here only so that
        # messages and TemplateURL decisions know where the calls go.
        return os.environ.get("AWS_ENDPOINT_URL") or None

    @property
    def region(self) -> str:
        if self._region is None:
            region = self.settings.region
            if not region and not self.local:
                region = self.session.region_name
            if not region and (self.local or self.endpoint_url):
                region = LOCAL_REGION
            if not region:
                raise ConfigError(
                    "no AWS region: use --region, [tool.sparta] region or AWS_REGION"
                )
            self._region = region
        return self._region

    @property
    def session(self) -> Any:
        if self._session is None:
            import boto3
            import botocore.exceptions

            kwargs: dict[str, Any] = {}
            if self.local:
                kwargs.update(LOCAL_CREDENTIALS)
            elif self.settings.profile:
                kwargs["profile_name"] = self.settings.profile
            if self.settings.region:
                kwargs["region_name"] = self.settings.region
            try:
                self._session = boto3.Session(**kwargs)
            except botocore.exceptions.ProfileNotFound as error:
                raise ConfigError(f"AWS profile: {error}") from None
        return self._session

    @property
    def timeouts(self) -> CallTimeouts:
        """The deadline every call keeps, and the botocore settings that keep it."""
        return call_timeouts(call_deadline())

    def client(self, service: str, *, wait: float = 0.0) -> Any:
        """A boto3 client for ``service`` with sparta's region, retries, deadline and
        endpoint. ``wait``: seconds the service may legitimately take to answer (a
        synchronous Lambda invoke runs the function first), added to the read timeout."""
        key = service if not wait else f"{service}:wait={wait}"
        with self._lock:
            if key not in self._clients:
                timeouts = self.timeouts
                self._clients[key] = self._make_client(
                    service, connect_timeout=timeouts.connect,
                    max_attempts=timeouts.attempts, read_timeout=timeouts.read + wait,
                )
            return self._clients[key]

    def probe_client(self, service: str) -> Any:
        """Like :meth:`client`, but quick to give up on a connection: a short connect
        timeout and one retry. For the first call a command makes, so that an
        unreachable endpoint is reported in seconds; later calls use :meth:`client`,
        whose standard retry mode rides out throttling."""
        key = f"probe:{service}"
        with self._lock:
            if key not in self._clients:
                timeouts = self.timeouts
                self._clients[key] = self._make_client(
                    service, connect_timeout=min(PROBE_CONNECT_TIMEOUT, timeouts.connect),
                    max_attempts=min(PROBE_MAX_ATTEMPTS, timeouts.attempts),
                    read_timeout=timeouts.read,
                )
            return self._clients[key]

    def _make_client(self, service: str, *, connect_timeout: float, max_attempts: int,
                     read_timeout: float) -> Any:
        from botocore.config import Config

        from sparta_core import __version__

        config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            user_agent_extra=f"sparta/{__version__}",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # A custom endpoint seldom resolves bucket subdomains; path style always works.
            s3={"addressing_style": "path"} if self.endpoint_url else None,
        )
        kwargs: dict[str, Any] = {"region_name": self.region, "config": config}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        return self.session.client(service, **kwargs)

    def describe_target(self) -> str:
        """Where calls go, for messages: ``AWS us-east-1`` or the endpoint URL."""
        if self.endpoint_url:
            return f"{self.endpoint_url} ({self.region})"
        return f"AWS {self.region}"

    def upload_file(self, path: Path, bucket: str, key: str, extra: dict[str, Any], *,
                    progress: Callable[[int], None] | None = None) -> None:
        """Upload ``path`` with boto3's transfer manager, tuned by
        :func:`sparta_core.aws.transfer.tuning`: a large file goes up in multipart
        pieces, several at once (``extra`` are PutObject's arguments, such as
        ``ContentType`` and ``ServerSideEncryption``; ``progress`` is called with the
        bytes each piece sends)."""
        from sparta_core.aws.transfer import tuning

        tuned = tuning()
        # A read timeout that allows for the last buffered bytes still in flight: the
        # deadline cuts a silent endpoint, never an upload that is moving.
        size = min(path.stat().st_size, tuned.chunk)
        uploader = self.client("s3", wait=upload_wait(size))
        uploader.upload_file(str(path), bucket, key, ExtraArgs=extra,
                             Config=tuned.transfer_config(), Callback=progress)

    def s3_https_url(self, bucket: str, key: str) -> str:
        """The path-style URL of an object, as CloudFormation's ``TemplateURL`` wants it.

        The AWS form is used even with an endpoint override: CloudFormation fetches the
        template itself, from the S3 that sits next to it, so the URL must name the
        bucket and key in AWS's form, not the endpoint the client used. Local
        endpoints (MiniStack, moto) read the bucket and key from the path and ignore
        the host; moto cannot read ``http://127.0.0.1:PORT/...`` at all.
        """
        suffix = "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"
        return f"https://s3.{self.region}.{suffix}/{bucket}/{key}"


def for_context(ctx: ProvisionContext) -> Aws:
    """The run's :class:`Aws`, created on first use and kept in ``ctx.stash``."""
    aws = ctx.stash.get(STASH_KEY)
    if aws is None:
        aws = ctx.stash[STASH_KEY] = Aws(ctx.settings)
    return aws


def local_bucket(region: str) -> str:
    """The default artifact bucket on the local endpoint for ``region``."""
    return f"{LOCAL_BUCKET}-{region}"


def artifact_bucket(ctx: ProvisionContext) -> str:
    """The bucket for archives and templates: the configured one, else (with
    ``--local``) :func:`local_bucket` of the run's region; otherwise an error saying
    how to set one."""
    if ctx.settings.s3_bucket:
        return ctx.settings.s3_bucket
    if ctx.settings.local:
        return local_bucket(for_context(ctx).region)
    raise ConfigError(
        "no artifact bucket: set [tool.sparta] s3-bucket, SPARTA_S3_BUCKET or --s3-bucket "
        "(sparta --local uses a bucket of its own)"
    )
