"""The clients' API called in process the way API Gateway calls it: a payload 2.0 event with the JWT
authorizer's claims for a role, and the response's status, JSON body and headers back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class ApiClient:
    role: str = "admin"
    user: str = "user-1"
    # False: no authorizer in the event at all, as for the routes template.yaml leaves public.
    authenticated: bool = True

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, raw_body: str | None = None) -> ApiResponse:
        from api.handler import handler

        text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        event = {
            "version": "2.0", "routeKey": "ANY /v1/{proxy+}", "rawPath": path,
            "rawQueryString": urlencode(query or {}), "queryStringParameters": query or None,
            "headers": {"content-type": "application/json", **(headers or {})},
            "requestContext": {
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
                **({"authorizer": {"jwt": {"claims": {"sub": self.user, "cognito:groups": f"[{self.role}]"},
                                           "scopes": None}}} if self.authenticated else {}),
                "requestId": "req", "routeKey": "ANY /v1/{proxy+}", "stage": "$default"},
            "pathParameters": {"proxy": path.removeprefix("/v1/")},
            "body": text, "isBase64Encoded": False,
        }
        response = handler(event, None)
        raw = response.get("body") or ""
        return ApiResponse(response["statusCode"], json.loads(raw) if raw.startswith(("{", "[")) else raw,
                           {k.lower(): v for k, v in (response.get("headers") or {}).items()})

    def get(self, path: str, **query: str) -> ApiResponse:
        return self.call("GET", path, query={k: v for k, v in query.items() if v is not None})

    def post(self, path: str, body: Any) -> ApiResponse:
        return self.call("POST", path, body)

    def patch(self, path: str, body: Any, version: int | None = None) -> ApiResponse:
        return self.call("PATCH", path, body, headers={"if-match": f'"{version}"'} if version is not None else None)

    def delete(self, path: str, version: int | None = None) -> ApiResponse:
        return self.call("DELETE", path, headers={"if-match": f'"{version}"'} if version is not None else None)
