"""Requests as API Gateway payload 2.0 events, and results back as responses."""

from __future__ import annotations

import base64
import json

from crm_local.apigw import HttpRequest, build_event, to_http_response
from crm_local.routes import RouteMatch
from crm_local.template import HttpRoute

MATCH = RouteMatch(HttpRoute("Fn", "POST", "/forms/{form_id}/submissions", None), {"form_id": "contact-us"})


def request(body: bytes, content_type: str, **overrides: object) -> HttpRequest:
    fields = {
        "method": "POST",
        "raw_path": "/forms/contact-us/submissions",
        "raw_query": "utm_source=ads&tag=a&tag=b",
        "headers": [("Host", "127.0.0.1:3000"), ("Content-Type", content_type), ("X-Tag", "one"),
                    ("X-Tag", "two"), ("Cookie", "a=1; b=2"), ("User-Agent", "test")],
        "body": body,
        "source_ip": "127.0.0.1",
        **overrides,
    }
    return HttpRequest(**fields)  # type: ignore[arg-type]


def test_json_request_becomes_a_text_event() -> None:
    # When a JSON form post arrives
    event = build_event(request(b'{"email": "a@b.c"}', "application/json"), MATCH, "req-1", now=1700000000.5)

    # Then the event carries it as text, with API Gateway's naming and joining rules
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /forms/{form_id}/submissions"
    assert event["pathParameters"] == {"form_id": "contact-us"}
    assert event["queryStringParameters"] == {"utm_source": "ads", "tag": "a,b"}
    assert event["headers"]["x-tag"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"email": "a@b.c"}', False)
    context = event["requestContext"]
    assert context["http"] == {"method": "POST", "path": "/forms/contact-us/submissions", "protocol": "HTTP/1.1",
                               "sourceIp": "127.0.0.1", "userAgent": "test"}
    assert (context["stage"], context["requestId"], context["timeEpoch"]) == ("$default", "req-1", 1700000000500)
    assert "authorizer" not in context


def test_form_posts_and_multipart_arrive_base64_encoded() -> None:
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        event = build_event(request(b"email=a%40b.c", content_type), MATCH, "req-2")
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == b"email=a%40b.c"


def test_a_request_without_body_query_or_cookies_leaves_them_out() -> None:
    event = build_event(request(b"", "text/plain", raw_query="", headers=[]), MATCH, "req-3")
    assert "body" not in event
    assert "cookies" not in event
    assert "queryStringParameters" not in event


def test_a_full_result_becomes_the_response() -> None:
    response = to_http_response({"statusCode": 303, "headers": {"Location": "https://example.com"},
                                 "cookies": ["s=1"], "body": base64.b64encode(b"\x00\x01").decode(),
                                 "isBase64Encoded": True})
    assert response.status == 303
    assert ("Location", "https://example.com") in response.headers
    assert ("Set-Cookie", "s=1") in response.headers
    assert response.body == b"\x00\x01"


def test_a_bare_return_value_is_a_200_json_body() -> None:
    response = to_http_response({"hello": "world"})
    assert (response.status, json.loads(response.body)) == (200, {"hello": "world"})
    assert ("Content-Type", "application/json") in response.headers
