"""Request parts many routes share, declared once so the OpenAPI document describes them alike."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

IfMatch = Annotated[str | None, Header(alias="if-match", description=(
    "The version you read (the record's `version`). A write to a record someone changed since gets 412."))]
Limit = Annotated[str | None, Query(description="Items per page, 1 to 200 (default 50).")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page; opaque and signed.")]
