"""The list an export pages through, read as the API reads a request: its path and query checked, each page
asked for as API Gateway would ask the API's handler (a payload 2.0 event carrying the exporter's claims),
and each answer read as a page or as the error the exporter would have got."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from crm.platform.access import Caller
from crm.platform.errors import HttpError

PREFIX = "/v1/"
PAGE_SIZE = "100"
# A path of plain segments (ids are hex, keys and slugs ASCII words): nothing to decode, no `.` or `..`.
_PATH = re.compile(r"/v1(/[A-Za-z0-9_~:-][A-Za-z0-9._~:-]*)+")
# An export pages through the whole list itself.
_PAGING = frozenset({"cursor", "limit"})
# What the exporter's list answers that the export answers alike; anything else means it is not a list.
_PASSED_ON = frozenset({400, 403, 404, 422, 429, 503})


def refused(message: str) -> HttpError:
    return HttpError(422, "invalid_fields", message, {"list": message})


@dataclass(frozen=True)
class ListRequest:
    path: str
    query: tuple[tuple[str, str], ...]

    @property
    def resource(self) -> str:
        return self.path.removeprefix(PREFIX).split("/")[0]

    @property
    def title(self) -> str:
        """What the list is of, for its file's name: the resource, and the action on a record (a timeline)."""
        segments = self.path.removeprefix(PREFIX).split("/")
        return "-".join(segments[:1] + segments[2:3])

    def page_event(self, caller: Caller, cursor: str | None) -> dict[str, Any]:
        query = [*self.query, ("limit", PAGE_SIZE), *((("cursor", cursor),) if cursor else ())]
        # API Gateway joins a repeated parameter's values with commas.
        parameters: dict[str, str] = {}
        for name, value in query:
            parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
        claims = {"sub": caller.user_id, "cognito:groups": f"[{' '.join(sorted(caller.roles))}]"}
        return {
            "version": "2.0", "routeKey": "ANY /v1/{proxy+}", "rawPath": self.path,
            "rawQueryString": urlencode(query), "queryStringParameters": parameters,
            "headers": {}, "pathParameters": {"proxy": self.path.removeprefix(PREFIX)},
            "requestContext": {"http": {"method": "GET", "path": self.path, "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1"},
                               "authorizer": {"jwt": {"claims": claims, "scopes": None}},
                               "requestId": "export", "routeKey": "ANY /v1/{proxy+}", "stage": "$default"},
            "body": None, "isBase64Encoded": False,
        }


def list_request(text: str) -> ListRequest:
    """`text` as a GET of a list under /v1 (its filters and sort in the query), or 422 naming what is wrong."""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.fragment or not _PATH.fullmatch(parts.path):
        raise refused("A list is a path under /v1, such as /v1/contacts?lifecycle_stage=customer.")
    try:
        query = tuple(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError as exc:
        raise refused("The list's query is not name=value pairs joined with &.") from exc
    if _PAGING & {name for name, _ in query}:
        raise refused("Leave out cursor and limit: an export pages through the whole list.")
    return ListRequest(parts.path, query)


def page_from(response: dict[str, Any]) -> dict[str, Any]:
    """The page an answer of the API holds; the exporter's error when it is one, as the export's own."""
    status, body = response.get("statusCode"), _json(response.get("body"))
    if status == 200 and _is_page(body):
        return dict(body)
    error = body.get("error") if isinstance(body, dict) else None
    if status in _PASSED_ON and isinstance(error, dict):
        return _raise(status, error, response.get("headers") or {})
    raise refused("The API serves no list at this path: name a list such as /v1/contacts, not one record.")


def _is_page(body: Any) -> bool:
    return isinstance(body, dict) and body.keys() == {"items", "next_cursor"} and isinstance(body["items"], list) \
        and all(isinstance(item, dict) for item in body["items"])


def _raise(status: int, error: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    retry = {"retry-after": headers["retry-after"]} if "retry-after" in headers else None
    raise HttpError(status, str(error.get("code")), str(error.get("message")), error.get("fields"), retry)


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
