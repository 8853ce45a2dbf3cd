"""Client errors: one JSON shape, a 4xx status, never a stack trace."""

from __future__ import annotations

import json
from typing import Any


class ClientError(Exception):
    """Bad input. Raised by logic, turned into a 4xx JSON response by the handler."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


def error_response(error: ClientError, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return json_response(error.status, error.body(), {**error.headers, **(headers or {})})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway v2 (payload 2.0) response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json; charset=utf-8", **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }
