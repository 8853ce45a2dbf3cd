"""Answers other than the result, in one JSON shape and never with a stack trace: a client's mistake (4xx),
or what the caller must do next: follow a merged contact (308), forget an erased one (410), come back
later (503)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from crm.platform.observability import count, logger


class HttpError(Exception):
    """Raised by logic, turned into its JSON response by the entry point."""

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


def error_response(error: HttpError, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return json_response(error.status, error.body(), {**error.headers, **(headers or {})})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway v2 (payload 2.0) response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json; charset=utf-8", **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def unavailable(message: str, retry_after: int) -> HttpError:
    """A failure that is not the caller's (an AWS fault, a bug): nothing was accepted, so the request may
    come again after `retry_after` seconds."""
    return HttpError(503, "temporarily_unavailable", message, headers={"retry-after": str(retry_after)})


def answered(handle: Callable[[], dict[str, Any]], *, failed: str, metric: str, message: str,
             retry_after: int) -> dict[str, Any]:
    """An HTTP entry point's response: what `handle` returns, its HttpError as JSON, or any other failure
    logged, counted as `metric` and answered 503, never with a trace."""
    try:
        return handle()
    except HttpError as error:
        return error_response(error)
    except Exception:  # noqa: BLE001 - any failure becomes a logged 503, so the sender retries
        logger.exception(failed)
        count(metric)
        return error_response(unavailable(message, retry_after))
