"""The parts of an API Gateway v2 (payload 2.0) event that the public, non-API functions read."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from crm.platform.errors import HttpError


@dataclass(frozen=True)
class HttpEvent:
    route_key: str
    path_parameters: dict[str, str]
    headers: dict[str, str]
    body: bytes
    source_ip: str
    user_agent: str
    query: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> HttpEvent:
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        raw = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise HttpError(400, "invalid_body", "The request body is not valid base64.") from exc
        else:
            body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
        http = (event.get("requestContext") or {}).get("http") or {}
        return cls(
            route_key=str(event.get("routeKey", "")),
            path_parameters={str(k): str(v) for k, v in (event.get("pathParameters") or {}).items()},
            headers=headers,
            body=body,
            source_ip=str(http.get("sourceIp") or "0.0.0.0"),  # noqa: S104 - a placeholder address, not a bind
            user_agent=str(http.get("userAgent") or headers.get("user-agent", ""))[:512],
            query={str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()},
        )
