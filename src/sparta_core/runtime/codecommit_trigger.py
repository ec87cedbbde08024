"""Custom resource ``SpartaCodeCommitTrigger``: one trigger on a CodeCommit repository.

Properties: ``Repository`` (name), ``Name`` (the trigger's, unique per repository),
``DestinationArn``, ``Branches`` (empty: all), ``Events``, optional ``CustomData``. The
repository's triggers are read, the one of this name replaced, and written back, so
the repository's other triggers are kept; delete removes it (a repository already
gone is fine). The physical ID is ``<repository>/<name>``.
"""

from __future__ import annotations

from typing import Any

from .custom_resource import Outcome, Request, handle


def _client() -> Any:
    import boto3  # the Lambda runtime's own; imported here so the module loads without it

    return boto3.client("codecommit")


def _as_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else list(value)


def _trigger(properties: dict[str, Any]) -> dict[str, Any]:
    trigger: dict[str, Any] = {
        "name": properties["Name"],
        "destinationArn": properties["DestinationArn"],
        "branches": _as_list(properties.get("Branches")),
        "events": _as_list(properties.get("Events")) or ["all"],
    }
    if properties.get("CustomData"):
        trigger["customData"] = properties["CustomData"]
    return trigger


def _triggers(client: Any, repository: str) -> list[dict[str, Any]]:
    return list(client.get_repository_triggers(repositoryName=repository).get("triggers", []))


def put(request: Request) -> Outcome:
    properties = request.properties
    repository, name = properties["Repository"], properties["Name"]
    client = _client()
    triggers = [t for t in _triggers(client, repository) if t.get("name") != name]
    triggers.append(_trigger(properties))
    client.put_repository_triggers(repositoryName=repository, triggers=triggers)
    return Outcome(physical_id=f"{repository}/{name}")


def delete(request: Request) -> Outcome:
    properties = request.properties
    repository, name = properties["Repository"], properties["Name"]
    client = _client()
    try:
        triggers = _triggers(client, repository)
    except client.exceptions.RepositoryDoesNotExistException:
        return Outcome()
    kept = [t for t in triggers if t.get("name") != name]
    if len(kept) != len(triggers):
        client.put_repository_triggers(repositoryName=repository, triggers=kept)
    return Outcome()


def handler(event: dict[str, Any], context: Any) -> Any:
    """The Lambda entry point of the provider function."""
    return handle(event, context, create=put, update=put, delete=delete)
