"""Helpers for the integration tests (imported by name: this directory is on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

REGION = "us-east-1"
BUCKET = "sparta-test-artifacts"


def configure(project: Path, **settings: str) -> Path:
    """Add ``[tool.sparta]`` settings to the project's pyproject.toml."""
    pyproject = project / "pyproject.toml"
    lines = [f'{key} = "{value}"' for key, value in settings.items()]
    text = pyproject.read_text()
    text = text.replace("[tool.sparta]\n", "[tool.sparta]\n" + "\n".join(lines) + "\n")
    pyproject.write_text(text)
    return project


def stack(aws: Callable[[str], Any], name: str) -> dict[str, Any] | None:
    """The stack as DescribeStacks shows it, or None."""
    try:
        return aws("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except Exception as error:
        if "does not exist" in str(error):
            return None
        raise


def keys(aws: Callable[[str], Any], bucket_name: str) -> list[str]:
    listing = aws("s3").list_objects_v2(Bucket=bucket_name)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def content_address(path: Path) -> str:
    """An archive's S3 name (DESIGN §5), computed from the zip alone: the sha256 of each
    member's path, mode and uncompressed bytes, in order, not of the zip's bytes."""
    import hashlib
    import zipfile

    digest = hashlib.sha256(b"sparta-content-1\0")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            digest.update(info.filename.encode() + b"\0" + f"{info.external_attr >> 16:o}".encode()
                          + b"\0" + hashlib.sha256(archive.read(info)).digest())
    return digest.hexdigest()
