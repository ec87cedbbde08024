"""Custom resource ``SpartaS3Site``: a static site's files, copied from its zip into the
bucket the stack owns.

Properties:

- ``Bucket``: the site's bucket (the stack's own; everything in it belongs to the site);
- ``SourceBucket``, ``SourceKey``: the site's zip (content-addressed, so a new site is a
  new key, and CloudFormation sends an Update);
- ``CacheControl`` (optional): a list of ``{"Pattern": glob, "Value": header}``, the
  first pattern matching a file's path or name gives its ``Cache-Control``;
- ``Config`` and ``ConfigFile`` (optional): a mapping written as JSON to that key.

Create and Update put every file of the zip in the bucket, with a ``Content-Type`` from
its extension, then delete every object that is not part of the new site; on Update a
file whose object already holds the same bytes (its ETag is their MD5) and headers is
not put again. Delete empties the bucket, so that CloudFormation can delete it (a bucket
already gone is fine). The physical ID is the bucket's name: a new bucket replaces the
resource, and CloudFormation then deletes the old one, emptying the old bucket.

Standard library and the Lambda runtime's boto3 only.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import mimetypes
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .custom_resource import Outcome, Request, handle

#: Types that Python's built-in table lacks or gets wrong for the web (it varies with the
#: Python version; the table alone, never the host's /etc/mime.types, keeps the result
#: the same wherever the handler runs).
WEB_TYPES = {
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".md": "text/markdown",
}
DEFAULT_TYPE = "application/octet-stream"
#: Text types are served with an explicit charset, so browsers do not guess.
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
              "application/manifest+json", "image/svg+xml")
UPLOAD_WORKERS = 8
#: A role policy CloudFormation just updated may take a few seconds to apply; reading
#: the new zip is retried while access is denied.
ACCESS_RETRY_SECONDS = 60.0

_types = mimetypes.MimeTypes(filenames=())
T = TypeVar("T")


def content_type(name: str) -> str:
    """The ``Content-Type`` of the site file ``name``."""
    dot = name.rfind(".")
    extension = name[dot:].lower() if dot > name.rfind("/") else ""
    found = WEB_TYPES.get(extension) or _types.guess_type(name, strict=False)[0] or DEFAULT_TYPE
    if found.startswith(TEXT_TYPES):
        return f"{found}; charset=utf-8"
    return found


def cache_control(name: str, rules: Any) -> str | None:
    """The ``Cache-Control`` of ``name`` under ``rules`` (the ``CacheControl`` property)."""
    base = name.rsplit("/", 1)[-1]
    for rule in rules or []:
        pattern = rule["Pattern"]
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(base, pattern):
            return str(rule["Value"])
    return None


def _client() -> Any:
    import boto3  # the Lambda runtime's own; imported here so the module loads without it

    return boto3.client("s3")


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _retry_denied(call: Callable[[], T], seconds: float = ACCESS_RETRY_SECONDS) -> T:
    deadline = time.monotonic() + seconds
    delay = 1.0
    while True:
        try:
            return call()
        except Exception as error:
            if _error_code(error) not in ("AccessDenied", "403") or time.monotonic() > deadline:
                raise
            print(f"sparta site: access denied, retrying in {delay:g}s (IAM may be settling)")
            time.sleep(delay)
            delay = min(delay * 2, 8.0)


def existing_objects(s3: Any, bucket: str) -> dict[str, str]:
    """Key -> ETag (without quotes) of every object in ``bucket``."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item.get("ETag", "").strip('"')
    return found


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    """Delete ``keys`` from ``bucket``, a thousand per request; any refused key raises."""
    for start in range(0, len(keys), 1000):
        batch = keys[start:start + 1000]
        answer = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
        )
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            raise RuntimeError(
                f"could not delete {len(errors)} object(s) of {bucket}, e.g. "
                f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )


def publish(request: Request) -> Outcome:
    """Create and Update: make the bucket hold exactly the new site."""
    properties = request.properties
    bucket = properties["Bucket"]
    rules = properties.get("CacheControl") or []
    # Headers changed: every object is put again, even when its bytes are the same.
    same_headers = request.request_type == "Update" and (
        (request.old_properties.get("CacheControl") or []) == rules
        and request.old_properties.get("Bucket") == bucket
    )
    config = properties.get("Config")
    config_key = properties.get("ConfigFile") or "sparta-config.json"
    s3 = _client()
    current = existing_objects(s3, bucket)
    with tempfile.TemporaryFile() as spool:
        _retry_denied(lambda: s3.download_fileobj(
            properties["SourceBucket"], properties["SourceKey"], spool))
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            # Read entry by entry in the workers (zipfile serialises the reads), so a
            # large site never sits in memory at once.
            items: list[tuple[str, Callable[[], bytes], str | None]] = [
                (info.filename, (lambda info=info: archive.read(info)),
                 cache_control(info.filename, rules))
                for info in archive.infolist() if not info.is_dir()
            ]
            if config is not None:
                document = (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()
                # The config changes with the stack, not with the site: never cached.
                items.append((config_key, lambda: document, "no-cache"))

            def put(item: tuple[str, Callable[[], bytes], str | None]) -> bool:
                key, read, header = item
                body = read()
                digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
                if same_headers and current.get(key) == digest:
                    return False
                extra: dict[str, Any] = {"ContentType": content_type(key)}
                if header:
                    extra["CacheControl"] = header
                s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
                return True

            with ThreadPoolExecutor(max_workers=UPLOAD_WORKERS) as pool:
                uploaded = sum(pool.map(put, items))
    wanted = {key for key, _, _ in items}
    stale = sorted(key for key in current if key not in wanted)
    # Removed last, so a page being viewed during the update keeps its assets.
    delete_keys(s3, bucket, stale)
    print(f"sparta site: {bucket}: {uploaded} put, {len(items) - uploaded} unchanged, "
          f"{len(stale)} removed")
    return Outcome(physical_id=bucket, data={
        "Bucket": bucket, "Files": str(len(items)), "Uploaded": str(uploaded),
        "Removed": str(len(stale)),
    })


def empty(request: Request) -> Outcome:
    """Delete: remove every object, so that CloudFormation can delete the bucket."""
    bucket = request.properties["Bucket"]
    s3 = _client()
    try:
        keys = list(existing_objects(s3, bucket))
    except Exception as error:
        if _error_code(error) == "NoSuchBucket":
            return Outcome()
        raise
    delete_keys(s3, bucket, keys)
    print(f"sparta site: {bucket}: emptied ({len(keys)} objects)")
    return Outcome()


def handler(event: dict[str, Any], context: Any) -> Any:
    """The Lambda entry point of the provider function."""
    return handle(event, context, create=publish, update=publish, delete=empty)
