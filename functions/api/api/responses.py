"""Responses every route shapes the same way."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response


def created(view: dict[str, Any], location: str | None = None) -> Response:
    """201 with the new record, its version as the ETag, and where it lives."""
    headers = {"etag": f'"{view["version"]}"'}
    if location:
        headers["location"] = location
    return Response(201, "application/json", view, headers=headers)


def accepted(view: dict[str, Any]) -> Response:
    """202: the work was started in the background; the body is where it stands now."""
    return Response(202, "application/json", view)
