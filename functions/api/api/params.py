"""Request parts many routes share, declared once so the OpenAPI document describes them alike."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

IfMatch = Annotated[str | None, Header(alias="if-match", description=(
    "The version you read (the record's `version`). A write to a record someone changed since gets 412."))]
Limit = Annotated[str | None, Query(description="Items per page, 1 to 200 (default 50).")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page; opaque and signed.")]


STALE = "The record changed since the version in If-Match was read."


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorBody(BaseModel):
    """Every 4xx and 5xx the API answers: `{"error": {"code", "message", "fields"}}`."""

    error: ErrorDetail


def answers(success: int, errors: dict[int, str] | None = None) -> dict[int, OpenAPIResponse]:
    """A route's `responses` beyond the errors every route may answer (api.spec adds those): its success,
    whose body is its return type, and its own errors, e.g. `answers(201, {409: "Email taken."})`."""
    ok: OpenAPIResponse = {"description": {201: "Created", 204: "Deleted"}.get(success, "OK")}
    if success == 204:
        ok["content"] = {}  # A 204 has no body, whatever the route's `Response[None]` would make Powertools say.
    documented = {success: ok}
    for status, description in (errors or {}).items():
        documented[status] = {"description": description, "content": {"application/json": {"model": ErrorBody}}}
    return documented
