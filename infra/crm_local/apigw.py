"""HTTP requests as API Gateway HttpApi payload 2.0 events, and Lambda results back as HTTP responses,
shaped the way API Gateway shapes them."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from crm_local.routes import RouteMatch
from crm_local.template import LOCAL_ACCOUNT_ID

LOCAL_API_ID = "local"
_TEXT_TYPES = ("application/json", "application/javascript", "application/xml", "application/ecmascript")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """All values of a header, comma-joined as API Gateway passes them; None when absent."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def json_error(status: int, message: str) -> HttpResponse:
    """API Gateway's own error body, as for a missing route or a refused token."""
    return HttpResponse(status, [("Content-Type", "application/json")],
                        json.dumps({"message": message}, separators=(",", ":")).encode())


def is_text(content_type: str | None) -> bool:
    """Whether API Gateway passes a body of this type as text; everything else arrives base64-encoded
    (including form posts, multipart and bodies without a content type)."""
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    return (mime.startswith("text/") or mime in _TEXT_TYPES
            or mime.endswith("+json") or mime.endswith("+xml"))


def build_event(request: HttpRequest, match: RouteMatch, request_id: str,
                authorizer: dict[str, Any] | None = None, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    cookie_header = headers.pop("cookie", None)
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    request_context: dict[str, Any] = {
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": headers.get("host", ""),
        "domainPrefix": headers.get("host", "").split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": match.route.route_key,
        "stage": "$default",
        "time": formatdate(now, usegmt=True),
        "timeEpoch": int(now * 1000),
    }
    if authorizer is not None:
        request_context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if cookie_header:
        event["cookies"] = [part.strip() for part in cookie_header.replace(",", ";").split(";") if part.strip()]
    if query:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if request.body:
        if is_text(headers.get("content-type")):
            event["body"] = request.body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def to_http_response(result: Any) -> HttpResponse:
    """A payload 2.0 result: a dict with statusCode is taken as the response; anything else is valid
    JSON that API Gateway returns as a 200 application/json body."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(result).encode())
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    headers.extend(("Set-Cookie", cookie) for cookie in result.get("cookies") or ())
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, data)
