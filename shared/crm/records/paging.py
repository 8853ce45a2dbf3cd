"""Paging shared by every list: `limit` checked, cursors verified and bound to their listing."""

from __future__ import annotations

from typing import Any

from crm.platform.cursor import InvalidCursor, decode_cursor
from crm.platform.errors import HttpError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def start_key(raw_cursor: str | None, secret: str, scope: str) -> dict[str, Any] | None:
    if not raw_cursor:
        return None
    try:
        return decode_cursor(raw_cursor, secret, scope)
    except InvalidCursor as exc:
        raise HttpError(400, "invalid_cursor", str(exc), {"cursor": str(exc)}) from exc


def page_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise HttpError(400, "invalid_limit", f"limit is a whole number from 1 to {MAX_LIMIT}.",
                        {"limit": f"A whole number from 1 to {MAX_LIMIT}."})
    return int(raw)
